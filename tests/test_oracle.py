"""The oracle accepts this bug's signature and refuses every other error."""
from __future__ import annotations

import torch
from conftest import AFFECTED, capture_json

from analyzer import oracle


def test_recorded_compiler_error_has_the_signature():
    data = capture_json(AFFECTED)
    message = next(c["error"]["message"] for c in data["calls"] if c["error"])
    assert oracle.signature(message) in {"tmp1", "tmp2", "tmp3", "tmp4"}
    assert oracle.classify(RuntimeError(message)).reproduces


def test_undeclared_outside_a_bounds_check_is_a_different_bug():
    message = (
        "kernel.cpp:12:5: error: 'tmp7' was not declared in this scope\n"
        "   12 |     auto tmp8 = tmp7 + 1;\n"
    )
    verdict = oracle.classify(RuntimeError(message))
    assert verdict.status == oracle.OTHER


def test_other_compile_errors_are_refused():
    def bad(x):
        return x.reshape(3, 5)

    verdict = oracle.query_in_process(bad, (torch.ones(7),))
    assert verdict.status == oracle.OTHER and not verdict.reproduces


def test_a_clean_program_passes():
    verdict = oracle.query_in_process(lambda x, y: (x * 2 + y).sum(1), (torch.ones(3, 5), torch.ones(3, 5)))
    assert verdict.status == oracle.PASS
