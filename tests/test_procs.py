"""Children started now and waited for later: input, timeout, kill, and their Inductor cache."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from analyzer import procs

ECHO_CACHE = "import os, sys; line = sys.stdin.readline().strip(); print(line, os.environ['TORCHINDUCTOR_CACHE_DIR'], os.environ['TORCHINDUCTOR_COMPILE_THREADS'])"


def test_a_child_reads_its_input_when_waited_for_and_its_cache_goes_with_it():
    child = procs.Child([sys.executable, "-c", ECHO_CACHE])
    rc, out, _ = child.wait(30, input="reports/run\n")
    line, cache, threads = out.split()
    assert rc == 0 and line == "reports/run" and threads == "1"
    assert not Path(cache).exists()


def test_the_environment_decides_the_compile_threads(monkeypatch):
    monkeypatch.setenv(procs.COMPILE_THREADS, "4")
    rc, out, _ = procs.Child([sys.executable, "-c", ECHO_CACHE]).wait(30, input="x\n")
    assert rc == 0 and out.split()[2] == "4"


def test_a_child_past_its_timeout_is_killed_with_its_group(tmp_path):
    marker = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); open({str(marker)!r}, 'w').write(str(p.pid)); "
        "time.sleep(60)"
    )
    child = procs.Child([sys.executable, "-c", code])
    started = time.monotonic()
    while not marker.exists() and time.monotonic() - started < 20:
        time.sleep(0.05)
    rc, _, _ = child.wait(1)
    assert rc is None
    grandchild = int(marker.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_a_killed_child_leaves_nothing_behind():
    child = procs.Child([sys.executable, "-c", "import time; time.sleep(60)"])
    cache = Path(child._cache.name)
    child.kill()
    assert child.proc.returncode is not None and not cache.exists()
    child.kill()  # twice is harmless


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_work_in_the_background_gives_its_result_or_its_error():
    assert procs.in_background(lambda a, b: a + b, 2, 3).result(timeout=30) == 5

    def fails() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        procs.in_background(fails).result(timeout=30)
