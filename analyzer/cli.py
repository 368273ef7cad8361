"""One command line for every job; nox sessions call it, and it owns no environment logic.

Exit codes, as a linter's: 0 clean, 1 findings (scan) or a failed capture (analyze), 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from analyzer import identity, procs

EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


# the modules the analyzer imports from its dependencies (pyproject.toml), and the distribution of each
DEPENDENCIES = {
    "torch": "torch", "transformers": "transformers", "networkx": "networkx", "tree_sitter": "tree-sitter",
    "tree_sitter_cpp": "tree-sitter-cpp", "rich": "rich", "graphviz": "graphviz",
}


def missing_dependency(exc: ModuleNotFoundError) -> str | None:
    """The one line for a dependency this Python lacks, or None when `exc` is about another module
    (a bug to show whole, not a setup problem to explain)."""
    top = (exc.name or "").split(".")[0]
    if top not in DEPENDENCIES:
        return None
    return (
        f"{DEPENDENCIES[top]} is not installed in this Python ({sys.executable}): the analyzer's dependencies are "
        "missing; install them with `pip install -e .` in the checkout, or run it with the environment "
        "`nox -s tests` made: `.nox/tests/bin/python -m analyzer ...`"
    )


def _error(message: str) -> int:
    print(f"analyzer: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _cannot_run(compiler: bool = True) -> str | None:
    """Why a command that runs torch (and compiles, with `compiler`) cannot start on this machine."""
    from analyzer import preflight

    return preflight.problem(compiler)


def _bad_selection(scenario: str, variants: list[str]) -> str | None:
    """Why the scenario or one of the variants cannot run here, or None."""
    from analyzer.capture import scenarios

    try:
        known = scenarios.get(scenario).variants()
    except scenarios.UnknownScenario as exc:
        return str(exc)
    unknown = [v for v in variants if v not in known]
    if unknown:
        return f"unknown variant {unknown[0]!r} of {scenario} on this transformers (known: {', '.join(known)})"
    return None


def cmd_scan(args: argparse.Namespace) -> int:
    from analyzer.analysis import scan

    torch, source = (args.torch, "--torch") if args.torch is not None else (None, "installed")
    if args.json or torch is not None:  # the known issues are matched in --json output only
        from analyzer.analysis import known

        if torch is not None:
            try:
                known.parse_version(torch)
            except known.BadVersion as exc:
                return _error(f"--torch: {exc}")
    try:
        result = scan.scan_paths(args.paths, jobs=args.jobs)
    except scan.BadInput as exc:
        return _error(str(exc))
    if args.json:
        if torch is None:
            torch = known.installed_torch()  # the findings are matched against it: read, not imported
        print(json.dumps(known.annotate(result.to_dict(), torch, source), indent=2))
    else:
        for f in result.findings:
            print(scan.format_finding(f))
        if result.skipped:
            print(f"analyzer: {result.skipped_line()}", file=sys.stderr)
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def cmd_analyze(args: argparse.Namespace) -> int:
    from analyzer import analyze
    from analyzer.progress import Progress

    problem = _bad_selection(args.scenario, args.variant or []) or _cannot_run()
    if problem:
        return _error(problem)
    with Progress("analyze", quiet=args.quiet) as progress:
        summary = analyze.run(
            args.scenario, Path(args.reports), args.timeout, progress=progress, repro=not args.no_repro, variants=args.variant
        )
        for notice in summary["notices"]:
            progress.note(notice)
    _print_table(summary)
    print(f"report: {summary['path']}")
    return EXIT_CLEAN if summary["status"] == "ok" else EXIT_FINDINGS


def cmd_run(args: argparse.Namespace) -> int:
    from analyzer import run
    from analyzer.analysis import compiler
    from analyzer.progress import Progress

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.timeout <= 0:
        return _error(f"--timeout {args.timeout:g}: not a number of seconds")
    try:
        with Progress("run", quiet=args.quiet) as progress:
            summary = run.run(
                command, Path(args.out) if args.out else None, Path(args.reports), args.timeout, progress=progress, repro=not args.no_repro
            )
    except run.BadCommand as exc:
        return _error(str(exc))
    code = summary["exit_code"]
    print(f"program: {summary['command']}: " + ("timed out" if code is None else f"exit {code}"))
    for failure in summary["failures"]:
        test = f" in {failure['test']}" if failure.get("test") else ""
        guard = (failure.get("recompile") or {}).get("guard")
        because = f", recompiled because {guard} failed" if guard else ""
        print(f"compile {failure['compile_id']}{test}{because}: {failure['class']} ({compiler.CLASSES[failure['class']]})")
        if failure.get("compiler_error"):
            print(f"  {failure['compiler_error']}")
        if failure.get("source"):
            print(f"  from {failure['source']['file']}:{failure['source']['line']}: {failure['source']['text']}")
    sources = {(f["source"]["file"], f["source"]["line"], f["source"]["text"], f.get("test")) for f in summary["findings_list"] if f.get("source")}
    for file, line, text, test in sorted(sources, key=str):
        print(f"traced to {file}:{line}: {text}" + (f" (in {test})" if test else ""))
    for name, entry in (summary.get("repro") or {}).items():
        if name.endswith(".py"):
            print(f"{name}: {_repro_label(entry, 'torch ops')}, {'verified in a fresh process' if entry.get('verified') else 'NOT verified'}")
    print(f"report: {summary['path']}")
    return EXIT_FINDINGS if summary["failures"] or summary["findings_list"] else EXIT_CLEAN


def cmd_capture(args: argparse.Namespace) -> int:
    from analyzer.capture import bundle

    problem = _bad_selection(args.scenario, [args.variant]) or _cannot_run()
    if problem:
        return _error(problem)
    result = bundle.capture_to(args.scenario, args.variant, Path(args.out), args.timeout, slim=args.slim)
    print(f"{args.out}: {result.status} in {result.seconds:.1f}s")
    return EXIT_CLEAN if result.status == "ok" else EXIT_FINDINGS


def cmd_capture_cache(args: argparse.Namespace) -> int:
    from analyzer.capture import cachefolder

    problem = _cannot_run()
    if problem:
        return _error(problem)
    try:
        record = cachefolder.capture(Path(args.out), cpp_wrapper=args.cpp_wrapper)
    except RuntimeError as exc:
        return _error(str(exc))
    print(f"{args.out}: {len(record['files'])} files of an Inductor cache folder (torch {record['versions']['torch']})")
    return EXIT_CLEAN


def _not_a_run(run: Path, needs: str) -> str | None:
    """Why `run` cannot be read as an analyze run folder by a command that reads its `needs` file."""
    return None if (run / needs).is_file() else f"{run}: not an analyze run folder (no {needs})"


def cmd_repro(args: argparse.Namespace) -> int:
    from analyzer import timings
    from analyzer.repro import scripts

    if args.from_stdin == (args.run is not None):
        return _error("give a run folder, or --from-stdin to read it once warmed up, not both")
    problem = _cannot_run()
    if problem:
        return _error(problem)
    if args.from_stdin:
        scripts.warm_up()
        line = sys.stdin.readline().strip()
        if not line:
            return EXIT_CLEAN  # the run found nothing to reproduce
        args.run = line
    run = Path(args.run)
    problem = _not_a_run(run, "findings.json")
    if problem:
        return _error(problem)
    try:
        result = scripts.make(run)
    except LookupError as exc:
        return _error(f"{run}: {exc}")
    scripts.record_in_summary(run, result)
    timings.move_out(run)
    for name, entry in result.items():
        if name.endswith(".py"):
            state = "verified" if entry["verified"] else "NOT verified"
            ops = _repro_label(entry, "ops")
            print(f"{run / name}: {ops}, {state}")
    return EXIT_CLEAN if all(e["verified"] for n, e in result.items() if n.endswith(".py")) else EXIT_FINDINGS


def cmd_draw(args: argparse.Namespace) -> int:
    from analyzer.report import draw

    run = Path(args.run)
    problem = _not_a_run(run, "findings.json")
    if problem:
        return _error(problem)
    try:
        written = draw.draw_run(run)
    except draw.DrawError as exc:
        return _error(str(exc))
    for path in written:
        print(f"written: {path}")
    if not written:
        print(f"{run}: no findings, nothing to draw")
    return EXIT_CLEAN


def cmd_report(args: argparse.Namespace) -> int:
    from analyzer.report import documents

    reports_dir = Path(args.reports)
    if not reports_dir.is_dir():
        return _error(f"{reports_dir}: no such reports folder")
    runs = [Path(r) for r in args.run]
    problem = next(filter(None, (_not_a_run(run, "summary.json") for run in runs)), None)
    if problem:
        return _error(problem)
    if not runs and not documents.run_dirs(reports_dir):
        return _error(f"{reports_dir}: no analyze run folders (run `nox -s analyze` first)")
    for path in documents.write_all(reports_dir, runs or None):
        print(f"written: {path}")
    print(f"read next: {reports_dir / 'README.md'} (one line per run, and which report to open)")
    return EXIT_CLEAN


def cmd_bench(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from analyzer import bench

    if args.what == "scan":
        return _bench_scan(args)
    if args.what == "builder":
        return _bench_builder(args)
    if args.what == "programs":
        return _bench_programs(args)
    problem = _bad_selection(args.scenario, [args.variant]) or _cannot_run()
    if problem:
        return _error(problem)
    if args.what == "graphs":
        return _bench_graphs(args)
    if args.what == "kernel":
        from analyzer.fix import patches

        try:
            with Console(stderr=True).status("the mask kernel with the PyTorch patch against the assert off; eager builders"):
                figures = bench.run_kernel_bench(Path(args.out))["figures"]
        except patches.PatchError as exc:  # no series for this release, or it does not apply here
            return _error(str(exc))
        table = Table(title="patched against reference, same process (median of repeated runs)")
        for column in ("measure", "patched s", "reference s", "ratio", "same result"):
            table.add_column(column)
        for label, f in figures.items():
            patched_s, reference = (f["patched_check_s"], f["assert_off_s"]) if "assert_off_s" in f else (f["patched_s"], f["unpatched_s"])
            table.add_row(label, f"{patched_s:.6f}", f"{reference:.6f}", f"{f['ratio']:.3f}", str(f["same_result"]))
        Console(width=160).print(table)
        print(f"written: {args.out}")
        return EXIT_CLEAN
    with Console(stderr=True).status("ours, then PyTorch's minifier three ways, on the same failure (minutes)"):
        entry = bench.run_minifier_bench(Path(args.out), args.scenario, args.variant)
    table = Table(title="capture to minimal repro, same failure, one run")
    for column in ("pipeline", "seconds", "ops", "reproduces the error", "note"):
        table.add_column(column)
    mine = entry["ours"]
    table.add_row("this project", f"{mine['seconds']:.0f}", str(mine["ops"]), str(mine["reproduces"]), f"{mine['queries']} queries")
    labels = {"as_documented": "minifier, as documented", "sizes_filled_in": "minifier, sizes filled in by hand", "correct_check": "minifier, correct failure check"}
    for key, label in labels.items():
        row = entry["minifier"].get(key) or {}
        note = row.get("error") or (f"{row['queries']} queries" if row.get("queries") else "")
        table.add_row(label, f"{row.get('seconds', 0):.0f}", str(row.get("ops")), str(row.get("reproduces")), (note or "")[:70])
    Console(width=160).print(table)
    print(f"written: {args.out}")
    return EXIT_CLEAN


def _bench_programs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from analyzer import bench

    problem = _cannot_run()
    if problem:
        return _error(problem)
    with Console(stderr=True).status("each corpus program: a plain run, `run` to a verified repro, the minifier as documented"):
        entry = bench.run_programs_bench(Path(args.out))
    table = Table(title="per corpus program failing on this torch, one run each, side by side")
    for column in ("program", "plain s", "run s", "run/plain", "repro ops", "minifier s", "minifier reproduces", "minifier/run"):
        table.add_column(column)
    for row in entry["programs"]:
        theirs = row.get("minifier") or {}
        table.add_row(
            row["program"], f"{row['plain_run']['seconds']:.1f}", f"{row['ours']['seconds']:.1f}", str(row["ours_vs_plain"]),
            str(row["ours"]["ops"]), f"{theirs.get('seconds', 0):.1f}", str(theirs.get("reproduces")), str(row.get("minifier_vs_ours")),
        )
    Console(width=160).print(table)
    print(f"written: {args.out}")
    return EXIT_CLEAN


def _bench_builder(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from analyzer import bench
    from analyzer.fix import patches

    try:
        with Console(stderr=True).status("the SDPA mask builder in eager, patched against unpatched, side by side"):
            entry = bench.run_builder_bench(Path(args.out))
    except patches.PatchError as exc:  # no series fits the installed transformers
        return _error(str(exc))
    versions = entry["machine"]
    title = f"transformers {versions['transformers']} (series {entry['series']}), torch {versions['torch']}: patched against unpatched, eager"
    table = Table(title=title)
    for column in ("measure", "patched s", "unpatched s", "ratio", "same result"):
        table.add_column(column)
    for label, f in entry["figures"].items():
        table.add_row(label, f"{f['patched_s']:.6f}", f"{f['unpatched_s']:.6f}", f"{f['ratio']:.3f}", str(f["same_result"]))
    Console(width=160).print(table)
    print(f"written: {args.out}")
    return EXIT_CLEAN


def _bench_scan(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from analyzer import bench

    roots = [Path("reports"), Path("tests/data")]
    with Console(stderr=True).status(f"scan of a {bench.SCAN_CORPUS_MB} MB corpus of copies of every captured kernel"):
        entry = bench.run_scan_bench(Path(args.out), roots)
    corpus = entry["corpus"]
    table = Table(title=f"scan, {corpus['files']} files, {corpus['mb']} MB of kernel source (goal {entry['goal_mb_per_s']} MB/s)")
    for column in ("mode", "workers", "seconds", "MB/s", "CPU s", "MB per CPU s", "findings"):
        table.add_column(column)
    for mode in ("one_process", "worker_per_cpu"):
        row = entry[mode]
        table.add_row(
            mode.replace("_", " "), str(row["workers"]), f"{row['seconds']:.1f}", f"{row['mb_per_s']:.1f}",
            f"{row['cpu_seconds']:.1f}", f"{row['mb_per_cpu_s']:.1f}", str(row["findings"]),
        )
    Console(width=160).print(table)
    print(f"start-up (python -m analyzer scan on one {entry['startup_kernel_bytes']}-byte kernel): {entry['startup_seconds']:.2f}s")
    print(f"load average before: {entry['load_average_before']} on {entry['worker_per_cpu']['workers']} CPUs")
    print(f"written: {args.out}")
    return EXIT_CLEAN


def _bench_graphs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from analyzer import bench

    with Console(stderr=True).status(f"analyze of the tiny model with {', '.join(map(str, bench.GRAPH_LAYERS))} layers, one at a time"):
        entry = bench.run_graphs_bench(Path(args.out))
    table = Table(title=f"analyze of {entry['scenario']} by layer count (no repros)")
    for column in ("layers", "status", "capture s", "compiles", "kernels", "kernel KB", "analysis s", "findings"):
        table.add_column(column)
    for row in entry["runs"]:
        if "error" in row:
            table.add_row(str(row["layers"]), "error", "", "", "", "", "", row["error"][:60])
            continue
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(row["findings"].items())) or "none"
        table.add_row(
            str(row["layers"]), row["status"], f"{row['capture_seconds']:.1f}", str(row["compiles"]), str(row["kernels"]),
            f"{row['kernel_kb']:.0f}", f"{row['analysis_seconds']:.2f}", kinds,
        )
    Console(width=160).print(table)
    print(f"written: {args.out}")
    return EXIT_CLEAN


def cmd_apply(args: argparse.Namespace) -> int:
    from analyzer.fix import patches

    try:
        target, applied = patches.apply(args.project, Path(args.path), check_only=args.check, reverse=args.reverse)
    except patches.PatchError as exc:
        return _error(str(exc))
    verb = {(False, False): "applied", (True, False): "applies cleanly", (False, True): "reversed", (True, True): "reverses cleanly"}
    names = ", ".join(p.relative_to(patches.PATCHES).as_posix() for p in applied)
    print(f"{target.root} ({args.project} {target.version}, {target.kind}): {verb[(args.check, args.reverse)]}: {names}")
    return EXIT_CLEAN


def cmd_export(args: argparse.Namespace) -> int:
    from analyzer.fix import patches

    try:
        written = patches.export(args.project, args.release, Path(args.out), identity=args.author)
    except patches.PatchError as exc:
        return _error(str(exc))
    for path in written:
        print(path)
    return EXIT_CLEAN


def cmd_evidence(args: argparse.Namespace) -> int:
    from analyzer.fix import evidence, patches
    from analyzer.progress import Progress

    problem = _cannot_run()
    if problem:
        return _error(problem)
    try:
        with Progress("evidence", quiet=args.quiet) as progress:
            progress("the out-of-range call on the installed torch, unpatched then patched, each in a fresh process")
            folder = evidence.run(Path(args.reports))
    except (patches.PatchError, OSError) as exc:
        return _error(str(exc))
    print((folder / "guard_page.md").read_text(encoding="utf-8"))
    print(f"written: {folder}")
    return EXIT_CLEAN


def cmd_fetch_masking_utils(args: argparse.Namespace) -> int:
    from analyzer.capture import wheels

    return _fetch(args, "fetch-masking-utils", "transformers", wheels.MASKING_UTILS)


def cmd_fetch_cpp_codegen(args: argparse.Namespace) -> int:
    from analyzer.capture import wheels

    return _fetch(args, "fetch-cpp-codegen", "torch", wheels.CPP_CODEGEN)


def _fetch(args: argparse.Namespace, name: str, dist: str, members: dict[str, str]) -> int:
    from analyzer.capture import wheels

    command = f"python -m analyzer {name} --release {args.release} --out {args.out}"
    try:
        wheels.check_release(args.release)
        record = wheels.capture(dist, args.release, members, Path(args.out), command)
    except wheels.FetchError as exc:
        return _error(str(exc))
    print(f"{args.out}: {', '.join(record['files'])} of {dist} {args.release} ({record['wheel']})")
    return EXIT_CLEAN


def cmd_shapes(args: argparse.Namespace) -> int:
    from analyzer.capture import wheels
    from analyzer.fix import patches, shapes
    from analyzer.progress import Progress

    project = args.project
    first = args.first or {"transformers": "4.53.0", "pytorch": "2.8.0"}[project]
    command = f"python -m analyzer shapes --project {project} --first {first} --last {args.last}"
    try:
        releases = wheels.releases(shapes.DIST[project], first, args.last)
        if not releases:
            return _error(f"no {project} release from {first} to {args.last} on the index")
        with Progress("shapes", quiet=args.quiet) as progress:
            found = shapes.check(releases, progress, project)
        written = shapes.write(found, command, project)
    except (wheels.FetchError, shapes.ShapeError, patches.PatchError) as exc:
        return _error(str(exc))
    for name, manifest in written.items():
        checked = manifest["checked_on"]
        span = f"{checked[0]} to {checked[-1]}, {len(checked)} releases" if checked else "no release"
        print(f"patches/{project}/{name}: {span}")
    return EXIT_CLEAN


def cmd_verify(args: argparse.Namespace) -> int:
    from analyzer.fix import verify
    from analyzer.progress import Progress

    configs = args.config or list(verify.CONFIGS)
    unknown = [c for c in configs if c not in verify.CONFIGS]
    if unknown:
        return _error(f"unknown configuration {unknown[0]!r} (known: {', '.join(verify.CONFIGS)})")
    problem = _cannot_run()
    if problem:
        return _error(problem)
    if args.project and not args.upstream_only:
        return _error("--project only goes with --upstream-only")
    if args.upstream_only:
        with Progress("verify", quiet=args.quiet) as progress:
            progress("the patches' own regression tests, patched and unpatched")
            folder = verify.run_upstream(Path(args.reports), tuple(args.project or verify.PROJECTS))
        print((folder / "upstream_tests.md").read_text(encoding="utf-8"))
        print(f"written: {folder}")
        return EXIT_CLEAN
    with Progress("verify", quiet=args.quiet) as progress:
        folder = verify.run_all(configs, args.examples, Path(args.reports), progress=progress)
    print((folder / "results.md").read_text(encoding="utf-8"))
    print(f"written: {folder}")
    return EXIT_CLEAN


def cmd_matrix_cell(args: argparse.Namespace) -> int:
    """One cell of the version matrix on the installed versions; exit 0 once it is recorded,
    pass or fail alike (the verdict is the measurement), 1 when a variant crashed or timed out."""
    from analyzer import matrix

    out = Path(args.out)
    try:
        if args.not_installable is not None:
            if not (args.torch and args.transformers):
                return _error("--not-installable needs --torch and --transformers (the versions that could not be installed)")
            try:
                pip_output = Path(args.not_installable).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                return _error(f"{args.not_installable}: cannot read the installer's output ({exc.strerror})")
            cell = matrix.not_installable_cell(out, args.torch, args.transformers, matrix.pip_error(pip_output))
        else:
            from analyzer.progress import Progress

            problem = _bad_selection(args.scenario, [])
            if problem:
                return _error(problem)
            with Progress("matrix cell", quiet=args.quiet) as progress:
                cell = matrix.run_cell(out, args.torch, args.transformers, args.scenario, args.timeout, progress=progress)
    except (matrix.BadCell, identity.BadVersion) as exc:
        return _error(str(exc))
    state = (cell.get("check_bounds") or {}).get("state", "-")
    detail = cell.get("reason") or ", ".join(f"{k} x{n}" for k, n in cell.get("findings", {}).items()) or "no findings"
    print(f"{cell['cell']}: {cell['status']} ({detail}); check_bounds {state}")
    print(f"written: {out}")
    return EXIT_FINDINGS if cell["status"] == matrix.ERROR else EXIT_CLEAN


def cmd_matrix(args: argparse.Namespace) -> int:
    from analyzer import matrix

    try:
        result = matrix.write_matrix(Path(args.cells), Path(args.json), Path(args.md))
    except (matrix.BadCell, identity.BadVersion) as exc:
        return _error(str(exc))
    print(f"{len(result['cells'])} cells; {matrix.agreement_line(result['agreement'])}")
    print(f"written: {args.json}, {args.md}")
    return EXIT_CLEAN


def _print_table(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    versions = summary.get("versions", {})
    title = f"{summary['scenario']}  (torch {versions.get('torch', '?')}, transformers {versions.get('transformers', '?')})"
    table = Table(title=title)
    for column in ("variant", "capture", "calls", "compiler error", "findings"):
        table.add_column(column)
    for v in summary["variants"]:
        calls = " ".join(f"{c['label']}:{'ok' if c['ok'] else 'FAIL'}" for c in v.get("calls", []))
        error = next((c["compiler_error"] for c in v.get("calls", []) if c.get("compiler_error")), "") or ""
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(v.get("findings", {}).items())) or "none"
        table.add_row(v["variant"], v["status"], calls, error[:90], kinds)
    console = Console(width=160, markup=False, highlight=False)
    console.print(table, markup=True)
    sources = {(f["source"]["file"], f["source"]["line"], f["source"]["text"]) for f in summary["findings_list"] if f.get("source")}
    for file, line, text in sorted(sources):
        console.print(f"traced to {file}:{line}: {text}")
    for name, entry in (summary.get("repro") or {}).items():
        if name.endswith(".py"):
            state = "verified in a fresh process" if entry.get("verified") else "NOT verified"
            ops = _repro_label(entry, "torch ops")
            console.print(f"{name}: {ops}, {state}")
    from analyzer.report import documents

    run = documents.load(Path(summary["path"]))
    for k in documents.matches(run):
        fix = documents.fix_of(k)
        fixed = f", fixed in {k.fixed_in.project} {fix[0]}" + (f" (PR #{fix[1]})" if fix[1] else "") if fix else ""
        console.print(f"known upstream: {k.ref} ({k.type}, {k.status}{fixed}): {k.title}")
    docs, why = documents.plan(run)
    console.print(f"documents: {', '.join(docs) or 'none'} ({why})")


def _repro_label(entry: dict, unit: str) -> str:
    """What a repro script compiles: its op count, or which whole program it is."""
    if entry.get("ops") is not None:
        return f"{entry['ops']} {unit}"
    return "the mask pattern, its late check printed" if entry.get("kind") == "check-after-load" else "the mask builder"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    procs.bind_to_parent()  # a child of a capture or analyze run dies with it
    parser = argparse.ArgumentParser(prog="python -m analyzer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_scan = sub.add_parser("scan", help="report lost tmp definitions and late bounds checks in Inductor C++")
    p_scan.add_argument("paths", nargs="*", metavar="PATH", help=".cpp kernels, output_code.py files, or directories")
    p_scan.add_argument("--json", action="store_true", help="machine-readable output")
    p_scan.add_argument("--jobs", "-j", type=int, help="processes (0: one per CPU; default: one per CPU for large inputs)")
    p_scan.add_argument(
        "--torch", metavar="VERSION",
        help="with --json: the torch the kernels came from, to match findings to known upstream issues (default: the installed torch)",
    )
    p_scan.set_defaults(func=cmd_scan)

    p_an = sub.add_parser("analyze", help="capture a scenario, analyse its kernels, trace findings to source")
    p_an.add_argument("--scenario", default="sdpa-mask-decode")
    p_an.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    p_an.add_argument("--timeout", type=float, default=900.0, help="seconds per captured variant")
    p_an.add_argument("--no-repro", action="store_true", help="skip writing and verifying minimal repros")
    p_an.add_argument("--variant", action="append", help="only this variant (repeatable; default: all)")
    p_an.add_argument("--quiet", "-q", action="store_true", help="no progress lines (on a terminal: no status line)")
    p_an.set_defaults(func=cmd_analyze)

    p_run = sub.add_parser(
        "run",
        help="run your own program, capture every compile, and analyse, trace, reproduce and report its failures",
        usage="python -m analyzer run [--out DIR] [--timeout S] [--quiet] -- COMMAND [ARGS...]",
    )
    p_run.add_argument("--out", help="run folder to write (default: reports/runs/<command name>/torch-<v>-transformers-<v>)")
    p_run.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    p_run.add_argument("--timeout", type=float, default=1800.0, help="seconds before the program's whole process group is killed")
    p_run.add_argument("--no-repro", action="store_true", help="skip writing and verifying a minimal repro")
    p_run.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p_run.add_argument("command", nargs=argparse.REMAINDER, help="the command, after `--`")
    p_run.set_defaults(func=cmd_run)

    p_cap = sub.add_parser("capture", help="capture one variant of a scenario into a bundle folder")
    p_cap.add_argument("--scenario", required=True)
    p_cap.add_argument("--variant", required=True)
    p_cap.add_argument("--out", required=True, help="bundle folder to write (replaced when complete)")
    p_cap.add_argument("--timeout", type=float, default=900.0)
    p_cap.add_argument("--slim", action="store_true", help="leave out graphs and loop bodies (a kernel corpus entry)")
    p_cap.set_defaults(func=cmd_capture)

    p_cc = sub.add_parser("capture-cache", help="compile a small gather in a fresh process and keep its Inductor cache folder (scan's test data)")
    p_cc.add_argument("--out", required=True, help="folder to write (replaced when complete)")
    p_cc.add_argument("--cpp-wrapper", action="store_true", help="compile with Inductor's C++ wrapper (cpp_wrapper) on")
    p_cc.set_defaults(func=cmd_capture_cache)

    p_rep = sub.add_parser("repro", help="write and verify minimal repros for an analyze run folder")
    p_rep.add_argument("run", nargs="?", help="a run folder: reports/<scenario>/torch-<v>-transformers-<v>")
    p_rep.add_argument("--from-stdin", action="store_true", help="import torch and warm Inductor up first, then read the run folder from stdin (how analyze starts it)")
    p_rep.set_defaults(func=cmd_repro)

    p_draw = sub.add_parser("draw", help="draw the def-use slice and the layer trace of a run folder's findings (Graphviz)")
    p_draw.add_argument("run", help="a run folder: reports/<scenario>/torch-<v>-transformers-<v>")
    p_draw.set_defaults(func=cmd_draw)

    p_report = sub.add_parser("report", help="write issue-pytorch.md and issue-transformers.md for run folders, and the index")
    p_report.add_argument("run", nargs="*", help="run folders (default: every one under --reports)")
    p_report.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    p_report.set_defaults(func=cmd_report)

    p_apply = sub.add_parser("apply", help="apply this project's fix to a transformers or PyTorch tree")
    p_apply.add_argument("--project", required=True, help="transformers or pytorch")
    p_apply.add_argument("path", help="a git checkout of the project, or its installed package directory")
    p_apply.add_argument("--check", action="store_true", help="only check that the series applies (or reverses)")
    p_apply.add_argument("--reverse", action="store_true", help="undo the series")
    p_apply.set_defaults(func=cmd_apply)

    p_evid = sub.add_parser("evidence", help="what a bounds check after its load costs at runtime: a read past a mask that ends at a guard page, unpatched and patched")
    p_evid.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    p_evid.add_argument("--quiet", action="store_true", help="no progress lines")
    p_evid.set_defaults(func=cmd_evidence)

    p_export = sub.add_parser("export", help="write a release's patch series with you as its author, for git am or git send-email")
    p_export.add_argument("--project", required=True, help="transformers or pytorch")
    p_export.add_argument("--release", required=True, help="the release folder under patches/<project>/, e.g. 2.14.1")
    p_export.add_argument("--author", help="'Name <email>' (default: git config user.name and user.email)")
    p_export.add_argument("out", help="directory to write the stamped patches into")
    p_export.set_defaults(func=cmd_export)
    p_fetch = sub.add_parser("fetch-masking-utils", help="transformers' masking_utils.py and license of one release, from its wheel on PyPI")
    p_fetch.add_argument("--release", required=True, help="a transformers release, e.g. 5.25.0")
    p_fetch.add_argument("--out", required=True, help="folder to write (replaced whole), e.g. tests/data/transformers/5.25.0")
    p_fetch.set_defaults(func=cmd_fetch_masking_utils)

    p_fetch_cpp = sub.add_parser("fetch-cpp-codegen", help="torch's torch/_inductor/codegen/cpp.py and license of one release, from its wheel on PyPI")
    p_fetch_cpp.add_argument("--release", required=True, help="a torch release, e.g. 2.12.0")
    p_fetch_cpp.add_argument("--out", required=True, help="folder to write (replaced whole), e.g. tests/data/torch/2.12.0")
    p_fetch_cpp.set_defaults(func=cmd_fetch_cpp_codegen)

    p_shapes = sub.add_parser("shapes", help="check which series fits each release in a range; write each series.json")
    p_shapes.add_argument("--project", choices=["transformers", "pytorch"], default="transformers")
    p_shapes.add_argument("--first", help="first release (default: 4.53.0 for transformers, 2.8.0 for pytorch)")
    p_shapes.add_argument("--last", required=True, help="last release, e.g. 5.25.0")
    p_shapes.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p_shapes.set_defaults(func=cmd_shapes)

    p_ver = sub.add_parser("verify", help="apply each patch configuration here and test compiled against eager")
    p_ver.add_argument("--config", action="append", help="unpatched, pytorch, transformers, pytorch+transformers, candidate (repeatable; default: all)")
    p_ver.add_argument("--examples", type=int, default=40, help="hypothesis mask cases per mask kind")
    p_ver.add_argument("--reports", default="reports")
    p_ver.add_argument("--upstream-only", action="store_true", help="only the patches' own regression tests, patched and unpatched")
    p_ver.add_argument(
        "--project", action="append", choices=["pytorch", "transformers"],
        help="with --upstream-only: only this project's tests (repeatable; the others' results already written are kept)",
    )
    p_ver.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p_ver.set_defaults(func=cmd_verify)

    p_bench = sub.add_parser("bench", help="benchmarks; figures go to reports/bench.json")
    p_bench.add_argument(
        "what", choices=["minifier", "kernel", "builder", "scan", "graphs", "programs"],
        help="minifier: ours against PyTorch's minifier on one failure; kernel: the patched mask kernel and builder; "
        "builder: the patched transformers mask builder against the unpatched one, eager, on this environment; "
        "scan: scan throughput on a large kernel corpus; graphs: analyze time by the tiny model's layer count; "
        "programs: per corpus program, `run` to a verified repro against a plain run and the minifier",
    )
    p_bench.add_argument("--out", default="reports/bench.json")
    p_bench.add_argument("--scenario", default="sdpa-mask-decode")
    p_bench.add_argument("--variant", default="vmap-dynamic")
    p_bench.set_defaults(func=cmd_bench)

    p_cell = sub.add_parser("matrix-cell", help="one cell of the version matrix, on the installed torch and transformers")
    p_cell.add_argument("--out", required=True, help="the cell's JSON file, e.g. reports/matrix/torch-2.9.1-transformers-4.57.1.json")
    p_cell.add_argument("--torch", help="the torch release this cell is meant to have (refused if another is installed)")
    p_cell.add_argument("--transformers", help="the transformers release this cell is meant to have")
    p_cell.add_argument("--scenario", default="sdpa-mask-decode")
    p_cell.add_argument("--timeout", type=float, default=900.0, help="seconds per captured variant")
    p_cell.add_argument(
        "--not-installable", metavar="PIP_LOG", help="record the cell as not installable; PIP_LOG holds pip's output, whose last ERROR line is the reason"
    )
    p_cell.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p_cell.set_defaults(func=cmd_matrix_cell)

    p_matrix = sub.add_parser("matrix", help="collate the matrix cells into reports/matrix.json and reports/matrix.md")
    p_matrix.add_argument("--cells", default="reports/matrix", help="folder of per-cell JSON files")
    p_matrix.add_argument("--json", default="reports/matrix.json")
    p_matrix.add_argument("--md", default="reports/matrix.md")
    p_matrix.set_defaults(func=cmd_matrix)

    p_list = sub.add_parser("scenarios", help="list the scenarios")
    p_list.set_defaults(func=lambda a: print("\n".join(_scenario_lines())) or EXIT_CLEAN)

    args = parser.parse_args(argv)
    procs.interrupt_on_termination()
    try:
        return args.func(args)
    except ModuleNotFoundError as exc:
        missing = missing_dependency(exc)
        if missing is None:
            raise
        return _error(missing)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP: cleanup has run on the way out
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"analyzer: interrupted by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum


def _scenario_lines() -> list[str]:
    from analyzer.capture import scenarios

    return [f"{s.name}: {s.summary}" for s in scenarios.SCENARIOS.values()]
