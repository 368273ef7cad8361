"""Rendering captured graphs as torch code: the rendered slice re-traces to the graph it came from."""
from __future__ import annotations

from collections import Counter

import torch
from conftest import AFFECTED

from analyzer import artifacts
from analyzer.capture import torchglue
from analyzer.repro import minimize, render


def _failing_nodes():
    data = artifacts.read_capture(AFFECTED)
    return data["compiles"][0]["post_grad_graphs"][-1]["nodes"]


def test_rendered_slice_retraces_to_the_same_graph():
    nodes = _failing_nodes()
    names = minimize.backward_slice(nodes, ["bitwise_and_1"])
    candidate = minimize.build(nodes, names)
    fn, inputs = candidate.load()
    recorder = torchglue.Recorder()
    torch._dynamo.reset()
    with torchglue.recording(recorder):
        try:
            torch.compile(fn, backend=recorder.backend, dynamic=True)(*inputs)
        except Exception:
            pass  # on an affected torch the C++ compile fails; the graphs were recorded before it
    torch._dynamo.reset()
    (compiled,) = recorder.compiles.values()
    retraced = Counter(n["target"] for n in compiled["post_grad_graphs"][-1]["nodes"] if n["op"] == "call_function")
    original = Counter(n["target"] for n in candidate.nodes)
    assert retraced == original


def test_render_uses_public_spellings():
    node = {
        "name": "index",
        "target": "aten.index.Tensor",
        "args": [{"node": "mask"}, [None, {"node": "kv"}]],
        "kwargs": {},
    }
    assert render.render_node(node) == "index = mask[:, kv]"
    iota = {"name": "pos", "target": "prims.iota.default", "args": [{"node": "n"}], "kwargs": {"start": 0, "step": 1, "dtype": {"repr": "torch.int64"}}}
    assert render.render_node(iota) == "pos = torch.arange(n, dtype=torch.int64)"
    other = {"name": "y", "target": "aten.cumsum.default", "args": [{"node": "x"}, 1], "kwargs": {}}
    assert render.render_node(other) == "y = torch.ops.aten.cumsum.default(x, 1)"
