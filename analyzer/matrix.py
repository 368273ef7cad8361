"""The version matrix: one scenario on every torch release crossed with every transformers release.

A cell is one version pair in its own environment (nox owns the environments). `run_cell` runs the
scenario there through the same capture and analysis as `analyze`, and records the verdict next to
what the installed code says: whether `CppKernel.check_bounds` holds the upstream fix is read from
its source, not inferred from the version number, so the matrix can show that the verdicts follow
the code. `collate` joins the cells into `reports/matrix.json` and `reports/matrix.md`, with no
timings and no local paths, so that the same cells always give the same bytes.

This module imports torch (and the kernel analysis) only where a cell runs: a cell whose torch cannot be installed is still
recorded, and the collation runs anywhere.
"""
from __future__ import annotations

import ast
import hashlib
import json
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, identity

SCENARIO = "sdpa-mask-decode"

# What a cell can say about itself.
PASS, FAIL, ERROR, NOT_INSTALLABLE = "pass", "fail", "error", "not-installable"

# The states of CppKernel.check_bounds, and whether each keeps the forward reference from happening.
UNFIXED, UPSTREAM_FIX, PROJECT_PATCH, UNKNOWN = "unfixed", "upstream-fix", "project-patch", "unknown"
FIXED = {UNFIXED: False, UPSTREAM_FIX: True, PROJECT_PATCH: True, UNKNOWN: None}


class BadCell(ValueError):
    """A per-cell file that cannot be collated, or a cell that cannot be recorded; one line."""


# ---------------------------------------------------------------------------------------------
# CppKernel.check_bounds, read from its source


def _mentions(node: ast.AST, attr: str) -> bool:
    return any(
        (isinstance(n, ast.Attribute) and n.attr == attr) or (isinstance(n, ast.Name) and n.id == attr)
        for n in ast.walk(node)
    )


def _assigns(stmt: ast.AST, name: str, attr: str) -> bool:
    """`name = <anything>.attr` somewhere in stmt."""
    for n in ast.walk(stmt):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Attribute) and n.value.attr == attr:
            if any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
                return True
    return False


def _assigns_attribute(stmt: ast.AST, attr: str) -> bool:
    """Something is assigned to `<anything>.attr`, alone or in a tuple."""
    for n in ast.walk(stmt):
        if isinstance(n, ast.Assign):
            for target in n.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(isinstance(e, ast.Attribute) and e.attr == attr for e in elts):
                    return True
    return False


def classify_check_bounds(source: str) -> dict[str, Any]:
    """Which `check_bounds` this is, read from its code (formatting and comments do not matter).

    The bug lives in the branch for a direct index (`if indirect: ... else: ...`): it points
    `compute` at `loads` and asks the kernel's CSE for the index, which may return a variable
    declared later, in `compute`. The states:

    - `unfixed` (2.8.0 to 2.12.1): that branch writes the assert into `loads` unconditionally.
    - `upstream-fix` (2.13.0 on, PyTorch #180212): it first looks the index up in the CSE and,
      on a hit, writes the assert into `compute` instead.
    - `project-patch` (this project's PyTorch patch): it swaps in a CSE of its own for the index.
    - `unknown`: none of these shapes; `fixed` is then None, never a guess.
    """
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError as exc:
        return {"state": UNKNOWN, "fixed": None, "why": f"source does not parse: {exc.msg}"}
    branches = [
        n.orelse
        for n in ast.walk(tree)
        if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "indirect" and n.orelse
    ]
    if len(branches) != 1:
        return {"state": UNKNOWN, "fixed": None, "why": f"{len(branches)} `if indirect: ... else:` statements, expected 1"}
    direct = ast.Module(body=branches[0], type_ignores=[])
    if _assigns_attribute(direct, "cse"):
        state, why = PROJECT_PATCH, "the direct-index branch computes the index with a CSE of its own"
    elif any(
        isinstance(n, ast.If) and _mentions(n.test, "cse") and any(_assigns(s, "buffer", "compute") for s in n.body)
        for n in ast.walk(direct)
    ):
        state, why = UPSTREAM_FIX, "on a CSE hit for the index the direct-index branch writes the assert into compute"
    elif any(_assigns(s, "buffer", "loads") for s in direct.body) and not _assigns(direct, "buffer", "compute"):
        state, why = UNFIXED, "the direct-index branch writes the assert into loads with the kernel's shared CSE"
    else:
        state, why = UNKNOWN, "the direct-index branch has none of the known shapes"
    return {"state": state, "fixed": FIXED[state], "why": why}


def installed_check_bounds() -> dict[str, Any]:
    """The installed torch's `check_bounds`: its state and the sha256 of its source."""
    from analyzer.capture import torchglue

    source = torchglue.check_bounds_source()
    return {**classify_check_bounds(source), "sha256": hashlib.sha256(source.encode("utf-8")).hexdigest()}


# ---------------------------------------------------------------------------------------------
# one cell


def kernel_hash(sources: list[str]) -> str | None:
    """One sha256 for a set of kernels, independent of the order they were compiled in."""
    if not sources:
        return None
    each = sorted({hashlib.sha256(s.encode("utf-8")).hexdigest() for s in sources})
    return hashlib.sha256("\n".join(each).encode("ascii")).hexdigest()


def _installed(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _check_requested(torch: str | None, transformers: str | None) -> None:
    for dist, wanted in (("torch", torch), ("transformers", transformers)):
        have = _installed(dist)
        if have is None:
            raise BadCell(f"{dist} is not installed in this environment")
        if wanted is not None and identity.release(have) != identity.release(wanted):
            raise BadCell(f"{dist} {have} is installed, not the requested {wanted}")


def cell_from_run(summary: dict[str, Any], findings: list[dict[str, Any]], mask_kernels: list[str], check_bounds: dict[str, Any]) -> dict[str, Any]:
    """The cell record from an analyze run: verdict, finding kinds, kernel hash, first error."""
    from analyzer.analysis.kernel import LOST  # tree-sitter: only where a cell runs, not where one is collated
    versions = summary.get("versions") or {"torch": _installed("torch"), "transformers": _installed("transformers")}
    broken = [v for v in summary["variants"] if v["status"] != "ok"]
    calls = [c for v in summary["variants"] for c in v.get("calls", [])]
    failed_calls = [c for c in calls if not c["ok"] or c.get("matches_eager") is False]
    kinds = Counter(f["kind"] for f in findings)
    lost = sum(n for k, n in kinds.items() if k in LOST)
    if broken:
        status = ERROR
    else:
        status = FAIL if failed_calls or lost else PASS
    record: dict[str, Any] = {
        "cell": identity.run_folder_name(versions["torch"], versions["transformers"]),
        "scenario": summary["scenario"],
        "status": status,
        "versions": {k: versions[k] for k in ("torch", "transformers", "python", "compiler") if k in versions},
        "calls": {"total": len(calls), "failed": len(failed_calls)},
        "findings": dict(sorted(kinds.items())),
        "kernel_sha256": kernel_hash(mask_kernels),
        "mask_kernels": len(set(mask_kernels)),
        "first_compiler_error": next((c["compiler_error"] for c in calls if c.get("compiler_error")), None),
        "check_bounds": check_bounds,
        "variants": [
            {
                "variant": v["variant"],
                "status": v["status"],
                "calls": {c["label"]: ("ok" if c["ok"] and c.get("matches_eager") is not False else "FAIL") for c in v.get("calls", [])},
                "findings": dict(sorted(v.get("findings", {}).items())),
            }
            for v in summary["variants"]
        ],
    }
    if broken:
        record["reason"] = "; ".join(f"{v['variant']}: {v['status']}" for v in broken)
    return record


def run_cell(
    out: Path,
    torch: str | None = None,
    transformers: str | None = None,
    scenario: str = SCENARIO,
    timeout_s: float = 900.0,
    progress: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Run the scenario's variants on the installed versions (no repro minimization) and write the
    cell to `out`. `torch` and `transformers` are the releases the cell was meant to have: an
    environment that resolved to something else is refused rather than recorded under a wrong name."""
    from analyzer import analyze
    from analyzer.analysis.kernel import BOUNDS_MESSAGE

    _check_requested(torch, transformers)
    started = time.perf_counter()
    if progress:
        progress("reading CppKernel.check_bounds")
    check_bounds = installed_check_bounds()
    with tempfile.TemporaryDirectory(prefix="analyzer-matrix-") as tmp:
        summary = analyze.run(scenario, Path(tmp), timeout_s, progress=progress, repro=False)
        run_dir = Path(summary["path"])
        mask_kernels = []
        for v in summary["variants"]:
            if v["status"] != "ok":
                continue
            for compile_ in artifacts.read_capture(run_dir / v["bundle"])["compiles"]:
                for k in compile_["kernels"]:
                    source = Path(k["path"]).read_text(encoding="utf-8")
                    if BOUNDS_MESSAGE in source:
                        mask_kernels.append(source)
        record = cell_from_run(summary, summary["findings_list"], mask_kernels, check_bounds)
    record["timings_s"] = {  # measured, so left out of the collated matrix
        "cell": round(time.perf_counter() - started, 1),
        "variants": {v["variant"]: v["seconds"] for v in summary["variants"]},
    }
    files.write_json(out, record)
    return record


def not_installable_cell(out: Path, torch: str, transformers: str, reason: str, scenario: str = SCENARIO) -> dict[str, Any]:
    """A cell whose versions could not be installed: recorded with the installer's reason, so a
    missing cell is never mistaken for a cell that was not tried."""
    reason = " ".join(reason.split()) or "the install failed"
    record = {
        "cell": identity.run_folder_name(torch, transformers),
        "scenario": scenario,
        "status": NOT_INSTALLABLE,
        "versions": {"torch": torch, "transformers": transformers},
        "reason": reason,
    }
    files.write_json(out, record)
    return record


def pip_error(output: str) -> str:
    """pip's reason on one line: a version conflict with what caused it (a constraint, say), or else
    its last `ERROR:` line ("No matching distribution found for ..."); never the help link."""
    lines = [line.strip() for line in output.splitlines()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:") and "ResolutionImpossible" not in line]
    if "The conflict is caused by:" in lines:
        start = lines.index("The conflict is caused by:") + 1
        causes = []
        for line in lines[start:]:
            if not line:
                break
            causes.append(line)
        if errors and causes:
            return f"{errors[0].rstrip('.')}: {'; '.join(causes)}"
    return errors[-1] if errors else "the install failed (pip gave no ERROR line)"


# ---------------------------------------------------------------------------------------------
# collation

_COLLATED = ("status", "versions", "findings", "kernel_sha256", "first_compiler_error", "check_bounds", "reason")
# g++ quotes identifiers as ‘tmp2’ under a UTF-8 locale and as 'tmp2' under C: the matrix says 'tmp2' either way
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'"})


def _collated(cell: dict[str, Any]) -> dict[str, Any]:
    out = {k: cell[k] for k in _COLLATED if k in cell}
    if out.get("first_compiler_error"):
        out["first_compiler_error"] = out["first_compiler_error"].translate(_QUOTES)
    return out


def load_cells(folder: Path) -> list[dict[str, Any]]:
    """Every `*.json` cell in `folder`, sorted by torch then transformers release."""
    if not folder.is_dir():
        raise BadCell(f"{folder}: no such folder (run a matrix cell first)")
    cells = []
    for path in sorted(folder.glob("*.json")):
        try:
            cell = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadCell(f"{path}: not a JSON file ({exc})") from None
        if not isinstance(cell, dict) or not {"status", "versions"} <= cell.keys() or not {"torch", "transformers"} <= set(cell["versions"]):
            raise BadCell(f"{path}: not a matrix cell (needs status and versions.torch, versions.transformers)")
        cell["cell"] = identity.run_folder_name(cell["versions"]["torch"], cell["versions"]["transformers"])
        cells.append(cell)
    if not cells:
        raise BadCell(f"{folder}: no cells (*.json)")
    names = Counter(c["cell"] for c in cells)
    twice = sorted(n for n, count in names.items() if count > 1)
    if twice:
        raise BadCell(f"{folder}: cell {twice[0]} is recorded in more than one file")
    return sorted(cells, key=lambda c: (identity.release_key(c["versions"]["torch"]), identity.release_key(c["versions"]["transformers"])))


def agreement(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Do the verdicts follow the code? Every cell whose check_bounds lacks the fix must fail and
    every cell with it must pass. Cells with no verdict (error, not installable) or whose
    check_bounds could not be read are listed as unchecked, not counted either way."""
    checked, disagree, unchecked = 0, [], []
    for cell in cells:
        fixed = (cell.get("check_bounds") or {}).get("fixed")
        if cell["status"] not in (PASS, FAIL) or fixed is None:
            unchecked.append(cell["cell"])
            continue
        checked += 1
        expected = PASS if fixed else FAIL
        if cell["status"] != expected:
            disagree.append({"cell": cell["cell"], "check_bounds": cell["check_bounds"]["state"], "status": cell["status"], "expected": expected})
    return {"agrees": checked > 0 and not disagree, "checked": checked, "disagreements": disagree, "unchecked": unchecked}


def collate(folder: Path) -> dict[str, Any]:
    """The matrix from the per-cell files: deterministic, without timings or local paths."""
    cells = load_cells(folder)
    scenarios = sorted({c.get("scenario", SCENARIO) for c in cells})
    return {
        "scenario": ", ".join(scenarios),
        "torch": sorted({identity.release(c["versions"]["torch"]) for c in cells}, key=identity.release_key),
        "transformers": sorted({identity.release(c["versions"]["transformers"]) for c in cells}, key=identity.release_key),
        "cells": {c["cell"]: _collated(c) for c in cells},
        "agreement": agreement(cells),
    }


def _cell_text(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "not run"
    status = cell["status"]
    if status in (NOT_INSTALLABLE, ERROR):
        return f"{status}: {cell.get('reason', '')}".replace("|", "\\|")
    kinds = ", ".join(f"{k} ×{n}" for k, n in cell.get("findings", {}).items()) or "no findings"
    state = (cell.get("check_bounds") or {}).get("state", UNKNOWN)
    sha = (cell.get("kernel_sha256") or "none")[:12]
    return f"**{status}**: {kinds}; check_bounds {state}; kernels `{sha}`"


def agreement_line(result: dict[str, Any]) -> str:
    """One sentence: does the matrix agree with the code?"""
    unchecked = f" Not checked: {', '.join(result['unchecked'])}." if result["unchecked"] else ""
    if result["agrees"]:
        return (
            f"The matrix agrees with the code: in all {result['checked']} checked cells, every cell whose "
            f"`CppKernel.check_bounds` lacks the fix fails and every cell whose `check_bounds` has it passes.{unchecked}"
        )
    if not result["checked"]:
        return f"The matrix cannot be checked against the code: no cell has both a verdict and a readable `check_bounds`.{unchecked}"
    wrong = "; ".join(f"{d['cell']} ({d['check_bounds']}) {d['status']}, expected {d['expected']}" for d in result["disagreements"])
    return f"The matrix DISAGREES with the code in {len(result['disagreements'])} of {result['checked']} checked cells: {wrong}.{unchecked}"


def render_markdown(matrix: dict[str, Any]) -> str:
    """torch releases as rows, transformers releases as columns, then details and the agreement."""
    cells = matrix["cells"]
    lines = [
        f"# Version matrix: `{matrix['scenario']}`",
        "",
        "Each cell: the verdict (fail: a call failed to compile, differed from eager, or a kernel has a lost",
        "definition), the kernel-analysis findings, the state of the installed `CppKernel.check_bounds` read",
        "from its source, and the first 12 hex digits of the sha256 of the kernels that hold a bounds check.",
        "Made by `nox -s matrix`; each cell's own file is under `matrix/`.",
        "",
        "| torch \\ transformers | " + " | ".join(matrix["transformers"]) + " |",
        "|---|" + "---|" * len(matrix["transformers"]),
    ]
    for t in matrix["torch"]:
        lines.append(f"| {t} | " + " | ".join(_cell_text(cells.get(identity.run_folder_name(t, tf))) for tf in matrix["transformers"]) + " |")
    lines += ["", agreement_line(matrix["agreement"]), "", "| cell | torch build | first compiler error | check_bounds sha256 |", "|---|---|---|---|"]
    for name, cell in cells.items():
        error = (cell.get("first_compiler_error") or "").replace("|", "\\|")
        error = f"`{error}`" if error else ""
        sha = (cell.get("check_bounds") or {}).get("sha256", "")[:12]
        lines.append(f"| {name} | {cell['versions']['torch']} | {error} | {f'`{sha}`' if sha else ''} |")
    return "\n".join(lines) + "\n"


def write_matrix(folder: Path, json_out: Path, md_out: Path) -> dict[str, Any]:
    """Collate `folder` into `json_out` and `md_out`, each written whole or not at all."""
    matrix = collate(folder)
    files.write_json(json_out, matrix)
    files.write_text(md_out, render_markdown(matrix))
    return matrix
