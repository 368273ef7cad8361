"""flakiness.md from a flakiness record: which orders fail, the guard, the sequence that reproduces."""
from __future__ import annotations

import json
from copy import deepcopy

from analyzer.report import flakiness

MASK = "L['attention_mask'].size()[1]"
LOST_FINDINGS = [
    {"kernel": "cpp_fused_and_le_0", "kind": "forward-reference", "identifier": "tmp2", "scope": "vectorized body", "line": 21},
    {"kernel": "cpp_fused_and_le_0", "kind": "forward-reference", "identifier": "tmp1", "scope": "tail loop x1_tail", "line": 43},
]
LATE_FINDING = {"kernel": "cpp_fused_and_le_0", "kind": "check-after-load", "identifier": "tmp3", "scope": "vectorized body", "line": 24}


def step(task, call, shapes, outcome, cid=None, guard=None, against="0/0", dynamic=None, findings=(), ok=True, pad=3):
    compiles = []
    if outcome != "cache-hit":
        recompile = {"against": against, "guard": guard, "where": None} if guard else None
        compiles = [{"compile_id": cid, "recompile": recompile, "fail_type": None if ok else "BackendCompilerFailed", "dynamic": dynamic or {}, "findings": list(findings)}]
    return {
        "task": task,
        "call": call,
        "shapes": shapes,
        "pad": pad,
        "outcome": outcome,
        "compile_id": cid,
        "recompile": compiles[0]["recompile"] if compiles else None,
        "compiles": compiles,
        "ok": ok,
        "matches_eager": True if ok else None,
        "error": None if ok else "'tmp2' was not declared in this scope",
    }


PREFILL = {"attention_mask": [2, 8], "q_offset": 0, "q_length": 8, "kv_length": 8}
DECODE = {"attention_mask": [2, 9], "q_offset": 8, "q_length": 1, "kv_length": 9}
DECODE_DYNAMIC = {MASK: "s53", "L['kv_length']": "s34", "L['q_offset']": "s62", "L['attention_mask'].stride()[0]": "s53"}


def order(name, mode, steps, tests):
    results = {t: "failed" if any(s["task"] == t and not s["ok"] for s in steps) else "passed" for t in tests}
    first = next((i for i, s in enumerate(steps) if not s["ok"]), None)
    bad = next(((i, c) for i, s in enumerate(steps) for c in s["compiles"] if any(f["kind"] != "check-after-load" for f in c["findings"])), None)
    first_bad = None
    if bad:
        i, c = bad
        first_bad = {"step": i, "task": steps[i]["task"], "call": steps[i]["call"], "compile_id": c["compile_id"], "kernel": "cpp_fused_and_le_0", "findings": c["findings"]}
    return {"name": name, "mode": mode, "tests": tests, "steps": steps, "results": results, "passed": all(v == "passed" for v in results.values()), "first_failure": first, "first_bad_compile": first_bad}


def affected_record():
    alone_prefill = order("alone-prefill", "alone", [step("test_prefill", "prefill", PREFILL, "compiled", "0/0")], ["test_prefill"])
    alone_decode = order("alone-decode", "alone", [step("test_decode", "decode", DECODE, "compiled", "0/0")], ["test_decode"])
    together = order(
        "prefill-decode",
        "sequential",
        [
            step("test_prefill", "prefill", PREFILL, "compiled", "0/0"),
            step("test_prefill", "prefill-again", PREFILL, "cache-hit", pad=1),
            step("test_decode", "decode", DECODE, "recompiled", "0/1", guard="q_length == 8", dynamic=DECODE_DYNAMIC, findings=LOST_FINDINGS, ok=False),
        ],
        ["test_prefill", "test_decode"],
    )
    gathered = order(
        "gather",
        "concurrent",
        [
            step("test_decode", "decode", DECODE, "compiled", "0/0"),
            step("test_prefill", "prefill", PREFILL, "recompiled", "0/1", guard="q_length == 1", dynamic={**DECODE_DYNAMIC, "L['q_length']": "s29"}, findings=LOST_FINDINGS, ok=False),
        ],
        ["test_prefill", "test_decode"],
    )
    return {
        "builder": "sdpa_mask_recent_torch",
        "dynamic": None,
        "batch": 2,
        "tests": [
            {"name": "test_prefill", "setup_awaits": 1, "calls": [{"call": "prefill", **PREFILL, "pad": 3}, {"call": "prefill-again", **PREFILL, "pad": 1}]},
            {"name": "test_decode", "setup_awaits": 0, "calls": [{"call": "decode", **DECODE, "pad": 3}]},
        ],
        "orders": [alone_prefill, alone_decode, together, gathered],
        "affected": True,
    }


def fixed_record():
    record = affected_record()
    for o in record["orders"]:
        for s in o["steps"]:
            s.update(ok=True, matches_eager=True, error=None)
            for c in s["compiles"]:
                c["fail_type"] = None
                c["findings"] = [LATE_FINDING] if c["findings"] else []
        o["results"] = {t: "passed" for t in o["results"]}
        o.update(passed=True, first_failure=None, first_bad_compile=None)
    record["affected"] = False
    return record


VERSIONS = {"torch": "2.8.0+cu128", "transformers": "4.57.1"}


def test_names_each_failing_order_and_the_tests_that_pass_alone():
    text = flakiness.render(affected_record(), VERSIONS, "vmap-auto")
    assert "`test_prefill` alone passes; `test_decode` alone passes" in text
    assert text.startswith("### Why it fails only when tests run together\n")
    assert "2 of 2 orders fail: `prefill-decode`, `gather`" in text
    assert "| `prefill-decode` | one after another | prefill (compiled 0/0) ok → prefill-again (cache hit) ok → decode (recompiled 0/1) FAIL | `test_decode` |" in text
    assert "| `alone-prefill` | alone |" in text and "| none |" in text


def test_names_the_guard_the_symbols_and_the_compile_that_lost_the_definition():
    text = flakiness.render(affected_record(), VERSIONS, "vmap-auto")
    why = next(line for line in text.splitlines() if line.startswith("- `prefill-decode`"))
    assert "`test_decode` fails at its `decode` call" in why
    assert "recompiles as 0/1 because guard `q_length == 8` of compile 0/0 failed" in why
    assert f"`{MASK}` (s53), `L['kv_length']` (s34), `L['q_offset']` (s62) symbolic" in why
    assert "stride" not in why  # derived sizes are not listed
    assert f"`{MASK}` and `L['kv_length']` are 2 distinct symbols although each is 9 in this call" in why
    assert "Compile 0/1 (test_decode, decode) is the first to emit a lost definition" in why
    assert "forward-reference of `tmp2` (vectorized body), forward-reference of `tmp1` (tail loop x1_tail)" in why


def test_says_the_failing_test_depends_on_the_order():
    text = flakiness.render(affected_record(), VERSIONS, "vmap-auto")
    assert "depends on the order: `test_decode` in `prefill-decode`, `test_prefill` in `gather`" in text
    assert "No test is at fault by itself" in text


def test_gives_the_shortest_failing_sequence_as_code():
    text = flakiness.render(affected_record(), VERSIONS, "vmap-auto", repro_sequence=True)
    code = text.split("```python\n", 1)[1].split("```", 1)[0].splitlines()
    # `gather` fails at its second call, `prefill-decode` at its third: the shorter one is given
    assert code == [
        "torch._dynamo.reset()",
        "compiled = torch.compile(build)  # the default dynamic=None",
        "compiled(padded_mask(2, 9, 3), 8, 1, 9)  # test_decode, decode (compiled 0/0) ok",
        "compiled(padded_mask(2, 8, 3), 0, 8, 8)  # test_prefill, prefill (recompiled 0/1) FAIL",
    ]
    assert "`gather` up to its first failure" in text
    assert "`repro_sequence.py` in this folder" in text
    assert "`repro_sequence.py` in this folder" not in flakiness.render(affected_record(), VERSIONS, "vmap-auto")


def test_a_record_where_everything_passes():
    text = flakiness.render(fixed_record(), VERSIONS | {"torch": "2.13.0+cpu"}, "novmap-auto")
    assert text.startswith("### Async tests sharing one compiled function: every order passes here\n")
    assert "**Together:** all 2 orders pass." in text
    assert "#### Why\n" not in text and "fails at" not in text
    assert "no compiled kernel has a lost definition (0 found); the kernel analysis finds 2 bounds checks that run after the load" in text
    assert "No order fails on this torch" in text and "```python" not in text
    assert "- `prefill-decode`: `test_decode` decode recompiles as 0/1 because guard `q_length == 8` of compile 0/0 failed" in text


def test_a_test_that_fails_alone_is_explained_too():
    record = affected_record()
    record["orders"][1] = order(
        "alone-decode", "alone", [step("test_decode", "decode", DECODE, "compiled", "0/0", findings=LOST_FINDINGS, ok=False)], ["test_decode"]
    )
    text = flakiness.render(record, VERSIONS, "vmap-auto")
    assert "`test_decode` alone FAILS" in text
    assert "- `alone-decode`: `test_decode` fails at its `decode` call" in text
    assert "No test is at fault by itself" not in text


def test_the_text_is_a_function_of_the_record():
    record = affected_record()
    assert flakiness.render(record, VERSIONS, "vmap-auto") == flakiness.render(deepcopy(record), VERSIONS, "vmap-auto")
    assert "seconds" not in flakiness.render(record, VERSIONS, "vmap-auto")


def test_distinct_but_equal_groups_sizes_by_value():
    dynamic = {MASK: "s1", "L['kv_length']": "s2", "L['q_length']": "s3", "L['q_offset']": "s4"}
    shapes = {"attention_mask": [2, 8], "q_offset": 0, "q_length": 8, "kv_length": 8}
    assert flakiness.distinct_but_equal(dynamic, shapes) == [([MASK, "L['kv_length']", "L['q_length']"], 8)]
    unified = {MASK: "s1", "L['kv_length']": "s1"}  # duck sizing made them one symbol: the compiler can relate them
    assert flakiness.distinct_but_equal(unified, shapes) == []


def test_write_puts_flakiness_md_in_a_run_folder(tmp_path):
    (tmp_path / "vmap-auto").mkdir()
    bundle = {"scenario": "async-tests-flaky", "variant": "vmap-auto", "versions": VERSIONS, "calls": [], "compiles": [], "flakiness": affected_record()}
    (tmp_path / "vmap-auto" / "capture.json").write_text(json.dumps(bundle))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "capture.json").write_text(json.dumps({**bundle, "variant": "other", "flakiness": None}))
    summary = flakiness.write(tmp_path)
    assert summary == {
        "file": "flakiness.md",
        "variants": {"vmap-auto": {"orders": ["alone-prefill", "alone-decode", "prefill-decode", "gather"], "failing": ["prefill-decode", "gather"], "alone_pass": True, "affected": True}},
    }
    assert (tmp_path / "flakiness.md").read_text() == flakiness.render(affected_record(), VERSIONS, "vmap-auto")


def test_write_leaves_other_runs_alone(tmp_path):
    (tmp_path / "auto").mkdir()
    (tmp_path / "auto" / "capture.json").write_text(json.dumps({"variant": "auto", "calls": [], "compiles": []}))
    assert flakiness.write(tmp_path) is None
    assert not (tmp_path / "flakiness.md").exists()
