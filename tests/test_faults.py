"""Faults: a missing compiler, a run interrupted or killed mid-capture, two runs at once, a release
with no patch. Each is refused in one line with exit 2, or leaves the reports as they were (or
whole), and a killed run's leftovers never stop the next run.

The runs use the scenarios of `fault_scenarios.py`, injected with $ANALYZER_EXTRA_SCENARIOS: the
real command line, capture child, analysis and staging code, without a compile.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fault_scenarios
import pytest

from analyzer import analyze, artifacts, cli
from analyzer.fix import patches

TESTS = Path(__file__).parent
REPO = TESTS.parent
RUN = analyze.run_folder_name()


def _env(marks: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **fault_scenarios.env(marks), **extra}


def _start(marks: Path, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", *args], env=_env(marks, **extra), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _run(marks: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    proc = _start(marks, *args, **extra)
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _wait_for(path: Path, proc: subprocess.Popen, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"exited {proc.returncode} before {path.name} appeared: {proc.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{path.name} did not appear in {timeout_s}s")
        time.sleep(0.1)


def _litter(reports: Path) -> list[str]:
    return sorted(p.name for p in reports.rglob(".*") if p.name.startswith((".staging-", f".{RUN}.old")))


@pytest.mark.parametrize(
    "command, compiler, reason",
    [
        (["analyze", "--scenario", "fault", "--variant", "canned"], None, "no C++ compiler: g++ is not on PATH and CXX is not set"),
        (["capture", "--scenario", "fault", "--variant", "canned"], "/nonexistent/g++", "no C++ compiler: CXX is '/nonexistent/g++'"),
        (["analyze", "--scenario", "fault", "--variant", "canned"], "/bin/false", "C++ compiler '/bin/false' ($CXX) does not run"),
    ],
    ids=["no-compiler-on-path", "cxx-missing", "cxx-broken"],
)
def test_no_cpp_compiler_is_refused_before_anything_is_written(tmp_path, command, compiler, reason):
    """Inductor compiles with $CXX or g++; without one, the run stops at once instead of capturing errors."""
    reports, empty_bin = tmp_path / "reports", tmp_path / "bin"
    reports.mkdir()
    empty_bin.mkdir()
    env = _env(tmp_path / "marks")
    env.pop("CXX", None)
    if compiler is None:
        env["PATH"] = str(empty_bin)  # no g++, c++ or clang++ to be found
    else:
        env["CXX"] = compiler
    where = ["--reports", str(reports)] if command[0] == "analyze" else ["--out", str(tmp_path / "bundle")]
    result = subprocess.run([sys.executable, "-m", "analyzer", *command, *where], env=env, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and reason in result.stderr
    assert list(reports.iterdir()) == [] and not (tmp_path / "bundle").exists() and not (tmp_path / "marks").exists()


def test_unknown_variant_is_refused(tmp_path):
    result = _run(tmp_path / "marks", "capture", "--scenario", "fault", "--variant", "nope", "--out", str(tmp_path / "bundle"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "unknown variant 'nope'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_crashed_variant_is_kept_aside_and_the_run_marked_failed(tmp_path):
    reports = tmp_path / "reports"
    result = _run(tmp_path / "marks", "analyze", "--scenario", "fault", "--variant", "crash", "--reports", str(reports))
    assert result.returncode == 1, result.stderr
    run_dir = reports / "fault" / RUN
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert [(v["variant"], v["status"], v["bundle"]) for v in summary["variants"]] == [("crash", "crashed", "crash.crashed")]
    assert "RuntimeError: injected crash" in (run_dir / "crash.crashed" / "child.log").read_text()
    assert not (run_dir / "crash").exists() and _litter(reports) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_kills_its_capture_and_leaves_the_old_report(tmp_path, signum):
    reports, marks = tmp_path / "reports", tmp_path / "marks"
    old = reports / "fault" / RUN
    old.mkdir(parents=True)
    (old / "summary.json").write_text('{"previous": true}\n')
    proc = _start(marks, "analyze", "--scenario", "fault", "--variant", "hang", "--reports", str(reports))
    _wait_for(marks / "pids.json", proc)
    pids = json.loads((marks / "pids.json").read_text())
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum
    progress = [line for line in err.splitlines() if line.startswith("analyze: [")]  # the steps it had begun
    assert progress and err.splitlines()[len(progress):] == [f"analyzer: interrupted by {signal.Signals(signum).name}"]
    assert fault_scenarios.gone(pids["child"]) and fault_scenarios.gone(pids["grandchild"])
    assert _litter(reports) == []
    assert sorted(p.name for p in old.iterdir()) == ["summary.json"] and json.loads((old / "summary.json").read_text()) == {"previous": True}


def test_killed_run_dies_with_its_capture_and_the_next_run_cleans_up(tmp_path):
    reports, marks = tmp_path / "reports", tmp_path / "marks"
    proc = _start(marks, "analyze", "--scenario", "fault", "--variant", "hang", "--reports", str(reports))
    _wait_for(marks / "pids.json", proc)
    pids = json.loads((marks / "pids.json").read_text())
    proc.kill()  # SIGKILL: no cleanup runs in the killed process
    proc.communicate(timeout=60)
    assert fault_scenarios.gone(pids["child"]) and fault_scenarios.gone(pids["grandchild"])  # they die with it
    litter = _litter(reports)
    assert litter and all(f"-pid{proc.pid}-" in name for name in litter)
    rerun = _run(marks, "analyze", "--scenario", "fault", "--variant", "canned", "--reports", str(reports))
    assert rerun.returncode == 0, rerun.stderr
    assert _litter(reports) == []
    summary = json.loads((reports / "fault" / RUN / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["findings"] == {"check-after-load": 4}


def test_concurrent_runs_each_leave_a_whole_report(tmp_path):
    """Two runs of one scenario into the same folder, and one of another, all at once."""
    reports, marks = tmp_path / "reports", tmp_path / "marks"
    runs = [
        _start(marks, "analyze", "--scenario", scenario, "--variant", "canned", "--reports", str(reports))
        for scenario in ("fault", "fault", "fault-other")
    ]
    for proc in runs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    for scenario in ("fault", "fault-other"):
        run_dir = reports / scenario / RUN
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["status"] == "ok" and summary["scenario"] == scenario
        findings = artifacts.read_findings(run_dir)
        assert len(findings) == 4 and all((run_dir / f["file"]).is_file() for f in findings)
        assert sorted(p.name for p in (run_dir / "canned" / "kernels").iterdir()) == sorted(
            p.name for p in (TESTS / "data" / "torch-2.13.0-transformers-5.23.0" / "sdpa-mask-decode" / "novmap-dynamic" / "kernels").iterdir()
        )
    assert _litter(reports) == []
    assert sorted(p.name for p in (reports / "fault").iterdir()) == [RUN]


def test_bench_kernel_where_no_series_fits_is_refused(tmp_path, monkeypatch, capsys):
    (tmp_path / "patches" / "pytorch").mkdir(parents=True)
    monkeypatch.setattr(patches, "PATCHES", tmp_path / "patches")
    out = tmp_path / "bench.json"
    assert cli.main(["bench", "kernel", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no pytorch patch series applies" in err and "none of the known shapes" in err
    assert not out.exists()


def test_missing_or_too_old_torch_and_transformers_are_refused(tmp_path, monkeypatch, capsys):
    from importlib.metadata import PackageNotFoundError

    from analyzer import preflight

    def installed(torch: str | None, transformers: str):
        def version(dist: str) -> str:
            found = {"torch": torch, "transformers": transformers}[dist]
            if found is None:
                raise PackageNotFoundError(dist)
            return found

        return version

    cases = [
        (None, "5.23.0", "torch is not installed in this environment"),
        ("2.7.1+cpu", "5.23.0", "torch 2.7.1+cpu is older than 2.8, the oldest release this project can analyse"),
        ("2.13.0", "4.52.3", "transformers 4.52.3 is older than 4.53"),
    ]
    for torch, transformers, reason in cases:
        monkeypatch.setattr(preflight, "version", installed(torch, transformers))
        assert reason in preflight.problem()
        assert cli.main(["analyze", "--scenario", "sdpa-mask-decode", "--reports", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and reason in err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(preflight, "version", installed("2.8.0+cu128", "4.57.1"))
    assert preflight.versions_problem() is None


@pytest.mark.parametrize("variant", ["canned", "crash"])
def test_the_repro_worker_started_beside_the_capture_never_outlives_the_run(tmp_path, monkeypatch, variant):
    """Nothing to reproduce (a clean run, a crashed capture): the warm worker is stopped, cache and all."""
    for key, value in fault_scenarios.env(tmp_path / "marks").items():
        monkeypatch.setenv(key, value)
    started = []
    real = analyze.start_repro_worker
    monkeypatch.setattr(analyze, "start_repro_worker", lambda t: started.append(real(t)) or started[-1])
    analyze.run("fault", tmp_path / "reports", variants=[variant])
    (worker,) = started
    assert worker.proc.returncode is not None and not Path(worker._cache.name).exists()
