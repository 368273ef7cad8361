"""Slicing, candidate building and delta debugging, on the post-grad graph captured from torch 2.8.0."""
from __future__ import annotations

from collections import Counter

import pytest
from conftest import AFFECTED

from analyzer import analyze, artifacts
from analyzer.repro import minimize


@pytest.fixture(scope="module")
def failing():
    """The post-grad nodes of the first failing compile and the roots the trace names."""
    finding = next(f for f in analyze.analyze_bundle(AFFECTED, AFFECTED.parent) if f["source"])
    data = artifacts.read_capture(AFFECTED)
    compile_rec = next(c for c in data["compiles"] if c["compile_id"] == finding["compile_id"])
    check = next(s for s in finding["trace"] if s["layer"] == "loop-body")
    gathers = [s["node"] for s in finding["trace"] if s["layer"] == "post-grad"]
    return compile_rec["post_grad_graphs"][-1]["nodes"], [*check["origins"], *gathers]


def test_slice_is_closed_and_drops_dead_nodes(failing):
    nodes, roots = failing
    sliced = minimize.backward_slice(nodes, roots)
    by_name = {n["name"]: n for n in nodes}
    assert "index" in sliced and set(roots) <= set(sliced)
    for name in sliced:
        for src in minimize.node_inputs(by_name[name]):
            assert src in sliced or by_name[src]["op"] == "placeholder"
    # the graph computes `full` and never uses it; nothing the kernel needs
    assert "full" in by_name and "full" not in sliced
    assert [n for n in sliced] == [n["name"] for n in nodes if n["name"] in set(sliced)]  # graph order kept


def test_removed_nodes_become_inputs_of_their_shape(failing):
    nodes, _ = failing
    candidate = minimize.build(nodes, ["index"])
    kinds = {i.name: (i.kind, i.dtype) for i in candidate.inputs}
    assert kinds["arg4_1"] == ("tensor", "torch.bool")  # the padding mask
    assert kinds["add_11"] == ("tensor", "torch.int64")  # the kv positions, now given
    assert candidate.outputs == ["index"] and candidate.op_count == 1
    assert "arg4_1[view_2, add_11]" in candidate.function_source()


def test_bypass_rewires_users(failing):
    nodes, _ = failing
    rewired = minimize.bypass(nodes, "add_11", "iota_1")
    assert "add_11" not in {n["name"] for n in rewired}
    index = next(n for n in rewired if n["name"] == "index")
    assert "iota_1" in minimize.node_inputs(index)


def test_ddmin_finds_a_one_minimal_subset():
    items = [f"n{i}" for i in range(16)]
    calls = Counter()

    def needs_3_and_11(subset):
        calls["n"] += 1
        return {"n3", "n11"} <= set(subset)

    best, queries = minimize.ddmin(items, needs_3_and_11)
    assert sorted(best) == ["n11", "n3"]
    assert queries == calls["n"] < 2 ** 16


def test_minimize_refuses_a_slice_that_does_not_reproduce(failing):
    nodes, roots = failing
    with pytest.raises(ValueError, match="does not reproduce"):
        minimize.minimize(nodes, roots, judge=lambda candidate: False)


def test_minimize_with_a_synthetic_judge_keeps_the_gather(failing):
    """With a judge that wants the gather and a comparison reading the same positions, the rest goes."""
    nodes, roots = failing

    def judge(candidate):
        targets = Counter(n["target"] for n in candidate.nodes)
        return targets["aten.index.Tensor"] == 1 and targets["aten.le.Tensor"] == 1

    result = minimize.minimize(nodes, roots, judge)
    assert sorted(n["target"] for n in result.candidate.nodes) == ["aten.index.Tensor", "aten.le.Tensor"]
    assert result.initial_ops > result.candidate.op_count


def test_collapse_turns_a_view_chain_into_one_reshape_that_computes_the_same():
    """transformers 5.x broadcasts the kv positions with three unsqueezes; ddmin and bypass can
    drop none of them (each changes the shape), one reshape of the source replaces the chain."""
    from conftest import AFFECTED_5X

    data = artifacts.read_capture(AFFECTED_5X)
    # the automatic-dynamic recompile, where the kv positions have a symbolic length
    nodes = [c for c in data["compiles"] if c["post_grad_graphs"]][-1]["post_grad_graphs"][-1]["nodes"]
    by_name = {n["name"]: n for n in nodes}
    chain = [n["name"] for n in nodes if n["target"] == "aten.unsqueeze.default" and by_name[minimize.node_inputs(n)[0]]["target"] == "aten.unsqueeze.default"]
    assert chain, "the 5.x graph has no unsqueeze of an unsqueeze"
    last = next(name for name in reversed(chain) if -1 in (minimize.reshape_spec(by_name[name]) or []))
    merged = minimize.collapse(nodes, last)
    node = next(n for n in merged if n["name"] == last)
    assert node["target"] == "aten.reshape.default" and node["args"][1].count(-1) == 1
    keep = minimize.backward_slice(nodes, [last])
    before, after = minimize.build(nodes, keep), minimize.build(merged, minimize.backward_slice(merged, [last]))
    assert after.op_count < before.op_count
    (f_before, inputs_before), (f_after, inputs_after) = before.load(), after.load()
    assert all(a.equal(b) for a, b in zip(f_before(*inputs_before), f_after(*inputs_after)))
    assert minimize.collapse(nodes, next(n["name"] for n in nodes if n["op"] == "placeholder")) is None


def test_the_first_core_names_the_gather_its_computed_index_and_the_comparison_joined_to_it(failing):
    nodes, roots = failing
    sliced = minimize.backward_slice(nodes, roots)
    gathers = [n["name"] for n in nodes if n["target"] == "aten.index.Tensor"]
    starts = minimize.cores(nodes, gathers, sliced)
    start = starts[0]
    by_name = {n["name"]: n for n in nodes}
    targets = Counter(by_name[name]["target"] for name in start)
    assert targets["aten.index.Tensor"] == 1 and targets["prims.iota.default"] == 1 and targets["aten.le.Tensor"] == 1
    assert set(start) < set(sliced)
    candidate = minimize.build(nodes, start)
    assert len(candidate.outputs) == 1  # one node joins the gather and the comparison
    # the batch index and the size arithmetic become inputs; the shared kv index stays computed
    assert all(by_name[i.name]["target"] != "aten.index.Tensor" for i in candidate.inputs)


def test_no_core_without_another_reader_of_the_index(failing):
    nodes, _ = failing
    assert minimize.cores(nodes, ["index"], minimize.backward_slice(nodes, ["index"])) == []


def test_one_removal_drops_what_is_not_needed_and_keeps_what_is():
    asked = []

    def needs_b_and_d(subset):
        asked.append(tuple(subset))
        return {"b", "d"} <= set(subset)

    assert minimize.one_removal(list("abcde"), needs_b_and_d) == ["b", "d"]
    assert len(asked) == len(set(asked))  # no subset asked twice here


def test_minimize_from_the_core_asks_fewer_questions_and_ends_where_the_slice_does(failing):
    """A judge that wants the gather and the comparison reading its positions: from the core or
    from the slice, the same two ops remain, and the core costs fewer distinct programs."""
    nodes, roots = failing
    judged = Counter()

    def judge(candidate):
        judged[candidate.function_source() + candidate.inputs_source()] += 1
        targets = Counter(n["target"] for n in candidate.nodes)
        return targets["aten.index.Tensor"] == 1 and targets["aten.le.Tensor"] == 1

    gathers = [n["name"] for n in nodes if n["target"] == "aten.index.Tensor"]
    starts = minimize.cores(nodes, gathers, minimize.backward_slice(nodes, roots))
    proposed = []
    from_core = minimize.minimize(nodes, roots, judge, starts=starts, on_candidate=proposed.append)
    assert from_core.from_start and proposed
    assert max(judged.values()) == 1 and from_core.queries == len(judged)  # each program judged once
    from_slice = minimize.minimize(nodes, roots, judge)
    assert not from_slice.from_start
    ops = lambda r: sorted(n["target"] for n in r.candidate.nodes)  # noqa: E731
    assert ops(from_core) == ops(from_slice) == ["aten.index.Tensor", "aten.le.Tensor"]
    assert from_core.queries < from_slice.queries


def test_a_start_that_does_not_reproduce_falls_back_to_the_slice(failing):
    nodes, roots = failing

    def judge(candidate):
        return any(n["target"] == "aten.index.Tensor" for n in candidate.nodes) and candidate.op_count >= 1

    result = minimize.minimize(nodes, roots, judge, starts=[["le"]])  # no gather: refused, so ddmin runs
    assert not result.from_start and [n["target"] for n in result.candidate.nodes] == ["aten.index.Tensor"]


def test_the_first_start_that_reproduces_is_taken(failing):
    nodes, roots = failing

    def judge(candidate):
        targets = Counter(n["target"] for n in candidate.nodes)
        return targets["aten.index.Tensor"] == 1 and targets["aten.le.Tensor"] == 1

    result = minimize.minimize(nodes, roots, judge, starts=[["le"], ["index"], ["le", "index", "view_3"]])
    assert result.from_start and sorted(n["target"] for n in result.candidate.nodes) == ["aten.index.Tensor", "aten.le.Tensor"]
