"""`python -m analyzer run -- COMMAND`: a user's own program, captured, analysed, traced, reproduced, reported.

The command runs unchanged, in its own process group with a fresh Inductor cache and a timeout
that kills the whole group. `capture/hook` on its PYTHONPATH makes every Python process it starts
record its compiles (`capture.program`) into a bundle of its own (`process-1/`, ... in the order
the processes started), laid out as a scenario's variant is; from there the run goes the way
`analyze` goes: the kernel analysis of every kernel, each finding traced to the program's own
file and line, the compiler's failures classified (`analysis.compiler`), a minimal pure-torch
repro proven in a fresh process on the program's own Python, the known-issue diagnosis and the
report. The folder is written beside its final place and swapped in only when complete.

Default folder: `reports/runs/<command name>/torch-<v>-transformers-<v>/` (`-transformers-none`
when the program's Python has no transformers).
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, identity, procs, timings
from analyzer.analysis import compiler, trace
from analyzer.capture import launch

DEFAULT_TIMEOUT_S = 1800
OUTPUT = "program_output.txt"


class BadCommand(ValueError):
    """A command `run` cannot use, in one line (exit 2)."""


def command_name(argv: list[str]) -> str:
    """A folder name for a command: `python train.py` -> `train`, `python -m pytest tests/test_chat.py`
    -> `pytest-test_chat`, `./run.sh` -> `run`."""
    args = list(argv[1:]) if Path(argv[0]).name.startswith("python") else list(argv)
    parts: list[str] = []
    if args[:1] == ["-m"] and len(args) > 1:
        parts.append(args[1])
        args = args[2:]
    positional = [a for a in args if not a.startswith("-")]
    # an option's value (`-p no:cacheprovider`) is no target: prefer what names a file
    target = next((a for a in positional if a.split("::")[0].endswith(".py") or Path(a.split("::")[0]).exists()), None)
    target = target or next(iter(positional), None)
    if target is not None:
        parts.append(Path(target.split("::")[0]).stem or Path(target).name)
    name = "-".join(parts) or Path(argv[0]).stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "program"


def shown(argv: list[str]) -> str:
    """The command as a reader would type it: the program by its name, not this machine's path to it."""
    from analyzer.capture import machine

    return machine.portable(" ".join([Path(argv[0]).name, *argv[1:]]), machine.prefixes())


def _resolve(argv: list[str]) -> str:
    if not argv:
        raise BadCommand("no command: give one after `--`, e.g. `python -m analyzer run -- python train.py`")
    exe = argv[0]
    found = shutil.which(exe) if os.sep not in exe else (exe if os.access(exe, os.X_OK) and Path(exe).is_file() else None)
    if found is None:
        raise BadCommand(f"{exe}: command not found")
    return found


def _failures(name: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every compile of one bundle that failed, classified and traced, with the test that was running."""
    out = []
    for call in data["calls"]:
        if call["ok"]:
            continue
        message = (call.get("error") or {}).get("message", "")
        kind, first = compiler.classify(message)
        compile_id = call["label"].removeprefix("compile ")
        compile_rec = next(c for c in data["compiles"] if c["compile_id"] == compile_id)
        traced = trace.trace_failure(compile_rec, message) if first else {"trace": [], "source": None, "unresolved": None}
        for step in traced["trace"]:
            if step["layer"] == "kernel":
                step["file"] = f"{name}/{step['file']}"  # relative to the run folder, as findings are
        out.append(
            {
                "variant": name,
                "compile_id": compile_id,
                "test": call["compile"].get("test"),
                "recompile": call["compile"].get("recompile"),
                "class": kind,
                "compiler_error": first,
                "error_type": (call.get("error") or {}).get("type"),
                **traced,
            }
        )
    return out


def run(
    argv: list[str],
    out: Path | None = None,
    reports_dir: Path = Path("reports"),
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: Any = None,
    repro: bool = True,
) -> dict[str, Any]:
    """Run the command and write its run folder; returns the summary (also `summary.json`)."""
    from analyzer import analyze
    from analyzer.report import documents

    say = progress or (lambda _msg: None)
    exe = _resolve(argv)
    name = command_name(argv)
    parent = out.parent if out is not None else reports_dir / "runs" / name
    created = [d for d in (parent, *parent.parents) if not d.exists()]  # removed again if the run leaves nothing
    staging = files.staging_dir(parent, out.name if out is not None else name)
    worker: procs.Child | None = None
    try:
        bundles = staging / ".bundles"
        bundles.mkdir()
        say(f"running {shown(argv)} (timeout {timeout_s:.0f}s), recording every compile")
        started = time.perf_counter()
        # the repro's process imports torch and warms Inductor up while the program runs, on the
        # Python the command most likely runs (checked once it has: another one gets its own)
        worker_python = _likely_python(exe)
        run_started = time.time()
        worker = analyze.start_repro_worker(run_started, worker_python, launch.analyzer_env()) if repro else None
        with tempfile.TemporaryDirectory(prefix="inductor-cache-") as cache, open(staging / OUTPUT, "w", encoding="utf-8") as log:
            rc = launch.run_recorded([exe, *argv[1:]], bundles, name, timeout_s, cache, log)
        seconds = round(time.perf_counter() - started, 2)
        from analyzer.capture import machine

        output = (staging / OUTPUT).read_text(encoding="utf-8", errors="replace")
        prefixes = [(cache, "<inductor-cache>"), *machine.prefixes()]
        files.write_text(staging / OUTPUT, machine.portable(output, prefixes))  # no paths of this machine
        pythons = launch.pythons(bundles)
        # each process that compiled, named by the order the processes started: `process-1`, ...
        recorded = launch.recorded(bundles)
        names = [f"process-{k}" for k in range(1, len(recorded) + 1)]
        executables = {name: pythons[pid] for name, pid in zip(names, recorded)}
        if not pythons:
            raise BadCommand(f"{argv[0]}: not Python (the command started no Python process the analyzer could watch; exit {rc})")
        if not names:
            what = f"timed out after {timeout_s:.0f}s" if rc is None else f"exit {rc}"
            raise BadCommand(f"{shown(argv)}: no compile happened (no torch.compile reached Inductor; the program's {what})")
        environment = procs.in_background(analyze.collect_env, executables[names[0]])  # meanwhile, on the program's torch
        say(f"analysing the kernels of {len(names)} process(es)")
        findings: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        variants = []
        for pid, bundle_name in zip(recorded, names):
            os.replace(launch.bundle_of(bundles, pid), staging / bundle_name)
            data = artifacts.read_capture(staging / bundle_name)
            data["variant"] = bundle_name
            artifacts.write_capture(staging / bundle_name, data)
            failures += _failures(bundle_name, data)
            tests = {c["label"].removeprefix("compile "): c["compile"].get("test") for c in data["calls"]}
            unparsed: list[dict[str, str]] = []
            found = analyze.analyze_bundle(staging / bundle_name, staging, unparsed)
            for f in found:
                f["test"] = tests.get(f["compile_id"])
            findings += found
            variants.append(
                {
                    "variant": bundle_name,
                    "bundle": bundle_name,
                    "status": "unparsed-kernels" if unparsed else "ok",
                    "returncode": rc,
                    "calls": analyze.call_summary(data),
                    "compiles": len(data["compiles"]),
                    "kernels": sum(len(c["kernels"]) for c in data["compiles"]),
                    "findings": dict(Counter(f["kind"] for f in found)),
                    **({"unparsed": unparsed} if unparsed else {}),
                }
            )
            versions = data["versions"]
        summary: dict[str, Any] = {
            "scenario": name,
            "run": "",
            "command": shown(argv),
            "exit_code": rc,
            "variants": variants,
            "versions": versions,
            "status": "timeout" if rc is None else "ok",
            "findings": dict(Counter(f["kind"] for f in findings)),
            "failures": failures,
        }
        final = out if out is not None else parent / _folder_name(versions)
        summary["run"] = final.name
        artifacts.write_findings(staging, findings)
        artifacts.write_summary(staging, summary)
        # a lost definition is minimized from the program's graph; a late check has no error to keep
        if worker is not None and (
            any(f["kind"] in identity.LOST and f.get("source") for f in findings) or any(f["compiler_error"] for f in failures)
        ):
            say("minimizing and proving a repro, on the program's own Python")
            python = _python_of(executables, findings, failures)
            if not _same_python(python, worker_python):
                worker.kill()
                worker = analyze.start_repro_worker(run_started, python, launch.analyzer_env())
            summary["repro"] = analyze.make_repros(staging, worker)
            worker = None
            artifacts.write_summary(staging, summary)
        elif worker is not None:
            worker.kill()  # nothing to reproduce
            worker = None
        files.write_text(staging / identity.COLLECT_ENV, environment.result())
        summary["seconds"] = seconds
        artifacts.write_summary(staging, summary)
        timings.move_out(staging)
        shutil.rmtree(bundles)
        documents.write_run(staging, reports_dir)
        files.replace_dir(staging, final)
    except BaseException:
        if worker is not None:
            worker.kill()
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # innermost first; a folder something else wrote into stays
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    summary["path"] = str(final)
    summary["findings_list"] = findings
    return summary


def _folder_name(versions: dict[str, str]) -> str:
    torch = identity.release(versions["torch"])
    transformers = versions.get("transformers")
    return identity.run_folder_name(torch, transformers) if transformers else f"torch-{torch}-transformers-none"


def _python_of(executables: dict[str, str], findings: list[dict[str, Any]], failures: list[dict[str, Any]]) -> str:
    """The Python of the process whose compile made the first traced finding (else the first failure):
    the repro runs on its torch."""
    name = next((f["variant"] for f in findings if f.get("source")), None) or next((f["variant"] for f in failures), None)
    return executables.get(name or "") or sys.executable


def _likely_python(exe: str) -> str:
    """The Python a command runs: itself when it is one, else its script's `#!` interpreter when that
    is one (`pytest`, a console script, `#!/usr/bin/env python3`), else this process's own. A guess:
    `run` checks it against the Python that did run."""
    if Path(exe).name.startswith("python"):
        return exe
    try:
        with open(exe, "rb") as script:
            first = script.readline(300).decode("utf-8", "replace")
    except OSError:
        return sys.executable
    words = first[2:].split() if first.startswith("#!") else []
    if words[:1] and Path(words[0]).name == "env":  # `#!/usr/bin/env python3`: the first on PATH
        words = [shutil.which(words[1]) or ""] if len(words) > 1 else []
    if words and Path(words[0]).name.startswith("python") and os.access(words[0], os.X_OK):
        return words[0]
    return sys.executable


def _same_python(a: str, b: str) -> bool:
    """Whether two executables are the same Python (a venv's `python` and `python3` are)."""
    return os.path.realpath(a) == os.path.realpath(b) and Path(a).parent.resolve() == Path(b).parent.resolve()
