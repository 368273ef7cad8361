"""`python -m analyzer run -- COMMAND`: a user's own program, from the command to the report.

The corpus under `tests/programs/` (each program's header names the upstream issue it was written
from; `programs.json` records what was measured) runs here on the installed torch: where the
program's failure is present, `run` must find it, name its class and the program's line, prove a
repro and name the known issue; where a release fixed it, the program must compile.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import artifacts, identity
from analyzer.analysis import compiler
from analyzer.run import command_name

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"
CORPUS = json.loads((PROGRAMS / "programs.json").read_text()) if (PROGRAMS / "programs.json").is_file() else []


def analyzer_run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", "run", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "argv, name",
    [
        (["python", "train.py", "--steps", "3"], "train"),
        (["python", "-m", "pytest", "tests/test_chat.py"], "pytest-test_chat"),
        (["python3", "-m", "pytest", "-p", "no:cacheprovider", "tests/programs/async_suite"], "pytest-async_suite"),
        (["/usr/bin/python3.11", "x/prog.py::test_one"], "prog"),
        (["./run.sh"], "run"),
    ],
)
def test_command_name(argv, name):
    assert command_name(argv) == name


@pytest.mark.parametrize(
    "command, says",
    [
        ([], "no command"),
        (["--", "no-such-command-here"], "no-such-command-here: command not found"),
        (["--", "true"], "not Python"),
        (["--", sys.executable, "-c", "pass"], "no compile happened"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_and_leaves_nothing(tmp_path, command, says):
    proc = analyzer_run("--reports", str(tmp_path / "reports"), "-q", *command)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and says in proc.stderr and proc.stderr.startswith("analyzer: error: ")
    assert not (tmp_path / "reports").exists()


def _fails_here(entry: dict) -> bool:
    """Whether the installed torch is a release the program was measured failing on (or between it and its fix)."""
    here = identity.release_key(identity.installed("torch"))
    fixed = entry.get("passes_on")
    return identity.release_key(entry["fails_on"]) <= here and (fixed is None or here < identity.release_key(fixed))


@pytest.mark.capture
@pytest.mark.parametrize("entry", CORPUS, ids=[e["file"] for e in CORPUS])
def test_run_on_each_corpus_program(tmp_path, entry):
    out = tmp_path / "run"
    proc = analyzer_run("--out", str(out), "-q", "--", sys.executable, str(PROGRAMS / entry["file"]))
    summary = artifacts.read_summary(out)
    findings = artifacts.read_findings(out)
    assert "Exception ignored" not in (out / "program_output.txt").read_text()  # the recording leaves the program's exit as it was
    if not _fails_here(entry):
        if entry.get("passes_on") is None:
            pytest.skip(f"measured failing from torch {entry['fails_on']} on; this torch is older")
        assert summary["exit_code"] == 0 and summary["failures"] == []
        assert not [f for f in findings if f["kind"] in identity.LOST]
        return
    assert proc.returncode == 1, proc.stderr[-2000:]
    first = summary["failures"][0]
    assert first["class"] == entry["class"]
    lines = {(f["source"]["file"], f["source"]["line"]) for f in findings if f.get("source") and f["kind"] in identity.LOST}
    if first.get("source"):
        lines.add((first["source"]["file"], first["source"]["line"]))
    assert (f"tests/programs/{entry['file']}", entry["fault_line"]) in lines
    repro = artifacts.read_repro(out)["repro_torch.py"]
    assert repro["verified"], repro
    known = (out / "diagnosis.md").read_text()
    assert f"pytorch/pytorch#{entry['known']}" in known if entry.get("known") else "None known" in known


@pytest.mark.capture
def test_run_names_the_test_whose_recompile_fails_and_its_guard(tmp_path):
    """The original report: async tests that each pass alone and fail together, under pytest."""
    pytest.importorskip("pytest_asyncio")
    out = tmp_path / "run"
    suite = PROGRAMS / "async_suite"
    proc = analyzer_run("--out", str(out), "-q", "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite))
    summary = artifacts.read_summary(out)
    findings = artifacts.read_findings(out)
    assert findings and all(f["test"].startswith("tests/programs/async_suite/test_masks.py::test_") for f in findings)
    gather = next(n for n, line in enumerate((suite / "test_masks.py").read_text().splitlines(), 1) if line.strip().startswith("return") and "padding_mask[batch_idx, kv_idx]" in line)
    lost = [f for f in findings if f["kind"] in identity.LOST]
    if not lost:  # a torch that compiles it: the suite passes
        assert summary["exit_code"] == 0 and summary["failures"] == []
        return
    assert proc.returncode == 1 and summary["exit_code"] == 1
    failing = summary["failures"]
    assert [f["test"].rsplit("::", 1)[1] for f in failing] == ["test_decode", "test_long_prompt"]
    assert all(f["class"] == compiler.LOST_DEFINITION and f["recompile"]["guard"] for f in failing)
    assert {(f["source"]["file"], f["source"]["line"]) for f in lost} == {("tests/programs/async_suite/test_masks.py", gather)}
    assert "test_decode" in proc.stdout and "recompiled because" in proc.stdout


COMMITTED = sorted(p.parent for p in (ROOT / "reports" / "runs").glob("*/torch-*/repro.json"))


@pytest.mark.capture
@pytest.mark.parametrize("run_dir", COMMITTED, ids=[f"{p.parent.name}/{p.name}" for p in COMMITTED])
def test_each_committed_program_repro_fails_where_made_and_passes_where_fixed(run_dir):
    """The repros `run` wrote for the corpus on the torch they fail on, rerun here: they fail with the
    same compiler diagnostic on a torch the program fails on, and exit 0 on a release that fixed it."""
    from analyzer.repro import failure, oracle

    entry = next((e for e in CORPUS if Path(e["file"]).stem == run_dir.parent.name), None)
    if entry is None:
        pytest.skip(f"{run_dir.parent.name} is not a corpus program")
    summary = artifacts.read_summary(run_dir)
    wanted = compiler.diagnostic(summary["failures"][0]["compiler_error"] and _failing_message(run_dir, summary["failures"][0]))
    rc, output = oracle.run_script(run_dir / "repro_torch.py")
    if _fails_here(entry):
        assert rc == 1 and failure.same_failure(wanted, output), output[-1500:]
    elif entry.get("passes_on") is not None:
        assert rc == 0, output[-1500:]


def _failing_message(run_dir: Path, failure: dict) -> str:
    data = artifacts.read_capture(run_dir / failure["variant"])
    return next(c["error"]["message"] for c in data["calls"] if c["label"] == f"compile {failure['compile_id']}")


def test_the_repro_process_starts_on_the_python_the_command_runs(tmp_path):
    """The repro's process is started beside the program, on the Python the command will most likely run."""
    from analyzer import run

    assert run._likely_python("/opt/venv/bin/python3.11") == "/opt/venv/bin/python3.11"
    console = tmp_path / "pytest"
    console.write_text(f"#!{sys.executable}\nimport sys\n")
    assert run._likely_python(str(console)) == sys.executable
    shell = tmp_path / "train.sh"
    shell.write_text("#!/bin/sh\nexec python train.py\n")
    elsewhere = tmp_path / "bin" / "python"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(sys.executable)
    assert run._likely_python(str(shell)) == sys.executable  # not a Python: this one, checked after the run
    by_env = tmp_path / "train.py"
    by_env.write_text("#!/usr/bin/env python3\nprint(1)\n")
    assert run._likely_python(str(by_env)) == shutil.which("python3")
    assert run._same_python(sys.executable, sys.executable)
    assert not run._same_python(str(elsewhere), sys.executable)  # a venv's python links to its base: not the same


@pytest.mark.capture
def test_a_scenario_variant_is_a_program_run_reports_like_analyze_captures(tmp_path):
    """One path from command to report: `run` on a scenario's program records the very kernels
    `analyze`'s capture of that variant keeps, and reports the variant's failure where it fails."""
    from analyzer.capture import bundle

    variant = ("iota-gather", "mask-and")
    captured = bundle.run_variant(*variant, tmp_path / "bundle", timeout_s=600)
    assert captured.status == "ok"
    proc = analyzer_run("--out", str(tmp_path / "run"), "-q", "--", sys.executable, "-m", "analyzer.capture.scenarios", *variant)
    kept = sorted(p.name for p in (tmp_path / "bundle" / "kernels").iterdir())
    assert kept and sorted(p.name for p in (tmp_path / "run" / "process-1" / "kernels").iterdir()) == kept
    for name in kept:
        assert (tmp_path / "run" / "process-1" / "kernels" / name).read_text() == (tmp_path / "bundle" / "kernels" / name).read_text()
    data = artifacts.read_capture(tmp_path / "bundle")
    assert data["command"] == "python -m analyzer.capture.scenarios iota-gather mask-and" and "program" not in data
    assert [c["label"] for c in data["calls"]] == ["first", "second"]  # the scenario's own calls, compared with eager
    failed = not all(c["ok"] for c in data["calls"])
    reported = failed or artifacts.read_findings(tmp_path / "run")  # a late check is a finding too
    assert proc.returncode == (1 if reported else 0), proc.stderr[-2000:]
    if failed:
        summary = artifacts.read_summary(tmp_path / "run")
        assert summary["failures"][0]["class"] == compiler.LOST_DEFINITION
        assert summary["failures"][0]["source"]["file"] == "analyzer/capture/scenarios.py"


@pytest.mark.parametrize(
    "args, says",
    [
        (["nope", "x"], "unknown scenario 'nope'"),
        (["iota-gather", "nope"], "unknown variant 'nope' of iota-gather"),
        (["iota-gather"], "usage: python -m analyzer.capture.scenarios NAME VARIANT"),
    ],
)
def test_a_scenario_program_refuses_bad_names_in_one_line(args, says):
    proc = subprocess.run([sys.executable, "-m", "analyzer.capture.scenarios", *args], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [proc.stderr.strip()] and says in proc.stderr
