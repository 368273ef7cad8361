"""Child processes that never outlive the run that started them.

A capture or repro child runs in its own process group, so a timeout, or an interrupted run,
kills everything it started (g++, Inductor's compile workers, a scenario's own subprocesses).
A child also dies with its parent when the parent is killed outright (SIGKILL runs no cleanup):
it asks the kernel for a signal on its parent's death and kills its own group on that signal, so
nothing keeps writing into a staging folder that a later run will remove as stale.
"""
from __future__ import annotations

import concurrent.futures
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

PARENT_ENV = "ANALYZER_PARENT_PID"  # set for a child started by `run_group`, read once by it
COMPILE_THREADS = "TORCHINDUCTOR_COMPILE_THREADS"


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or SIGHUP) turned into an exception, so cleanup runs as it does for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signum)


def interrupt_on_termination() -> None:
    """In a command's own process: termination signals unwind like Ctrl-C (finally blocks run)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupted)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_own_group(_signum: int = 0, _frame: Any = None) -> None:
    if os.getpgrp() == os.getpid():  # the leader of a group `run_group` made: everything in it goes
        kill_group(os.getpid())
    os._exit(128 + signal.SIGTERM)


def bind_to_parent() -> None:
    """In a child started by `run_group`: die, with everything this process started, when the
    parent dies. Linux only (prctl PR_SET_PDEATHSIG); elsewhere a killed parent can leave it running."""
    parent = os.environ.pop(PARENT_ENV, None)  # popped: grandchildren are not bound to this parent
    if parent is None or not sys.platform.startswith("linux") or os.getpgrp() != os.getpid():
        return
    signal.signal(signal.SIGTERM, _kill_own_group)
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # the parent died before the request took effect
        _kill_own_group()


def _fresh_cache_env(cache: str, env: dict[str, str] | None) -> dict[str, str]:
    return {COMPILE_THREADS: "1", **os.environ, **(env or {}), "TORCHINDUCTOR_CACHE_DIR": cache}


class Child:
    """A child in its own process group and with an Inductor cache of its own (see `run_fresh_cache`),
    started now and waited for later: work it can do before it is given its input (importing
    torch, warming Inductor up) overlaps with whatever this process does meanwhile.

    `wait` sends the input and returns like `run_group`; `kill` stops the whole group. One of
    them must be called, and either removes the cache."""

    def __init__(self, cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self._cache = tempfile.TemporaryDirectory(prefix="inductor-cache-")
        full_env = {**_fresh_cache_env(self._cache.name, env), PARENT_ENV: str(os.getpid())}
        try:
            self.proc = subprocess.Popen(
                cmd, env=full_env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, start_new_session=True,
            )
        except BaseException:
            self._cache.cleanup()
            raise

    def wait(self, timeout_s: float, input: str = "") -> tuple[int | None, str, str]:
        try:
            return _communicate(self.proc, timeout_s, input)
        finally:
            self._cache.cleanup()

    def kill(self) -> None:
        if self.proc.returncode is None:
            kill_group(self.proc.pid)
            self.proc.wait()
        self._cache.cleanup()


def run_fresh_cache(
    cmd: list[str],
    timeout_s: float,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: IO[str] | None = None,
) -> tuple[int | None, str, str]:
    """`run_group` with a `TORCHINDUCTOR_CACHE_DIR` of its own, removed afterwards.

    Every child that compiles runs this way: a cache hit left by an earlier compile would skip the
    very compile being observed, and a shared cache is what one job deletes under another.

    Unless the environment says otherwise, the child compiles in its own process rather than in
    Inductor's pool of compile workers: starting the pool imports torch in each worker, which
    costs more than the few small kernels a child compiles, and the generated code is the same."""
    with tempfile.TemporaryDirectory(prefix="inductor-cache-") as cache:
        return run_in_cache(cmd, timeout_s, cache, env=env, cwd=cwd, log=log)


def run_in_cache(
    cmd: list[str],
    timeout_s: float,
    cache: str | Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: IO[str] | None = None,
) -> tuple[int | None, str, str]:
    """`run_group` with `TORCHINDUCTOR_CACHE_DIR` set to `cache`, a folder the caller owns (and reads
    afterwards); otherwise as `run_fresh_cache`."""
    return run_group(cmd, timeout_s, env=_fresh_cache_env(str(cache), env), cwd=cwd, log=log)


def run_group(
    cmd: list[str],
    timeout_s: float,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: IO[str] | None = None,
) -> tuple[int | None, str, str]:
    """Run `cmd` in a new process group: (exit code, stdout, stderr), exit code None on timeout.

    On a timeout, or any exception here (Ctrl-C, SIGTERM turned into `Interrupted`), the whole
    group is killed before this returns or raises. Output goes to `log` when given (then the
    strings are empty), else it is returned."""
    env = {**(os.environ if env is None else env), PARENT_ENV: str(os.getpid())}
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=log if log is not None else subprocess.PIPE,
        stderr=subprocess.STDOUT if log is not None else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return _communicate(proc, timeout_s)


def _communicate(proc: subprocess.Popen, timeout_s: float, input: str | None = None) -> tuple[int | None, str, str]:
    """Wait for a child started in its own group: (exit code, stdout, stderr), exit code None on
    timeout. On a timeout or any exception here, the whole group is killed first."""
    try:
        out, err = proc.communicate(input=input, timeout=timeout_s)
        return proc.returncode, out or "", err or ""
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)  # the child is not reaped yet, so its group id cannot have been reused
        out, err = proc.communicate()
        return None, out or "", err or ""
    except BaseException:
        if proc.returncode is None:
            kill_group(proc.pid)
        proc.wait()
        raise


def in_background(fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
    """`fn(*args)` in a daemon thread, for a child process waited on later (`.result()`) while this
    process does other work; an interrupted run does not wait for it."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def work() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, daemon=True).start()
    return future


def child_command(name: str, *args: str) -> list[str]:
    """The argv of one of the analyzer's own child processes (`analyzer.child`), on this Python."""
    return [sys.executable, "-m", "analyzer.child", name, *args]
