"""The version matrix: check_bounds read from its code, cells recorded and collated, agreement checked."""
from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from analyzer import files, identity, matrix
from analyzer.fix import patches

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "reports" / "matrix.json"


# ---------------------------------------------------------------------------------------------
# check_bounds, read from the code


def _installed_release() -> str:
    import torch

    return patches.release(torch.__version__)


def test_installed_check_bounds_is_read_as_fixed_from_2_13_on():
    """The test environment has torch 2.13.0, the first release with PyTorch #180212."""
    found = matrix.installed_check_bounds()
    assert re.fullmatch(r"[0-9a-f]{64}", found["sha256"])
    if identity.release_key(_installed_release()) >= (2, 13):
        assert (found["state"], found["fixed"]) == (matrix.UPSTREAM_FIX, True)
    else:
        assert (found["state"], found["fixed"]) == (matrix.UNFIXED, False)


def test_reformatted_source_reads_the_same():
    """Comments, blank lines and layout do not decide it: the code without its comments, unparsed."""
    from analyzer.capture import torchglue

    source = torchglue.check_bounds_source()
    bare = ast.unparse(ast.parse(textwrap.dedent(source)))
    assert "#" not in bare
    assert matrix.classify_check_bounds(bare)["state"] == matrix.classify_check_bounds(source)["state"] != matrix.UNKNOWN


def _preimage(patch: Path, anchor: str) -> str:
    """The code a hunk of `patch` replaces, from the line holding `anchor` on: the release's own text."""
    text = patch.read_text(encoding="utf-8")
    for hunk in re.split(r"(?m)^@@ .*\n", text)[1:]:
        old = [line[1:] for line in hunk.splitlines() if line[:1] in (" ", "-") and not line.startswith("---")]
        starts = [i for i, line in enumerate(old) if anchor in line]
        if starts:
            return textwrap.dedent("\n".join(old[starts[0]:]))
    raise AssertionError(f"no hunk of {patch} holds {anchor!r}")


def test_check_bounds_of_2_8_0_is_read_as_unfixed():
    """The 2.8.0 check_bounds as released, taken from the pre-image of this project's 2.8.0 patch."""
    (patch,) = patches.release_series("pytorch", "2.8.0")
    source = _preimage(patch, "indirect = free_symbol_is_type")
    assert "buffer = self.loads" in source and "try_get" not in source
    assert matrix.classify_check_bounds(source) == {
        "state": matrix.UNFIXED,
        "fixed": False,
        "why": "the direct-index branch writes the assert into loads with the kernel's shared CSE",
    }


def _method_source(module_text: str, cls: str, name: str) -> str:
    tree = ast.parse(module_text)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return ast.get_source_segment(module_text, item)
    raise AssertionError(f"no {cls}.{name}")


def test_check_bounds_with_this_projects_patch_is_read_as_patched(tmp_path):
    """This project's PyTorch patch, applied to a copy of the installed cpp.py, is fixed another way."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    version = _installed_release()
    try:
        patches.release_series("pytorch", version)
    except patches.PatchError:
        pytest.skip(f"no pytorch series was checked on the installed {version}")
    source = Path(importlib.import_module("torch").__file__).parent
    root = tmp_path / "torch"
    for rel in ("version.py", "_inductor/codegen/cpp.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, root / rel)
    before = _method_source((root / "_inductor/codegen/cpp.py").read_text(encoding="utf-8"), "CppKernel", "check_bounds")
    patches.apply("pytorch", root)
    after = _method_source((root / "_inductor/codegen/cpp.py").read_text(encoding="utf-8"), "CppKernel", "check_bounds")
    assert before != after
    assert matrix.classify_check_bounds(after)["state"] == matrix.PROJECT_PATCH
    assert matrix.classify_check_bounds(after)["fixed"] is True


@pytest.mark.parametrize(
    "source, why",
    [
        ("def check_bounds(self):\n    return\n", "0 `if indirect"),
        ("def check_bounds(self):\n    if indirect:\n        buffer = self.compute\n    else:\n        buffer = pick()\n", "none of the known shapes"),
        ("def check_bounds(self:\n", "does not parse"),
    ],
)
def test_unreadable_check_bounds_is_unknown_never_a_guess(source, why):
    found = matrix.classify_check_bounds(source)
    assert (found["state"], found["fixed"]) == (matrix.UNKNOWN, None)
    assert why in found["why"]


# ---------------------------------------------------------------------------------------------
# cells and collation


def _summary(torch: str, transformers: str, failing: bool) -> dict:
    call_ok = {"label": "prefill", "ok": True, "matches_eager": True, "error_type": None, "compiler_error": None}
    call_bad = {"label": "decode-0", "ok": False, "matches_eager": None, "error_type": "CppCompileError", "compiler_error": "'tmp3' was not declared in this scope"}
    return {
        "scenario": "sdpa-mask-decode",
        "versions": {"torch": f"{torch}+cpu", "transformers": transformers, "python": "3.11.7", "compiler": "g++ 12"},
        "variants": [
            {"variant": "vmap-dynamic", "status": "ok", "seconds": 20.5, "calls": [call_ok, call_bad if failing else call_ok], "findings": {}}
        ],
    }


def _write_cell(folder: Path, torch: str, transformers: str, failing: bool, fixed: bool) -> dict:
    kind = "forward-reference" if failing else "check-after-load"
    findings = [{"kind": kind}, {"kind": kind}]
    state = {"state": matrix.UPSTREAM_FIX if fixed else matrix.UNFIXED, "fixed": fixed, "why": "", "sha256": "ab" * 32}
    cell = matrix.cell_from_run(_summary(torch, transformers, failing), findings, [f"kernel {torch}"], state)
    cell["timings_s"] = {"cell": 99.5}
    files.write_json(folder / f"{cell['cell']}.json", cell)
    return cell


def test_cell_verdict_from_a_run():
    state = {"state": matrix.UNFIXED, "fixed": False, "why": "", "sha256": "0" * 64}
    failing = matrix.cell_from_run(_summary("2.8.0", "4.57.1", True), [{"kind": "forward-reference"}] * 2, ["a", "b", "a"], state)
    assert failing["cell"] == "torch-2.8.0-transformers-4.57.1"
    assert (failing["status"], failing["findings"], failing["mask_kernels"]) == ("fail", {"forward-reference": 2}, 2)
    assert failing["first_compiler_error"] == "'tmp3' was not declared in this scope"
    assert failing["calls"] == {"total": 2, "failed": 1}
    # every call compiled, but a lost definition is still a failure
    lost_only = matrix.cell_from_run(_summary("2.8.0", "4.57.1", False), [{"kind": "undeclared"}], ["a"], state)
    assert lost_only["status"] == "fail"
    passing = matrix.cell_from_run(_summary("2.13.0", "5.23.0", False), [{"kind": "check-after-load"}], ["a"], state)
    assert passing["status"] == "pass"
    crashed = _summary("2.8.0", "4.57.1", False)
    crashed["variants"].append({"variant": "vmap-auto", "status": "timeout"})
    errored = matrix.cell_from_run(crashed, [], [], state)
    assert (errored["status"], errored["reason"]) == ("error", "vmap-auto: timeout")


def test_kernel_hash_ignores_order_and_repeats():
    assert matrix.kernel_hash(["a", "b"]) == matrix.kernel_hash(["b", "a", "b"]) != matrix.kernel_hash(["a"])
    assert matrix.kernel_hash([]) is None


def test_versions_sort_numerically():
    assert sorted(["2.10.0", "2.9.1", "2.8.0", "2.14.1"], key=identity.release_key) == ["2.8.0", "2.9.1", "2.10.0", "2.14.1"]
    assert identity.release_key("2.8.0+cu128") == (2, 8, 0)


def test_collate_sorts_cells_and_writes_the_same_bytes_twice(tmp_path):
    cells = tmp_path / "cells"
    # written in an order that a string sort would keep wrong
    _write_cell(cells, "2.10.0", "5.23.0", failing=True, fixed=False)
    _write_cell(cells, "2.13.0", "4.57.1", failing=False, fixed=True)
    _write_cell(cells, "2.9.1", "5.23.0", failing=True, fixed=False)
    _write_cell(cells, "2.10.0", "4.57.1", failing=True, fixed=False)
    matrix.not_installable_cell(cells / "torch-2.9.1-transformers-4.57.1.json", "2.9.1", "4.57.1", "No matching distribution found for torch==2.9.1")
    out_json, out_md = tmp_path / "matrix.json", tmp_path / "matrix.md"
    result = matrix.write_matrix(cells, out_json, out_md)
    assert result["torch"] == ["2.9.1", "2.10.0", "2.13.0"]
    assert result["transformers"] == ["4.57.1", "5.23.0"]
    assert list(result["cells"]) == [
        "torch-2.9.1-transformers-4.57.1",
        "torch-2.9.1-transformers-5.23.0",
        "torch-2.10.0-transformers-4.57.1",
        "torch-2.10.0-transformers-5.23.0",
        "torch-2.13.0-transformers-4.57.1",
    ]
    assert result["cells"]["torch-2.9.1-transformers-4.57.1"]["status"] == "not-installable"
    assert result["agreement"] == {"agrees": True, "checked": 4, "disagreements": [], "unchecked": ["torch-2.9.1-transformers-4.57.1"]}
    first = (out_json.read_bytes(), out_md.read_bytes())
    assert b"timings" not in first[0] and b"99.5" not in first[0] and str(tmp_path).encode() not in first[0] + first[1]
    matrix.write_matrix(cells, out_json, out_md)
    assert (out_json.read_bytes(), out_md.read_bytes()) == first
    md = first[1].decode()
    rows = [line for line in md.splitlines() if re.match(r"\| 2\.\d+\.\d+ \|", line)]
    assert [r.split("|")[1].strip() for r in rows] == ["2.9.1", "2.10.0", "2.13.0"]
    assert "not-installable: No matching distribution found for torch==2.9.1" in rows[0]
    assert "not run" in rows[2]  # 2.13.0 + 5.23.0 has no file
    assert "The matrix agrees with the code" in md


def test_collated_compiler_error_does_not_depend_on_the_locale(tmp_path):
    cells = tmp_path / "cells"
    cell = _write_cell(cells, "2.8.0", "4.57.1", failing=True, fixed=False)
    cell["first_compiler_error"] = "\u2018tmp2\u2019 was not declared in this scope"
    files.write_json(cells / f"{cell['cell']}.json", cell)
    collated = matrix.collate(cells)["cells"]["torch-2.8.0-transformers-4.57.1"]
    assert collated["first_compiler_error"] == "'tmp2' was not declared in this scope"


def test_agreement_detects_a_cell_that_disagrees_with_its_code(tmp_path):
    cells = tmp_path / "cells"
    _write_cell(cells, "2.8.0", "4.57.1", failing=True, fixed=False)
    _write_cell(cells, "2.13.0", "4.57.1", failing=True, fixed=True)  # fixed code, failing cell
    _write_cell(cells, "2.12.1", "4.57.1", failing=False, fixed=False)  # unfixed code, passing cell
    result = matrix.collate(cells)
    assert result["agreement"]["agrees"] is False
    assert [(d["cell"], d["status"], d["expected"]) for d in result["agreement"]["disagreements"]] == [
        ("torch-2.12.1-transformers-4.57.1", "pass", "fail"),
        ("torch-2.13.0-transformers-4.57.1", "fail", "pass"),
    ]
    assert "DISAGREES with the code in 2 of 3" in matrix.render_markdown(result)


def test_no_checkable_cell_is_no_agreement(tmp_path):
    cells = tmp_path / "cells"
    matrix.not_installable_cell(cells / "a.json", "2.8.0", "4.57.1", "ERROR: nope")
    result = matrix.collate(cells)["agreement"]
    assert (result["agrees"], result["checked"]) == (False, 0)


def test_pip_error_names_the_reason_on_one_line():
    missing = (
        "Collecting torch==9.9\nERROR: Could not find a version that satisfies the requirement torch==9.9 (from versions: 2.8.0)\n"
        "ERROR: No matching distribution found for torch==9.9\n"
    )
    assert matrix.pip_error(missing) == "No matching distribution found for torch==9.9"
    # pip's own words for a version its constraints rule out
    conflict = (
        "Looking in links: /opt/wheels\n"
        "ERROR: Cannot install torch==2.99.0 because these package versions have conflicting dependencies.\n\n"
        "The conflict is caused by:\n    The user requested torch==2.99.0\n    The user requested (constraint) torch<=2.14.1\n\n"
        "To fix this you could try to:\n1. loosen the range of package versions you've specified\n\n"
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/\n"
    )
    assert matrix.pip_error(conflict) == (
        "Cannot install torch==2.99.0 because these package versions have conflicting dependencies: "
        "The user requested torch==2.99.0; The user requested (constraint) torch<=2.14.1"
    )
    assert "no ERROR line" in matrix.pip_error("Killed\n")


def test_cli_collate_and_bad_input(cli, tmp_path):
    cells = tmp_path / "cells"
    _write_cell(cells, "2.8.0", "4.57.1", failing=True, fixed=False)
    ok = cli("matrix", "--cells", str(cells), "--json", str(tmp_path / "m.json"), "--md", str(tmp_path / "m.md"))
    assert ok.returncode == 0, ok.stderr
    assert "agrees with the code" in ok.stdout
    assert files.read_json(tmp_path / "m.json")["cells"]["torch-2.8.0-transformers-4.57.1"]["status"] == "fail"

    missing = cli("matrix", "--cells", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no such folder" in missing.stderr
    (cells / "broken.json").write_text("{not json")
    broken = cli("matrix", "--cells", str(cells), "--json", str(tmp_path / "x.json"), "--md", str(tmp_path / "x.md"))
    assert broken.returncode == 2 and "broken.json: not a JSON file" in broken.stderr
    assert not (tmp_path / "x.json").exists()


def test_cli_records_a_not_installable_cell(cli, tmp_path):
    log = tmp_path / "pip.log"
    log.write_text("Looking in links: /somewhere\nERROR: No matching distribution found for torch==2.99.0\n")
    out = tmp_path / "cell.json"
    done = cli("matrix-cell", "--torch", "2.99.0", "--transformers", "4.57.1", "--not-installable", str(log), "--out", str(out))
    assert done.returncode == 0, done.stderr
    cell = files.read_json(out)
    assert (cell["status"], cell["reason"]) == ("not-installable", "No matching distribution found for torch==2.99.0")
    no_versions = cli("matrix-cell", "--not-installable", str(log), "--out", str(out))
    assert no_versions.returncode == 2 and "needs --torch and --transformers" in no_versions.stderr


def test_cli_refuses_a_cell_on_other_versions_than_requested(cli, tmp_path):
    out = tmp_path / "cell.json"
    done = cli("matrix-cell", "--torch", "2.99.0", "--out", str(out))
    assert done.returncode == 2
    assert re.search(r"torch \S+ is installed, not the requested 2\.99\.0", done.stderr)
    assert not out.exists()


def test_committed_matrix_agrees_with_the_code():
    """Every committed cell whose check_bounds lacks the fix fails; every cell with it passes."""
    if not COMMITTED.is_file():
        pytest.skip("no committed reports/matrix.json")
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    result = committed["agreement"]
    assert result["agrees"] is True and result["checked"] > 0 and not result["disagreements"]
    # and the recorded agreement is what the recorded cells say, not a stale field
    cells = [{"cell": name, **cell} for name, cell in committed["cells"].items()]
    assert matrix.agreement(cells) == result
    # the collation is current: the per-cell files give the committed bytes
    assert matrix.collate(COMMITTED.parent / "matrix") == committed
