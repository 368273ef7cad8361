"""Writes that never leave half a file: every artifact goes to a temporary name, then is renamed."""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _read_umask() -> int:
    """The process's umask, read without changing it where the system shows it (Linux), so that no
    file another thread creates meanwhile gets a wrong mode."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()  # read once, at import, before any thread starts
FILE_MODE = 0o666 & ~UMASK  # what open() would give a new file
DIR_MODE = 0o777 & ~UMASK  # what mkdir() would give a new folder


def write_bytes(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all, with the mode a plain `open` would give it: the temporary
    file `mkstemp` makes is private (0600), so its mode is set to the umask's before the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


STAGING_PREFIX = ".staging-"
_OWNER = re.compile(r"-pid(?P<pid>\d+)-")


def staging_dir(parent: Path, name: str) -> Path:
    """A new staging folder for `name` in `parent`, named after this process so that a later run
    can tell one left by a run that was killed (its process is gone) from one still being written.
    Stale ones are removed first: a killed run's litter never accumulates or confuses a rerun."""
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(parent)
    return make_dir_like_mkdir(tempfile.mkdtemp(dir=parent, prefix=f"{STAGING_PREFIX}{name}-pid{os.getpid()}-"))


def make_dir_like_mkdir(path: str | Path) -> Path:
    """A folder made by `mkdtemp` (private, 0700) given the mode `mkdir` would: once swapped in,
    it is the run folder, and it should read like the rest of the checkout."""
    os.chmod(path, DIR_MODE)
    return Path(path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove the staging folders in `parent` whose process has died; returns what was removed.
    A folder whose process is alive (a concurrent run) is left alone."""
    removed = []
    for entry in sorted(parent.glob(f"{STAGING_PREFIX}*")):
        owner = _OWNER.search(entry.name[len(STAGING_PREFIX):])
        if owner and entry.is_dir() and not pid_alive(int(owner["pid"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on a folder, held while an entry in it is swapped: two runs finishing at
    once take turns instead of renaming over each other's half-done swap."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux renameat2 with RENAME_EXCHANGE), so there is no
    moment at which neither is in place; False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_dir(staging: Path, final: Path) -> None:
    """Swap a fully written staging folder into place; the old one is removed only after the swap.

    Under a lock on the parent folder, and in one step where the system allows, so concurrent
    runs and a kill at any moment leave either the old folder or the new one in place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with locked(final.parent):
        if final.exists() and _exchange(staging, final):
            old: Path | None = staging  # now holds what was in place
        else:
            old = None
            if final.exists():
                old = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old."))
                os.replace(final, old / final.name)
            os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def update_json(path: Path, update: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Read a JSON object, let `update` change it, and write it back atomically, under a lock on
    its folder: two writers merging their own keys into one file (bench.json) keep both."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent):
        data = read_json(path) if path.is_file() else {}
        update(data)
        write_json(path, data)
    return data
