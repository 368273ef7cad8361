"""The package's shape: layers that import downward only, no circle, torch internals in one module.

The import graph is read from the source (every `import`, also those inside functions), so a
lazy import cannot hide an arrow. Layers, lowest first:

- the base (`identity`, `artifacts`, `files`, `procs`, `progress`, `timings`, `preflight`),
- `analysis` (reads text only, so it runs where torch is not importable),
- `capture`, `repro`, `fix`, `report`, in the order of the pipeline,
- the drivers (`analyze`, `matrix`, `bench`, `child`), then `cli` and `__main__`.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"
LAYERS = ["base", "analysis", "capture", "repro", "fix", "report", "drivers", "cli"]
DRIVERS = {"analyze", "matrix", "bench", "child", "run"}
TORCH_GLUE = "analyzer.capture.torchglue"


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "base"  # the package's own __init__
    if parts[1] in LAYERS:
        return parts[1]
    if parts[1] in DRIVERS:
        return "drivers"
    return "cli" if parts[1] in ("cli", "__main__") else "base"


def import_graph() -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    """Arrows between the package's modules, and every private name one module takes from another."""
    known = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    private = []
    for name, path in known.items():
        aliases: dict[str, str] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "analyzer":
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in known:
                        graph.add_edge(name, full)
                        aliases[alias.asname or alias.name] = full
                    else:
                        graph.add_edge(name, node.module)
                        if alias.name.startswith("_"):
                            private.append((name, full))
            elif isinstance(node, ast.Import):
                graph.add_edges_from((name, a.name) for a in node.names if a.name in known)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                if node.attr.startswith("_") and not node.attr.startswith("__"):
                    private.append((name, f"{aliases[node.value.id]}.{node.attr}"))
    graph.remove_edges_from([(a, b) for a, b in graph.edges if a == b])
    return graph, private


def torch_internals(path: Path) -> list[str]:
    """`torch._*` and `functorch` as a module imports or names them (text in strings does not count:
    the repro scripts a run writes are the user's to run, not this package's code)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "torch":
            names = [f"torch.{node.attr}"]
        for name in names:
            head = name.split(".")
            if head[0] == "functorch" or (head[0] == "torch" and len(head) > 1 and head[1].startswith("_") and not head[1].startswith("__")):
                found.append(f"{name} (line {node.lineno})")
    return found


def test_every_module_has_a_layer():
    assert {layer(m) for m in modules()} <= set(LAYERS)
    assert {"analysis", "capture", "repro", "fix", "report"} <= {layer(m) for m in modules()}


def test_no_import_circle():
    graph, _ = import_graph()
    assert list(nx.simple_cycles(graph)) == []


def test_layers_import_downward_only():
    graph, _ = import_graph()
    upward = [(a, b) for a, b in graph.edges if LAYERS.index(layer(a)) < LAYERS.index(layer(b))]
    assert upward == []


def test_no_private_name_crosses_a_module():
    _, private = import_graph()
    assert private == []


@pytest.mark.parametrize("module", sorted(m for m in modules() if m != TORCH_GLUE))
def test_torch_internals_only_in_the_glue(module):
    assert torch_internals(modules()[module]) == []


def test_the_check_sees_torch_internals(tmp_path):
    """The check above could pass by seeing nothing: it must find each form it looks for."""
    sample = tmp_path / "m.py"
    sample.write_text(
        "import torch._dynamo\nfrom torch._inductor import config\nfrom functorch.compile import minifier\n"
        "import torch\ntorch._dynamo.reset()\nprint(torch.__version__, 'torch._dynamo')\n"
    )
    assert [f.split(" ")[0] for f in torch_internals(sample)] == ["torch._dynamo", "torch._inductor", "functorch.compile", "torch._dynamo"]
    assert torch_internals(modules()[TORCH_GLUE])


def test_the_analysis_does_not_import_torch():
    code = "import sys, analyzer.analysis.scan, analyzer.analysis.kernel, analyzer.analysis.trace, analyzer.analysis.known; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
