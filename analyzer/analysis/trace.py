"""Walk a kernel finding back through Inductor's layers to the line of Python that caused it.

The layers of one compile are joined into a single networkx graph:

    kernel -> loop-body check_bounds op -> the load it guards -> post-grad gather node
           -> Dynamo node -> user source line

and a finding's trace is a path through it. A step that cannot be joined is named in the
finding (`unresolved`) instead of being guessed.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx

GATHER_TARGETS = ("aten.index.", "aten.index_select", "aten.gather", "aten.embedding", "aten._unsafe_index")
_SYMBOL = re.compile(r"[A-Za-z_]\w*")


def normalize_path(path: str) -> str:
    """Paths without the machine: site-packages files by package path, project files relative."""
    posix = path.replace("\\", "/")
    if "site-packages/" in posix:
        return posix.rsplit("site-packages/", 1)[1]
    try:
        return Path(posix).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(posix).name


def user_frame(stack: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The innermost frame outside torch itself: the line a user (or transformers) wrote."""
    for frame in reversed(stack):
        if not normalize_path(frame["file"]).startswith("torch/"):
            return frame
    return None


def format_arg(arg: Any) -> str:
    """A captured FX argument back as source-like text."""
    if isinstance(arg, dict):
        if "node" in arg:
            return arg["node"]
        if "sym" in arg:
            return arg["sym"]
        if "repr" in arg:
            return arg["repr"]
        return "{" + ", ".join(f"{k}: {format_arg(v)}" for k, v in arg.items()) + "}"
    if isinstance(arg, list):
        return "[" + ", ".join(format_arg(a) for a in arg) + "]"
    return repr(arg)


def node_text(node: dict[str, Any]) -> str:
    args = [format_arg(a) for a in node["args"]] + [f"{k}={format_arg(v)}" for k, v in node.get("kwargs", {}).items()]
    return f"{node['name']} = {node['target']}({', '.join(args)})"


def _ops_by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["name"]: op for op in body["ops"]}


def _resolve(arg: str, ops: dict[str, dict[str, Any]], indexing: dict[str, str]) -> str:
    """A loop-body argument as text: `%get_index_3` becomes the sympy index it names."""
    if arg.startswith("%"):
        op = ops.get(arg[1:])
        if op is not None and op["op"] == "get_index" and op["args"]:
            return indexing.get(op["args"][0], op["args"][0])
        return arg[1:]
    return arg


def _op_text(op: dict[str, Any], ops: dict[str, dict[str, Any]], indexing: dict[str, str]) -> str:
    args = [_resolve(a, ops, indexing) for a in op["args"]]
    if op["op"] == "check_bounds" and len(args) == 4:
        return f"ops.check_bounds({args[0]}, size={args[1]}, lower={args[2]}, upper={args[3]})"
    return f"ops.{op['op']}({', '.join(args)})"


def _dynamo_nodes(compile_rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compile's Dynamo nodes by name, each with its stack as frames (the graph stores indices)."""
    dynamo_graph = compile_rec.get("dynamo_graph") or {"nodes": [], "frames": []}
    return {n["name"]: dict(n, stack=[dynamo_graph["frames"][i] for i in n["stack"]]) for n in dynamo_graph["nodes"]}


def layer_graph(compile_rec: dict[str, Any]) -> nx.DiGraph:
    """All layers of one compile as one graph; node attributes carry the text shown to users."""
    g = nx.DiGraph()
    post_grad = compile_rec["post_grad_graphs"][-1]["nodes"] if compile_rec["post_grad_graphs"] else []
    dynamo = _dynamo_nodes(compile_rec)
    consumers: dict[str, list[dict[str, Any]]] = {}
    for node in post_grad:
        for name in node["inputs"]:
            consumers.setdefault(name, []).append(node)

    for kernel in compile_rec["kernels"]:
        kid = ("kernel", kernel["name"])
        g.add_node(kid, layer="kernel", text=kernel["name"], file=kernel.get("file"))
        for snode in kernel["nodes"]:
            body = snode.get("loop_body")
            if not body:
                continue
            ops = _ops_by_name(body)
            indexing = body["indexing_exprs"]
            order = [op for op in body["ops"] if op["op"] not in ("get_index",)]
            for pos, op in enumerate(order):
                if op["op"] != "check_bounds" and not op["op"].startswith("set_indirect"):
                    continue
                oid = ("loop-op", snode["name"], op["name"])
                checked = _resolve(op["args"][0], ops, indexing) if op["args"] else ""
                twins = [
                    _op_text(o, ops, indexing)
                    for o in order[:pos]
                    if o["op"] == "index_expr" and o["args"] and _resolve(o["args"][0], ops, indexing) == checked
                ]
                upper = op["op"] != "check_bounds" or (len(op["args"]) == 4 and op["args"][3] == "True")
                g.add_node(
                    oid,
                    layer="loop-body",
                    text=f"{snode['name']}.{op['name']}: {_op_text(op, ops, indexing)}",
                    node=snode["name"],
                    origins=snode["origins"],
                    upper=upper,
                    cse_twins=twins,
                )
                g.add_edge(kid, oid)
                symbols = set(_SYMBOL.findall(checked))
                for later in order[pos + 1 :]:
                    if later["op"] != "load" or len(later["args"]) < 2:
                        continue
                    index = _resolve(later["args"][1], ops, indexing)
                    if symbols and symbols <= set(_SYMBOL.findall(index)):
                        buffer = later["args"][0].strip("'\"")
                        lid = ("loop-op", snode["name"], later["name"])
                        g.add_node(lid, layer="loop-body", text=f"{snode['name']}.{later['name']}: {_op_text(later, ops, indexing)}", buffer=buffer)
                        g.add_edge(oid, lid)
                        for node in _gathers_reading(buffer, consumers):
                            _add_post_grad(g, lid, node, dynamo)
                        break
    return g


def _gathers_reading(buffer: str, consumers: dict[str, list[dict[str, Any]]], depth: int = 4) -> list[dict[str, Any]]:
    """The gather nodes that read `buffer`, looking through the casts and views Inductor folds into a load."""
    found: list[dict[str, Any]] = []
    frontier, seen = [buffer], {buffer}
    for _ in range(depth):
        nxt = []
        for name in frontier:
            for node in consumers.get(name, []):
                if node["name"] in seen:
                    continue
                seen.add(node["name"])
                if node["target"].startswith(GATHER_TARGETS):
                    found.append(node)
                elif node["target"].startswith(_TRANSPARENT):
                    nxt.append(node["name"])
        if found:
            return found
        frontier = nxt
    return found


_TRANSPARENT = (
    "prims.convert_element_type",
    "aten._to_copy",
    "aten.view",
    "aten.reshape",
    "aten.unsqueeze",
    "aten.expand",
    "aten.clone",
    "aten.slice",
    "aten.permute",
    "aten.constant_pad_nd",
)


def _add_post_grad(g: nx.DiGraph, parent: tuple, node: dict[str, Any], dynamo: dict[str, dict[str, Any]]) -> None:
    pid = ("post-grad", node["name"])
    g.add_node(pid, layer="post-grad", text=node_text(node), node=node["name"])
    g.add_edge(parent, pid)
    for name in [*reversed(node.get("source_fn") or []), *(node.get("from_node") or [])]:
        dnode = dynamo.get(name)
        if dnode is None:
            continue
        did = ("dynamo", name)
        g.add_node(did, layer="dynamo", text=node_text(dnode), node=name)
        g.add_edge(pid, did)
        frame = user_frame(dnode["stack"])
        if frame is not None:
            file = normalize_path(frame["file"])
            sid = ("source", file, frame["line"])
            g.add_node(sid, layer="source", text=frame["text"], file=file, line=frame["line"], function=frame["function"])
            g.add_edge(did, sid)
        break


def trace_finding(finding: dict[str, Any], kernel_name: str, graph: nx.DiGraph) -> dict[str, Any]:
    """Return the finding with `trace`, `source` and `unresolved` filled in."""
    out = dict(finding, trace=[], source=None, unresolved=None)
    kid = ("kernel", kernel_name)
    out["trace"].append({"layer": "kernel", "text": finding["statement"], "file": finding["file"], "line": finding["line"]})
    if kid not in graph:
        out["unresolved"] = f"kernel {kernel_name} was not recorded by the capture"
        return out
    if "index out of bounds" not in finding["statement"]:
        out["unresolved"] = "the statement is not a bounds check, so no loop-body op is known to emit it"
        return out
    checks = [n for n in graph.successors(kid) if graph.nodes[n]["upper"]]
    # fused kernels repeat one node's body per layer; identical checks are one candidate
    distinct = {graph.nodes[n]["text"].split(": ", 1)[1] for n in checks}
    if len(distinct) != 1:
        out["unresolved"] = (
            f"{len(distinct)} different upper-bound checks in the loop bodies of {kernel_name}; cannot tell which emitted this line"
        )
        return out
    sources = [n for n in nx.descendants(graph, checks[0]) if graph.nodes[n]["layer"] == "source"]
    targets = sources or [n for n in nx.descendants(graph, checks[0])]
    path = [checks[0]]
    if targets:
        deepest = max(targets, key=lambda n: nx.shortest_path_length(graph, checks[0], n))
        path = nx.shortest_path(graph, checks[0], deepest)
    for node in path:
        attrs = graph.nodes[node]
        step = {"layer": attrs["layer"], "text": attrs["text"]}
        for key in ("node", "origins"):
            if key in attrs:
                step[key] = attrs[key]
        if attrs.get("cse_twins"):
            step["shares_index_with"] = attrs["cse_twins"]
        if attrs["layer"] == "source":
            step.update(file=attrs["file"], line=attrs["line"])
            out["source"] = {"file": attrs["file"], "line": attrs["line"], "text": attrs["text"]}
        out["trace"].append(step)
    if out["source"] is None:
        reached = graph.nodes[path[-1]]["layer"]
        out["unresolved"] = f"trace stops at the {reached} layer: no further node in the captured graphs"
    return out


_REQUIRED_HERE = re.compile(r"\.cpp:(?P<line>\d+):\d+:\s+required from here")
_ERROR_AT = re.compile(r"\.(?:cpp|h):(?P<line>\d+):(?:\d+:)? (?:fatal )?error:")


def trace_failure(compile_rec: dict[str, Any], message: str) -> dict[str, Any]:
    """A failed compile's first compiler error traced like a finding: the kernel statement the
    compiler quotes, the kernel's scheduler nodes, their post-grad origins, the Dynamo nodes and the
    user's line. Of the origins that reach a line of Python, the last in graph order is taken: a
    fused kernel ends in the op whose result it stores. `source` is None when no line is reached."""
    lines = message.splitlines()
    index = next((i for i, line in enumerate(lines) if "error:" in line), None)
    out: dict[str, Any] = {"trace": [], "source": None, "unresolved": None}
    if index is None:
        out["unresolved"] = "no compiler error in the message"
        return out
    at = _ERROR_AT.search(lines[index])
    statement = next((ln.split("|", 1)[1].strip() for ln in lines[index + 1 : index + 3] if re.match(r"\s*\d+\s*\|", ln)), "")
    kernel = None
    for k in compile_rec["kernels"]:
        text = Path(k["path"]).read_text(encoding="utf-8").splitlines() if k.get("path") else []
        numbered = [n for n, line in enumerate(text, 1) if statement and line.strip() == statement]
        if numbered:
            wanted = int(at["line"]) if at else numbered[0]
            kernel, kernel_line = k, min(numbered, key=lambda n: abs(n - wanted))
            break
    if kernel is None:
        # an error inside a header, instantiated from the kernel: gcc names the kernel's line "required from here"
        here = next((m for m in map(_REQUIRED_HERE.search, reversed(lines[:index])) if m), None)
        if here is None or len(compile_rec["kernels"]) != 1:
            out["unresolved"] = "the statement the compiler quotes is in no recorded kernel"
            return out
        kernel, kernel_line = compile_rec["kernels"][0], int(here["line"])
        text = Path(kernel["path"]).read_text(encoding="utf-8").splitlines() if kernel.get("path") else []
        statement = text[kernel_line - 1].strip() if 0 < kernel_line <= len(text) else statement
    out["trace"].append({"layer": "kernel", "text": statement, "file": kernel["file"], "line": kernel_line, "node": kernel["name"]})
    post_grad = compile_rec["post_grad_graphs"][-1]["nodes"] if compile_rec.get("post_grad_graphs") else []
    order = {n["name"]: i for i, n in enumerate(post_grad)}
    by_name = {n["name"]: n for n in post_grad}
    origins = sorted({o for s in kernel["nodes"] for o in s.get("origins", []) if o in by_name}, key=order.__getitem__)
    dynamo = _dynamo_nodes(compile_rec)
    for name in reversed(origins):
        g = nx.DiGraph()
        _add_post_grad(g, ("kernel", kernel["name"]), by_name[name], dynamo)
        sources = [n for n in g if g.nodes[n].get("layer") == "source"]
        if not sources:
            continue
        for node in nx.shortest_path(g, ("post-grad", name), sources[0]):
            attrs = g.nodes[node]
            step = {"layer": attrs["layer"], "text": attrs["text"]}
            if attrs["layer"] == "source":
                step.update(file=attrs["file"], line=attrs["line"])
                out["source"] = {"file": attrs["file"], "line": attrs["line"], "text": attrs["text"]}
            elif "node" in attrs:
                step["node"] = attrs["node"]
            out["trace"].append(step)
        return out
    out["unresolved"] = f"no origin of {kernel['name']} reaches a line of Python in the captured graphs"
    return out
