"""Run a scenario's variants, each in a fresh process with its own Inductor cache, and keep what they compiled.

A variant's process writes a bundle folder (`capture.program`): `capture.json` (versions, calls,
and for every compile its Dynamo graph, post-grad graph, loop bodies and kernel list) and
`kernels/*.cpp`.
A fresh TORCHINDUCTOR_CACHE_DIR per process is what makes a capture honest: a cache hit would
skip the very compile being observed.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from analyzer import artifacts, files
from analyzer.capture import launch, program, scenarios

DEFAULT_TIMEOUT_S = 900


@dataclasses.dataclass
class VariantRun:
    variant: str
    bundle: str  # folder relative to the run folder
    status: str  # "ok" | "crashed" | "timeout"
    returncode: int | None
    seconds: float


def run_variant(scenario_name: str, variant: str, out_dir: Path, timeout_s: float) -> VariantRun:
    """Run the variant's program (`scenarios.command`) as `run` runs a user's command, recorded
    (`launch`), in its own process group, so a hang is killed with everything it spawned; its
    bundle becomes `out_dir`, its output `out_dir/child.log`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bundles = out_dir / ".bundles"
    started = time.perf_counter()
    cmd = [sys.executable, *scenarios.command(scenario_name, variant)]
    with tempfile.TemporaryDirectory(prefix="inductor-cache-") as cache, open(out_dir / "child.log", "w", encoding="utf-8") as log:
        rc = launch.run_recorded(cmd, bundles, scenario_name, timeout_s, cache, log, env={program.SCENARIO_ENV: "1"})
    for pid in launch.recorded(bundles)[:1]:  # the variant's one Python process
        for entry in launch.bundle_of(bundles, pid).iterdir():
            os.replace(entry, out_dir / entry.name)
    shutil.rmtree(bundles, ignore_errors=True)
    status = "timeout" if rc is None else "ok" if rc == 0 and artifacts.has(out_dir, artifacts.CAPTURE) else "crashed"
    return VariantRun(variant, out_dir.name, status, rc, round(time.perf_counter() - started, 2))


def slim_bundle(bundle_dir: Path) -> None:
    """Leave out the graphs and loop bodies, most of a bundle's size, keeping the versions, calls
    (with the compiler's errors) and kernels: enough to check the kernel analysis against the
    compiler, not to trace a finding back to Python. The test corpus holds many whole-model
    compiles and stays small this way."""
    data = artifacts.read_capture(bundle_dir)
    for compile_ in data["compiles"]:
        for key in ("dynamo_graph", "post_grad_graphs"):
            compile_.pop(key, None)
        for kernel in compile_["kernels"]:
            kernel["nodes"] = [{"name": n["name"], "origins": n["origins"]} for n in kernel["nodes"]]
    data["command"] = f"python -m analyzer capture --scenario {data['scenario']} --variant {data['variant']} --slim"
    data["slim"] = True
    artifacts.write_capture(bundle_dir, data)


def capture_to(scenario_name: str, variant: str, out_dir: Path, timeout_s: float, slim: bool = False) -> VariantRun:
    """Capture into a staging folder beside `out_dir` and swap it in only when the capture succeeded."""
    staging = files.staging_dir(out_dir.parent, out_dir.name)
    try:
        result = run_variant(scenario_name, variant, staging, timeout_s)
        if result.status == "ok":
            (staging / "child.log").unlink(missing_ok=True)  # machine-specific noise
            if slim:
                slim_bundle(staging)
            files.replace_dir(staging, out_dir)
        else:
            files.replace_dir(staging, out_dir.parent / f"{out_dir.name}.{result.status}")
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)
