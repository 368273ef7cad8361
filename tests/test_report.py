"""Issue reports: a pure function of the committed evidence, paste-ready, with no trace of the machine."""
from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest

from analyzer import capture, report, timings

REPORTS = Path(__file__).resolve().parent.parent / "reports"
RUNS = report.run_dirs(REPORTS)
AFFECTED = REPORTS / "sdpa-mask-decode" / "torch-2.8.0-transformers-4.57.1"


def test_committed_runs_exist():
    names = {f"{p.parent.name}/{p.name}" for p in RUNS}
    assert "sdpa-mask-decode/torch-2.8.0-transformers-4.57.1" in names
    assert "sdpa-mask-decode/torch-2.13.0-transformers-5.23.0" in names


@pytest.mark.parametrize("run_dir", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_issue_reports_regenerate_byte_for_byte(run_dir):
    run = report.load(run_dir)
    assert (run_dir / report.PYTORCH).read_text(encoding="utf-8") == report.pytorch_issue(run, REPORTS)
    assert (run_dir / report.TRANSFORMERS).read_text(encoding="utf-8") == report.transformers_issue(run, REPORTS)


def test_committed_index_regenerates_and_lists_every_run():
    text = (REPORTS / "README.md").read_text(encoding="utf-8")
    assert text == report.index(REPORTS)
    for run_dir in RUNS:
        assert f"({run_dir.relative_to(REPORTS).as_posix()}/)" in text


@pytest.mark.parametrize("run_dir", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_issue_reports_name_no_local_path_or_machine(run_dir):
    host = socket.gethostname()
    for name in (report.PYTORCH, report.TRANSFORMERS):
        text = (run_dir / name).read_text(encoding="utf-8")
        body = text.split("### Versions")[0]  # collect_env's own block describes the machine on purpose
        for marker in ("/tmp/", "/root/", "/home/", "/work/", ".nox/", "/site-packages/"):
            assert marker not in body, (name, marker)
        if len(host) >= 4:  # a two-letter host name would match code by chance
            assert not re.search(rf"(?<![\w-]){re.escape(host)}(?![\w-])", text), host


def test_affected_pytorch_report_carries_the_evidence():
    run = report.load(AFFECTED)
    text = report.pytorch_issue(run, REPORTS)
    finding = report._key_finding(run)
    assert text.startswith("# [inductor][cpu] Bounds check uses `" + finding["identifier"])
    assert "was not declared in this scope" in text.split("### Error logs")[1]
    assert (AFFECTED / "repro_torch.py").read_text(encoding="utf-8").strip() in text
    # the kernel excerpt marks the use and the later declaration, at the kernel's own line numbers
    lines = (AFFECTED / finding["file"]).read_text(encoding="utf-8").splitlines()
    assert f"{finding['line']:>4} | {lines[finding['line'] - 1]}    // <- use" in text
    assert f"{finding['related_line']:>4} | {lines[finding['related_line'] - 1]}    // <- declaration" in text
    assert "ops.index_expr" in text and "CSE" in text
    assert "patches/pytorch/2.8.0/" in text and "assert_indirect_indexing = False" in text
    assert "https://github.com/pytorch/pytorch/pull/180212" in text
    assert "PyTorch version: 2.8.0" in text  # collect_env, captured with the run


def test_transformers_report_adds_what_collect_env_leaves_out():
    run = report.load(AFFECTED)
    text = report.transformers_issue(run, REPORTS)
    assert "- `transformers` version: 4.57.1" in text
    assert "transformers/masking_utils.py:142" in text
    assert "patches/transformers/4.53-4.57/" in text
    assert "padding_mask[:, None, None, :]" in text  # where the user-proposed alternative fails


def test_fixed_torch_report_is_about_the_late_check():
    run = report.load(REPORTS / "sdpa-mask-decode" / "torch-2.13.0-transformers-5.23.0")
    text = report.pytorch_issue(run, REPORTS)
    assert text.startswith("# [inductor][cpu] Indirect-index bounds check runs after the load it guards")
    assert "patches/pytorch/2.13.0/" in text
    assert report.verdict(run).startswith("compiles")
    finding = report._key_finding(run)
    assert f"{finding['related_line']:>4} | " in text and "// <- the load it guards, before it" in text
    assert "// <- declaration" not in text


def test_missing_matrix_and_verify_are_said_not_invented(tmp_path):
    run_dir = tmp_path / "sdpa-mask-decode" / AFFECTED.name
    shutil.copytree(AFFECTED, run_dir)
    text = report.pytorch_issue(report.load(run_dir), tmp_path)
    assert "Not measured yet: `nox -s matrix`" in text
    assert "Not verified on torch 2.8.0 with transformers 4.57.1 yet" in text


def test_no_paths_keeps_relative_names():
    text = "g++ /tmp/c/oa/x.main.cpp -I/root/py/include site-packages/torch/a.h <venv>/lib/b.py transformers/m.py"
    assert report._no_paths(text) == "g++ x.main.cpp -Iinclude site-packages/torch/a.h <venv>/lib/b.py transformers/m.py"


def test_cli_refuses_what_is_not_a_reports_folder(cli, tmp_path):
    proc = cli("report", "--reports", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no such reports folder" in proc.stderr
    proc = cli("report", "--reports", str(tmp_path))
    assert proc.returncode == 2 and "no analyze run folders" in proc.stderr
    proc = cli("report", "--reports", str(tmp_path), str(tmp_path))
    assert proc.returncode == 2 and "not an analyze run folder" in proc.stderr


def test_timings_move_out_and_back(tmp_path):
    from analyzer import files

    data = {"seconds": 1.5, "variants": [{"variant": "a", "seconds": 2.0, "analysis_seconds": 0.1, "calls": 3}], "status": "ok"}
    files.write_json(tmp_path / "summary.json", data)
    moved = timings.move_out(tmp_path)
    assert files.read_json(tmp_path / "summary.json") == {"variants": [{"variant": "a", "calls": 3}], "status": "ok"}
    assert moved["summary.json"] == {"seconds": 1.5, "variants/0/seconds": 2.0, "variants/0/analysis_seconds": 0.1}
    assert timings.restore(tmp_path, "summary.json") == data
    timings.move_out(tmp_path)  # a second pass finds nothing new and keeps what was recorded
    assert timings.restore(tmp_path, "summary.json") == data


def test_capture_names_machine_paths_and_cache_hashes():
    prefixes = [("/work/x/.nox/a/lib/python3.11/site-packages/", "site-packages/"), ("/work/x/", ""), ("/tmp/cache-1", "<inductor-cache>")]
    record = {"m": ["/tmp/cache-1/oa/c" + "a1" * 26 + ".main.cpp:3: in /work/x/.nox/a/lib/python3.11/site-packages/torch/x.py"], "n": 3}
    got = capture.portable(record, prefixes)
    assert got == {"m": ["<inductor-cache>/<hash>.main.cpp:3: in site-packages/torch/x.py"], "n": 3}
