"""The differential suite's inputs and its results table (the suite itself runs in `nox -s verify`)."""
from __future__ import annotations

import ast
import builtins
import re

import pytest

from analyzer.fix import verify


def test_cases_are_reproducible_and_cover_the_risky_shapes():
    drawn = verify.cases(30)
    assert drawn == verify.cases(30)  # derandomized: a rerun checks the same cases
    assert any(c.extra > 0 for c in drawn), "attention masks longer than kv_length"
    assert any(c.kv_offset > 0 for c in drawn), "non-zero kv_offset (sliding-window layers)"
    assert {c.batch for c in drawn} >= {1, 2}
    assert {c.padding for c in drawn} == {"left", "right", "none"}
    assert drawn[0] == verify.MaskCase(2, 1, 9, 0, 8, 0, "left", 3)  # the decode step that fails


@pytest.mark.parametrize("padding, first, last", [("left", [0, 0, 0, 1], [1, 1, 1, 1]), ("right", [1, 1, 1, 1], [1, 1, 0, 0])])
def test_attention_mask_padding_sides(padding, first, last):
    case = verify.MaskCase(batch=2, q_length=1, kv_length=4, kv_offset=0, q_offset=3, extra=0, padding=padding, pad=3 if padding == "left" else 2)
    mask = verify.attention_mask(case)
    assert mask[0].tolist() == first and mask[-1].tolist() == last


def test_attention_mask_is_longer_when_asked():
    case = verify.MaskCase(batch=1, q_length=1, kv_length=5, kv_offset=3, q_offset=7, extra=4, padding="none", pad=1)
    assert verify.attention_mask(case).shape == (1, 12)


def test_table_names_each_failure_with_its_reason():
    runs = [
        {
            "config": "candidate",
            "results": [
                {"check": "mask causal", "passed": True, "first_failure": None},
                {
                    "check": "mask sliding",
                    "passed": False,
                    "first_failure": {"case": {"kv_offset": 3}, "reason": "RuntimeError: The size of tensor a (5) must match"},
                },
            ],
        },
        {"config": "pytorch", "error": "patch: no pytorch patch for release 2.7.0"},
    ]
    text = verify.table(runs, "torch-2.8.0-transformers-4.57.1")
    assert "| candidate | mask causal | pass |" in text
    assert "| candidate | mask sliding | FAIL | RuntimeError: The size of tensor a (5) must match (kv_offset=3) |" in text
    assert "| pytorch | (suite) | error | patch: no pytorch patch for release 2.7.0 |" in text


def test_each_shipped_patch_carries_a_regression_test_that_compiles():
    from analyzer.fix import patches

    for patch in sorted(patches.PATCHES.glob("*/*/*.patch")):
        if patch.parent.parent.name == "candidates":
            continue
        tests = verify.regression_tests(patch.read_text())
        assert tests, patch
        for rel, text in tests.items():
            assert rel.startswith(("test/", "tests/")) and "def test_" in text
            compile(text, rel, "exec")


def _shipped(project: str, release: str) -> str:
    from analyzer.fix import patches

    return patches.release_series(project, release)[0].read_text(encoding="utf-8")


def _diff_of(patch_text: str, path: str) -> str:
    return next(p for p in re.split(r"(?m)^(?=diff --git )", patch_text) if p.startswith(f"diff --git a/{path} "))


def _free_names(module: ast.Module) -> set[str]:
    """Names the module reads that nothing in it binds and that are not builtins."""
    bound = set(dir(builtins))
    for node in ast.walk(module):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    read = {n.id for n in ast.walk(module) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return read - bound


@pytest.mark.parametrize("release", ["2.13.0", "2.14.1"])
def test_tests_added_to_cpu_repro_run_in_a_module_of_their_own(release):
    text = _shipped("pytorch", release)
    assert verify.new_test_files(text) == {}  # the test is a hunk in the upstream file, not a new file
    modules = verify.added_test_modules(text)
    assert list(modules) == ["test/inductor/test_cpu_repro_added.py"]
    shim = modules["test/inductor/test_cpu_repro_added.py"]
    tree = ast.parse(shim)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert [(c.name, [b.id for b in c.bases]) for c in classes] == [("CPUReproTests", ["TestCase"])]
    methods = [n.name for n in classes[0].body if isinstance(n, ast.FunctionDef)]
    assert methods and all(m.startswith("test_") for m in methods)
    added = [line[1:] for line in _diff_of(text, "test/inductor/test_cpu_repro.py").splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert "\n".join(added).strip("\n") in shim  # every added line, in order, nothing else in the class
    assert _free_names(tree) == set()  # FileCheck, run_and_get_cpp_code, torch... all provided


def test_a_signature_after_the_last_hunk_is_not_read_as_test_code():
    text = _shipped("pytorch", "2.14.1")
    head, *diffs = re.split(r"(?m)^(?=diff --git )", text)
    moved = head + "".join(sorted(diffs, key=lambda d: d.startswith("diff --git a/test/"))) + "-- \n2.39.5\n\n"
    assert moved.rstrip().endswith("2.39.5") and verify.regression_tests(moved) == verify.regression_tests(text)


def test_tests_the_shim_cannot_hold_are_refused_in_one_line():
    text = _shipped("pytorch", "2.14.1")
    other = text.replace("test/inductor/test_cpu_repro.py", "test/inductor/test_other.py")
    with pytest.raises(ValueError, match="does not know") as info:
        verify.added_test_modules(other)
    assert "\n" not in str(info.value)
    # the same hunk also removing a line of the upstream file
    diff = _diff_of(text, "test/inductor/test_cpu_repro.py")
    changed = diff.replace("\n     common = check_model\n", "\n-    common = check_model\n+    common = check_model\n", 1)
    assert changed != diff
    with pytest.raises(ValueError, match="changes existing lines"):
        verify.added_test_modules(text.replace(diff, changed))


def test_tests_added_to_an_existing_file_run_as_a_module_of_their_own():
    """The transformers proposal for main adds its tests to tests/utils/test_masking_utils.py with
    hunks (and names to that file's imports with another): the module verify runs holds the added
    methods in a class of the upstream name, under the names the table gives, and no import line."""
    from analyzer.fix import patches

    (patch,) = patches.release_series("transformers", "5.25.0")
    text = patch.read_text()
    assert verify.new_test_files(text) == {}
    modules = verify.added_test_modules(text)
    assert list(modules) == ["tests/utils/test_masking_utils_added.py"]
    module = modules["tests/utils/test_masking_utils_added.py"]
    compile(module, "test_masking_utils_added.py", "exec")
    assert "\nclass MaskTest(TestCase):\n    def test_sdpa_mask_with_padding_matches_padding_mask_function(self):" in module
    assert module.count("    def test_") == 3 and "    @slow\n" in module
    assert "        and_masks,\n        causal_mask_function," not in module  # the import hunk is left out


def test_added_tests_that_cannot_run_alone_are_refused():
    def patch(path: str, body: str) -> str:
        return f"diff --git a/{path} b/{path}\nindex 1..2 100644\n--- a/{path}\n+++ b/{path}\n{body}"

    adds = "@@ -10,2 +10,4 @@ class T:\n     x = 1\n \n+    def test_new(self):\n+        pass\n"
    with pytest.raises(ValueError, match="does not know"):
        verify.added_test_modules(patch("tests/unknown_test.py", adds))
    changes = "@@ -10,2 +10,3 @@ class T:\n-    x = 1\n+    x = 2\n+    def test_new(self):\n     pass\n"
    with pytest.raises(ValueError, match="changes existing lines"):
        verify.added_test_modules(patch("tests/utils/test_masking_utils.py", changes))
    assert verify.added_test_modules(patch("tests/utils/test_masking_utils.py", "@@ -1,1 +1,2 @@\n import a\n+import b\n")) == {}
