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

A built-in scenario is such a program (`python -m analyzer.capture.scenarios NAME VARIANT`): it
reads the compiles through `recorder()` and names itself and its own calls (each compared with
eager) through `describe`, which take the place of the one call per compile a user's program gets.
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
SCENARIO_ENV = "ANALYZER_SCENARIO_BUNDLE"
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


def recorder() -> Any:
    """The recorder of this process's compiles (None when the process is not recorded)."""
    return _state.get("recorder")


def describe(**fields: Any) -> None:
    """What a scenario says of itself in its bundle: `scenario`, `variant`, `command`, `seconds`,
    its `calls`, and records of its own (e.g. `flakiness`). Written at once, with the compiles.

    Only where the scenario's bundle is asked for ($ANALYZER_SCENARIO_BUNDLE, set by
    `bundle.run_variant`): under `python -m analyzer run`, a scenario is a program like any other."""
    if not os.environ.get(SCENARIO_ENV):
        return
    _state.setdefault("described", {}).update(fields)
    write()


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
    atexit.register(_at_exit)


def _at_exit() -> None:
    """Write the bundle a last time, then take the hooks out while torch is still whole: left to the
    collector at the interpreter's teardown, undoing them would print an ignored exception into
    the program's output."""
    try:
        write()
    except Exception as exc:  # the program's exit is not the place to fail
        print(f"analyzer: cannot write the record of this process: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        try:
            _state["hooks"].__exit__(None, None, None)
        except Exception:
            pass


def write() -> None:
    """Write this process's bundle as it stands (each kernel once, `capture.json` last)."""
    from analyzer import artifacts, files, identity
    from analyzer.capture import machine, torchglue

    recorder = _state.get("recorder")
    described = _state.get("described")
    if recorder is None or not (recorder.compiles or described):
        return
    with _lock:
        out = _bundle_dir()
        if "versions" not in _state:
            _state["versions"] = machine.versions()
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
            if reasons.get(compile_["compile_id"]):  # a namespaced id (`order/0/1`) names no event: none
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
        record: dict[str, Any] = {
            "scenario": os.environ.get(COMMAND_ENV, "program"),
            "variant": out.name,
            "versions": _state["versions"],
            "command": " ".join(sys.argv),
            "program": True,
            "calls": calls,
            "compiles": compiles,
        }
        if described:  # a scenario: its own name and calls, and no `program` mark
            named = ("scenario", "variant", "versions", "command", "seconds", "calls", "compiles")
            both = {**record, **described, "versions": _state["versions"], "compiles": compiles}
            record = {key: both[key] for key in named if key in both}
            record.update({key: value for key, value in described.items() if key not in named})
        artifacts.write_capture(out, machine.portable(record, machine.prefixes()))
