"""Run a scenario's variants, each in a fresh process with its own Inductor cache, and keep what they compiled.

A variant's process writes a bundle folder: `capture.json` (versions, calls, and for every
compile its Dynamo graph, post-grad graph, loop bodies and kernel list) and `kernels/*.cpp`.
A fresh TORCHINDUCTOR_CACHE_DIR per process is what makes a capture honest: a cache hit would
skip the very compile being observed.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, identity, procs
from analyzer.capture import scenarios

DEFAULT_TIMEOUT_S = 900


@dataclasses.dataclass
class VariantRun:
    variant: str
    bundle: str  # folder relative to the run folder
    status: str  # "ok" | "crashed" | "timeout"
    returncode: int | None
    seconds: float


def versions() -> dict[str, str]:
    """What a capture ran on. transformers is named as the process imported it, else as installed,
    and left out where it is not installed (a user's program may not use it); it is never imported
    here, which would add its import to a program that does not make it."""
    import sys

    import torch

    from analyzer.capture import torchglue

    out = {"torch": torch.__version__}
    imported = sys.modules.get("transformers")
    if imported is not None:
        out["transformers"] = imported.__version__
    else:
        try:
            out["transformers"] = identity.installed("transformers")
        except PackageNotFoundError:
            pass
    out.update(python=platform.python_version(), platform=f"{platform.system()}-{platform.machine()}")
    out.update(compiler=torchglue.compiler_version(), vec_isa=torchglue.vec_isa())
    return out


def run_child(scenario_name: str, variant: str, out_dir: Path) -> int:
    """Entry point inside the isolated process."""
    from analyzer.capture import torchglue

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
            rel = identity.kernel_file(compile_["compile_id"], kernel["name"])
            files.write_text(out_dir / rel, kernel["source"])
            kernels.append({"name": kernel["name"], "file": rel, "nodes": kernel["nodes"]})
        compiles.append({**compile_, "kernels": kernels})
    record = {
        "scenario": scenario_name,
        "variant": variant,
        "versions": versions(),
        "command": f"python -m analyzer capture --scenario {scenario_name} --variant {variant}",
        "seconds": round(elapsed, 2),
        "calls": calls,
        "compiles": compiles,
        **recorder.extra,  # scenario-level records, e.g. `flakiness`
    }
    artifacts.write_capture(out_dir, portable(record, machine_prefixes()))
    return 0


_CACHE_HASH = re.compile(r"\b[0-9a-z]{50,}\b")
_CACHE_SUBDIR = re.compile(r"/[0-9a-z]{2}/<hash>")


def machine_prefixes() -> list[tuple[str, str]]:
    """Where this machine keeps things, and the name a capture gives each instead.

    Error messages and stacks name the venv, the temporary Inductor cache, the Python install
    and the project checkout. Left in, a capture would say more about the machine than about the
    failure, differ on every run, and leak local paths into reports meant for upstream.
    """
    import getpass
    import site
    import sysconfig

    pairs: list[tuple[str, str]] = []
    cache = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    if cache:
        pairs.append((cache, "<inductor-cache>"))
    for sp in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}:
        pairs.append((sp.rstrip("/") + "/", "site-packages/"))
    pairs.append((str(Path(__file__).resolve().parents[2]) + "/", ""))
    try:
        pairs.append((os.path.join(tempfile.gettempdir(), f"torchinductor_{getpass.getuser()}"), "<torchinductor-tmp>"))
    except (KeyError, OSError):  # no user name in a bare container
        pass
    pairs += [(sys.prefix, "<venv>"), (sys.base_prefix, "<python>"), (str(Path.home()), "~")]
    return sorted({(a, b) for a, b in pairs if a and a != "/"}, key=lambda ab: -len(ab[0]))


def portable(data: Any, prefixes: list[tuple[str, str]]) -> Any:
    """Every string in `data` with machine paths named, and Inductor's content-hash file names (which
    hash those paths into the compile flags) replaced by `<hash>`."""
    if isinstance(data, str):
        for prefix, name in prefixes:
            data = data.replace(prefix, name)
        # the cache's two-letter folder is the head of that hash: it goes with it
        return _CACHE_SUBDIR.sub("/<hash>", _CACHE_HASH.sub("<hash>", data))
    if isinstance(data, dict):
        return {k: portable(v, prefixes) for k, v in data.items()}
    if isinstance(data, list):
        return [portable(v, prefixes) for v in data]
    return data


def run_variant(scenario_name: str, variant: str, out_dir: Path, timeout_s: float) -> VariantRun:
    """Start the child in its own process group, so a hang is killed with everything it spawned."""
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cmd = procs.child_command("capture", scenario_name, variant, str(out_dir))
    with open(out_dir / "child.log", "w", encoding="utf-8") as log:
        rc, _, _ = procs.run_fresh_cache(cmd, timeout_s, env={"PYTHONUNBUFFERED": "1"}, log=log)
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
    data["command"] += " --slim"
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
