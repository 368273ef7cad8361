"""`python -m analyzer shapes`: every release fits exactly one transformers series, or nothing is
written. The wheels come from the captured pristine sources here instead of PyPI."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from analyzer.capture import wheels
from analyzer.fix import patches, shapes

SOURCES = Path(__file__).parent / "data" / "transformers"


@pytest.fixture
def wheels_from_the_captured_sources(monkeypatch):
    """`download` builds a wheel holding the captured masking_utils.py of the release asked for."""

    def download(dist: str, release: str, folder: Path) -> Path:
        wheel = folder / f"{dist}-{release}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr("transformers/masking_utils.py", (SOURCES / release / "masking_utils.py").read_bytes())
        return wheel

    monkeypatch.setattr(wheels, "download", download)


@pytest.fixture
def patches_copy(tmp_path, monkeypatch):
    """The shipped transformers series, copied, so that writing manifests changes only the copy."""
    root = tmp_path / "patches"
    shutil.copytree(patches.PATCHES / "transformers", root / "transformers")
    monkeypatch.setattr(patches, "PATCHES", root)
    return root / "transformers"


def test_each_captured_release_fits_the_shape_its_manifest_names(wheels_from_the_captured_sources):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    releases = ["4.53.0", "4.55.4", "4.57.6", "5.0.0", "5.17.0", "5.25.0"]
    found = shapes.check(releases)
    assert found == {
        "4.53.0": ["4.53-4.57"], "4.55.4": ["4.53-4.57"], "4.57.6": ["4.53-4.57"],
        "5.0.0": ["5.0-5.3"], "5.17.0": ["5.4-5.19"], "5.25.0": ["5.20-5.25"],
    }
    for release, (name,) in found.items():
        assert release in patches.checked_on(patches.PATCHES / "transformers" / name)


def test_manifests_list_the_releases_each_series_fits(patches_copy):
    written = shapes.write({"5.0.0": ["5.0-5.3"], "5.10.1": ["5.4-5.19"], "5.9.0": ["5.4-5.19"]}, "cmd")
    assert written["5.4-5.19"]["checked_on"] == ["5.9.0", "5.10.1"]
    assert written["4.53-4.57"]["checked_on"] == [] and written["5.0-5.3"]["command"] == "cmd"
    assert patches.checked_on(patches_copy / "5.4-5.19") == ["5.9.0", "5.10.1"]


@pytest.mark.parametrize("found, said", [
    ({"5.0.0": ["5.0-5.3"], "5.26.0": []}, "5.26.0: no series"),
    ({"5.0.0": ["5.0-5.3", "5.4-5.19"]}, "5.0.0: 5.0-5.3, 5.4-5.19"),
])
def test_a_release_that_fits_none_or_two_is_named_and_nothing_is_written(patches_copy, found, said):
    before = {p: p.read_bytes() for p in patches_copy.rglob("*") if p.is_file()}
    with pytest.raises(shapes.ShapeError) as info:
        shapes.write(found, "cmd")
    assert said in str(info.value) and "\n" not in str(info.value)
    assert {p: p.read_bytes() for p in patches_copy.rglob("*") if p.is_file()} == before
