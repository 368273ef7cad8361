"""Run identity: one parser of versions and one rule for names, for every module."""
from __future__ import annotations

import pytest

from analyzer import identity


@pytest.mark.parametrize(
    "text, release, prerelease",
    [
        ("2.8.0+cu128", "2.8.0", False),
        ("2.13.0+cpu", "2.13.0", False),
        ("2.13.0.dev20260101+cpu", "2.13.0", True),
        ("2.14.0a0", "2.14.0", True),
        ("2.14.0a0+git1234abc", "2.14.0", True),
        ("2.12.0rc1", "2.12.0", True),
        ("4.57.1.dev0", "4.57.1", True),
        ("5.23.0", "5.23.0", False),
        ("2.8", "2.8.0", False),
        ("2.8.0.post1", "2.8.0", False),
    ],
)
def test_release_and_prerelease(text, release, prerelease):
    assert identity.release(text) == release
    assert identity.is_prerelease(text) is prerelease
    assert identity.release_key(text) == tuple(int(x) for x in release.split("."))


def test_releases_sort_by_number():
    assert sorted(["2.10.0", "2.9.1", "2.8.0+cu128", "2.14.1"], key=identity.release_key) == ["2.8.0+cu128", "2.9.1", "2.10.0", "2.14.1"]


@pytest.mark.parametrize("text", ["main", "", "v", "nightly"])
def test_text_without_a_release_is_refused_in_one_line(text):
    with pytest.raises(identity.BadVersion, match="not a version number"):
        identity.release(text)


def test_run_folder_names_are_by_release_and_read_back():
    """A dev build and a local build of one release share their run folder: verify, the report and
    the matrix all name it this way."""
    name = identity.run_folder_name("2.13.0.dev20260101+cpu", "5.23.0")
    assert name == identity.run_folder_name("2.13.0+cpu", "5.23.0") == "torch-2.13.0-transformers-5.23.0"
    assert identity.parse_run_folder_name(name) == ("2.13.0", "5.23.0")
    assert identity.parse_run_folder_name("sdpa-mask-decode") is None


def test_the_finding_kinds_live_here_alone():
    from analyzer.analysis import kernel, known
    from analyzer.report import flakiness

    assert kernel.KINDS is identity.KINDS and kernel.LOST is identity.LOST and flakiness.LOST is identity.LOST
    assert known.FINDING_KINDS is identity.KINDS
