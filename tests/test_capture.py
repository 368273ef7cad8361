"""End to end on the installed torch: capture in a fresh process, analyse, trace, report."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from analyzer import analyze, artifacts
from analyzer.capture import bundle
from analyzer.report import documents

TORCH = tuple(int(x) for x in version("torch").split("+")[0].split(".")[:2])
FIXED_RELEASE = (2, 13)  # first release whose check_bounds no longer loses its variable


ROOT = Path(__file__).resolve().parent.parent


def committed_reports(into: Path) -> Path | None:
    """`reports/` as git's HEAD holds it, extracted under `into`; None outside a git checkout.

    The tests compare with what is committed, not with the working tree: `nox -s analyze` run
    before `nox -s tests` rewrites the tree, and must change nothing about what the tests see."""
    if shutil.which("git") is None:
        return None
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD", "reports"], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "reports"


@pytest.fixture(scope="module")
def without_dot(tmp_path_factory):
    """PATH with Graphviz's `dot` taken out (every other program of its folder still there), for
    the tests of this module: a machine without Graphviz, whatever this one has."""
    farm = tmp_path_factory.mktemp("path-without-dot")
    entries = []
    for i, folder in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        if folder and (Path(folder) / "dot").exists():
            copy = farm / str(i)
            copy.mkdir()
            for program in Path(folder).iterdir():
                if program.name != "dot":
                    (copy / program.name).symlink_to(program)
            folder = str(copy)
        entries.append(folder)
    before = os.environ["PATH"]
    os.environ["PATH"] = os.pathsep.join(entries)
    assert shutil.which("dot") is None
    yield
    os.environ["PATH"] = before


@pytest.fixture(scope="module")
def mask_run(tmp_path_factory, without_dot):
    """One analyze run of the default scenario on the installed versions, shared by the tests below,
    made as a user's `nox -s analyze` makes it: into the committed reports folder (as HEAD has it),
    on a machine without Graphviz."""
    reports = committed_reports(tmp_path_factory.mktemp("head")) or tmp_path_factory.mktemp("reports")
    return reports, analyze.run("sdpa-mask-decode", reports)


@pytest.mark.capture
def test_sdpa_mask_decode_end_to_end(mask_run):
    tmp_path, summary = mask_run
    run_dir = tmp_path / "sdpa-mask-decode" / analyze.run_folder_name()
    assert summary["status"] == "ok"
    assert not [p.name for p in (tmp_path / "sdpa-mask-decode").iterdir() if p.name.startswith(".")]  # no staging left
    findings = artifacts.read_findings(run_dir)
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
        repro = artifacts.read_repro(run_dir)
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
    """The files of `folder` (a run folder of ROOT/reports) that git's HEAD holds."""
    rel = folder.relative_to(ROOT).as_posix()
    out = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD", rel], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return sorted(line[len(rel) + 1 :] for line in out.split())


def _committed_run(mask_run, into: Path) -> tuple[Path, Path]:
    """(the fresh run folder, the same run as HEAD holds it), or a skip where there is nothing to compare with."""
    tmp_path, _ = mask_run
    run_dir = tmp_path / "sdpa-mask-decode" / analyze.run_folder_name()
    if not (ROOT / "reports" / "sdpa-mask-decode").is_dir() or shutil.which("git") is None:
        pytest.skip("not a git checkout of the project")
    head = committed_reports(into)
    committed = head / "sdpa-mask-decode" / run_dir.name if head else into
    if not committed.is_dir():
        pytest.skip(f"no committed run for {run_dir.name} to compare with")
    recorded = json.loads((committed / "summary.json").read_text())["versions"].get("vec_isa")
    here = json.loads((run_dir / "summary.json").read_text())["versions"].get("vec_isa")
    if recorded != here:
        pytest.skip(f"kernels were captured for vector ISA {recorded}; this machine's Inductor writes {here}")
    return run_dir, committed


@pytest.mark.capture
def test_a_run_without_graphviz_keeps_every_committed_file(mask_run, tmp_path):
    """Without `dot`, a rerun writes the .dot sources and keeps the rendered pictures whose sources are
    unchanged: nothing git holds disappears, and the run says in one line what it could not draw."""
    run_dir, committed = _committed_run(mask_run, tmp_path)
    _, summary = mask_run
    missing = [name for name in _tracked(ROOT / "reports" / "sdpa-mask-decode" / run_dir.name) if not (run_dir / name).is_file()]
    assert not missing, missing
    if list((committed / "pictures").glob("*.svg")):
        [notice] = summary["notices"]
        assert notice.startswith("pictures: Graphviz's dot is not on PATH") and "\n" not in notice
        assert f"kept {len(list((committed / 'pictures').glob('*.[ps][nv]g')))} rendered pictures" in notice


@pytest.mark.capture
def test_analyze_regenerates_the_committed_run_byte_for_byte(mask_run, tmp_path):
    """What `nox -s analyze` commits is a function of the versions and the code: a fresh run on the same
    versions writes the bytes git holds. collect_env.txt describes the machine (CPU, kernel), so the
    committed one is put in place before the reports that quote it are written again."""
    run_dir, committed = _committed_run(mask_run, tmp_path)
    tracked = _tracked(ROOT / "reports" / "sdpa-mask-decode" / run_dir.name)
    assert "summary.json" in tracked and documents.COLLECT_ENV in tracked
    shutil.copy(committed / documents.COLLECT_ENV, run_dir / documents.COLLECT_ENV)
    documents.write_run(run_dir, committed.parent.parent)  # the committed matrix and verification results are what the reports quote
    regenerated = sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())
    missing = [name for name in tracked if name not in regenerated]
    assert not missing, missing
    differ = [name for name in tracked if (run_dir / name).read_bytes() != (committed / name).read_bytes()]
    assert not differ, differ


def test_hung_capture_is_killed_and_its_output_kept_aside(tmp_path):
    result = bundle.capture_to("sdpa-mask-decode", "vmap-dynamic", tmp_path / "bundle", timeout_s=0.5)
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
    result = bundle.capture_to("fault", "crash", tmp_path / "out" / "bundle", timeout_s=600)
    assert result.status == "crashed" and result.returncode == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["bundle.crashed"]
    assert "RuntimeError: injected crash" in (tmp_path / "out" / "bundle.crashed" / "child.log").read_text()
    kept = artifacts.read_capture(tmp_path / "out" / "bundle.crashed")  # the variant says it crashed, and how
    assert (kept["scenario"], kept["variant"], kept["crashed"]) == ("fault", "crash", "RuntimeError: injected crash")


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
    result = bundle.capture_to("fault", "hang", tmp_path / "out" / "bundle", timeout_s=600)
    pids = json.loads((faults / "pids.json").read_text())
    assert result.status == "timeout" and result.returncode is None
    assert fault_scenarios.gone(pids["child"]) and fault_scenarios.gone(pids["grandchild"])
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["bundle.timeout"]
    assert (tmp_path / "out" / "bundle.timeout" / "child.log").is_file()


@pytest.mark.capture
def test_clang_end_to_end(tmp_path, monkeypatch):
    """CXX=clang++, as on macOS where the failure was first reported: capture, analysis and repro work
    the same, and what is recorded is clang's own message (`use of undeclared identifier 'tmpN'`)."""
    from analyzer.capture import scenarios

    if shutil.which("clang++") is None:
        pytest.skip("clang++ is not installed (apt-get install clang libomp-dev)")
    monkeypatch.setenv("CXX", "clang++")
    variant = next(v for v in scenarios.get("sdpa-mask-decode").variants() if v.endswith("-dynamic"))
    summary = analyze.run("sdpa-mask-decode", tmp_path, variants=[variant])
    run_dir = tmp_path / "sdpa-mask-decode" / analyze.run_folder_name()
    assert summary["status"] == "ok"
    assert "clang" in summary["versions"]["compiler"]
    calls = [c for v in summary["variants"] for c in v["calls"]]
    if TORCH >= FIXED_RELEASE:
        assert all(c["ok"] and c["matches_eager"] for c in calls)
        return
    errors = [c["compiler_error"] for c in calls if not c["ok"]]
    assert errors and all("use of undeclared identifier" in e for e in errors), errors
    assert summary["findings"].get("forward-reference", 0) >= 2
    repro = artifacts.read_repro(run_dir)
    assert repro["repro_torch.py"]["verified"], repro["repro_torch.py"]
    assert repro["repro_torch.py"]["signature"].startswith("tmp")  # the oracle read clang's message
