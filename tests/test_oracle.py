"""The oracle accepts this bug's signature and refuses every other error."""
from __future__ import annotations

import pytest
import torch
from conftest import AFFECTED, capture_json

from analyzer.repro import oracle


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


@pytest.mark.parametrize(
    "body, code, output",
    [("print('hello')\nsys.exit(3)\n", 3, "hello\n"), ("sys.exit('boom')\n", 1, "boom\n"), ("print(1)\n", 0, "1\n")],
)
def test_a_script_run_by_the_oracle_keeps_its_exit_code_and_output(tmp_path, body, code, output):
    script = tmp_path / "script.py"
    script.write_text("import sys\n" + body)
    assert oracle.run_script(script) == (code, output)


def test_a_script_that_raises_fails_with_its_traceback(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("raise ValueError('not this bug')\n")
    rc, out = oracle.run_script(script)
    assert rc == 1 and "ValueError: not this bug" in out


def test_the_vector_isa_probe_is_trusted_only_when_it_picks_what_probing_picks(monkeypatch):
    import torch._inductor.config as inductor_config
    from torch._inductor import cpu_vec_isa

    from analyzer.capture import torchglue

    probed = torchglue.vec_isa()
    try:
        assert torchglue.trust_vec_isa() == {torchglue.VEC_ISA_OK_ENV: "1"}
        assert str(cpu_vec_isa.pick_vec_isa()) == probed and inductor_config.cpp.vec_isa_ok is True
        inductor_config.cpp.vec_isa_ok = None
        cpu_vec_isa.valid_vec_isa_list.cache_clear()
        monkeypatch.setattr(torchglue, "vec_isa", lambda: "an ISA the flags do not name")  # the compiler builds less
        assert torchglue.trust_vec_isa() == {} and inductor_config.cpp.vec_isa_ok is None
        assert str(cpu_vec_isa.pick_vec_isa()) == probed
        inductor_config.cpp.vec_isa_ok = False  # the user's own setting is left alone
        assert torchglue.trust_vec_isa() == {} and inductor_config.cpp.vec_isa_ok is False
    finally:
        inductor_config.cpp.vec_isa_ok = None
        cpu_vec_isa.valid_vec_isa_list.cache_clear()


def test_repro_takes_a_run_folder_or_stdin_but_not_both(cli, tmp_path):
    both = cli("repro", str(tmp_path), "--from-stdin")
    neither = cli("repro")
    assert both.returncode == neither.returncode == 2 and "not both" in both.stderr
    not_a_run = cli("repro", str(tmp_path))
    assert not_a_run.returncode == 2 and "not an analyze run folder" in not_a_run.stderr


def test_a_warmed_up_repro_worker_told_nothing_exits_cleanly():
    """What analyze does when a run has nothing to reproduce and the worker is already warm."""
    import sys

    from analyzer import procs

    rc, _, err = procs.Child([sys.executable, "-m", "analyzer", "repro", "--from-stdin"]).wait(300, input="\n")
    assert rc == 0, err
