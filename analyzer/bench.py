"""Benchmarks for `nox -s bench`: every contender measured in one run, on the same failure, as ratios.

`minifier`: the time from a failing program to a verified minimal repro, this project's pipeline
(capture of the failing variant, analysis, trace, minimization, verification in fresh processes)
against PyTorch's own minifier used as its documentation says (`TORCHDYNAMO_REPRO_AFTER=aot`, then
`python minifier_launcher.py`), and against the same minifier algorithm given a correct failure
check (this bug's signature on a compile with dynamic shapes). For each: wall time, op count, and
whether the result reproduces the original error in a fresh process.
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, procs, timings
from analyzer.capture import masks, scenarios
from analyzer.fix import patches
from analyzer.repro import oracle

MINIFIER_TIMEOUT_S = 1200
_SYMBOL = re.compile(r"\bs\d+\b")
_TENSOR = re.compile(r"reader\.tensor\(\w+, \((?P<shape>[^)]*)\)")
_SYM_SIZE = ("sym_size", "sym_stride", "sym_numel", "sym_storage_offset")


def _run(cmd: list[str], cwd: Path, timeout_s: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One timed child process with its own Inductor cache; a hang is killed and reported as such."""
    started = time.perf_counter()
    rc, stdout, stderr = procs.run_fresh_cache(cmd, timeout_s, env=env, cwd=cwd)
    out = stdout + stderr if rc is not None else f"timed out after {timeout_s}s\n{stdout}{stderr}"
    return {"rc": rc, "seconds": round(time.perf_counter() - started, 2), "output": out}


def _last_error_line(output: str) -> str | None:
    lines = [line.strip() for line in output.splitlines() if re.match(r"^\w*(Error|Exception)\b", line.strip())]
    return lines[-1][:200] if lines else None


def ours(workdir: Path, scenario: str, variant: str) -> dict[str, Any]:
    """Capture -> analysis -> trace -> minimal repro -> verification, as `analyze` runs them."""
    reports = workdir / "ours"
    cmd = [sys.executable, "-m", "analyzer", "analyze", "--scenario", scenario, "--variant", variant, "--reports", str(reports)]
    result = _run(cmd, Path.cwd(), MINIFIER_TIMEOUT_S)
    run_dir = next((reports / scenario).glob("torch-*"), None)
    repro = timings.restore(run_dir, "repro.json") if run_dir and (run_dir / "repro.json").is_file() else {}
    summary = timings.restore(run_dir, "summary.json") if run_dir and (run_dir / "summary.json").is_file() else {}
    torch_repro = repro.get("repro_torch.py", {})
    # the stages overlap (the repro worker starts beside the capture, the proof beside the last
    # queries): each is reported, and the span is measured end to end
    stages = {
        "capture": sum(v.get("seconds", 0) for v in summary.get("variants", [])),
        "analysis": sum(v.get("analysis_seconds", 0) for v in summary.get("variants", [])),
        "minimize": torch_repro.get("minimize_seconds", 0),
        "verify_after_minimize": torch_repro.get("verify_seconds", 0),
    }
    return {
        # from the start of the analyze run to a verified pure-torch repro, process starts included:
        # the span the minifier's figures cover; `analyze_seconds` is the whole run, which also
        # writes and proves the transformers and sequence scripts, the report and the pictures
        "seconds": torch_repro.get("run_to_verified_seconds"),
        "stages": stages,
        "analyze_seconds": result["seconds"],
        "ops": torch_repro.get("ops"),
        "start": torch_repro.get("start"),
        "queries": torch_repro.get("queries"),
        "minimize_seconds": torch_repro.get("minimize_seconds"),
        "reproduces": bool(torch_repro.get("verified")),
        "run_dir": str(run_dir) if run_dir else None,
        "error": None if result["rc"] in (0, 1) else _last_error_line(result["output"]),
    }


def fill_sizes(launcher: str, shape: list[int]) -> str:
    """Define the size symbols the launcher leaves undefined (`NameError: name 's53'`), with the
    sizes of the failing call: the fix a user has to make by hand before the launcher runs at all."""
    head, sep, tail = launcher.partition("def load_args(reader):")
    match = _TENSOR.search(tail)
    if not sep or match is None:
        return launcher
    names = [s.strip() for s in match["shape"].split(",") if s.strip()]
    defined = [f"{name} = {size}" for name, size in zip(names, shape) if _SYMBOL.fullmatch(name)]
    return head + "\n".join(defined) + "\n" + sep + tail


def count_ops_in_source(code: str) -> int:
    """Torch ops in a repro module's `forward`, size queries left out."""
    body = code.split("def forward", 1)[-1].split("\ndef ", 1)[0]
    return sum(1 for line in body.splitlines() if "torch.ops." in line and not any(s in line for s in _SYM_SIZE))


def minifier(workdir: Path, failing_script: Path, mask_shape: list[int]) -> dict[str, Any]:
    """PyTorch's minifier, as documented, then with the sizes filled in, then with a correct check."""
    cwd = workdir / "minifier"
    cwd.mkdir(parents=True, exist_ok=True)
    dump = _run([sys.executable, str(failing_script)], cwd, MINIFIER_TIMEOUT_S, {"TORCHDYNAMO_REPRO_AFTER": "aot"})
    launchers = sorted(cwd.rglob("minifier_launcher.py"))
    out: dict[str, Any] = {"dump_seconds": dump["seconds"]}
    if not launchers:
        out["error"] = "no minifier_launcher.py was written"
        return out
    launcher = launchers[0]
    documented = _run([sys.executable, str(launcher)], launcher.parent, MINIFIER_TIMEOUT_S)
    out["as_documented"] = _minifier_result(dump["seconds"], documented, launcher.parent)
    fixed = launcher.with_name("minifier_launcher_sizes.py")
    files.write_text(fixed, fill_sizes(launcher.read_text(encoding="utf-8"), mask_shape))
    for old in launcher.parent.rglob("repro.py"):
        old.unlink()
    with_sizes = _run([sys.executable, str(fixed)], launcher.parent, MINIFIER_TIMEOUT_S)
    out["sizes_filled_in"] = _minifier_result(dump["seconds"], with_sizes, launcher.parent)
    checked = _run(procs.child_command("minify-checked", str(fixed), str(cwd / "checked.json")), Path.cwd(), MINIFIER_TIMEOUT_S)
    result = files.read_json(cwd / "checked.json") if (cwd / "checked.json").is_file() else {}
    out["correct_check"] = {
        "seconds": round(dump["seconds"] + checked["seconds"], 2),
        "ops": result.get("ops"),
        "initial_ops": result.get("initial_ops"),
        "queries": result.get("queries"),
        "reproduces": result.get("reproduces", False),
        "error": result.get("error") or (None if checked["rc"] == 0 else _last_error_line(checked["output"])),
    }
    return out


def _minifier_result(dump_seconds: float, run: dict[str, Any], folder: Path) -> dict[str, Any]:
    repros = sorted(folder.parent.rglob("repro.py"), key=lambda p: p.stat().st_mtime)
    result: dict[str, Any] = {
        "seconds": round(dump_seconds + run["seconds"], 2),
        "exit_code": run["rc"],
        "error": _last_error_line(run["output"]) if run["rc"] else None,
        "ops": None,
        "reproduces": False,
    }
    if run["rc"] == 0 and repros:
        code = repros[-1].read_text(encoding="utf-8")
        result["ops"] = count_ops_in_source(code)
        rc, output = oracle.run_script(repros[-1])
        result["reproduces"] = rc != 0 and oracle.signature(output) is not None
    return result


def minify_checked(launcher: Path, out: Path) -> int:
    """Inside a child: the minifier's own algorithm on the launcher's graph, judged by this bug's
    signature on a compile with dynamic shapes instead of "any exception"."""
    import torch

    from analyzer.capture import torchglue

    namespace: dict[str, Any] = {"__name__": "launcher"}
    exec(compile(launcher.read_text(encoding="utf-8"), str(launcher), "exec"), namespace)
    mod, args = torchglue.minifier_inputs(namespace)
    queries = 0

    def fails(fx_g: torch.fx.GraphModule, inps: list[Any]) -> bool:
        nonlocal queries
        queries += 1
        torchglue.reset()
        try:
            torch.compile(fx_g, dynamic=True)(*inps)
        except Exception as exc:
            return oracle.signature(str(exc)) is not None
        return False

    def graph_ops(gm: torch.fx.GraphModule) -> int:
        return sum(1 for n in gm.graph.nodes if n.op == "call_function" and not any(s in str(n.target) for s in _SYM_SIZE))

    started = time.perf_counter()
    initial = graph_ops(mod)
    try:
        result = torchglue.fx_minify(mod, args, fails)
    except Exception as exc:  # the comparison reports a crash rather than hiding it
        files.write_json(out, {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}", "queries": queries})
        return 1
    gm, inps = result if isinstance(result, tuple) else (result, args)
    files.write_json(
        out,
        {
            "ops": graph_ops(gm),
            "initial_ops": initial,
            "queries": queries,
            "seconds": round(time.perf_counter() - started, 2),
            "reproduces": fails(gm, inps),
        },
    )
    return 0


def machine() -> dict[str, Any]:
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }


def run_minifier_bench(out_path: Path, scenario: str, variant: str) -> dict[str, Any]:
    """Both pipelines on the same failure, one after the other; writes the `minifier` entry of bench.json."""
    with tempfile.TemporaryDirectory(prefix="analyzer-bench-") as tmp:
        workdir = Path(tmp)
        mine = ours(workdir, scenario, variant)
        if not mine["run_dir"] or not (Path(mine["run_dir"]) / "repro_transformers.py").is_file():
            raise RuntimeError(f"the analyze run made no repro to start the minifier from: {mine.get('error')}")
        repro = artifacts.read_repro(Path(mine["run_dir"]))
        data = artifacts.read_capture(Path(mine["run_dir"]) / variant)
        failing = next(c for c in data["calls"] if not c["ok"])
        theirs = minifier(workdir, Path(mine["run_dir"]) / "repro_transformers.py", failing["inputs"]["attention_mask"])
        mine.pop("run_dir")
    entry = {
        "failure": {"scenario": scenario, "variant": variant, "finding": repro.get("finding")},
        "ours": mine,
        "minifier": theirs,
        "speedup_vs_minifier_with_correct_check": _ratio(theirs.get("correct_check", {}).get("seconds"), mine["seconds"]),
        "speedup_vs_minifier_sizes_filled_in": _ratio(theirs.get("sizes_filled_in", {}).get("seconds"), mine["seconds"]),
    }
    files.update_json(out_path, lambda bench: bench.update(machine=machine(), minifier=entry))
    return entry


def _ratio(theirs: float | None, ours_: float | None) -> float | None:
    return round(theirs / ours_, 2) if theirs and ours_ else None


# the shapes of issue reports: one decode step over a long cache, and a long prefill
MASK_SHAPES = {"decode b8 q1 kv8192": (8, 1, 8192), "prefill b4 q2048 kv2048": (4, 2048, 2048)}


def _paired_seconds(a: Any, b: Any, *args: Any, rounds: int = 9, config_b: Any = None) -> tuple[float, float]:
    """Median time of `a` and of `b`, measured in alternating rounds so that a change in the
    machine's load falls on both sides alike. `config_b` is entered around every call of `b`."""
    import contextlib
    import statistics

    import torch.utils.benchmark as tbench

    def timed(fn: Any, config: Any) -> float:
        with config() if config else contextlib.nullcontext():
            fn(*args)  # warm: a compile happens outside the timing
            return tbench.Timer(stmt="fn(*args)", globals={"fn": fn, "args": args}).blocked_autorange(min_run_time=0.2).median

    pairs = [(timed(a, None), timed(b, config_b)) for _ in range(rounds)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _mask_inputs(batch: int, q_length: int, kv_length: int) -> tuple:
    import torch

    mask = torch.ones(batch, kv_length, dtype=torch.bool)
    mask[0, : kv_length // 8] = False  # a left-padded row
    return mask, kv_length - q_length, q_length, kv_length


def _patched_masking_utils(tf_dir: Path, tmp: Path) -> tuple[Any, str]:
    """The installed masking_utils with the transformers series that fits it applied, loaded beside
    the original as `transformers.masking_utils_patched` (both timed in one process), and the
    series' folder name."""
    import importlib.util
    import shutil

    copy = tmp / "transformers"
    copy.mkdir()
    for name in ("__init__.py", "masking_utils.py"):
        shutil.copy2(tf_dir / name, copy / name)
    _, applied = patches.apply("transformers", copy)
    spec = importlib.util.spec_from_file_location("transformers.masking_utils_patched", copy / "masking_utils.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module, applied[0].parent.name


def builder_figures() -> tuple[dict[str, Any], str]:
    """The installed transformers' SDPA mask builder against the same builder with this project's
    series applied, in eager mode, timed side by side in this process (`_paired_seconds`) on the
    `MASK_SHAPES` with a left-padded row: seconds, the ratio patched/unpatched, and whether both
    give the same mask. On 5.x both of `sdpa_mask`'s paths (broadcast, the default, and vmap); on
    4.x `sdpa_mask_recent_torch` (vmap only). Also the name of the series applied."""
    import torch
    from transformers import masking_utils

    from analyzer.fix import verify

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        patched, series = _patched_masking_utils(verify.site_package("transformers"), Path(tmp))
        major = masks.transformers_major()
        for use_vmap in (False, True) if major >= 5 else (True,):
            for label, shape in MASK_SHAPES.items():
                mask, q_offset, q_length, kv_length = _mask_inputs(*shape)

                def run(module: Any) -> Any:
                    if major >= 5:
                        return module.sdpa_mask(
                            batch_size=mask.shape[0], q_length=q_length, kv_length=kv_length, q_offset=q_offset,
                            attention_mask=mask, allow_is_causal_skip=False, use_vmap=use_vmap,
                        )
                    return module.sdpa_mask_recent_torch(
                        batch_size=mask.shape[0], cache_position=torch.arange(q_length) + q_offset, kv_length=kv_length,
                        attention_mask=mask, allow_is_causal_skip=False,
                    )

                old, new = _paired_seconds(lambda: run(masking_utils), lambda: run(patched))
                path = "" if major < 5 else (", vmap" if use_vmap else ", broadcast")
                figures[f"eager transformers{path}, {label}"] = {
                    "unpatched_s": old, "patched_s": new, "ratio": round(new / old, 3),
                    "same_result": bool(torch.equal(run(masking_utils), run(patched))),
                }
    return figures, series


def kernel_child(out: Path) -> int:
    """Inside a child whose torch carries this project's patch: the compiled mask with its bounds
    check against the same mask compiled with the check off; then the patched eager builder
    against the unpatched one (`builder_figures`)."""
    import torch

    from analyzer.capture import torchglue

    figures: dict[str, Any] = {}
    build = masks.builder(use_vmap=True)
    checked = torch.compile(lambda *a: build(*a), dynamic=True)
    unchecked = torch.compile(lambda *a: build(*a), dynamic=True)
    for label, shape in MASK_SHAPES.items():
        args = _mask_inputs(*shape)
        torchglue.reset()
        off = lambda: torchglue.inductor_options(assert_indirect_indexing=False)  # noqa: E731
        with_check, without = _paired_seconds(checked, unchecked, *args, config_b=off)
        same = bool(torch.equal(checked(*args), unchecked(*args)))
        figures[f"compiled, {label}"] = {
            "patched_check_s": with_check, "assert_off_s": without, "ratio": round(with_check / without, 3), "same_result": same
        }
    figures.update(builder_figures()[0])
    files.write_json(out, figures)
    return 0


def run_builder_bench(out_path: Path) -> dict[str, Any]:
    """`bench builder`: `builder_figures` on this environment's torch and transformers, no compile
    and no PyTorch patch; the entry `mask_builder` of bench.json carries its own machine and versions
    (the file's top-level `machine` belongs to the other entries)."""
    figures, series = builder_figures()
    entry = {"goal": "ratio <= 1.0 (the patched builder is no slower in eager)", "series": series, "machine": machine(), "figures": figures}
    files.update_json(out_path, lambda bench: bench.update(mask_builder=entry))
    return entry


def run_kernel_bench(out_path: Path) -> dict[str, Any]:
    """Apply the PyTorch series to this environment, measure in a child, reverse it."""
    from analyzer.fix import verify

    with tempfile.TemporaryDirectory() as tmp, patches.applied("pytorch", verify.site_package("torch")):
        out = Path(tmp) / "kernel.json"
        child = _run(procs.child_command("kernel-bench", str(out)), Path.cwd(), MINIFIER_TIMEOUT_S)
        if not out.is_file():
            raise RuntimeError(f"kernel benchmark failed: {_last_error_line(child['output']) or child['output'][-300:]}")
        figures = files.read_json(out)
    entry = {"goal": "compiled ratio <= 1.05; eager ratio <= 1.0", "figures": figures}
    files.update_json(out_path, lambda bench: bench.update(machine=machine(), mask_kernel=entry))
    return entry


SCAN_CORPUS_MB = 64
SCAN_GOAL_MB_S = 10.0


def captured_kernels(roots: list[Path]) -> list[Path]:
    """Every kernel this project has captured: `reports/**/kernels/*.cpp` and the test data's."""
    return sorted(p for root in roots for p in root.glob("**/kernels/*.cpp") if p.is_file())


def build_corpus(folder: Path, sources: list[Path], target_bytes: int) -> tuple[int, int]:
    """Copies of `sources`, round after round in numbered folders, until `target_bytes` of kernel
    source are there: a corpus the size of a large Inductor cache. Returns (files, bytes)."""
    texts = [p.read_bytes() for p in sources]
    count = total = 0
    rounds = 0
    while total < target_bytes:
        round_dir = folder / f"round-{rounds:03d}"
        round_dir.mkdir(parents=True)
        for i, (path, text) in enumerate(zip(sources, texts)):
            (round_dir / f"{i:04d}-{path.name}").write_bytes(text)
            count, total = count + 1, total + len(text)
        rounds += 1
    return count, total


def _startup_seconds(kernel: Path, runs: int = 5) -> float:
    """Median wall time of `python -m analyzer scan` on one small kernel: process start and imports."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "analyzer", "scan", str(kernel)], capture_output=True, check=False)
        seconds.append(time.perf_counter() - started)
    return round(sorted(seconds)[len(seconds) // 2], 3)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the scan's workers)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_scan_bench(out_path: Path, roots: list[Path], target_mb: float = SCAN_CORPUS_MB, rounds: int = 2) -> dict[str, Any]:
    """`scan` on a corpus of copies of every captured kernel, timed in this process (reading the
    files included), in one process and with a worker per CPU, best of `rounds`; start-up time
    apart. Writes the `scan` entry of bench.json."""
    from importlib.metadata import version

    from analyzer.analysis import scan

    sources = captured_kernels(roots)
    if not sources:
        raise RuntimeError(f"no captured kernels under {', '.join(map(str, roots))}")
    modes: dict[str, Any] = {}
    load = os.getloadavg()[0]  # other work on the machine: with more runnable processes than CPUs, wall times stretch
    with tempfile.TemporaryDirectory(prefix="analyzer-scan-corpus-") as tmp:
        corpus = Path(tmp)
        count, size = build_corpus(corpus, sources, int(target_mb * 1e6))
        for label, jobs in (("one_process", 1), ("worker_per_cpu", 0)):
            seconds = cpu_seconds = float("inf")
            for _ in range(rounds):  # the best round: the machine's other work only ever slows a round down
                cpu_started, started = _cpu_seconds(), time.perf_counter()
                findings = scan.scan([str(corpus)], jobs=jobs)
                seconds = min(seconds, time.perf_counter() - started)
                cpu_seconds = min(cpu_seconds, _cpu_seconds() - cpu_started)
            modes[label] = {
                "workers": 1 if jobs == 1 else min(scan.cpus(), count),
                "seconds": round(seconds, 2),
                "mb_per_s": round(size / 1e6 / seconds, 2),
                # per second of CPU, this process and its workers: what the machine's other work does not change
                "cpu_seconds": round(cpu_seconds, 2),
                "mb_per_cpu_s": round(size / 1e6 / cpu_seconds, 2),
                "findings": len(findings),
            }
    smallest = min(sources, key=lambda p: p.stat().st_size)
    entry = {
        "goal_mb_per_s": SCAN_GOAL_MB_S,
        "corpus": {"files": count, "mb": round(size / 1e6, 1), "copied_from": len(sources)},
        "rounds": rounds,
        "load_average_before": round(load, 2),
        **modes,
        "startup_seconds": _startup_seconds(smallest),
        "startup_kernel_bytes": smallest.stat().st_size,
        "versions": {"tree-sitter": version("tree-sitter"), "tree-sitter-cpp": version("tree-sitter-cpp")},
    }
    files.update_json(out_path, lambda bench: bench.update(machine=machine(), scan=entry))
    return entry


GRAPH_LAYERS = (2, 4, 8)
GRAPHS_TIMEOUT_S = 1800


def run_graphs_bench(out_path: Path, layers: tuple[int, ...] = GRAPH_LAYERS, scenario: str = "tiny-llama-generate") -> dict[str, Any]:
    """`analyze` of the tiny model at each layer count, one after the other, each in a fresh
    process with its own Inductor cache: capture seconds, compiles, kernels and analysis seconds
    side by side. Repros are left out; they depend on the failing kernel, not on the model's size.
    Writes the `analyze_scaling` entry of bench.json."""

    rows = []
    with tempfile.TemporaryDirectory(prefix="analyzer-bench-graphs-") as tmp:
        for count in layers:
            reports = Path(tmp) / f"layers-{count}"
            cmd = [sys.executable, "-m", "analyzer", "analyze", "--scenario", scenario, "--no-repro", "--reports", str(reports)]
            result = _run(cmd, Path.cwd(), GRAPHS_TIMEOUT_S, {scenarios.TINY_LAYERS_ENV: str(count)})
            run_dir = next((reports / scenario).glob("torch-*"), None)
            if run_dir is None or not (run_dir / "summary.json").is_file():
                rows.append({"layers": count, "error": _last_error_line(result["output"]) or f"exit {result['rc']}"})
                continue
            summary = timings.restore(run_dir, "summary.json")
            variants = summary["variants"]
            findings = artifacts.read_findings(run_dir)
            kernel_bytes = sum(p.stat().st_size for p in run_dir.glob("*/kernels/*.cpp"))
            rows.append(
                {
                    "layers": count,
                    "status": summary["status"],
                    "capture_seconds": round(sum(v.get("seconds", 0) for v in variants), 2),
                    "compiles": sum(v.get("compiles", 0) for v in variants),
                    "kernels": sum(v.get("kernels", 0) for v in variants),
                    "kernel_kb": round(kernel_bytes / 1024, 1),
                    "analysis_seconds": round(sum(v.get("analysis_seconds", 0) for v in variants), 3),
                    "findings": summary.get("findings", {}),
                    "kernels_with_findings": len({f["file"] for f in findings}),
                    "analyze_wall_seconds": result["seconds"],
                }
            )
    entry = {"scenario": scenario, "repros": False, "runs": rows}
    files.update_json(out_path, lambda bench: bench.update(machine=machine(), analyze_scaling=entry))
    return entry


PROGRAMS = Path(__file__).resolve().parent.parent / "tests" / "programs"


PROGRAM_MINIFIER_TIMEOUT_S = 600  # per step; a minifier still working then is recorded as timed out


def _minifier_on_program(workdir: Path, program: Path, wanted: Any) -> dict[str, Any]:
    """PyTorch's minifier as its documentation says to use it: the program with
    TORCHDYNAMO_REPRO_AFTER=aot, then the launcher it writes; the repro it ends on must fail with
    the program's own compiler diagnostic to count."""
    from analyzer.repro import failure

    cwd = workdir / "minifier"
    cwd.mkdir(parents=True, exist_ok=True)
    dump = _run([sys.executable, str(program)], cwd, PROGRAM_MINIFIER_TIMEOUT_S, {"TORCHDYNAMO_REPRO_AFTER": "aot"})
    launchers = sorted(cwd.rglob("minifier_launcher.py"))
    if not launchers:
        return {"seconds": dump["seconds"], "reproduces": False, "error": "no minifier_launcher.py was written"}
    launched = _run([sys.executable, str(launchers[0])], launchers[0].parent, PROGRAM_MINIFIER_TIMEOUT_S)
    repros = sorted(cwd.rglob("repro.py"), key=lambda p: p.stat().st_mtime)
    out: dict[str, Any] = {
        "seconds": round(dump["seconds"] + launched["seconds"], 2),
        "exit_code": launched["rc"],
        "error": _last_error_line(launched["output"]) if launched["rc"] else None,
        "reproduces": False,
    }
    if launched["rc"] == 0 and repros:
        rc, output = oracle.run_script(repros[-1])
        out["reproduces"] = rc != 0 and failure.same_failure(wanted, output)
        out["ops"] = count_ops_in_source(repros[-1].read_text(encoding="utf-8"))
    return out


def run_programs_bench(out_path: Path, corpus: Path = PROGRAMS, minifier_too: bool = True) -> dict[str, Any]:
    """Per corpus program that fails on this torch: one plain failing run of the program, `run` from
    its start to a verified repro, and PyTorch's minifier used as documented, side by side in one run."""
    from analyzer import identity
    from analyzer.analysis import compiler

    here = identity.release_key(identity.installed("torch"))
    rows = []
    for entry in json.loads((corpus / "programs.json").read_text(encoding="utf-8")):
        fixed = entry.get("passes_on")
        if not (identity.release_key(entry["fails_on"]) <= here and (fixed is None or here < identity.release_key(fixed))):
            continue
        program = corpus / entry["file"]
        with tempfile.TemporaryDirectory(prefix="analyzer-bench-") as tmp:
            workdir = Path(tmp)
            plain = _run([sys.executable, str(program)], workdir, MINIFIER_TIMEOUT_S)
            mine = _run([sys.executable, "-m", "analyzer", "run", "-q", "--out", str(workdir / "run"), "--", sys.executable, str(program)], Path.cwd(), MINIFIER_TIMEOUT_S)
            repro = artifacts.read_repro(workdir / "run").get("repro_torch.py", {}) if artifacts.has(workdir / "run", artifacts.REPRO) else {}
            row: dict[str, Any] = {
                "program": entry["file"],
                "class": entry["class"],
                "plain_run": {"seconds": plain["seconds"], "exit_code": plain["rc"]},
                "ours": {"seconds": mine["seconds"], "ops": repro.get("ops"), "reproduces": bool(repro.get("verified"))},
                "ours_vs_plain": round(mine["seconds"] / plain["seconds"], 2) if plain["seconds"] else None,
            }
            if minifier_too:
                wanted = compiler.diagnostic(plain["output"])
                theirs = _minifier_on_program(workdir, program, wanted)
                row["minifier"] = theirs
                row["minifier_vs_ours"] = _ratio(theirs["seconds"], mine["seconds"]) if theirs.get("reproduces") else None
            rows.append(row)
    entry = {
        "goal": "ours <= 2x one plain failing run; >= 5x faster than the minifier wherever the minifier's repro reproduces",
        "machine": machine(),
        "programs": rows,
    }
    files.update_json(out_path, lambda bench: bench.update(programs=entry))
    return entry
