"""Files read from a release's wheel: what `capture` writes beside them, and its refusals. pip is
replaced by a stand-in here; the real downloads are `nox -s transformers_sources`' job."""
from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from analyzer import cli
from analyzer.capture import wheels


def _wheel(folder: Path, release: str = "9.9.9", license_path: str = "licenses/LICENSE") -> Path:
    wheel = folder / f"transformers-{release}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("transformers/masking_utils.py", "# Licensed under the Apache License, Version 2.0\nX = 1\n")
        zf.writestr(f"transformers-{release}.dist-info/{license_path}", "Apache License\n")
        zf.writestr("transformers/other.py", "")
    return wheel


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """`download` copies a wheel made here instead of asking PyPI."""
    made = _wheel(tmp_path)

    def download(dist: str, release: str, folder: Path) -> Path:
        target = folder / made.name
        target.write_bytes(made.read_bytes())
        return target

    monkeypatch.setattr(wheels, "download", download)
    monkeypatch.setattr(wheels, "pip_version", lambda: "23.2.1")
    return made


def test_capture_writes_the_files_and_what_they_came_from(fake_pip, tmp_path):
    out = tmp_path / "data" / "9.9.9"
    record = wheels.capture("transformers", "9.9.9", wheels.MASKING_UTILS, out, "python -m analyzer fetch-masking-utils ...")
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE", "capture.json", "masking_utils.py"]
    assert (out / "masking_utils.py").read_text().startswith("# Licensed under the Apache License")
    assert json.loads((out / "capture.json").read_text()) == record
    assert record == {
        "project": "transformers",
        "release": "9.9.9",
        "wheel": fake_pip.name,
        "wheel_sha256": hashlib.sha256(fake_pip.read_bytes()).hexdigest(),
        "files": {"masking_utils.py": "transformers/masking_utils.py", "LICENSE": "transformers-9.9.9.dist-info/licenses/LICENSE"},
        "pip": "23.2.1",
        "command": "python -m analyzer fetch-masking-utils ...",
    }
    assert [p.name for p in out.parent.iterdir()] == ["9.9.9"]  # no staging folder left beside it


def test_a_second_capture_replaces_the_folder_whole(fake_pip, tmp_path):
    out = tmp_path / "9.9.9"
    out.mkdir()
    (out / "stale.py").write_text("left by an older capture")
    wheels.capture("transformers", "9.9.9", wheels.MASKING_UTILS, out, "cmd")
    assert not (out / "stale.py").exists()


def test_a_member_must_match_exactly_once(tmp_path):
    wheel = _wheel(tmp_path)
    with pytest.raises(wheels.FetchError, match="0 members match 'transformers/missing.py'"):
        wheels.read_members(wheel, {"x": "transformers/missing.py"})
    with pytest.raises(wheels.FetchError, match="2 members match 'transformers/\\*.py'"):
        wheels.read_members(wheel, {"x": "transformers/*.py"})
    (tmp_path / "old").mkdir()
    older = _wheel(tmp_path / "old", "4.53.0", "LICENSE")
    assert wheels.read_members(older, wheels.MASKING_UTILS)[1]["LICENSE"] == "transformers-4.53.0.dist-info/LICENSE"


def _completed(stdout: str = "", stderr: str = "", rc: int = 0) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], rc, stdout, stderr)


def test_releases_in_a_range_come_oldest_first(monkeypatch):
    listing = "transformers (5.25.0)\nAvailable versions: 5.25.0, 5.10.1, 5.9.0, 4.57.6, 4.53.0, 4.52.4, 5.0.0rc1\n"
    monkeypatch.setattr(wheels, "_pip", lambda *args: _completed(listing))
    assert wheels.releases("transformers", "4.53.0", "5.10.1") == ["4.53.0", "4.57.6", "5.9.0", "5.10.1"]


def test_pip_failures_are_one_line(monkeypatch, tmp_path):
    error = "ERROR: Could not find a version that satisfies the requirement transformers==9.9.9\nERROR: No matching distribution found for transformers==9.9.9\n"
    monkeypatch.setattr(wheels, "_pip", lambda *args: _completed(stderr=error, rc=1))
    with pytest.raises(wheels.FetchError) as info:
        wheels.download("transformers", "9.9.9", tmp_path)
    assert str(info.value) == "pip download transformers==9.9.9 failed: ERROR: No matching distribution found for transformers==9.9.9"
    with pytest.raises(wheels.FetchError, match="pip index versions transformers failed"):
        wheels.releases("transformers", "4.53.0", "5.25.0")


@pytest.mark.parametrize("release", ["5.x", "latest", "5.25", "5.25.0rc1"])
def test_cli_refuses_a_release_that_is_not_one_in_one_line_and_writes_nothing(tmp_path, capsys, release):
    out = tmp_path / "out"
    assert cli.main(["fetch-masking-utils", "--release", release, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a release number" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
