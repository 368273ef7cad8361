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


def _swap_many(parent: str, tag: str, count: int, go: object) -> None:
    from pathlib import Path

    go.wait()  # both start together: the swaps overlap
    for i in range(count):
        staging = files.staging_dir(Path(parent), "run")
        (staging / "who").write_text(f"{tag} {i}")
        files.replace_dir(staging, Path(parent) / "run")


def test_concurrent_swaps_leave_one_whole_folder(tmp_path):
    """Two processes swapping folders into one place as fast as they can: neither fails, and what
    is left is one whole folder, with no staging or old folder beside it."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    go = context.Event()
    workers = [context.Process(target=_swap_many, args=(str(tmp_path), tag, 500, go)) for tag in ("a", "b")]
    for w in workers:
        w.start()
    go.set()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["who"]
    assert (tmp_path / "run" / "who").read_text() in ("a 499", "b 499")


def test_replace_dir_without_an_atomic_exchange(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    test_replace_dir_swaps_whole_folders(tmp_path)


def test_stale_staging_of_a_dead_process_is_removed_and_a_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stale = tmp_path / f".staging-run-pid{int(dead.stdout)}-abc"
    live = tmp_path / f".staging-run-pid{os.getpid()}-def"
    other = tmp_path / ".staging-notes"  # no owner recorded: not ours to remove
    for folder in (stale, live, other):
        (folder / "kernels").mkdir(parents=True)
    new = files.staging_dir(tmp_path, "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, new.name])
    assert new.name.startswith(f".staging-run-pid{os.getpid()}-")


def test_update_json_keeps_the_other_keys(tmp_path):
    path = tmp_path / "bench.json"
    files.write_json(path, {"machine": {"cpus": 2}, "minifier": {"seconds": 1}})
    merged = files.update_json(path, lambda data: data.update(scan={"mb_per_s": 3.0}, machine={"cpus": 4}))
    assert files.read_json(path) == merged == {"machine": {"cpus": 4}, "minifier": {"seconds": 1}, "scan": {"mb_per_s": 3.0}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.json"]


def test_written_files_and_folders_get_the_modes_of_the_umask(tmp_path):
    """Atomic writes go through private temporaries (mkstemp 0600, mkdtemp 0700); what lands in the
    checkout has the modes a plain open() or mkdir() gives under the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    assert files.UMASK == mask
    files.write_text(tmp_path / "a.md", "text\n")
    files.write_bytes(tmp_path / "b.png", b"\x89PNG")
    staging = files.staging_dir(tmp_path / "reports", "run")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "f").write_text("x")
    for path in (tmp_path / "a.md", tmp_path / "b.png"):
        assert path.stat().st_mode & 0o777 == (plain / "f").stat().st_mode & 0o777 == 0o666 & ~mask
    assert staging.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o777 & ~mask
