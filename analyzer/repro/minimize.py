"""From a traced finding to the smallest pure-torch program that still shows the bug.

1. Slice: the failing kernel's post-grad nodes (its scheduler nodes' origins and the gather the
   trace found) and their ancestors, with networkx over the captured post-grad graph.
2. Start: the bug's mechanism read off the slice (`cores`: the gather, its computed index, another
   reader of that index and the path joining them). When one reproduces, the search starts there;
   otherwise delta debugging (ddmin) reduces the whole slice. A removed node whose value is still
   needed becomes an input of the same shape and dtype, so every candidate is a valid program.
3. Simplify: a node whose result has the shape and dtype of one of its inputs (`x + 0`,
   `ones & mask`) is bypassed, and a chain of views becomes one reshape; removal alone cannot
   drop such nodes without cutting the data flow that fuses the rest into one kernel.
4. Reduce: each node whose removal still reproduces is dropped, until none is (1-minimal).
   Steps 3 and 4 repeat to a fixpoint.
Each candidate is judged by `oracle`, which accepts this bug's signature and nothing else, and
each distinct program is judged once.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx

from analyzer.repro import render

TEMPLATE = '''"""{title}

{description}
Minimized from a graph captured on torch {torch}; exits 1 while the bug
is present, 0 once the compiled result matches eager.
"""
{imports}import sys

import torch


{function}

{inputs}

def main() -> int:
    inputs = make_inputs()
    expected = f(*inputs)
    try:
        got = torch.compile(f, dynamic=True)(*inputs)
    except Exception as exc:  # the compile error is what this script shows
        lines = str(exc).splitlines()
        errors = [i for i, line in enumerate(lines) if "error:" in line]
        text = "\\n".join(lines[j] for i in errors for j in range(i, min(i + 3, len(lines))))
        if errors and "index out of bounds" in text:
            print("BUG: Inductor's C++ kernel uses a variable in its bounds check before declaring it")
            print(text)
            return 1
        raise
    same = all(torch.equal(a, b) for a, b in zip(got, expected))
    print(f"compiled with dynamic shapes; matches eager: {{same}}")
    return 0 if same else 2


if __name__ == "__main__":
    sys.exit(main())
'''


@dataclasses.dataclass
class Candidate:
    nodes: list[dict[str, Any]]
    inputs: list[render.Input]
    outputs: list[str]

    @property
    def op_count(self) -> int:
        return len(self.nodes)

    def function_source(self) -> str:
        return render.render_function(self.nodes, self.inputs, self.outputs)

    def inputs_source(self) -> str:
        return render.render_inputs(self.inputs)

    def script(self, title: str, description: str, torch_version: str) -> str:
        function = self.function_source().rstrip()
        return TEMPLATE.format(
            title=title,
            description=description,
            torch=torch_version,
            imports="import operator\n" if "operator." in function else "",  # only where a graph calls a Python operator
            function=function,
            inputs=self.inputs_source().rstrip(),
        )

    def load(self) -> tuple[Callable[..., Any], tuple]:
        """The candidate as a live function and its inputs, for in-process queries."""
        import torch

        import operator

        namespace: dict[str, Any] = {"torch": torch, "operator": operator}
        exec(compile(self.function_source() + self.inputs_source(), "<candidate>", "exec"), namespace)
        return namespace["f"], namespace["make_inputs"]()


def _refs(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        if "node" in value:
            yield value["node"]
        else:
            for v in value.values():
                yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


def node_inputs(node: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for name in _refs([node["args"], node.get("kwargs", {})]):
        if name not in seen:
            seen.append(name)
    return seen


def dependency_graph(nodes: list[dict[str, Any]]) -> nx.DiGraph:
    g = nx.DiGraph()
    for order, node in enumerate(nodes):
        g.add_node(node["name"], order=order)
        for src in node_inputs(node):
            g.add_edge(src, node["name"])
    return g


def backward_slice(nodes: list[dict[str, Any]], roots: Iterable[str]) -> list[str]:
    """The roots and every node they depend on, computed nodes only, in graph order."""
    g = dependency_graph(nodes)
    keep: set[str] = set()
    for root in roots:
        if root in g:
            keep |= {root} | nx.ancestors(g, root)
    by_name = {n["name"]: n for n in nodes}
    return [n["name"] for n in nodes if n["name"] in keep and by_name[n["name"]]["op"] == "call_function"]


# ops Inductor runs as library calls: they name a fused kernel's inputs, never its loop body
EXTERN = ("aten._scaled_dot_product", "aten.mm", "aten.bmm", "aten.addmm", "aten.baddbmm", "aten.convolution")


def kernel_roots(nodes: list[dict[str, Any]], origins: Iterable[str], gathers: Iterable[str]) -> list[str]:
    """The kernel's nodes that matter to the bug: the gather, what consumes it, and what reads the
    same index values it reads (the comparison whose CSE entry the bounds check hits).

    A fused model kernel's origins also hold unrelated work (matmuls, rotary embeddings); leaving
    it out keeps every minimization query a small compile.
    """
    g = dependency_graph(nodes)
    by_name = {n["name"]: n for n in nodes}
    roots = [name for name in gathers if name in g]
    shared: set[str] = set()
    for gather in roots:
        for idx in node_inputs(by_name[gather])[1:]:  # the index tensors, not the indexed one
            shared |= {idx} | {a for a in nx.ancestors(g, idx) if by_name[a]["op"] == "call_function"}
    for name in origins:
        if name not in g or name in roots or by_name[name]["target"].startswith(EXTERN):
            continue
        if any(nx.has_path(g, gather, name) for gather in roots) or (nx.ancestors(g, name) | {name}) & shared:
            roots.append(name)
    return roots


def cores(nodes: list[dict[str, Any]], gathers: Iterable[str], keep: Iterable[str]) -> list[list[str]]:
    """The bug's mechanism, read off the slice: the gather, the nodes computing its index, another
    reader of that index, and the path joining the two (which fuses them into one kernel, where the
    bounds check hits the other reader's CSE entry). The rest of the slice becomes inputs.

    One candidate per reader of a gather's index, the nearest join first, then the smallest: the
    starts minimization tries. When one reproduces, only its 1-minimality is left to check, a
    query per node, instead of delta debugging from the whole slice. Empty when the slice has no
    such shape."""
    keep = set(keep)
    kept = [n for n in nodes if n["name"] in keep]
    g = dependency_graph(kept)
    order = {n["name"]: i for i, n in enumerate(kept)}
    by_name = {n["name"]: n for n in kept}
    found: list[tuple[int, int, list[str]]] = []
    for gather in (name for name in gathers if name in keep):
        index = [i for i in node_inputs(by_name[gather])[1:] if i in keep]
        after_gather = nx.descendants(g, gather)
        for shared in index:
            # the shared index is computed in the kernel (from an iota), not loaded: keep what
            # computes it, with the size arithmetic feeding it (`max(0, s - 5)` of a sliding
            # window) and, smaller, without it (the sizes become integer inputs)
            computing = {a for a in nx.ancestors(g, shared) if a in by_name}
            plain = {a for a in computing if "sym" not in (by_name[a].get("example") or {})}
            for reader in g.successors(shared):
                meets = after_gather & (nx.descendants(g, reader) | {reader}) if reader != gather else set()
                if not meets:
                    continue
                meet = min(meets, key=order.__getitem__)
                joined = (after_gather | nx.descendants(g, reader)) & (nx.ancestors(g, meet) | {meet})
                for upstream in (plain, computing):
                    chosen = {shared, gather, reader} | upstream | joined
                    found.append((order[meet], len(chosen), [n["name"] for n in kept if n["name"] in chosen]))
    out: list[list[str]] = []
    for _, _, names in sorted(found, key=lambda f: f[:2]):
        if names not in out:
            out.append(names)
    return out


def _as_input(node: dict[str, Any]) -> render.Input:
    example = node.get("example") or {}
    if "sym" in example:
        return render.Input(node["name"], "int", example["hint"])
    if "hint" in example and all(h is not None for h in example["hint"]):
        return render.Input(node["name"], "tensor", example["hint"], example["dtype"])
    raise render.RenderError(f"node {node['name']} has no recorded example value to stand in for it")


def build(nodes: list[dict[str, Any]], keep: Iterable[str]) -> Candidate:
    """A program computing the kept nodes; what they need from outside becomes inputs."""
    keep = set(keep)
    by_name = {n["name"]: n for n in nodes}
    kept = [n for n in nodes if n["name"] in keep]
    used_inside = {src for n in kept for src in node_inputs(n)}
    inputs = []
    for name in dict.fromkeys(src for n in kept for src in node_inputs(n)):
        if name not in keep:
            inputs.append(_as_input(by_name[name]))
    outputs = [n["name"] for n in kept if n["name"] not in used_inside]
    return Candidate(kept, inputs, outputs)


@dataclasses.dataclass
class Minimized:
    candidate: Candidate
    initial_ops: int
    queries: int
    seconds: float
    from_start: bool = False  # the search began at the given start, not at the whole slice


def ddmin(items: list[str], test: Callable[[list[str]], bool]) -> tuple[list[str], int]:
    """Zeller's delta debugging: a 1-minimal subset for which `test` holds; returns it and the query count."""
    cache: dict[frozenset[str], bool] = {}

    def check(subset: list[str]) -> bool:
        key = frozenset(subset)
        if key not in cache:
            cache[key] = bool(subset) and test(subset)
        return cache[key]

    n = 2
    while len(items) >= 2:
        size = len(items)
        chunks = [items[i * size // n : (i + 1) * size // n] for i in range(n)]
        for chunk in chunks:
            if check(chunk):
                items, n = chunk, 2
                break
        else:
            for chunk in chunks:
                complement = [x for x in items if x not in chunk]
                if check(complement):
                    items, n = complement, max(n - 1, 2)
                    break
            else:
                if n >= size:
                    break
                n = min(size, 2 * n)
    return items, len(cache)


def _replace_refs(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        if value.get("node") == old:
            return {"node": new}
        return {k: _replace_refs(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_refs(v, old, new) for v in value]
    return value


def bypass(nodes: list[dict[str, Any]], name: str, replacement: str) -> list[dict[str, Any]]:
    """The graph without `name`, its users reading `replacement` instead."""
    return [
        dict(n, args=_replace_refs(n["args"], name, replacement), kwargs=_replace_refs(n.get("kwargs", {}), name, replacement))
        for n in nodes
        if n["name"] != name
    ]


def _view_inputs(nodes: list[dict[str, Any]], name: str) -> set[str]:
    by_name = {n["name"]: n for n in nodes}
    return set(node_inputs(by_name[name]))


def _same_value_type(a: dict[str, Any], b: dict[str, Any]) -> bool:
    ea, eb = a.get("example") or {}, b.get("example") or {}
    return bool(ea) and "shape" in ea and ea.get("shape") == eb.get("shape") and ea.get("dtype") == eb.get("dtype")


VIEW_LIKE = ("aten.view.default", "aten.reshape.default", "aten.unsqueeze.default", "aten.squeeze.dim", "aten._unsafe_view.default")


def reshape_spec(node: dict[str, Any]) -> list[int] | None:
    """The node's shape as a reshape argument: concrete sizes, -1 for its one symbolic size."""
    shape = (node.get("example") or {}).get("shape")
    if not shape:
        return None
    spec = [int(d) if d.lstrip("-").isdigit() else -1 for d in shape]
    return spec if spec.count(-1) <= 1 else None


def collapse(nodes: list[dict[str, Any]], name: str) -> list[dict[str, Any]] | None:
    """A view of a view becomes one reshape of the first view's input (`x.unsqueeze(0).unsqueeze(1)`
    -> `x.reshape([1, 1, -1])`): neither ddmin nor bypass can remove such a link, since each
    changes the shape. None when `name` is not such a link or its shape has two symbolic sizes."""
    by_name = {n["name"]: n for n in nodes}
    node = by_name[name]
    if node["target"] not in VIEW_LIKE or not node["args"] or not isinstance(node["args"][0], dict):
        return None
    inner = by_name.get(node["args"][0].get("node", ""))
    spec = reshape_spec(node)
    if inner is None or inner["target"] not in VIEW_LIKE or spec is None or not inner["args"]:
        return None
    merged = dict(node, target="aten.reshape.default", args=[inner["args"][0], spec], kwargs={})
    return [merged if n["name"] == name else n for n in nodes]


def one_removal(items: list[str], test: Callable[[list[str]], bool]) -> list[str]:
    """Drop each item whose removal keeps `test` true, pass after pass, until a pass drops none:
    the result is 1-minimal. Cheaper than ddmin when the items are few and most are needed, as in
    a candidate that already names the bug's mechanism."""
    changed = True
    while changed:
        changed = False
        for item in list(items):
            trial = [x for x in items if x != item]
            if trial and test(trial):
                items, changed = trial, True
    return items


def _simplify(
    nodes: list[dict[str, Any]], keep: list[str], test_on: Callable[[list[dict[str, Any]]], Callable[[list[str]], bool]]
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Bypass and view-chain collapse, each accepted when the smaller program still reproduces,
    until neither applies. Returns the graph, the kept nodes, and whether anything changed."""
    changed = False
    while True:
        by_name = {n["name"]: n for n in nodes}
        step = None
        for name in keep:
            for src in node_inputs(by_name[name]):
                if not _same_value_type(by_name[src], by_name[name]):
                    continue
                trial = bypass(nodes, name, src)
                trial_keep = [k for k in keep if k != name]
                if trial_keep and test_on(trial)(trial_keep):
                    step = trial, trial_keep
                    break
            if step:
                break
        for name in [] if step else keep:
            trial = collapse(nodes, name)
            if trial is None:
                continue
            users = {src for n in trial if n["name"] in keep for src in node_inputs(n)}
            trial_keep = [k for k in keep if k in users or k == name or k not in _view_inputs(nodes, name)]
            if test_on(trial)(trial_keep):
                step = trial, trial_keep
                break
        if step is None:
            return nodes, keep, changed
        (nodes, keep), changed = step, True


def minimize(
    nodes: list[dict[str, Any]],
    roots: Iterable[str],
    judge: Callable[[Candidate], bool],
    starts: Iterable[Iterable[str]] = (),
    on_candidate: Callable[[Candidate], None] | None = None,
) -> Minimized:
    """Slice, check it reproduces, then reduce, bypass and collapse to a fixpoint.

    `starts` (see `cores`) are tried first, in order: from the first that reproduces only
    1-minimality is left to establish; when none does, ddmin starts from the whole slice. Every
    program is judged once, however many paths lead to it. `on_candidate` sees the candidate of
    each round before its reduction, so a caller can begin proving it while the search goes on."""
    started = time.perf_counter()
    keep = backward_slice(nodes, roots)
    initial = len(keep)
    queries = 0
    verdicts: dict[str, bool] = {}

    def test_on(graph: list[dict[str, Any]]) -> Callable[[list[str]], bool]:
        def test(subset: list[str]) -> bool:
            nonlocal queries
            try:
                candidate = build(graph, subset)
            except render.RenderError:
                return False
            program = candidate.function_source() + candidate.inputs_source()
            if program not in verdicts:
                queries += 1
                verdicts[program] = judge(candidate)
            return verdicts[program]

        return test

    first = None
    for start in starts:
        wanted = set(start)
        candidate = [name for name in keep if name in wanted]
        if candidate and test_on(nodes)(candidate):
            first = candidate
            break
    from_start = first is not None
    if first is not None:
        keep = first
    elif test_on(nodes)(keep):
        keep, _ = ddmin(keep, test_on(nodes))
    else:
        raise ValueError("the sliced graph does not reproduce the bug; nothing to minimize")
    while True:
        nodes, keep, _ = _simplify(nodes, keep, test_on)
        if on_candidate is not None:
            on_candidate(build(nodes, keep))
        reduced = one_removal(keep, test_on(nodes))
        if reduced == keep:
            break
        keep = reduced
    return Minimized(build(nodes, keep), initial, queries, round(time.perf_counter() - started, 2), from_start)
