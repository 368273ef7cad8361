"""Pictures of a run's findings, drawn with Graphviz, so a maintainer sees the defect before reading JSON.

Two pictures per representative finding (the first finding, in `findings.json` order, of each
kernel and scope kind: vectorized body, tail, other), written under `<run>/pictures/`:

- `defuse-<stem>.{dot,svg,png}`: the def-use slice of the kernel around the finding, in program
  order: the bounds check, the declarations its identifier comes from (back to the loop index),
  their direct uses, and the load the check guards; one box per C++ statement, labelled with its
  line and code, scopes (loop, vectorized body, tail loop) as clusters. A lost definition is the
  red edge from the declaration up to the check that uses it first; a check-after-load marks the
  load that runs before its check in red.
- `trace-<stem>.{dot,svg,png}`: the finding's trace across layers, top to bottom, one rank per
  layer: source line, Dynamo node, post-grad node, loop-body ops (the load and the check that
  guards it), C++ line. A trace that stops early ends in a dashed box saying why.

`<stem>` is `picture_stem(finding)`: `<variant>-<compile id>-kernel<N>-line<L>`, e.g.
`vmap-dynamic-0-0-kernel0-line22` for the kernel `..._0` of compile 0/0 at line 22, so a report can
name a picture from the finding alone. `pictures_for(run_dir)` lists, per representative finding,
the files that exist, as paths relative to the run folder (for Markdown links):

    {"vmap-dynamic/kernels/0-0-....cpp:22": {"finding": {...}, "defuse": {"dot": ..., "svg": ..., "png": ...},
                                             "trace": {...}}}

The `.dot` sources are written even when Graphviz's `dot` is not installed (then `MissingGraphviz`
is raised after writing them), so the pictures can be made elsewhere. Output is deterministic: no
paths, dates or ids that vary between runs; the SVG carries only Graphviz's version comment.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

import graphviz

from analyzer import artifacts, files
from analyzer.analysis import kernel

PICTURES = "pictures"
FORMATS = ("svg", "png")
WRAP = 64  # characters of code per label line
MAX_CODE_LINES = 6  # a 2.13 tail check needs five
INSTALL_HINT = "install Graphviz (Debian/Ubuntu: apt-get install graphviz; other systems: https://graphviz.org/download/)"

CODE_FONT = "DejaVu Sans Mono"
TEXT_FONT = "DejaVu Sans"
RED = "#c92a2a"
RED_FILL = "#ffe3e3"
ORANGE = "#d9480f"
ORANGE_FILL = "#fff4e6"
BLUE_FILL = "#e7f5ff"
GREY = "#495057"
LIGHT = "#f1f3f5"


class DrawError(ValueError):
    """The run folder cannot be drawn; the message says why, on one line."""


class MissingGraphviz(DrawError):
    """`dot` is not on PATH: the `.dot` sources were written, the pictures were not."""


# ---------------------------------------------------------------------------------------------
# names


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def picture_stem(finding: dict[str, Any]) -> str:
    """`<variant>-<compile id>-kernel<N>-line<L>`: predictable from the finding, short, unique per run.

    N is the number Inductor ends the kernel's name with (`..._3` -> kernel3); the kernel file's
    compile prefix (`0-2-...`) stands in for a missing compile id."""
    file = finding.get("file", "")
    parts = Path(file).parts
    variant = finding.get("variant") or (parts[0] if len(parts) > 2 else "kernel")
    compile_id = (finding.get("compile_id") or "").replace("/", "-")
    if not compile_id:
        match = re.match(r"(\d+-\d+)-", Path(file).name)
        compile_id = match.group(1) if match else "0-0"
    number = re.search(r"_(\d+)$", finding.get("kernel", "") or Path(file).stem)
    tag = f"kernel{number.group(1)}" if number else "kernel"
    return _safe(f"{variant}-{compile_id}-{tag}-line{finding['line']}")


def scope_kind(scope: str) -> str:
    """Vectorized body, tail (loop or masked tail body) or the scope's own label."""
    if scope.startswith("vectorized"):
        return "vectorized body"
    if scope.startswith("tail"):
        return "tail"
    return scope


def representatives(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first finding of each (kernel, scope kind): the same defect repeats per compile and variant,
    and one picture of each shape says it; more would bury the one that matters."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.get("kernel", ""), scope_kind(f.get("scope", "")))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _files_of(stem: str, prefix: str) -> dict[str, str]:
    return {ext: f"{PICTURES}/{prefix}-{stem}.{ext}" for ext in ("dot", *FORMATS)}


def pictures_for(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Per representative finding (`file:line`), its pictures that exist, relative to `run_dir`.

    Each entry: `finding` (file, line, kind, identifier, kernel, scope, variant, compile_id),
    `defuse` and `trace`, each `{ext: relative path}` for the extensions present on disk."""
    if not artifacts.has(run_dir, artifacts.FINDINGS):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for f in representatives(artifacts.read_findings(run_dir)):
        stem = picture_stem(f)
        entry: dict[str, Any] = {
            "finding": {k: f.get(k) for k in ("file", "line", "kind", "identifier", "kernel", "scope", "variant", "compile_id")}
        }
        for prefix in ("defuse", "trace"):
            present = {ext: rel for ext, rel in _files_of(stem, prefix).items() if (run_dir / rel).is_file()}
            if present:
                entry[prefix] = present
        out[f"{f['file']}:{f['line']}"] = entry
    return out


# ---------------------------------------------------------------------------------------------
# code as label text


def _unwrap_casts(text: str) -> str:
    """`static_cast<int64_t>(x)` -> `x`: Inductor wraps every index in one; they hide the data flow."""
    marker = "static_cast<int64_t>("
    while True:
        start = text.find(marker)
        if start < 0:
            return text
        depth, i = 1, start + len(marker)
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        if depth:
            return text
        inner = text[start + len(marker) : i - 1]
        simple = re.fullmatch(r"-?[\w.]+", inner) is not None
        text = text[:start] + (inner if simple else f"({inner})") + text[i:]


def shorten(statement: str) -> str:
    """The statement as a reader needs it: without `at::vec::` and the int64 casts of plain indices."""
    text = statement.strip().replace("at::vec::", "")
    text = _unwrap_casts(text)
    return re.sub(r"\s+", " ", text)


def wrap(text: str, width: int = WRAP, max_lines: int = MAX_CODE_LINES) -> list[str]:
    """Break code after `, ` `; ` or at spaces, never inside a token; cut with `…` past max_lines."""
    indent = "    "
    lines: list[str] = []
    rest = text.strip()
    while rest.strip():
        if len(rest) <= width:
            lines.append(rest)
            break
        # a break point past the continuation indent, so every line consumes text
        floor = len(indent) + 1 if lines else 1
        cut = max(rest.rfind(sep, floor, width) + len(sep) for sep in (", ", "; ", " "))
        if cut <= floor:  # no space to break at: after an opening parenthesis, else mid-token
            cut = rest.rfind("(", floor, width - 1) + 1
        if cut <= floor:
            cut = width
        lines.append(rest[:cut].rstrip())
        rest = indent + rest[cut:].lstrip()
        if len(lines) > max_lines:
            break
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


def _middle(text: str, width: int = 56) -> str:
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return text[:half] + "…" + text[-(width - 1 - half) :]


def _caption(lines: list[str]) -> str:
    """A graph label of left-justified lines (`\\l` ends a left-justified line in DOT)."""
    return "".join(line.replace("\\", "\\\\") + "\\l" for line in lines if line)


def _html_label(header: str, code: list[str], header_color: str = GREY, extra: list[str] | None = None) -> str:
    """A two-part label: a small sans-serif header, then left-aligned monospace code lines."""
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    rows = [f'<TR><TD ALIGN="LEFT"><FONT FACE="{TEXT_FONT}" POINT-SIZE="9" COLOR="{header_color}">{esc(header)}</FONT></TD></TR>']
    code_html = '<BR ALIGN="LEFT"/>'.join(esc(line) for line in code) + '<BR ALIGN="LEFT"/>'
    rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT FACE="{CODE_FONT}" POINT-SIZE="10">{code_html}</FONT></TD></TR>')
    for line in extra or []:
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT FACE="{TEXT_FONT}" POINT-SIZE="9" COLOR="{GREY}">{esc(line)}</FONT></TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'


# ---------------------------------------------------------------------------------------------
# the def-use slice


def _model_at(models: list[kernel.FunctionModel], line: int) -> kernel.FunctionModel:
    for model in models:
        if any(c.line == line for c in model.checks) or any(u.line == line for u in model.uses):
            return model
    raise DrawError(f"no bounds check or use at line {line} in the kernel")


def _ancestors(model: kernel.FunctionModel, decl_key: tuple, limit: int = 8) -> list[kernel.Decl]:
    """The declarations whose values flow into `decl_key`, nearest first, at most `limit`."""
    graph = model.graph
    decls = {(d.name, d.byte): d for d in model.decls}
    out, seen = [], {decl_key}
    frontier = [("def", *decl_key)]
    while frontier and len(out) < limit:
        nxt = []
        for node in frontier:
            for use in graph.predecessors(node):
                for d in graph.predecessors(use):
                    key = (d[1], d[2])
                    if graph.nodes[d]["kind"] == "def" and key not in seen:
                        seen.add(key)
                        out.append(decls[key])
                        nxt.append(d)
        frontier = sorted(nxt, key=lambda n: n[2])
    return out[:limit]


def defuse_slice(source: str, finding: dict[str, Any]) -> dict[str, Any]:
    """The statements and edges the def-use picture shows for one finding, as plain data.

    `nodes`: line -> {scope, role, text}; roles: check, lost (the declaration that comes too late
    or sits out of scope), def, use, load (the load the check guards), late-load (a load that runs
    before its check), index (a loop header declaring the index). `edges`: (from, to, kind, label)
    with kind data, lost, undeclared, guards or late. `scopes`: the model's scopes."""
    models = kernel.parse_functions(source)
    line, ident, kind = finding["line"], finding["identifier"], finding["kind"]
    model = _model_at(models, line)
    lines = source.splitlines()
    text_of = lambda n: lines[n - 1].strip() if 0 < n <= len(lines) else ""  # noqa: E731
    check = next((c for c in model.checks if c.line == line and c.variable == ident), None) or next(
        (c for c in model.checks if c.line == line), None
    )
    use = next((u for u in model.uses if u.line == line and u.name == ident and u.col == finding.get("col")), None) or next(
        (u for u in model.uses if u.line == line and u.name == ident), None
    )
    if use is None:
        raise DrawError(f"'{ident}' is not used at line {line} of the kernel")
    nodes: dict[int, dict[str, Any]] = {}
    edges: list[tuple[Any, Any, str, str]] = []

    def add(n: int, scope: int, role: str) -> None:
        if n not in nodes:
            nodes[n] = {"scope": scope, "role": role, "text": text_of(n)}

    add(line, use.scope, "check" if check is not None else "use")
    reaching = [p for p in model.graph.predecessors(("use", use.name, use.byte)) if model.graph.nodes[p]["kind"] == "def"]
    target: kernel.Decl | None = None
    if reaching:
        target = next(d for d in model.decls if (d.name, d.byte) == (reaching[0][1], reaching[0][2]))
    elif finding.get("related_line"):
        target = next((d for d in model.decls if d.name == ident and d.line == finding["related_line"]), None)
    lost = kind in kernel.LOST
    if target is not None:
        add(target.line, target.scope, "lost" if lost else "def")
        chain = [target, *_ancestors(model, (target.name, target.byte))]
        for d in chain[1:]:
            add(d.line, d.scope, "index" if kernel.INDEX_VAR.match(d.name) else "def")
        # data edges between the chain's statements, and from the target to its direct uses
        for d in chain:
            for u in model.graph.successors(("def", d.name, d.byte)):
                uline = model.graph.nodes[u]["line"]
                if d is target and uline not in nodes and len([n for n in nodes.values() if n["role"] == "use"]) < 3:
                    add(uline, model.graph.nodes[u]["scope"], "use")
                if uline in nodes and uline != d.line and (d.line, uline, "data", d.name) not in edges:
                    edges.append((d.line, uline, "data", d.name))
        if lost:
            if kind == "forward-reference":
                label = f"{ident} used at line {line},\ndeclared at line {target.line}"
            else:
                label = f"{ident} declared at line {target.line},\nin a scope that does not enclose line {line}"
            edges.append((target.line, line, "lost", label))
        names = {d.name for d in chain}
        chain_keys = {(d.name, d.byte) for d in chain}
    else:
        names, chain_keys = {ident}, set()
        if lost:
            edges.append(("undeclared", line, "undeclared", f"{ident} is declared nowhere"))
    # the load the check guards: the related line for a check-after-load, else the nearest load in
    # the check's scope that reads an index the checked value comes from
    load = None
    if kind == "check-after-load" and finding.get("related_line"):
        load = next((ld for ld in model.loads if ld.line == finding["related_line"]), None)
    elif check is not None:
        candidates = [
            ld for ld in model.loads if ld.scope == use.scope and set(ld.index_vars) & names and ld.defines not in chain_keys
        ]
        if candidates:
            load = min(candidates, key=lambda ld: abs(ld.byte - use.byte))
    if load is not None:
        late = kind == "check-after-load"
        if load.line in nodes:
            nodes[load.line]["role"] = "late-load" if late else "load"
        else:
            add(load.line, load.scope, "late-load" if late else "load")
        if late:
            edges.append((line, load.line, "late", f"meant to guard the load at line {load.line},\n{line - load.line} lines above it"))
        else:
            edges.append((line, load.line, "guards", "guards"))
        for d in model.decls:
            key = ("def", d.name, d.byte)
            if d.line in nodes and d.name in load.index_vars and d.name in names and d.line != load.line:
                if any(model.graph.nodes[u]["line"] == load.line for u in model.graph.successors(key)):
                    edges.append((d.line, load.line, "data", d.name))
    return {"nodes": dict(sorted(nodes.items())), "edges": edges, "scopes": model.scopes, "function": model.name}


_ROLE_STYLE = {
    "check": dict(color=RED, penwidth="2.2", fillcolor=RED_FILL),
    "lost": dict(color=ORANGE, penwidth="2", fillcolor=ORANGE_FILL),
    "late-load": dict(color=RED, penwidth="2.2", fillcolor=RED_FILL),
    "load": dict(color="#1c7ed6", penwidth="1.2", fillcolor=BLUE_FILL),
    "index": dict(color="#868e96", penwidth="1", fillcolor=LIGHT),
    "def": dict(color="#868e96", penwidth="1", fillcolor="white"),
    "use": dict(color="#adb5bd", penwidth="1", fillcolor="white"),
}


def _role_header(role: str, line: int, finding: dict[str, Any]) -> tuple[str, str]:
    ident = finding["identifier"]
    if role == "check":
        what = {
            "forward-reference": f"before {ident} is declared",
            "out-of-scope": f"where no declaration of {ident} is in scope",
            "undeclared": f"{ident} is declared nowhere",
        }.get(finding["kind"], "after the load it guards")
        return f"line {line} · bounds check on {ident}, {what}", RED
    if role == "lost":
        return f"line {line} · the declaration of {ident}, after its use", ORANGE
    if role == "late-load":
        return f"line {line} · load, runs before the check that guards it", RED
    if role == "load":
        return f"line {line} · load the check guards", "#1c7ed6"
    if role == "index":
        return f"line {line} · loop index", GREY
    return f"line {line}", GREY


def defuse_graph(source: str, finding: dict[str, Any]) -> graphviz.Digraph:
    """The def-use picture of one finding: statements in program order, scopes as clusters."""
    sl = defuse_slice(source, finding)
    scopes: list[kernel.Scope] = sl["scopes"]
    nodes: dict[int, dict[str, Any]] = sl["nodes"]
    g = graphviz.Digraph("defuse")
    where = f"{finding.get('variant', '')} · compile {finding.get('compile_id', '?')}".strip(" ·")
    caption = _caption([f"{_middle(finding.get('kernel') or sl['function'], 90)}  ({where})", finding.get("message", "")])
    g.attr(
        "graph", label=caption, labelloc="t", labeljust="l", fontname=TEXT_FONT, fontsize="11",
        rankdir="TB", nodesep="0.3", ranksep="0.3", newrank="true", bgcolor="white",
    )
    g.attr("node", shape="box", style="rounded,filled", fontname=CODE_FONT, margin="0.12,0.06")
    g.attr("edge", fontname=TEXT_FONT, fontsize="9", color="#868e96", fontcolor=GREY, arrowsize="0.7")

    # clusters: every scope that holds a statement directly, nested as the scopes are
    holding = {n["scope"] for n in nodes.values()}
    shown: set[int] = set()
    for s in holding:
        shown.update(x for x in kernel.scope_chain(scopes, s) if x in holding)

    def drawn_parent(s: int) -> int | None:
        for x in kernel.scope_chain(scopes, s)[1:]:
            if x in shown:
                return x
        return None

    children: dict[int | None, list[int]] = {}
    for s in sorted(shown):
        children.setdefault(drawn_parent(s), []).append(s)

    def emit(container: graphviz.Digraph, scope: int | None) -> None:
        for n, info in nodes.items():
            if info["scope"] == scope or (scope is None and info["scope"] not in shown):
                header, color = _role_header(info["role"], n, finding)
                container.node(f"L{n}", label=_html_label(header, wrap(shorten(info["text"])), color), **_ROLE_STYLE[info["role"]])
        for child in children.get(scope, []):
            sc = scopes[child]
            with container.subgraph(name=f"cluster_{child}") as sub:
                kind_color = {"vector-body": "#1971c2", "tail-loop": "#9c36b5", "tail-body": "#9c36b5"}.get(sc.kind, "#868e96")
                sub.attr(label=f"{sc.label} (line {sc.line})", labeljust="l", fontname=TEXT_FONT, fontsize="10",
                         fontcolor=kind_color, color=kind_color, style="rounded,dashed", penwidth="1.2")
                emit(sub, child)

    emit(g, None)
    if any(e[2] == "undeclared" for e in sl["edges"]):
        g.node("undeclared", label=f"{finding['identifier']}: no declaration in {sl['function']}", shape="box",
               style="dashed", color=RED, fontcolor=RED, fontname=TEXT_FONT, fontsize="10")
    # program order, top to bottom: invisible edges between consecutive statements
    order = list(nodes)
    for a, b in zip(order, order[1:]):
        g.edge(f"L{a}", f"L{b}", style="invis", weight="20")
    for a, b, kind, text in sl["edges"]:
        src = "undeclared" if a == "undeclared" else f"L{a}"
        label = text.replace("\\", "\\\\").replace("\n", "\\n")  # one DOT line per edge; \n breaks the label
        if kind == "data":
            backwards = a > b
            g.edge(src, f"L{b}", label=f" {label}", constraint="false" if backwards else "true")
        elif kind in ("lost", "undeclared"):
            g.edge(src, f"L{b}", label=label, color=RED, fontcolor=RED, penwidth="2.4", constraint="false", fontsize="10")
        elif kind == "late":
            g.edge(src, f"L{b}", label=label, color=RED, fontcolor=RED, penwidth="2.4", style="dashed", constraint="false", fontsize="10")
        else:
            g.edge(src, f"L{b}", label=f" {label}", style="dashed", color="#1c7ed6", fontcolor="#1c7ed6",
                   constraint="false" if a > b else "true")
    return g


# ---------------------------------------------------------------------------------------------
# the layer trace

LAYER_TITLES = {
    "source": "source line",
    "dynamo": "Dynamo graph node",
    "post-grad": "post-grad graph node",
    "loop-body": "loop-body op",
    "kernel": "C++ kernel line",
}
LAYER_ORDER = ("source", "dynamo", "post-grad", "loop-body", "kernel")
_EDGE_TEXT = {
    ("source", "dynamo"): "traced by Dynamo",
    ("dynamo", "post-grad"): "AOT autograd, post-grad passes",
    ("post-grad", "loop-body"): "lowered: the gather becomes a load",
    ("loop-body", "loop-body"): "guarded by",
    ("loop-body", "kernel"): "emitted as",
}


def _step_header(step: dict[str, Any]) -> str:
    layer = step["layer"]
    title = LAYER_TITLES.get(layer, layer)
    if layer in ("source", "kernel") and step.get("file"):
        return f"{title} · {_middle(Path(step['file']).name if layer == 'kernel' else step['file'])}:{step.get('line', '?')}"
    if step.get("node") and layer != "loop-body":
        return f"{title} · {step['node']}"
    return title


def trace_graph(finding: dict[str, Any]) -> graphviz.Digraph:
    """The finding's trace as a chain, source at the top and the C++ line at the bottom, one rank per layer."""
    steps = list(reversed(finding.get("trace") or []))
    if not steps:
        raise DrawError(f"finding at {finding.get('file')}:{finding.get('line')} has no trace")
    g = graphviz.Digraph("trace")
    caption = _caption([
        f"{_middle(finding.get('kernel', ''), 90)}  ({finding.get('variant', '')} · compile {finding.get('compile_id', '?')})",
        f"{finding['kind']} of '{finding['identifier']}' at line {finding['line']} ({finding.get('scope', '')}), traced to its source",
    ])
    g.attr("graph", label=caption, labelloc="t", labeljust="l", fontname=TEXT_FONT, fontsize="11",
           rankdir="TB", nodesep="0.4", ranksep="0.45", newrank="true", bgcolor="white")
    g.attr("node", shape="box", style="rounded,filled", fillcolor="white", color="#868e96", margin="0.12,0.06")
    g.attr("edge", fontname=TEXT_FONT, fontsize="9", color="#868e96", fontcolor=GREY, arrowsize="0.7")
    names = []
    by_layer: dict[str, list[str]] = {}
    if finding.get("unresolved"):
        g.node("unresolved", label=_html_label("unresolved", wrap(finding["unresolved"], 56), RED),
               style="rounded,dashed", color=RED)
        by_layer.setdefault("unresolved", []).append("unresolved")
        names.append("unresolved")
    for i, step in enumerate(steps):
        name = f"s{i}"
        extra = []
        if step.get("shares_index_with"):
            extra.append("shares its index with " + ", ".join(step["shares_index_with"]) + " (one CSE variable)")
        style: dict[str, str] = {}
        color = GREY
        if step["layer"] == "kernel":
            style = dict(color=RED, penwidth="2.2", fillcolor=RED_FILL)
            color = RED
        elif step["layer"] == "source":
            style = dict(color="#1c7ed6", penwidth="1.6", fillcolor=BLUE_FILL)
        text = shorten(step["text"]) if step["layer"] == "kernel" else re.sub(r"\s+", " ", step["text"].strip())
        g.node(name, label=_html_label(_step_header(step), wrap(text), color, extra), **style)
        by_layer.setdefault(step["layer"], []).append(name)
        names.append(name)
    for layer, members in by_layer.items():
        if len(members) > 1:
            with g.subgraph() as same:
                same.attr(rank="same")
                for m in members:
                    same.node(m)
    layers = ["unresolved"] * bool(finding.get("unresolved")) + [s["layer"] for s in steps]
    for (a, la), (b, lb) in zip(zip(names, layers), zip(names[1:], layers[1:])):
        if la == "unresolved":
            g.edge(a, b, style="dashed", color=RED, arrowhead="none")
        else:
            g.edge(a, b, label=f" {_EDGE_TEXT.get((la, lb), '')}")
    return g


# ---------------------------------------------------------------------------------------------
# rendering


def render(graph: graphviz.Digraph, fmt: str) -> bytes:
    """Run `dot` on the graph's source; MissingGraphviz when it is not installed."""
    try:
        data = graphviz.pipe("dot", fmt, graph.source.encode("utf-8"), renderer="cairo" if fmt == "png" else None)
    except graphviz.ExecutableNotFound:
        raise MissingGraphviz(f"Graphviz's 'dot' executable was not found on PATH; {INSTALL_HINT}") from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise DrawError(f"dot failed: {detail[-1] if detail else exc}") from None
    if fmt == "svg":
        data = re.sub(rb"<!-- Title: [^>]*-->\n", b"", data)  # the graph name only; nothing that varies, nothing to say
    return data


def _graphs(run_dir: Path) -> list[tuple[str, graphviz.Digraph]]:
    if not artifacts.has(run_dir, artifacts.FINDINGS):
        raise DrawError(f"{run_dir}: not an analyze run folder (no {artifacts.FINDINGS})")
    try:
        findings = artifacts.read_findings(run_dir)
    except artifacts.ArtifactError as exc:
        raise DrawError(str(exc)) from None
    except (KeyError, TypeError):
        raise DrawError(f"{run_dir / artifacts.FINDINGS}: expected a list of findings") from None
    if not isinstance(findings, list):
        raise DrawError(f"{run_dir / artifacts.FINDINGS}: expected a list of findings")
    out = []
    for f in representatives(findings):
        stem = picture_stem(f)
        kernel_path = run_dir / f["file"]
        try:
            source = kernel_path.read_text(encoding="utf-8")
        except OSError:
            raise DrawError(f"{run_dir}: kernel {f['file']} of a finding is missing") from None
        try:
            out.append((f"defuse-{stem}", defuse_graph(source, f)))
        except kernel.KernelParseError as exc:
            raise DrawError(f"{f['file']}: {exc}") from None
        if f.get("trace"):
            out.append((f"trace-{stem}", trace_graph(f)))
    return out


def draw_run(run_dir: Path) -> list[Path]:
    """Draw the pictures of a run folder into `<run>/pictures/`; returns the files written.

    Everything is rendered into a staging folder first and swapped in whole, so a failure leaves
    the previous pictures as they were. Without `dot`, only the `.dot` sources are written (each
    atomically, beside any existing pictures) and MissingGraphviz is raised."""
    run_dir = Path(run_dir)
    graphs = _graphs(run_dir)
    final = run_dir / PICTURES
    if not graphs:
        return []
    if shutil.which("dot") is None:
        for name, graph in graphs:
            files.write_text(final / f"{name}.dot", graph.source)
        raise MissingGraphviz(
            f"Graphviz's 'dot' executable was not found on PATH; {INSTALL_HINT}; the .dot sources are in {final}"
        )
    staging = files.staging_dir(run_dir, PICTURES)  # named for this process; a killed run's is removed
    try:
        written = []
        for name, graph in graphs:
            files.write_text(staging / f"{name}.dot", graph.source)
            written.append(final / f"{name}.dot")
            for fmt in FORMATS:
                files.write_bytes(staging / f"{name}.{fmt}", render(graph, fmt))
                written.append(final / f"{name}.{fmt}")
        files.replace_dir(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def keep_rendered(previous_run: Path, run_dir: Path) -> tuple[int, int]:
    """Where `dot` is missing: copy the rendered pictures of `previous_run` whose `.dot` source is
    byte for byte the one just written in `run_dir`, so a rerun keeps the pictures it would have
    drawn the same; a picture whose source changed is not kept, since it would show the old graph.

    Returns (rendered pictures kept, sources left without their pictures)."""
    kept = missing = 0
    for source in sorted((run_dir / PICTURES).glob("*.dot")):
        before = previous_run / PICTURES / source.name
        rendered = [before.with_suffix(f".{fmt}") for fmt in FORMATS]
        if before.is_file() and before.read_bytes() == source.read_bytes() and all(p.is_file() for p in rendered):
            for picture in rendered:
                files.write_bytes(source.with_suffix(picture.suffix), picture.read_bytes())
            kept += len(rendered)
        else:
            missing += 1
    return kept, missing


def draw_or_keep(run_dir: Path, previous_run: Path) -> str | None:
    """Draw the pictures of a fresh run folder; without `dot`, write the sources, keep what
    `keep_rendered` can, and return the one line the user must read about it (None when drawn)."""
    try:
        draw_run(run_dir)
    except MissingGraphviz:
        kept, missing = keep_rendered(previous_run, run_dir)
        sources = len(list((run_dir / PICTURES).glob("*.dot")))
        detail = f"kept {kept} rendered pictures of the previous run whose sources are unchanged"
        if missing:
            detail += f"; {missing} changed or new {'source has' if missing == 1 else 'sources have'} no picture"
        return (
            f"pictures: Graphviz's dot is not on PATH: wrote {sources} .dot sources and {detail}; "
            f"{INSTALL_HINT}, then run `python -m analyzer draw {previous_run}`"
        )
    return None
