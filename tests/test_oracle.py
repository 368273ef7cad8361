"""The oracle accepts this bug's signature and refuses every other error."""
from __future__ import annotations

import pytest
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


def _gather_after_compare(padding, kv_len):
    """The bug's shape in three ops: a comparison and a gather reading the same arange."""
    kv = torch.arange(kv_len)
    return ((kv <= kv_len - 1)[None, :] & padding[torch.arange(padding.shape[0])[:, None], kv],)


def test_screen_never_accepts_what_the_compiler_does_not():
    """The screen may only reject: on a clean program and on another error it must not say bug."""
    assert oracle.screen_in_process(lambda x, y: (x * 2 + y).sum(1), (torch.ones(3, 5), torch.ones(3, 5))).status == oracle.PASS
    assert not oracle.screen_in_process(lambda x: x.reshape(3, 5), (torch.ones(7),)).reproduces


@pytest.mark.capture
def test_screen_agrees_with_the_compiler_on_the_installed_torch():
    """On an affected torch both call it this bug; on a fixed one both call it clean."""
    inputs = (torch.rand(2, 9) > 0.3, 6)
    screened = oracle.screen_in_process(_gather_after_compare, inputs)
    compiled = oracle.query_in_process(_gather_after_compare, inputs)
    assert screened.status == compiled.status, (screened, compiled)
    fixed = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 13)
    assert compiled.status == (oracle.PASS if fixed else oracle.BUG)
