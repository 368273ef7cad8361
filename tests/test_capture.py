"""End to end on the installed torch: capture in a fresh process, analyse, trace, report."""
from __future__ import annotations

import json
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from analyzer import analyze, capture, report

TORCH = tuple(int(x) for x in version("torch").split("+")[0].split(".")[:2])
FIXED_RELEASE = (2, 13)  # first release whose check_bounds no longer loses its variable


REPORTS = Path(__file__).resolve().parent.parent / "reports"


@pytest.fixture(scope="module")
def mask_run(tmp_path_factory):
    """One analyze run of the default scenario on the installed versions, shared by the tests below."""
    reports = tmp_path_factory.mktemp("reports")
    return reports, analyze.run("sdpa-mask-decode", reports)


@pytest.mark.capture
def test_sdpa_mask_decode_end_to_end(mask_run):
    tmp_path, summary = mask_run
    run_dir = tmp_path / "sdpa-mask-decode" / analyze.run_folder_name()
    assert summary["status"] == "ok"
    assert sorted(p.name for p in (tmp_path / "sdpa-mask-decode").iterdir()) == [run_dir.name]  # no staging left
    findings = json.loads((run_dir / "findings.json").read_text())
    lost = [f for f in findings if f["kind"] in ("undeclared", "forward-reference", "out-of-scope")]
    calls = [c for v in summary["variants"] for c in v["calls"]]
    if TORCH >= FIXED_RELEASE:
        assert lost == []
        assert all(c["ok"] and c["matches_eager"] for c in calls)
        assert any(f["kind"] == "check-after-load" for f in findings)
    else:
        assert lost
        assert any(not c["ok"] and "was not declared" in (c["compiler_error"] or "") for c in calls)
        for v in summary["variants"]:
            assert v["findings"].get("forward-reference", 0) >= 2, v  # vector body and scalar tail
        repro = json.loads((run_dir / "repro.json").read_text())
        assert repro["repro_torch.py"]["verified"] and repro["repro_torch.py"]["ops"] <= 5
        code = (run_dir / "repro_torch.py").read_text()
        assert "import transformers" not in code and "from transformers" not in code  # pure torch
        for name in ("repro_transformers.py", "repro_sequence.py"):
            assert repro[name]["verified"], (name, repro[name])
            assert (repro[name]["exit_code"], repro[name]["exit_code_assert_off"]) == (1, 0)
    for f in findings:
        assert f["source"]["file"] == "transformers/masking_utils.py"
        assert "padding_mask[batch_idx, kv_idx]" in f["source"]["text"]
        assert (run_dir / f["file"]).is_file()



def _tracked(folder: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "."], cwd=folder, capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


@pytest.mark.capture
def test_analyze_regenerates_the_committed_run_byte_for_byte(mask_run):
    """What `nox -s analyze` commits is a function of the versions and the code: a fresh run on the same
    versions writes the same bytes. collect_env.txt describes the machine (CPU, kernel), so the committed
    one is put in place before the reports that quote it are written."""
    tmp_path, _ = mask_run
    run_dir = tmp_path / "sdpa-mask-decode" / analyze.run_folder_name()
    committed = REPORTS / "sdpa-mask-decode" / run_dir.name
    if not committed.is_dir() or shutil.which("git") is None:
        pytest.skip(f"no committed run for {run_dir.name} to compare with")
    recorded = json.loads((committed / "summary.json").read_text())["versions"].get("vec_isa")
    here = json.loads((run_dir / "summary.json").read_text())["versions"].get("vec_isa")
    if recorded != here:
        pytest.skip(f"kernels were captured for vector ISA {recorded}; this machine's Inductor writes {here}")
    tracked = _tracked(committed)
    assert "summary.json" in tracked and report.COLLECT_ENV in tracked
    shutil.copy(committed / report.COLLECT_ENV, run_dir / report.COLLECT_ENV)
    if shutil.which("dot") is None and (committed / "pictures").is_dir():
        # without Graphviz the run draws nothing; the pictures are then taken as committed (test_draw
        # checks rendering where `dot` exists) and everything else is still compared
        shutil.copytree(committed / "pictures", run_dir / "pictures")
    report.write_run(run_dir, REPORTS)  # the committed matrix and verification results are what the reports quote
    regenerated = sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())
    missing = [name for name in tracked if name not in regenerated]
    assert not missing, missing
    differ = [name for name in tracked if (run_dir / name).read_bytes() != (committed / name).read_bytes()]
    assert not differ, differ


def test_hung_capture_is_killed_and_its_output_kept_aside(tmp_path):
    result = capture.capture_to("sdpa-mask-decode", "vmap-dynamic", tmp_path / "bundle", timeout_s=0.5)
    assert result.status == "timeout" and result.returncode is None
    assert not (tmp_path / "bundle").exists()
    assert (tmp_path / "bundle.timeout" / "child.log").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.timeout"]


def test_unknown_scenario_is_refused(cli, tmp_path):
    result = cli("analyze", "--scenario", "nope", "--reports", str(tmp_path))
    assert result.returncode == 2
    assert "unknown scenario 'nope'" in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def faults(tmp_path, monkeypatch):
    """The injected fault scenarios (see fault_scenarios.py), for this process and the children it starts."""
    import fault_scenarios

    marks = tmp_path / "marks"
    for key, value in fault_scenarios.env(marks).items():
        monkeypatch.setenv(key, value)
    return marks


def test_crashed_capture_is_kept_aside_with_its_log(tmp_path, faults):
    result = capture.capture_to("fault", "crash", tmp_path / "out" / "bundle", timeout_s=600)
    assert result.status == "crashed" and result.returncode == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["bundle.crashed"]
    assert "RuntimeError: injected crash" in (tmp_path / "out" / "bundle.crashed" / "child.log").read_text()


def test_capture_at_its_timeout_is_killed_with_its_grandchildren(tmp_path, faults, monkeypatch):
    """The deadline is made to pass once the capture has started a grandchild: the whole process
    group goes, and the partial output is kept aside as `<bundle>.timeout`."""
    import subprocess
    import time

    import fault_scenarios

    real = subprocess.Popen.communicate

    def communicate(self, input=None, timeout=None):
        if timeout != 600:
            return real(self, input, timeout)
        deadline = time.monotonic() + 300
        while not (faults / "pids.json").exists() and self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        raise subprocess.TimeoutExpired(self.args, timeout)

    monkeypatch.setattr(subprocess.Popen, "communicate", communicate)
    result = capture.capture_to("fault", "hang", tmp_path / "out" / "bundle", timeout_s=600)
    pids = json.loads((faults / "pids.json").read_text())
    assert result.status == "timeout" and result.returncode is None
    assert fault_scenarios.gone(pids["child"]) and fault_scenarios.gone(pids["grandchild"])
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["bundle.timeout"]
    assert (tmp_path / "out" / "bundle.timeout" / "child.log").is_file()
