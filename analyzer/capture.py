"""Run a scenario's variants, each in a fresh process with its own Inductor cache, and keep what they compiled.

A variant's process writes a bundle folder: `capture.json` (versions, calls, and for every
compile its Dynamo graph, post-grad graph, loop bodies and kernel list) and `kernels/*.cpp`.
A fresh TORCHINDUCTOR_CACHE_DIR per process is what makes a capture honest: a cache hit would
skip the very compile being observed.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import files, scenarios

DEFAULT_TIMEOUT_S = 900


@dataclasses.dataclass
class VariantRun:
    variant: str
    bundle: str  # folder relative to the run folder
    status: str  # "ok" | "crashed" | "timeout"
    returncode: int | None
    seconds: float


def versions() -> dict[str, str]:
    import torch
    import transformers

    from . import torchglue

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "compiler": torchglue.compiler_version(),
    }


def _kernel_file(compile_id: str, kernel_name: str) -> str:
    return f"kernels/{compile_id.replace('/', '-')}-{kernel_name}.cpp"


def run_child(scenario_name: str, variant: str, out_dir: Path) -> int:
    """Entry point inside the isolated process."""
    from . import torchglue

    scenario = scenarios.get(scenario_name)
    recorder = torchglue.Recorder()
    started = time.perf_counter()
    with torchglue.recording(recorder):
        calls = scenario.run(variant, recorder)
    elapsed = time.perf_counter() - started
    compiles = []
    for compile_ in recorder.compiles.values():
        kernels = []
        for kernel in compile_["kernels"]:
            rel = _kernel_file(compile_["compile_id"], kernel["name"])
            files.write_text(out_dir / rel, kernel["source"])
            kernels.append({"name": kernel["name"], "file": rel, "nodes": kernel["nodes"]})
        compiles.append({**compile_, "kernels": kernels})
    files.write_json(
        out_dir / "capture.json",
        {
            "scenario": scenario_name,
            "variant": variant,
            "versions": versions(),
            "command": f"python -m analyzer capture --scenario {scenario_name} --variant {variant}",
            "seconds": round(elapsed, 2),
            "calls": calls,
            "compiles": compiles,
        },
    )
    return 0


def run_variant(scenario_name: str, variant: str, out_dir: Path, timeout_s: float) -> VariantRun:
    """Start the child in its own process group, so a hang is killed with everything it spawned."""
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="inductor-cache-") as cache:
        env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "analyzer", "_capture-child", scenario_name, variant, str(out_dir)]
        with open(out_dir / "child.log", "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc: int | None = proc.wait(timeout=timeout_s)
                status = "ok" if rc == 0 and (out_dir / "capture.json").exists() else "crashed"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                rc, status = None, "timeout"
    return VariantRun(variant, out_dir.name, status, rc, round(time.perf_counter() - started, 2))


def capture_to(scenario_name: str, variant: str, out_dir: Path, timeout_s: float) -> VariantRun:
    """Capture into a staging folder beside `out_dir` and swap it in only when the capture succeeded."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".staging-{out_dir.name}-"))
    try:
        result = run_variant(scenario_name, variant, staging, timeout_s)
        if result.status == "ok":
            (staging / "child.log").unlink(missing_ok=True)  # machine-specific noise
            files.replace_dir(staging, out_dir)
        else:
            failed = out_dir.parent / f"{out_dir.name}.{result.status}"
            shutil.rmtree(failed, ignore_errors=True)
            os.replace(staging, failed)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_bundle(bundle_dir: Path) -> dict[str, Any]:
    data = json.loads((bundle_dir / "capture.json").read_text(encoding="utf-8"))
    for compile_ in data["compiles"]:
        for kernel in compile_["kernels"]:
            kernel["path"] = str(bundle_dir / kernel["file"])
    return data
