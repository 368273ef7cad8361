"""`python -m analyzer apply`: detects the tree, picks the series that fits it (PyTorch by release,
transformers by the shape of its code), checks before writing, refuses in one line."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer import identity
from analyzer.fix import patches

ORIGINAL = 'def mask(padding, b, kv):\n    return padding[b, kv]\n'
FIXED = 'def mask(padding, b, kv):\n    return padding[:, kv.min() : kv.max() + 1][b]\n'


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _checkout(root: Path, version: str = "4.57.1", text: str = ORIGINAL) -> Path:
    pkg = root / "src" / "transformers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (pkg / "masking_utils.py").write_text(text)
    _git(root, "init", "-q")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "release")
    return root


@pytest.fixture
def series(tmp_path, monkeypatch):
    """A one-patch series for transformers 4.57.1, made with git from a scratch checkout."""
    work = _checkout(tmp_path / "make")
    (work / "src/transformers/masking_utils.py").write_text(FIXED)
    tests = work / "tests/utils"
    tests.mkdir(parents=True)
    (tests / "test_masking_utils.py").write_text("def test_mask():\n    pass\n")
    _git(work, "add", ".")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "Fix the mask")
    folder = tmp_path / "patches" / "transformers" / "4.57.1"
    folder.mkdir(parents=True)
    (folder / "0001-fix.patch").write_text(_git(work, "format-patch", "-1", "--stdout"))
    (folder / patches.MANIFEST).write_text('{"project": "transformers", "series": "4.57.1", "checked_on": ["4.57.1"]}\n')
    monkeypatch.setattr(patches, "PATCHES", tmp_path / "patches")
    return folder


def test_checkout_is_patched_and_reversed(series, tmp_path):
    root = _checkout(tmp_path / "repo")
    patches.apply("transformers", root, check_only=True)
    assert (root / "src/transformers/masking_utils.py").read_text() == ORIGINAL  # --check writes nothing
    target, applied = patches.apply("transformers", root)
    assert (target.kind, target.version, [p.name for p in applied]) == ("checkout", "4.57.1", ["0001-fix.patch"])
    assert (root / "src/transformers/masking_utils.py").read_text() == FIXED
    assert (root / "tests/utils/test_masking_utils.py").is_file()
    patches.apply("transformers", root, reverse=True)
    assert (root / "src/transformers/masking_utils.py").read_text() == ORIGINAL


def test_installed_package_gets_only_the_package_files(series, tmp_path):
    """An installed package sits inside an unrelated repository here (the test's tmp repo)."""
    outer = _checkout(tmp_path / "outer")  # an enclosing git repo, like a project holding a virtualenv
    pkg = outer / "site-packages" / "transformers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('__version__ = "4.57.1"\n')
    (pkg / "masking_utils.py").write_text(ORIGINAL)
    target, _ = patches.apply("transformers", pkg)
    assert target.kind == "installed"
    assert (pkg / "masking_utils.py").read_text() == FIXED
    assert sorted(p.name for p in pkg.iterdir()) == ["__init__.py", "masking_utils.py"]


def _patched_and_committed(root: Path) -> Path:
    patches.apply("transformers", _checkout(root))
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "fixed")
    return root


def test_a_release_with_a_known_shape_is_patched_whatever_its_version(series, tmp_path):
    """transformers' series are chosen by the code they change, not by the version: 4.56.0 has no
    series of its own name here, but its file has the shape of the one series there is."""
    root = _checkout(tmp_path / "repo", version="4.56.0")
    target, applied = patches.apply("transformers", root)
    assert (target.version, [p.parent.name for p in applied]) == ("4.56.0", ["4.57.1"])
    assert (root / "src/transformers/masking_utils.py").read_text() == FIXED


UNKNOWN_SHAPE = ORIGINAL.replace("padding[b, kv]", "padding[kv, b]")


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda root: _checkout(root, text=UNKNOWN_SHAPE), "no transformers patch series applies to .* known shapes: 4.57.1"),
        (lambda root: _patched_and_committed(root), "the transformers 4.57.1 series is already applied"),
        (lambda root: root.mkdir() or root, "neither a transformers git checkout nor an installed"),
    ],
    ids=["no-shape-fits", "already-applied", "not-a-tree"],
)
def test_refusals_leave_the_tree_untouched(series, tmp_path, setup, reason):
    root = setup(tmp_path / "repo")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(patches.PatchError, match=reason) as info:
        patches.apply("transformers", root)
    assert "\n" not in str(info.value)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_dirty_checkout_is_refused(series, tmp_path):
    root = _checkout(tmp_path / "repo")
    (root / "src/transformers/masking_utils.py").write_text(ORIGINAL + "# local edit\n")
    with pytest.raises(patches.PatchError, match="uncommitted changes in src/transformers/masking_utils.py"):
        patches.apply("transformers", root)
    assert (root / "src/transformers/masking_utils.py").read_text().endswith("# local edit\n")


def test_reverse_of_an_unpatched_tree_is_refused(series, tmp_path):
    root = _checkout(tmp_path / "repo")
    with pytest.raises(patches.PatchError, match="is not applied, so it cannot be reversed"):
        patches.apply("transformers", root, reverse=True)


def test_cli_exit_codes(cli, tmp_path):
    bad = cli("apply", "--project", "transformers", str(tmp_path / "missing"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not a directory" in bad.stderr


def test_release_numbers():
    assert patches.release("2.8.0+cu128") == "2.8.0"
    assert patches.release("2.13.0a0") == "2.13.0"
    assert patches.release("4.57.1.dev0") == "4.57.1"
    with pytest.raises(patches.PatchError):
        patches.release("main")


def test_every_shipped_series_names_its_releases_and_has_a_commit_message():
    """Each folder holds the releases of one shape, `<first>-<last>`, whose `series.json` (written by
    `python -m analyzer shapes`) lists releases from first to last, each release claimed once."""
    shipped = sorted(patches.PATCHES.glob("*/*/*.patch"))
    for patch in shipped:
        text = patch.read_text()
        assert patch.parent.parent.name in patches.PACKAGE_IN_CHECKOUT
        patches.series_key(patch.parent.name)
        assert text.startswith("From ") and "\nSubject: " in text, patch
        assert patches.touched_files(patch), patch
    expected = {"pytorch": ["2.8-2.12", "2.13-2.14"], "transformers": ["4.53-4.57", "5.0-5.3", "5.4-5.19", "5.20-5.25"]}
    for project, names in expected.items():
        shapes = patches.series_folders(project)
        assert [f.name for f in shapes] == names
        for folder in shapes:
            first, last = folder.name.split("-")
            checked = patches.checked_on(folder)
            assert checked[0].startswith(first + ".") and checked[-1].startswith(last + "."), folder
        every = [r for f in shapes for r in patches.checked_on(f)]
        assert len(every) == len(set(every))  # no release is claimed by two shapes
    assert {"2.9.0", "2.12.0", "2.14.1"} <= set(patches.checked_on(patches.PATCHES / "pytorch" / "2.8-2.12")) | set(
        patches.checked_on(patches.PATCHES / "pytorch" / "2.13-2.14")
    )


def test_series_order_is_by_release_numbers_not_by_name():
    names = ["5.20-5.25", "2.10.0", "5.4-5.19", "4.53-4.57", "2.8.0", "5.0-5.3"]
    assert sorted(names, key=patches.series_key) == ["2.8.0", "2.10.0", "4.53-4.57", "5.0-5.3", "5.4-5.19", "5.20-5.25"]
    with pytest.raises(patches.PatchError, match="not a series folder name"):
        patches.series_key("candidates")


def test_release_series_without_a_tree_reads_what_was_recorded():
    assert patches.release_series("transformers", "5.23.0")[0].parent.name == "5.20-5.25"
    assert patches.release_series("transformers", "4.57.1")[0].parent.name == "4.53-4.57"
    assert patches.release_series("pytorch", "2.8.0")[0].parent.name == "2.8-2.12"
    assert patches.release_series("pytorch", "2.14.1+cpu")[0].parent.name == "2.13-2.14"
    with pytest.raises(patches.PatchError, match="no transformers series was checked on release 4.52.4 .*known shapes: 4.53-4.57 "):
        patches.release_series("transformers", "4.52.4")
    with pytest.raises(patches.PatchError, match=r"no pytorch series was checked on release 2\.7\.0 .*known shapes: 2\.8-2\.12 "):
        patches.release_series("pytorch", "2.7.0")


TORCH_SOURCES = sorted((Path(__file__).parent / "data" / "torch").glob("*/capture.json"))


def test_pytorch_sources_were_captured_for_both_shapes():
    """The pristine cpp.py of releases no committed run or verify covers, from their wheels
    (`nox -s torch_sources`): affected releases between the series' own, and the newest."""
    assert [p.parent.name for p in TORCH_SOURCES] == ["2.12.0", "2.14.1", "2.9.0"]


@pytest.mark.parametrize("capture", TORCH_SOURCES, ids=lambda p: p.parent.name)
def test_pytorch_is_chosen_by_the_shape_of_check_bounds(capture, tmp_path):
    """torch 2.9.0 and 2.12.0 (no series of their own) take the 2.8-2.12 series, 2.14.1 the 2.13-2.14
    one: `git apply --check` of each series decides, not the version number; the series then applies,
    and reverses to the pristine file."""
    release = capture.parent.name
    root = tmp_path / "torch"
    (root / "_inductor" / "codegen").mkdir(parents=True)
    (root / "version.py").write_text(f"__version__ = '{release}+cpu'\n")
    pristine = (capture.parent / "cpp.py").read_bytes()
    (root / "_inductor" / "codegen" / "cpp.py").write_bytes(pristine)
    target, applied = patches.apply("pytorch", root, check_only=True)
    expected = "2.8-2.12" if identity.release_key(release) < (2, 13, 0) else "2.13-2.14"
    assert [p.parent.name for p in applied] == [expected]
    assert (root / "_inductor" / "codegen" / "cpp.py").read_bytes() == pristine  # --check writes nothing
    patches.apply("pytorch", root)
    assert (root / "_inductor" / "codegen" / "cpp.py").read_bytes() != pristine
    patches.apply("pytorch", root, reverse=True)
    assert (root / "_inductor" / "codegen" / "cpp.py").read_bytes() == pristine


def test_a_torch_tree_of_no_known_shape_is_refused_naming_the_shapes(tmp_path):
    root = tmp_path / "torch"
    (root / "_inductor" / "codegen").mkdir(parents=True)
    (root / "version.py").write_text("__version__ = '2.7.0+cpu'\n")
    (root / "_inductor" / "codegen" / "cpp.py").write_text("# no check_bounds here\n")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(patches.PatchError, match=r"no pytorch patch series applies .*2\.8-2\.12 .*2\.13-2\.14") as info:
        patches.apply("pytorch", root, check_only=True)
    assert "\n" not in str(info.value)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


TRANSFORMERS_SOURCES = Path(__file__).parent / "data" / "transformers"
CAPTURED = sorted(p.name for p in TRANSFORMERS_SOURCES.iterdir() if (p / "capture.json").is_file())


def _release_layout(tmp_path: Path, release: str) -> Path:
    """The captured pristine masking_utils.py of `release`, as an installed package of that release."""
    from analyzer.fix import shapes

    return shapes.installed_layout(tmp_path, release, {"masking_utils.py": (TRANSFORMERS_SOURCES / release / "masking_utils.py").read_bytes()})


def test_the_captured_transformers_sources_are_the_releases_asked_for():
    assert CAPTURED == ["4.53.0", "4.55.4", "4.57.6", "5.0.0", "5.17.0", "5.25.0"]
    for release in CAPTURED:
        record = json.loads((TRANSFORMERS_SOURCES / release / "capture.json").read_text())
        assert record["release"] == release and record["wheel"] == f"transformers-{release}-py3-none-any.whl"
        assert record["command"] == f"python -m analyzer fetch-masking-utils --release {release} --out tests/data/transformers/{release}"
        source = (TRANSFORMERS_SOURCES / release / "masking_utils.py").read_text()
        assert "Licensed under the Apache License, Version 2.0" in source  # the module's own header, kept
        assert "padding_mask[batch_idx, kv_idx]" in source  # the gather every affected release has
        assert "Apache License" in (TRANSFORMERS_SOURCES / release / "LICENSE").read_text()


@pytest.mark.parametrize("release", CAPTURED)
def test_each_pristine_release_gets_the_one_shape_recorded_for_it(tmp_path, release):
    """`apply --check` succeeds on the release's own masking_utils.py with the series whose
    `series.json` lists the release, no other series fits it, and applying then reversing it gives
    back the same bytes, through a module that still compiles."""
    import py_compile

    from analyzer.fix import shapes

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    package = _release_layout(tmp_path, release)
    expected = [f.name for f in patches.series_folders("transformers") if release in patches.checked_on(f)]
    assert len(expected) == 1, expected
    assert shapes.fitting(package) == expected
    original = (package / "masking_utils.py").read_bytes()
    target, chosen = patches.apply("transformers", package, check_only=True)
    assert (target.version, chosen[0].parent.name) == (release, expected[0])
    assert (package / "masking_utils.py").read_bytes() == original
    assert patches.release_series("transformers", release, package) == chosen
    patches.apply("transformers", package)
    patched = (package / "masking_utils.py").read_text()
    assert py_compile.compile(str(package / "masking_utils.py"), doraise=True)
    assert ".narrow(-1, kv_offset, kv_length)[:, None, None, :]" in patched
    assert "padding_mask_function(padding_mask))" not in patched.split("def sdpa_mask", 1)[1].split("\ndef ", 1)[0]
    with pytest.raises(patches.PatchError, match=f"the transformers {expected[0]} series is already applied"):
        patches.apply("transformers", package)
    patches.apply("transformers", package, reverse=True)
    assert (package / "masking_utils.py").read_bytes() == original


def test_a_release_of_no_known_shape_is_refused_naming_the_shapes(tmp_path):
    package = _release_layout(tmp_path, "5.25.0")
    source = package / "masking_utils.py"
    source.write_text(source.read_text().replace("padding_mask_function(padding_mask))", "padding_mask_function(padding_mask.bool()))"))
    before = source.read_bytes()
    with pytest.raises(patches.PatchError) as info:
        patches.apply("transformers", package)
    message = str(info.value)
    assert "\n" not in message and "no transformers patch series applies" in message and "(release 5.25.0)" in message
    assert "4.53-4.57 (checked on 4.53.0 to 4.57.6, " in message and "5.20-5.25 (checked on 5.20.0 to 5.25.0, " in message
    assert source.read_bytes() == before
    with pytest.raises(patches.PatchError, match="is not applied, so it cannot be reversed"):
        patches.apply("transformers", package, reverse=True)


def _installed_copy(tmp_path: Path, package: str, files: list[str]) -> Path:
    """The files a series touches, copied out of the installed package: patching the real
    environment would change what every other test runs."""
    import importlib

    source = Path(importlib.import_module(package).__file__).parent
    root = tmp_path / package
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, root / rel)
    return root


@pytest.mark.parametrize(
    "project, package, files",
    [
        ("pytorch", "torch", ["version.py", "_inductor/codegen/cpp.py"]),
        ("transformers", "transformers", ["__init__.py", "masking_utils.py"]),
    ],
)
def test_shipped_series_applies_to_the_installed_release_and_reverses(tmp_path, project, package, files):
    import py_compile

    root = _installed_copy(tmp_path, package, files)  # transformers: every 4.53 to 5.25 release has a shape
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    target, applied = patches.apply(project, root)
    assert target.kind == "installed" and applied
    changed = [p for p in before if p.read_bytes() != before[p]]
    assert changed and all(py_compile.compile(str(p), doraise=True) for p in changed)
    with pytest.raises(patches.PatchError, match="already applied"):
        patches.apply(project, root)
    patches.apply(project, root, reverse=True)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda root: _checkout(root, text=UNKNOWN_SHAPE), "no transformers patch series applies"),
        (lambda root: _dirty(_checkout(root)), "uncommitted changes in src/transformers/masking_utils.py"),
    ],
    ids=["no-shape-fits", "dirty-checkout"],
)
def test_cli_refuses_in_one_line_with_exit_2_and_writes_nothing(series, tmp_path, capsys, setup, reason):
    from analyzer import cli

    root = setup(tmp_path / "repo")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert cli.main(["apply", "--project", "transformers", str(root)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and reason in captured.err
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts} == before


def _dirty(root: Path) -> Path:
    (root / "src/transformers/masking_utils.py").write_text(ORIGINAL + "# local edit\n")
    return root


def _header(patch: Path) -> str:
    """The mail header of a format-patch file: from its first line to the first blank line."""
    return patch.read_text(encoding="utf-8").split("\n\n", 1)[0]


def test_shipped_patches_name_no_author():
    """Whoever sends a patch upstream is its author: the files carry no identity (`export` stamps one)."""
    shipped = sorted(patches.PATCHES.glob("**/*.patch"))
    assert shipped
    for patch in shipped:
        assert "\nFrom: " not in _header(patch), patch


PYTORCH_2_14 = patches.PATCHES / "pytorch" / "2.13-2.14"


@pytest.mark.parametrize("folder", [PYTORCH_2_14, patches.PATCHES / "transformers" / "5.20-5.25"], ids=["pytorch", "transformers"])
def test_stamped_patch_has_exactly_the_given_author(folder):
    text = sorted(folder.glob("*.patch"))[0].read_text(encoding="utf-8")
    out = patches.stamped(text, "Ada Lovelace <ada@lovelace.dev>")
    header, body = out.split("\n\n", 1)
    assert header.splitlines()[:2] == [text.splitlines()[0], "From: Ada Lovelace <ada@lovelace.dev>"]
    assert header.count("\nFrom: ") == 1 and "\nSubject: " in header and "\nDate: " in header
    assert body == text.split("\n\n", 1)[1]  # message and diff untouched


@pytest.mark.parametrize(
    "identity, reason",
    [
        ("Seed maintainers <maintainers@users.noreply.h-seed-85a003ad.example>", "example is a reserved domain"),
        ("A Name <someone@example.com>", "example.com is a reserved domain"),
        ("A Name <a@host.invalid>", "invalid is a reserved domain"),
        ("<a@b.dev>", "not of the form"),
        ("A Name a@b.dev", "not of the form"),
    ],
)
def test_placeholder_or_malformed_authors_are_refused(identity, reason):
    with pytest.raises(patches.PatchError, match=reason) as info:
        patches.author(identity)
    assert "\n" not in str(info.value)


def _git_identity_env(monkeypatch, tmp_path: Path, name: str, email: str) -> None:
    config = tmp_path / "gitconfig"
    config.write_text(f"[user]\n\tname = {name}\n\temail = {email}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(tmp_path)  # outside any repository, so only the global file counts


def test_export_stamps_the_git_identity_and_git_am_commits_with_it(series, tmp_path, monkeypatch):
    _git_identity_env(monkeypatch, tmp_path, "Ada Lovelace", "ada@lovelace.dev")
    written = patches.export("transformers", "4.57.1", tmp_path / "out")
    assert [p.name for p in written] == ["0001-fix.patch"]
    root = _checkout(tmp_path / "repo")
    _git(root, "am", "--keep-non-patch", *map(str, written))
    assert _git(root, "log", "-1", "--format=%an <%ae>|%s").strip() == "Ada Lovelace <ada@lovelace.dev>|Fix the mask"
    assert (root / "src/transformers/masking_utils.py").read_text() == FIXED


def test_export_refuses_a_placeholder_git_identity_and_writes_nothing(series, tmp_path, monkeypatch, capsys):
    from analyzer import cli

    _git_identity_env(monkeypatch, tmp_path, "Seed maintainers", "maintainers@users.noreply.h-seed.example")
    out = tmp_path / "out"
    assert cli.main(["export", "--project", "transformers", "--release", "4.57.1", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "placeholder address" in captured.err
    assert not out.exists()
    assert cli.main(["export", "--project", "transformers", "--release", "4.57.1", "--author", "Ada <ada@lovelace.dev>", str(out)]) == 0
    assert "From: Ada <ada@lovelace.dev>" in (out / "0001-fix.patch").read_text()


def test_the_fix_for_main_changes_check_bounds_and_its_test_only_through_public_cse_methods():
    """The 2.13-2.14 series: one patch, touching cpp.py's check_bounds and test_cpu_repro.py only,
    with no added line reaching into CSE's private state (`_cache` or any `cse._...`)."""
    (patch,) = patches.release_series("pytorch", "2.14.1")
    text = patch.read_text(encoding="utf-8")
    assert patches.touched_files(patch) == ["test/inductor/test_cpu_repro.py", "torch/_inductor/codegen/cpp.py"]
    added = [line for line in text.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert not [line for line in added if "_cache" in line or ".cse._" in line]
    hunks = [line for line in text.splitlines() if line.startswith("@@") and "codegen" not in line]
    assert all("class CppKernel" in h or "class CPUReproTests" in h or "class LstmModule" in h for h in hunks), hunks
    body = text.split("\n---\n", 1)[0].split("\n\n", 1)[1]  # the commit message after the header
    assert len(body.strip().splitlines()) <= 15  # a subject and at most 15 lines of body
