"""Recording inside a user's program: every Inductor compile of the process, as a scenario's capture.

`python -m analyzer run` starts the user's command with `capture/hook` on PYTHONPATH and
$ANALYZER_RUN_DIR set. Each Python process of the command then calls `started` (it ran Python),
and `install` once it imports torch: from there on, every compile that reaches Inductor is
recorded (Dynamo graph with the user's stacks, post-grad graphs, loop bodies, kernels) with what
no scenario needs to say: the compile's outcome and error, the pytest test that was running
(`PYTEST_CURRENT_TEST`), and the guard whose failure made it a recompile.

The process's bundle, `$ANALYZER_RUN_DIR/pid-<pid>/`, is rewritten after every compile and at
exit, so a program that dies after a failed compile still leaves its record. Standard library only
at import: torch is imported by the program, never by this module before it.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

RUN_DIR_ENV = "ANALYZER_RUN_DIR"
COMMAND_ENV = "ANALYZER_RUN_COMMAND"
STARTED = "python-processes"  # one line per Python process the command started

_state: dict[str, Any] = {}
_lock = threading.Lock()


def started() -> None:
    """Say that a Python process of the command started (so a command that runs no Python is told apart)."""
    root = Path(os.environ[RUN_DIR_ENV])
    root.mkdir(parents=True, exist_ok=True)
    with open(root / STARTED, "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\t{sys.executable}\t{' '.join(sys.argv)[:300]}\n")


def _bundle_dir() -> Path:
    return Path(os.environ[RUN_DIR_ENV]) / f"pid-{os.getpid()}"


def install() -> None:
    """Record every Inductor compile of this process from now on."""
    if _state:
        return
    from analyzer.capture import torchglue

    recorder = torchglue.Recorder()
    hooks = torchglue.recording(recorder)
    hooks.__enter__()  # for the life of the process: `_state` keeps it, or collecting it would undo the hooks

    def around(compile_fx: Any, gm: Any, example_inputs: Any, *args: Any, **kwargs: Any) -> Any:
        entry: dict[str, Any] = {}
        try:
            entry = recorder.begin(gm, example_inputs)
            entry["test"] = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0] or None
            result = compile_fx(gm, example_inputs, *args, **kwargs)
            entry["ok"], entry["error"] = True, None
            return result
        except Exception as exc:
            entry["ok"], entry["error"] = False, {"type": type(exc).__name__, "message": str(exc)}
            raise
        finally:
            write()

    torchglue.intercept_inductor(around)
    _state.update(recorder=recorder, hooks=hooks, started=time.perf_counter())
    atexit.register(write)


def write() -> None:
    """Write this process's bundle as it stands (each kernel once, `capture.json` last)."""
    from analyzer import artifacts, files, identity
    from analyzer.capture import bundle, torchglue

    recorder = _state.get("recorder")
    if recorder is None or not recorder.compiles:
        return
    with _lock:
        out = _bundle_dir()
        if "versions" not in _state:
            _state["versions"] = bundle.versions()
        reasons = {e["compile_id"]: e["recompile"] for e in torchglue.compile_events()}
        compiles, calls = [], []
        for compile_ in list(recorder.compiles.values()):
            kernels = []
            for kernel in compile_["kernels"]:
                rel = identity.kernel_file(compile_["compile_id"], kernel["name"])
                if not (out / rel).is_file():
                    files.write_text(out / rel, kernel["source"])
                kernels.append({"name": kernel["name"], "file": rel, "nodes": kernel["nodes"]})
            record = {k: v for k, v in compile_.items() if k not in ("ok", "error", "test")}
            record["kernels"] = kernels
            if reasons.get(compile_["compile_id"]):
                record["recompile_reason"] = reasons[compile_["compile_id"]]
            compiles.append(record)
            calls.append(
                {
                    "label": f"compile {compile_['compile_id']}",
                    "inputs": {"example_inputs": compile_.get("example_inputs", [])},
                    "compile": {"test": compile_.get("test"), "recompile": reasons.get(compile_["compile_id"])},
                    "ok": compile_.get("ok", False),
                    "error": compile_.get("error"),
                    "matches_eager": None,  # a user's program: no eager result to compare with
                }
            )
        record = {
            "scenario": os.environ.get(COMMAND_ENV, "program"),
            "variant": out.name,
            "versions": _state["versions"],
            "command": " ".join(sys.argv),
            "program": True,
            "calls": calls,
            "compiles": compiles,
        }
        artifacts.write_capture(out, bundle.portable(record, bundle.machine_prefixes()))
