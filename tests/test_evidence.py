"""`python -m analyzer evidence`: the guard page, the verdict on each run, the committed reports."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import files
from analyzer.fix import evidence, patches

REPORTS = Path(__file__).resolve().parent.parent / "reports" / "evidence"

READ = """
import ctypes, torch
from analyzer.fix import evidence
values = torch.tensor([[True, False, True]])
tensor, mapping = evidence.before_guard_page(values)
assert torch.equal(tensor, values)
end = tensor.data_ptr() + tensor.numel()
print(ctypes.string_at(end - 1, 1), flush=True)  # the last byte of the tensor
print(ctypes.string_at(end + {past}, 1), flush=True)  # past its end: the guard page
"""


def _read(past: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", READ.format(past=past)], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the guard page needs Linux")
def test_a_read_past_the_tensor_faults_and_one_inside_does_not():
    run = _read(0)
    assert run.returncode == -signal.SIGSEGV, run.stderr
    assert run.stdout.splitlines() == ["b'\\x01'"]  # the last byte was read; the next one killed it


@pytest.mark.parametrize(
    "rc, record, expected",
    [
        (-signal.SIGSEGV, {"step": "compiled out-of-range call"}, "the process died (SIGSEGV) in the out-of-range call: no error was raised"),
        (0, {"step": "done", "out_of_range_call": "RuntimeError: kernel, x.main.cpp:21, index out of bounds: tmp8 < ks1"}, "the out-of-range call raised the bounds check's error"),
        (0, {"step": "done", "out_of_range_call": "returned without error"}, "the out-of-range call: returned without error"),
        (-signal.SIGABRT, {"step": "compiled out-of-range call"}, "the process died (SIGABRT) in the out-of-range call: no error was raised"),
        (1, {"step": "start"}, "the run did not reach its end (exit 1, last step: start)"),
        (-signal.SIGSEGV, {"step": "start"}, "the run did not reach its end (killed by SIGSEGV, last step: start)"),
        (None, {}, "timed out"),
    ],
    ids=["segfault-in-call", "raised", "silent", "abort-in-call", "failed-early", "segfault-early", "timeout"],
)
def test_outcome_names_what_the_out_of_range_call_did(rc, record, expected):
    assert evidence.outcome(rc, record) == expected


def test_an_exception_is_kept_to_its_first_line_without_machine_paths():
    exc = RuntimeError("kernel, /tmp/inductor-cache-ab12/s2/cs2dt.main.cpp:21, index out of bounds: tmp8 < ks1\nmore")
    assert evidence._first_line(exc) == "RuntimeError: kernel, cs2dt.main.cpp:21, index out of bounds: tmp8 < ks1"


@pytest.mark.parametrize("path", sorted(REPORTS.glob("*/guard_page.json")), ids=lambda p: p.parent.name)
def test_committed_evidence_names_its_versions_and_command_and_its_table_is_regenerated_from_it(path):
    data = files.read_json(path)
    assert data["command"] == evidence.COMMAND and data["environment"] == path.parent.name
    assert [r["code"] for r in data["runs"]] == ["unpatched", "patched"]
    torch_release = patches.release(data["environment"].split("-")[1])
    assert all(patches.release(r["torch"]) == torch_release for r in data["runs"] if "torch" in r)
    assert (path.parent / "guard_page.md").read_text(encoding="utf-8") == evidence.table(data)
    for run in data["runs"]:  # each verdict is the one its exit and record give
        rc = {"exit 0": 0}.get(run["exit"])
        if run["exit"].startswith("killed by "):
            rc = -signal.Signals[run["exit"].removeprefix("killed by ")].value
        record = {k: v for k, v in run.items() if k not in ("code", "exit", "outcome")}
        assert evidence.outcome(rc, record) == run["outcome"]
    assert "/tmp/" not in json.dumps(data)


@pytest.mark.capture
def test_unpatched_check_after_load_dies_on_the_guard_page(tmp_path):
    """On a release whose check runs after its load (2.13.0, 2.14.1), unpatched: SIGSEGV, no error."""
    import torch

    if patches.release(torch.__version__) not in ("2.13.0", "2.14.1"):
        pytest.skip(f"torch {torch.__version__}: not a release whose check runs after its load")
    out = tmp_path / "child.json"
    from analyzer import procs

    rc, _, stderr = procs.run_fresh_cache(procs.child_command("evidence", str(out)), 600)
    record = files.read_json(out)
    assert record["in_range_call"] == "equal to eager"
    assert sum(k["checks_after_their_load"] for k in record["kernels"]) > 0
    assert evidence.outcome(rc, record).startswith("the process died (SIGSEGV)"), stderr[-2000:]
