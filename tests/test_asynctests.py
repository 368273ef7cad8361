"""The async-tests scenario: deterministic orders, and end to end on the installed torch."""
from __future__ import annotations

import json

import pytest

from analyzer import analyze, artifacts
from analyzer.analysis import kernel
from analyzer.capture import asynctests, masks


def test_orders_are_fixed_and_each_test_runs_alone():
    names = [o.name for o in asynctests.ORDERS]
    assert len(names) == len(set(names))
    alone = [o.tests for o in asynctests.ORDERS if o.mode == "alone"]
    assert sorted(alone) == sorted((t,) for t in asynctests.TESTS)
    assert any(o.mode == "concurrent" for o in asynctests.ORDERS)
    for o in asynctests.ORDERS:
        assert set(o.tests) <= set(asynctests.TESTS)


def test_gather_interleaves_at_await_points_in_a_fixed_order():
    """Run eagerly (no compile): the calls run in the order the tests' awaits set, every time."""
    pytest.importorskip("torch")
    from analyzer.capture import torchglue

    build = masks.builder(use_vmap=masks.transformers_major() < 5)
    gather = next(o for o in asynctests.ORDERS if o.mode == "concurrent")
    runs = [asynctests._run_order(gather, build, build, torchglue.Recorder(), use_vmap=True)[0] for _ in range(2)]
    sequence = [(s["task"], s["call"]) for s in runs[0]["steps"]]
    assert sequence == [("test_decode", "decode"), ("test_prefill", "prefill"), ("test_prefill", "prefill-again"), ("test_long_mask", "long-mask")]
    assert [(s["task"], s["call"]) for s in runs[1]["steps"]] == sequence
    assert runs[0]["passed"] and all(s["outcome"] == "cache-hit" and s["matches_eager"] for s in runs[0]["steps"])


@pytest.mark.capture
def test_async_tests_flaky_end_to_end(tmp_path):
    """Each test passes alone everywhere; where the kernel analysis finds a lost definition, some
    order fails at a recompile whose guard is recorded; where it finds none, every order passes."""
    summary = analyze.run("async-tests-flaky", tmp_path, repro=False)
    run_dir = tmp_path / "async-tests-flaky" / analyze.run_folder_name()
    assert summary["status"] == "ok"
    (variant,) = asynctests.variants()
    record = json.loads((run_dir / variant / "capture.json").read_text())["flakiness"]
    orders = record["orders"]
    assert [o["name"] for o in orders] == [o.name for o in asynctests.ORDERS]
    alone = [o for o in orders if o["mode"] == "alone"]
    assert len(alone) == len(asynctests.TESTS) and all(o["passed"] for o in alone), alone
    findings = artifacts.read_findings(run_dir)
    affected = any(f["kind"] in kernel.LOST for f in findings)  # decided by the kernel analysis, not the version
    assert record["affected"] == affected
    gather = next(o for o in orders if o["mode"] == "concurrent")
    assert gather["steps"][0]["task"] == "test_decode"  # its test awaits least before its first call
    text = (run_dir / "flakiness.md").read_text()
    assert summary["flakiness"]["variants"][variant]["alone_pass"]
    recompiles = [s for o in orders for s in o["steps"] if s["outcome"] == "recompiled"]
    assert recompiles and all(s["recompile"]["guard"] and s["compiles"][-1]["dynamic"] for s in recompiles)
    if affected:
        failing = [o for o in orders if not o["passed"]]
        assert failing
        for o in failing:
            first = o["steps"][o["first_failure"]]
            assert first["outcome"] == "recompiled" and first["recompile"]["guard"], first
            assert "was not declared" in first["error"]
            assert o["first_bad_compile"]["compile_id"] == first["compile_id"]
            assert f"- `{o['name']}`: `{first['task']}` fails at its `{first['call']}` call" in text
            assert f"because guard `{first['recompile']['guard']}`" in text
        assert "#### Reproduce deterministically" in text and "```python" in text
    else:
        assert all(o["passed"] for o in orders), [o["name"] for o in orders if not o["passed"]]
        assert "all orders pass" in text.replace(f"all {len(orders) - len(alone)} orders", "all orders")
    assert "seconds" not in text and str(tmp_path) not in text
