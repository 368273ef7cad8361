"""Atomic writes: a failure mid-write leaves the previous file and no temporary behind."""
from __future__ import annotations

import os

import pytest

from analyzer import files


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "findings.json"
    files.write_json(target, {"old": True})

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        files.write_json(target, {"new": True})
    assert files.read_json(target) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


def test_replace_dir_swaps_whole_folders(tmp_path):
    final = tmp_path / "run"
    final.mkdir()
    (final / "a").write_text("old")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "b").write_text("new")
    files.replace_dir(staging, final)
    assert sorted(p.name for p in final.iterdir()) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
