"""Start a command with the recording installed in every Python process it starts.

One way in for every workload: a user's command (`python -m analyzer run -- COMMAND`) and a
built-in scenario's variant (`python -m analyzer.capture.scenarios NAME VARIANT`, started by
`bundle.run_variant`) both run here. `hook/` goes first on the command's PYTHONPATH; each Python
process of the command then writes its own bundle, `BUNDLES/pid-<pid>/` (`capture.program`), and
says it started in `BUNDLES/python-processes`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from analyzer import artifacts, procs
from analyzer.capture import program

HOOK = Path(__file__).resolve().parent / "hook"
ROOT = Path(__file__).resolve().parents[2]


def _pythonpath(*first: Path) -> str:
    return os.pathsep.join([*map(str, first), *filter(None, [os.environ.get("PYTHONPATH")])])


def analyzer_env() -> dict[str, str]:
    """What a Python other than this one needs, on top of this process's environment, to import the analyzer."""
    return {"PYTHONPATH": _pythonpath(ROOT)}


def hook_env(bundles: Path, name: str) -> dict[str, str]:
    """The environment a recorded command gets on top of this process's own."""
    path = _pythonpath(HOOK, ROOT)
    return {"PYTHONPATH": path, program.RUN_DIR_ENV: str(bundles), program.COMMAND_ENV: name, "PYTHONUNBUFFERED": "1"}


def run_recorded(
    argv: list[str], bundles: Path, name: str, timeout_s: float, cache: str | Path, log: IO[str],
    env: dict[str, str] | None = None,
) -> int | None:
    """Run `argv` to its end (None: killed with its whole process group at `timeout_s`), in the
    Inductor cache `cache`, its output to `log`, every compile recorded under `bundles`."""
    bundles.mkdir(parents=True, exist_ok=True)
    rc, _, _ = procs.run_in_cache(argv, timeout_s, cache, env={**(env or {}), **hook_env(bundles, name)}, log=log)
    return rc


def pythons(bundles: Path) -> dict[str, str]:
    """pid -> the Python executable of each Python process the command started, in start order."""
    path = bundles / program.STARTED
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        pid, exe, _argv = (line.split("\t", 2) + ["", ""])[:3]
        out[pid] = exe
    return out


def recorded(bundles: Path) -> list[str]:
    """The pids, in start order, of the processes that left a bundle (those that compiled, or a
    scenario that described itself)."""
    return [pid for pid in pythons(bundles) if artifacts.has(bundle_of(bundles, pid), artifacts.CAPTURE)]


def bundle_of(bundles: Path, pid: str) -> Path:
    return bundles / f"pid-{pid}"
