"""Scenarios the fault tests inject with $ANALYZER_EXTRA_SCENARIOS=fault_scenarios.

They run through the real capture child, bundle, analysis and report code, in seconds and without
a compile: `canned` replays a captured compile (the torch 2.13 mask kernels, with their
`check-after-load` findings) into the recorder, `crash` raises, `hang` starts a grandchild and
sleeps. Each writes what a test waits for into $ANALYZER_FAULT_DIR: `<variant>.started`, and for
`hang` the pids of itself and of its grandchild.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from analyzer.capture.scenarios import Scenario

CANNED = Path(__file__).parent / "data" / "torch-2.13.0-transformers-5.23.0" / "sdpa-mask-decode" / "novmap-dynamic"


def _marks() -> Path:
    marks = Path(os.environ["ANALYZER_FAULT_DIR"])
    marks.mkdir(parents=True, exist_ok=True)
    return marks


def _replay(recorder: Any) -> list[dict[str, Any]]:
    data = json.loads((CANNED / "capture.json").read_text(encoding="utf-8"))
    for compile_ in data["compiles"]:
        kernels = [
            {"name": k["name"], "source": (CANNED / k["file"]).read_text(encoding="utf-8"), "nodes": k["nodes"]}
            for k in compile_["kernels"]
        ]
        recorder.compiles[compile_["compile_id"]] = {**compile_, "kernels": kernels}
    return data["calls"]


def run(variant: str, recorder: Any) -> list[dict[str, Any]]:
    marks = _marks()
    (marks / f"{variant}.started").write_text(str(os.getpid()))
    if variant == "crash":
        raise RuntimeError("injected crash")
    if variant == "hang":
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        (marks / "pids.json.tmp").write_text(json.dumps({"child": os.getpid(), "grandchild": grandchild.pid}))
        os.replace(marks / "pids.json.tmp", marks / "pids.json")
        time.sleep(3600)
    return _replay(recorder)


def env(marks: Path) -> dict[str, str]:
    """What a process needs to run these scenarios, with `marks` as $ANALYZER_FAULT_DIR."""
    tests = Path(__file__).parent
    path = os.pathsep.join(p for p in (str(tests), str(tests.parent), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "ANALYZER_EXTRA_SCENARIOS": "fault_scenarios", "ANALYZER_FAULT_DIR": str(marks)}


def gone(pid: int, timeout_s: float = 30) -> bool:
    """True once the process has exited (a zombie waiting for its reaper counts as exited)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.1)
    return False


SCENARIOS = {
    name: Scenario(name, "injected by the fault tests", lambda: ["canned", "crash", "hang"], run)
    for name in ("fault", "fault-other")
}
