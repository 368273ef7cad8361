"""capture -> kernel analysis -> trace, for one scenario on the installed torch and transformers.

The run is written to a staging folder and swapped into
`reports/<scenario>/torch-<v>-transformers-<v>/` only when complete, so a crash or a concurrent
run never leaves a half-written report behind.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, identity, procs, timings
from analyzer.analysis import compiler, kernel, trace
from analyzer.capture import bundle, scenarios
from analyzer.report import documents



def run_folder_name() -> str:
    """The folder of a run on the installed versions (`identity.run_folder_name`)."""
    return identity.installed_run_folder_name()


def analyze_bundle(bundle_dir: Path, run_dir: Path, unparsed: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Findings for every kernel one variant compiled, each traced through its compile's layers.

    A kernel the parser cannot read is listed in `unparsed` with the reason, never skipped
    silently: the run is then marked failed, because "no findings" would be a claim about it.
    """
    data = artifacts.read_capture(bundle_dir)
    out = []
    for compile_rec in data["compiles"]:
        graph = trace.layer_graph(compile_rec)
        for k in compile_rec["kernels"]:
            rel = (bundle_dir / k["file"]).relative_to(run_dir).as_posix()
            source = Path(k["path"]).read_text(encoding="utf-8")
            try:
                found = kernel.analyze_source(source, rel)
            except kernel.KernelParseError as exc:
                if unparsed is None:
                    raise
                unparsed.append({"file": rel, "reason": str(exc)})
                continue
            for finding in found:
                record = dict(finding.to_dict(), kernel=k["name"], variant=data["variant"], compile_id=compile_rec["compile_id"])
                out.append(trace.trace_finding(record, k["name"], graph))
    return out


def call_summary(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for call in data["calls"]:
        error = call.get("error") or {}
        message = error.get("message", "")
        first_error = compiler.first_compiler_error(message)
        out.append(
            {
                "label": call["label"],
                "ok": call["ok"],
                "matches_eager": call["matches_eager"],
                "error_type": error.get("type"),
                "compiler_error": first_error,
            }
        )
    return out


def collect_env(python: str = sys.executable) -> str:
    """`torch.utils.collect_env`, the versions block PyTorch's bug template asks for, as this run's environment saw it.

    It describes the machine (CPU, kernel) as well as the versions, so it is captured once with the
    run, and the issue reports quote this file rather than asking the machine again."""
    try:
        proc = subprocess.run(
            [python or sys.executable, "-m", "torch.utils.collect_env"], capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:  # the report says so; the run goes on
        return f"collect_env failed: {type(exc).__name__}: {exc}\n"
    return proc.stdout if proc.returncode == 0 else f"collect_env failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}\n"


# the `transformers` command as installed (its entry point moved between 4.x and 5.x), run as `transformers env`
_TRANSFORMERS_CLI = (
    "import sys; from importlib.metadata import entry_points; "
    "main = next(iter(entry_points(group='console_scripts', name='transformers'))).load(); "
    "sys.argv = ['transformers', *sys.argv[1:]]; sys.exit(main())"
)


def transformers_env() -> str:
    """`transformers env`, the System Info transformers' bug template asks for, as this run's
    environment saw it (captured once with the run, like `collect_env`). The question it leaves to
    the reporter is answered: the repros run in one process, without a distributed set-up."""
    proc = subprocess.run(
        [sys.executable, "-c", _TRANSFORMERS_CLI, "env"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore", "TRANSFORMERS_VERBOSITY": "error"},
    )
    if proc.returncode != 0:
        return f"transformers env failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}\n"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("- ")]
    return "\n".join(line.replace("<fill in>", "No") for line in lines) + "\n"


REPRO_TIMEOUT_S = 1800


def start_repro_worker(run_started: float, python: str = sys.executable, env: dict[str, str] | None = None) -> procs.Child:
    """`python -m analyzer repro --from-stdin` on `python`, started before the capture: it imports
    torch, probes the vector ISA and warms Inductor up while the capture runs, then waits to be told
    the run folder. This process imports and compiles nothing."""
    from analyzer.repro import scripts

    cmd = [python, "-m", "analyzer", "repro", "--from-stdin"]
    return procs.Child(cmd, env={**(env or {}), scripts.RUN_STARTED_ENV: repr(run_started)})


def make_repros(run_dir: Path, worker: procs.Child, timeout_s: float = REPRO_TIMEOUT_S) -> dict[str, Any]:
    """The repros of `run_dir`, by the worker `start_repro_worker` started; a hang is killed with the compilers it started."""
    rc, _, stderr = worker.wait(timeout_s, input=f"{run_dir}\n")
    if rc is None:
        return {"status": "timeout", "seconds": timeout_s}
    return repro_outcome(run_dir, rc, stderr)


def repro_outcome(run_dir: Path, rc: int, output: str) -> dict[str, Any]:
    """What a finished `python -m analyzer repro` left in `run_dir`, for the summary: the repros
    with `ok` (all verified, exit 0) or `not-verified`, or `failed` with its last line of `output`."""
    if artifacts.has(run_dir, artifacts.REPRO):
        made = {k: v for k, v in artifacts.read_repro(run_dir).items() if k != "schema_version"}
        return {"status": "ok" if rc == 0 else "not-verified", **made}
    return {"status": "failed", "stderr": output.strip().splitlines()[-1:]}


def run(
    scenario_name: str,
    reports_dir: Path,
    timeout_s: float = bundle.DEFAULT_TIMEOUT_S,
    progress: Any = None,
    repro: bool = True,
    variants: list[str] | None = None,
) -> dict[str, Any]:
    """Run the scenario's variants (all, or those named); returns the summary also written as `summary.json`."""
    run_started = time.time()
    scenario = scenarios.get(scenario_name)
    known = scenario.variants()
    unknown = [v for v in variants or [] if v not in known]
    if unknown:
        raise scenarios.UnknownScenario(
            f"unknown variant {unknown[0]!r} of {scenario_name} on this transformers (known: {', '.join(known)})"
        )
    final = reports_dir / scenario_name / run_folder_name()
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = files.staging_dir(final.parent, final.name)  # also removes those of killed runs
    variants = variants or known
    summary: dict[str, Any] = {"scenario": scenario_name, "run": final.name, "variants": []}
    findings: list[dict[str, Any]] = []
    worker: procs.Child | None = None
    try:
        worker = start_repro_worker(run_started) if repro else None
        for number, variant in enumerate(variants, 1):
            if progress:
                progress(f"capturing {scenario_name} [{variant}] in a fresh process ({number}/{len(variants)})")
            result = bundle.run_variant(scenario_name, variant, staging / variant, timeout_s)
            entry: dict[str, Any] = dataclasses.asdict(result)
            if result.status == "ok":
                data = artifacts.read_capture(staging / variant)
                summary.setdefault("versions", data["versions"])
                entry["calls"] = call_summary(data)
                entry["compiles"] = len(data["compiles"])
                entry["kernels"] = sum(len(c["kernels"]) for c in data["compiles"])
                if progress:
                    progress(f"analysing {entry['kernels']} kernels of [{variant}]")
                unparsed: list[dict[str, str]] = []
                analysis_started = time.perf_counter()
                variant_findings = analyze_bundle(staging / variant, staging, unparsed)
                entry["analysis_seconds"] = round(time.perf_counter() - analysis_started, 2)
                entry["findings"] = dict(Counter(f["kind"] for f in variant_findings))
                if unparsed:
                    entry["status"], entry["unparsed"] = "unparsed-kernels", unparsed
                findings.extend(variant_findings)
            else:
                # keep the partial output under a name that says what happened
                failed = staging / variant
                if failed.exists():
                    os.replace(failed, staging / f"{variant}.{result.status}")
                    entry["bundle"] = f"{variant}.{result.status}"
            summary["variants"].append(entry)
        summary["status"] = "ok" if all(v["status"] == "ok" for v in summary["variants"]) else "failed"
        summary["findings"] = dict(Counter(f["kind"] for f in findings))
        artifacts.write_findings(staging, findings)
        environment = [procs.in_background(collect_env), procs.in_background(transformers_env)]  # during the repro
        if worker is not None and any(f["kind"] in kernel.KINDS and f.get("source") for f in findings):
            if progress:
                progress("minimizing and verifying repros (each candidate compiled, each script rerun in a fresh process)")
            summary["repro"] = make_repros(staging, worker)
        elif worker is not None:
            worker.kill()  # nothing to reproduce
        from analyzer.report import flakiness

        flaky = flakiness.write(staging)  # flakiness.md, for a scenario that records its tests' orders
        if flaky:
            summary["flakiness"] = flaky
        artifacts.write_summary(staging, summary)
        if progress:
            progress("recording the environment (torch.utils.collect_env, transformers env)")
        files.write_text(staging / documents.COLLECT_ENV, environment[0].result())
        files.write_text(staging / documents.TRANSFORMERS_ENV, environment[1].result())
        timings.move_out(staging)
        notices = []
        if findings:
            if progress:
                progress("drawing the def-use slices and layer traces")
            from analyzer.report import draw

            notice = draw.draw_or_keep(staging, final)  # without Graphviz: the sources, and the pictures still true
            notices += [notice] if notice else []
        if progress:
            progress("writing the reports")
        documents.write_run(staging, reports_dir)
        files.replace_dir(staging, final)
    except BaseException:
        # an interrupted run leaves no staging folder behind; the previous report stays intact
        if worker is not None:
            worker.kill()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary["path"] = str(final)
    summary["findings_list"] = findings
    summary["notices"] = notices
    return summary
