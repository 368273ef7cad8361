"""The documents of a run: which it gets, each a pure function of the committed evidence, upstream ones
with nothing of this project in them and no trace of the machine."""
from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest

from analyzer import timings
from analyzer.report import documents

REPORTS = Path(__file__).resolve().parent.parent / "reports"
RUNS = documents.run_dirs(REPORTS)
AFFECTED = REPORTS / "sdpa-mask-decode" / "torch-2.8.0-transformers-4.57.1"


def test_committed_runs_exist():
    names = {f"{p.parent.name}/{p.name}" for p in RUNS}
    assert "sdpa-mask-decode/torch-2.8.0-transformers-4.57.1" in names
    assert "sdpa-mask-decode/torch-2.13.0-transformers-5.23.0" in names


FIXED = REPORTS / "sdpa-mask-decode" / "torch-2.13.0-transformers-5.23.0"
# what names this project, and nothing upstream: scenario and variant names, commands, run folders, pictures
INTERNAL = re.compile(
    r"sdpa-mask-decode|tiny-(?:llama|mistral)-generate|async-tests-flaky|(?:no)?vmap-(?:auto|dynamic)|\bnox\b|"
    r"python -m analyzer|reports/|patches/|pictures/|\.svg\b|\.dot\b|torch-\d+\.\d+\.\d+-transformers-|\bscenario\b|\bvariant\b"
)


@pytest.mark.parametrize("run_dir", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_documents_regenerate_byte_for_byte(run_dir):
    """Each run folder holds exactly the documents `plan` gives it, each as its writer makes it."""
    run = documents.load(run_dir)
    docs, why = documents.plan(run)
    assert why
    present = [name for name in documents.DOCUMENTS if (run_dir / name).is_file()]
    assert sorted(present) == sorted(docs)
    for name in docs:
        assert (run_dir / name).read_text(encoding="utf-8") == documents.WRITERS[name](run, REPORTS), name


def test_committed_index_regenerates_and_lists_every_run():
    text = (REPORTS / "README.md").read_text(encoding="utf-8")
    assert text == documents.index(REPORTS)
    for run_dir in RUNS:
        assert f"({run_dir.relative_to(REPORTS).as_posix()}/)" in text
        assert documents.plan(documents.load(run_dir))[1] in text  # why it got the documents it got


@pytest.mark.parametrize("run_dir", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_documents_name_no_local_path_or_machine(run_dir):
    host = socket.gethostname()
    for name in documents.DOCUMENTS:
        if not (run_dir / name).is_file():
            continue
        text = (run_dir / name).read_text(encoding="utf-8")
        body = text.split("<summary>python -m torch.utils.collect_env")[0]  # collect_env describes the machine on purpose
        for marker in ("/tmp/", "/root/", "/home/", "/work/", ".nox/", "/site-packages/"):
            assert marker not in body, (name, marker)
        if len(host) >= 4:  # a two-letter host name would match code by chance
            assert not re.search(rf"(?<![\w-]){re.escape(host)}(?![\w-])", text), host


@pytest.mark.parametrize("run_dir", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_upstream_documents_name_nothing_of_this_project(run_dir):
    run = documents.load(run_dir)
    for name, make in ((documents.PYTORCH, documents.pytorch_issue), (documents.TRANSFORMERS, documents.transformers_issue)):
        text = make(run, REPORTS)
        found = INTERNAL.findall(text.split("<summary>python -m torch.utils.collect_env")[0])
        assert not found, (name, found)


def test_a_known_fixed_failure_gets_a_diagnosis_not_a_duplicate():
    """torch 2.8.0: pytorch#178244, fixed by PR #180212 in 2.13.0; transformers#44458 tracks it there too."""
    run = documents.load(AFFECTED)
    docs, why = documents.plan(run)
    assert docs == [documents.DIAGNOSIS]
    assert "pytorch#178244" in why and "transformers#44458" in why and "2.13.0" in why
    text = (AFFECTED / documents.DIAGNOSIS).read_text(encoding="utf-8")
    for needle in ("pytorch/pytorch#178244", "PR #180212", "Upgrade torch to 2.13.0", "huggingface/transformers#44458",
                   "assert_indirect_indexing = False", "nox -s apply -- --project pytorch"):
        assert needle in text, needle
    assert not (AFFECTED / documents.PYTORCH).exists() and not (AFFECTED / documents.TRANSFORMERS).exists()


def test_a_fixed_release_gets_a_one_screen_pytorch_issue_whose_repro_prints_its_error_block():
    """torch 2.13.0 compiles, with the check after the load: no known issue covers it, so an issue to file.
    At most 60 lines before the first <details>; the output block is what the repro printed when proven."""
    run = documents.load(FIXED)
    assert documents.plan(run)[0] == [documents.PYTORCH]
    text = (FIXED / documents.PYTORCH).read_text(encoding="utf-8")
    head = text.split("<details>")[0]
    assert len(head.splitlines()) <= 60, len(head.splitlines())
    assert text.startswith("# [inductor][cpu] Bounds check of a gathered index runs after the load it guards")
    for section in ("### 🐛 Describe the bug", "### Error logs", "### Versions", "Related upstream:"):
        assert section in head, section
    script = (FIXED / "repro_torch.py").read_text(encoding="utf-8")
    assert script.strip() in head
    printed = documents.load(FIXED).repro["repro_torch.py"]["output"]
    assert printed[-1].startswith("BUG: ") and "\n".join(printed) in head
    assert "pytorch/pytorch#178244" in head and "pytorch/pytorch#195482" in head
    assert "<summary>python -m torch.utils.collect_env</summary>" in text and "PyTorch version: 2.13.0" in text


def test_transformers_issue_follows_the_template_section_by_section():
    text = documents.transformers_issue(documents.load(AFFECTED), REPORTS)
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert sections == ["### System Info", "### Who can help?", "### Information", "### Tasks", "### Reproduction", "### Expected behavior"]
    assert "- `transformers` version: 4.57.1" in text and "PyTorch version (accelerator?): 2.8.0" in text  # transformers env
    assert documents.TRANSFORMERS_ATTENTION in text
    assert "transformers/masking_utils.py:142" in text
    assert "huggingface/transformers#44845" in text and "huggingface/transformers#44458" in text


def test_every_related_reference_resolves_in_the_known_issues():
    for project in documents.RELATED:
        assert [k.ref for k in documents.related(project)] == list(documents.RELATED[project])


def test_missing_matrix_and_verify_are_said_not_invented(tmp_path):
    run_dir = tmp_path / "sdpa-mask-decode" / AFFECTED.name
    shutil.copytree(AFFECTED, run_dir)
    text = documents.diagnosis(documents.load(run_dir), tmp_path)
    assert "Not measured yet: `nox -s matrix`" in text
    assert "Not verified on torch 2.8.0 with transformers 4.57.1 yet" in text


def test_no_paths_keeps_relative_names():
    text = "g++ /tmp/c/oa/x.main.cpp -I/root/py/include site-packages/torch/a.h <venv>/lib/b.py transformers/m.py"
    assert documents._no_paths(text) == "g++ x.main.cpp -Iinclude site-packages/torch/a.h <venv>/lib/b.py transformers/m.py"


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


def test_index_json_lists_every_run_as_the_readme_does():
    from analyzer.report import documents

    data = json.loads((REPORTS / "index.json").read_text())
    assert data == documents.index_json(REPORTS)  # committed as `report` writes it
    assert [r["path"] for r in data["runs"]] == [p.relative_to(REPORTS).as_posix() for p in documents.run_dirs(REPORTS)]
    readme = (REPORTS / "README.md").read_text()
    for run in data["runs"]:
        assert f"]({run['path']}/)" in readme
        for name in run["documents"]:
            assert (REPORTS / run["path"] / name).is_file()
