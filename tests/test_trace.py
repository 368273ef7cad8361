"""Tracing findings back through the captured layers to the transformers source line."""
from __future__ import annotations

import copy
import json
import shutil

from conftest import AFFECTED, FIXED, capture_json

from analyzer import analyze, artifacts
from analyzer.analysis import trace

PADDING_LINE = "padding_mask[batch_idx, kv_idx]"


def test_every_lost_definition_traces_to_the_padding_line():
    findings = analyze.analyze_bundle(AFFECTED, AFFECTED.parent)
    assert findings
    for f in findings:
        assert f["unresolved"] is None, f["unresolved"]
        assert f["source"]["file"] == "transformers/masking_utils.py"
        assert PADDING_LINE in f["source"]["text"]
        assert [s["layer"] for s in f["trace"]] == ["kernel", "loop-body", "loop-body", "post-grad", "dynamo", "source"]
        check = f["trace"][1]
        assert "check_bounds" in check["text"] and "upper=True" in check["text"]
        # the CSE twin: the same index was already emitted as an index_expr
        assert any("index_expr" in t for t in check["shares_index_with"])
        assert "aten.index" in f["trace"][3]["text"]


def test_check_after_load_on_fixed_torch_traces_to_the_same_line():
    findings = analyze.analyze_bundle(FIXED, FIXED.parent)
    assert {f["kind"] for f in findings} == {"check-after-load"}
    for f in findings:
        assert PADDING_LINE in f["source"]["text"]


def test_missing_layer_is_reported_not_guessed(tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(AFFECTED, bundle)
    data = capture_json(bundle)
    for c in data["compiles"]:
        c["post_grad_graphs"] = []
    (bundle / "capture.json").write_text(json.dumps(data))
    findings = analyze.analyze_bundle(bundle, tmp_path)
    assert findings
    for f in findings:
        assert f["source"] is None
        assert "loop-body" in f["unresolved"]


def test_unrecorded_kernel_is_reported():
    data = artifacts.read_capture(AFFECTED)
    compile_rec = copy.deepcopy(data["compiles"][0])
    graph = trace.layer_graph(compile_rec)
    finding = {"file": "k.cpp", "line": 1, "statement": 'TORCH_CHECK(tmp1 < ks0, "index out of bounds: tmp1 < ks0");'}
    out = trace.trace_finding(finding, "cpp_not_there", graph)
    assert "was not recorded" in out["unresolved"]


def test_paths_lose_the_machine():
    assert trace.normalize_path("/opt/venv/lib/python3.11/site-packages/transformers/masking_utils.py") == "transformers/masking_utils.py"
    assert trace.user_frame(
        [
            {"file": "/x/site-packages/transformers/masking_utils.py", "line": 3, "function": "f", "text": "a"},
            {"file": "/x/site-packages/torch/_dynamo/foo.py", "line": 9, "function": "g", "text": "b"},
        ]
    )["line"] == 3
