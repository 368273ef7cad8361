"""The documents a run folder hands on, written from its evidence and nothing else.

Which documents a run gets depends on what it found and on what upstream already knows
(`known.match`, the curated list of upstream issues and PRs of this bug class):

- `diagnosis.md`, for the user and their team (it stays with them): a failure upstream already
  knows: what failed, which upstream issue it is, the release that fixes it, the workaround, the
  local patch and how to apply it, and the evidence.
- `issue-pytorch.md`, to file upstream: a PyTorch bug no known upstream issue covers, in the shape
  of PyTorch's torch.compile bug template, one screen before its first `<details>`: title, one
  paragraph, the repro, what the repro prints, the versions, the related upstream issues. The
  analysis, the proposed patch and `collect_env` are folded away.
- `issue-transformers.md`, to file upstream: transformers' bug template section by section, with
  `transformers env`, when the failing line is transformers' own (every release has the gather).
- Nothing, for a run with nothing to report; `reports/README.md` says why for each run.

Upstream documents name nothing of this project (no scenario, variant, command or run-folder
path); a test checks it. Each document is a pure function of files the project wrote (the run
folder, `reports/matrix.json`, `reports/verify/`, `patches/`), so a second run on the same versions
writes the same bytes.
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, identity
from analyzer.analysis import compiler, kernel, known
from analyzer.fix import patches

PYTORCH, TRANSFORMERS, DIAGNOSIS = "issue-pytorch.md", "issue-transformers.md", "diagnosis.md"
DOCUMENTS = (DIAGNOSIS, PYTORCH, TRANSFORMERS)
COLLECT_ENV, TRANSFORMERS_ENV = identity.COLLECT_ENV, identity.TRANSFORMERS_ENV
FLAKINESS = "flakiness.md"
# the maintainers transformers' who-to-tag list names for attention
TRANSFORMERS_ATTENTION = "@vasqu @ArthurZucker @CyrilVallez"

# Anything that still looks like a machine path when a report is written loses its directories.
_DIRS = re.compile(r"(?:(?<=-[IL])|(?<![\w>.~-]))(?:/[\w.+-]+)+/([\w.+-]+)")
_PYTEST_TIME = re.compile(r" in \d+(?:\.\d+)?s\b")


def _no_paths(text: str) -> str:
    return _DIRS.sub(lambda m: m.group(1), text)


def _fence(text: str, lang: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip(chr(10))}\n{ticks}"


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body.rstrip()}\n\n</details>"


@dataclasses.dataclass
class Run:
    """A run folder's evidence, read once."""

    path: Path
    summary: dict[str, Any]
    findings: list[dict[str, Any]]
    repro: dict[str, Any]

    def _version(self, dist: str) -> str:
        """From the captured versions; a run whose every capture crashed has only its folder name."""
        recorded = (self.summary.get("versions") or {}).get(dist)
        if recorded:
            return identity.release(recorded)
        named = identity.parse_run_folder_name(self.summary.get("run", self.path.name))
        return named[0 if dist == "torch" else 1] if named else "unknown"

    @property
    def torch(self) -> str:
        return self._version("torch")

    @property
    def transformers(self) -> str:
        return self._version("transformers")

    @property
    def lost(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["kind"] in kernel.LOST]

    @property
    def late(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["kind"] == "check-after-load"]

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The failed compiles of a `run` of a user's program, classified (none for a scenario's run)."""
        return self.summary.get("failures") or []

    def text(self, name: str) -> str | None:
        path = self.path / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def kernel_lines(self, rel: str) -> list[str]:
        return (self.path / rel).read_text(encoding="utf-8").splitlines()

    def capture(self, variant: str) -> dict[str, Any]:
        return artifacts.read_capture(self.path / variant)


def load(run_dir: Path) -> Run:
    if not artifacts.has(run_dir, artifacts.SUMMARY):
        raise FileNotFoundError(f"{run_dir}: not an analyze run folder (no {artifacts.SUMMARY})")
    findings = artifacts.read_findings(run_dir) if artifacts.has(run_dir, artifacts.FINDINGS) else []
    repro = artifacts.read_repro(run_dir) if artifacts.has(run_dir, artifacts.REPRO) else {}
    return Run(run_dir, artifacts.read_summary(run_dir), findings, repro)


def run_dirs(reports_dir: Path) -> list[Path]:
    """Every run folder with a summary: a scenario's `<scenario>/torch-<v>-transformers-<v>/`, then a
    program's `runs/<command name>/torch-<v>-transformers-<v>/` (`python -m analyzer run`)."""
    scenarios = sorted(p.parent for p in reports_dir.glob("*/torch-*-transformers-*/summary.json"))
    return scenarios + sorted(p.parent for p in reports_dir.glob("runs/*/torch-*-transformers-*/summary.json"))


# ---------------------------------------------------------------- evidence shared by both reports


def failure_matches(run: Run) -> list[Any]:
    """The known upstream issues the first compile failure of a `run` of a user's program is, by the
    compiler's wording (its error and the statement it quotes)."""
    failure = run.failures[0] if run.failures else None
    if not failure or not failure.get("compiler_error"):
        return []
    statement = next((s["text"] for s in failure.get("trace") or [] if s["layer"] == "kernel"), "")
    return known.match(None, run.torch, message=f"{failure['compiler_error']}\n{statement}")


def program_diagnosis(run: Run) -> str:
    """For the user of a `run` whose program failed to compile in a way other than a lost definition:
    which compiles failed and where in the program, which upstream issue it is, what to do, the evidence."""
    failures = run.failures
    first = failures[0]
    found = failure_matches(run)
    calls = [c for v in run.summary["variants"] for c in v.get("calls", [])]
    out = [f"# Diagnosis: torch {run.torch}, `{run.summary['command']}`", "", "## What failed", ""]
    code = run.summary.get("exit_code")
    out.append(
        f"{len(failures)} of {len(calls)} compiles fail in the C++ compiler; the program "
        + ("timed out." if code is None else f"exited {code}.")
    )
    out.append("")
    for f in failures:
        where = f" in `{f['test']}`" if f.get("test") else ""
        guard = (f.get("recompile") or {}).get("guard")
        because = f", a recompile because the guard `{guard}` failed" if guard else ""
        line = f"- compile {f['compile_id']}{where}{because}: {f['class']} ({compiler.CLASSES[f['class']]}): `{f.get('compiler_error')}`"
        if f.get("source"):
            line += f", from `{f['source']['file']}:{f['source']['line']}`: `{f['source']['text']}`"
        out.append(line)
    out += ["", "## Which upstream issue it is", ""]
    out += _known_lines(found) if found else ["None known to this project: `repro_torch.py` is the repro to file with a new PyTorch issue."]
    out += ["", "## What to do", ""]
    steps = []
    for k in found:
        fix = fix_of(k)
        if fix and identity.release_key(run.torch) < identity.release_key(fix[0]):
            steps.append(f"Upgrade torch to {fix[0]} or later: it contains the fix" + (f" (PR #{fix[1]})." if fix[1] else "."))
            break
    steps += [f"Meanwhile: {k.workaround}" for k in found if k.workaround][:1]
    open_issues = [k for k in found if k.type == "issue" and k.status == "open"]
    if open_issues:
        steps.append(f"Add your case to {', '.join(_ref(k) for k in open_issues)}, with `repro_torch.py`, instead of a new issue.")
    elif not found:
        steps.append("Report it to PyTorch with `repro_torch.py` (pure torch, proven here in a fresh process) and `collect_env.txt`.")
    out += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    out += ["", "## Evidence", ""]
    entry = run.repro.get("repro_torch.py")
    if entry:
        state = "verified in a fresh process" if entry.get("verified") else "NOT verified"
        out.append(f"- `repro_torch.py`: {entry.get('ops')} torch ops, exit {entry.get('exit_code')} here, {state}.")
    if first.get("trace"):
        out += ["", _trace_table(first)]
    return "\n".join(out).rstrip() + "\n"


def _key_finding(run: Run) -> dict[str, Any] | None:
    """The finding the repro was made from, else the first traced lost definition, else the first late check."""
    wanted = run.repro.get("finding") or {}
    for f in run.findings:
        if f["file"] == wanted.get("file") and f["line"] == wanted.get("line"):
            return f
    traced = [f for f in run.lost if f.get("source")] or run.lost or [f for f in run.late if f.get("source")] or run.late
    return traced[0] if traced else None


def _failing_call(run: Run) -> tuple[str, dict[str, Any]] | None:
    for v in run.summary["variants"]:
        for call in v.get("calls", []):
            if not call["ok"]:
                return v["variant"], call
    return None


def _compiler_errors(run: Run, variant: str, label: str) -> tuple[str, str]:
    """The compiler's error lines with the code and caret under each, and the whole message."""
    call = next(c for c in run.capture(variant)["calls"] if c["label"] == label)
    message = _no_paths((call.get("error") or {}).get("message", ""))
    lines = message.splitlines()
    picked: list[str] = []
    for i, line in enumerate(lines):
        if "error:" in line:
            picked.extend(lines[i : i + 3])
    return "\n".join(picked), message


def _kernel_excerpt(run: Run, finding: dict[str, Any]) -> str:
    lines = run.kernel_lines(finding["file"])
    if finding["kind"] == "check-after-load":
        marks = {finding["line"]: "the check", finding.get("related_line"): "the load it guards, before it"}
    else:
        marks = {finding["line"]: "use", finding.get("related_line"): "declaration"}
    low = max(1, min(n for n in marks if n) - 2)
    high = min(len(lines), max(n for n in marks if n) + 1)
    out = []
    for n in range(low, high + 1):
        note = marks.get(n)
        out.append(f"{n:>4} | {lines[n - 1]}" + (f"    // <- {note}" if note else ""))
    return "\n".join(out)


def _trace_table(finding: dict[str, Any], upstream: bool = False) -> str:
    """The finding's trace as a table; for upstream, the kernel by Inductor's name, not this project's file."""
    rows = ["| layer | what | where |", "|---|---|---|"]
    for step in finding.get("trace") or []:
        if upstream and step["layer"] == "kernel":
            where = f"`{finding.get('kernel', 'kernel')}` line {step['line']}"
        elif step.get("file"):
            where = f"{step['file']}:{step['line']}"
        else:
            where = step.get("node", "")
        text = step["text"].replace("|", "\\|")
        rows.append(f"| {step['layer']} | `{text}` | {where} |")
    return "\n".join(rows)


def _cse_sentence(finding: dict[str, Any]) -> str:
    check = next((s for s in finding.get("trace") or [] if s["layer"] == "loop-body" and s.get("shares_index_with")), None)
    if not check:
        return ""
    shared = ", ".join(f"`{t}`" for t in check["shares_index_with"])
    return (
        f"The loop body's `{check['text'].split(': ', 1)[-1]}` checks an index that {shared} also computes. "
        "That `index_expr` entered the kernel's CSE first, from the comparison that shares the index, and its "
        "variable was declared in the `compute` buffer. `check_bounds` asked the CSE for the same expression, got "
        "that variable back, and wrote the assert into the `loads` buffer, which the kernel emits before `compute`."
    )


_CELL = {"fail": "**fails**", "pass": "compiles, matches eager", "not-installable": "could not be installed"}


def _matrix_section(reports_dir: Path) -> str:
    """The matrix's verdicts as a table; `reports/matrix.json` already lists its releases in order."""
    path = reports_dir / "matrix.json"
    if not path.is_file():
        return "Not measured yet: `nox -s matrix` writes `reports/matrix.json`."
    data = files.read_json(path)
    status = {name: cell.get("status", "?") for name, cell in data["cells"].items()}
    torches, tfs = data["torch"], data["transformers"]
    rows = ["| torch | " + " | ".join(f"transformers {t}" for t in tfs) + " |", "|---|" + "---|" * len(tfs)]
    for t in torches:
        cells = [status.get(identity.run_folder_name(t, tf), "not run") for tf in tfs]
        rows.append(f"| {t} | " + " | ".join(_CELL.get(c, c) for c in cells) + " |")
    failing = [t for t in torches if any(status.get(identity.run_folder_name(t, tf)) == "fail" for tf in tfs)]
    line = f"Fails here on torch {', '.join(failing)}." if failing else "No release fails in the matrix."
    return "\n".join(rows) + f"\n\n{line} Measured by `nox -s matrix` with the `sdpa-mask-decode` scenario, one environment per cell."


def _verify(reports_dir: Path, run: Run) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    folder = reports_dir / "verify" / f"torch-{run.torch}-transformers-{run.transformers}"
    results = files.read_json(folder / "results.json") if (folder / "results.json").is_file() else {}
    upstream = files.read_json(folder / "upstream_tests.json") if (folder / "upstream_tests.json").is_file() else []
    return results, upstream


def _config_line(results: dict[str, Any], config: str) -> str | None:
    for r in results.get("runs", []):
        if r["config"] == config:
            checks = r["results"]
            failed = [c["check"] for c in checks if not c["passed"]]
            passed = len(checks) - len(failed)
            tail = f"; fails: {', '.join(failed)}" if failed else ""
            return f"{passed}/{len(checks)} checks pass{tail}"
    return None


def _verify_section(reports_dir: Path, run: Run, project: str) -> str:
    results, upstream = _verify(reports_dir, run)
    if not results:
        return f"Not verified on torch {run.torch} with transformers {run.transformers} yet (`nox -s verify`)."
    lines = [
        f"`nox -s verify` on torch {run.torch} with transformers {run.transformers}, each configuration in a fresh "
        "environment, compiled against eager (hypothesis-drawn masks, including masks longer than kv_length and "
        "non-zero kv_offset; the scenario's decode call; the automatic-dynamic sequence; tiny Llama and Mistral "
        "`generate`; the kernel analysis of every generated kernel):",
        "",
        "| patches | result |",
        "|---|---|",
    ]
    for config in ("unpatched", project, "pytorch+transformers", "candidate"):
        line = _config_line(results, config)
        if line:
            lines.append(f"| {config} | {line} |")
    own = [u for u in upstream if u["project"] == project]
    if own:
        lines += ["", "The patch's own regression test, on the patched and the unpatched code:", ""]
        for u in own:
            state = "patched" if u["patched"] else "unpatched"
            lines.append(f"- {state}: `{' '.join(u['tests'])}`: {_PYTEST_TIME.sub('', u['summary'])} (exit {u['exit_code']})")
    return "\n".join(lines)


def _patch_section(project: str, version: str) -> tuple[str, str]:
    """A one-line pointer to the series for this release and its text, or why there is none."""
    try:
        series = patches.release_series(project, version)
    except patches.PatchError as exc:
        return str(exc), ""
    names = ", ".join(f"`{p.relative_to(patches.PATCHES.parent).as_posix()}`" for p in series)
    body = "\n".join(p.read_text(encoding="utf-8") for p in series)
    return names, body


def _versions_block(run: Run) -> str:
    env = run.text(COLLECT_ENV)
    if env is None:
        return "`collect_env.txt` was not captured with this run."
    return _fence(env.strip())


# ---------------------------------------------------------------- what upstream already knows


def matches(run: Run) -> list[Any]:
    """The known upstream issues and PRs the run's key finding corresponds to, best first."""
    finding = _key_finding(run)
    return known.match(finding["kind"], run.torch) if finding else []


# the upstream threads each document lists as related, resolved against the known-issues data
# (titles and states come from there; tests/test_report.py checks each resolves)
RELATED = {
    "pytorch": ("pytorch#178244", "pytorch#180212", "pytorch#187335", "pytorch#195482"),
    "transformers": ("transformers#44458", "transformers#44845", "transformers#37866", "transformers#41852", "pytorch#178244"),
}


def related(project: str) -> list[Any]:
    by_ref = {k.ref: k for k in known.known_issues().entries}
    return [by_ref[ref] for ref in RELATED[project]]


def _ref(k: Any) -> str:
    repo = "pytorch/pytorch" if k.project == "pytorch" else "huggingface/transformers"
    return f"[{repo}#{k.number}]({k.url})" if k.number is not None else f"{repo} (not reported upstream)"


def fix_of(k: Any) -> tuple[str, int | None] | None:
    """(release, PR) of the fix of a known issue, or None while no release is known to fix it."""
    fixed = k.fixed_in
    return (fixed.release, fixed.pr) if fixed and fixed.release else None


def _known_lines(found: list[Any], why: bool = True) -> list[str]:
    """One line per known issue: reference, type, state and title, and with `why` how it bears on the run
    (the data's own words, for the user; an upstream document gives the title alone)."""
    out = []
    for k in found:
        kind = "PR" if k.type == "pr" else "issue"
        out.append(f"- {_ref(k)} ({kind}, {k.status}): {k.title}" + (f". {k.relation}" if why else ""))
    return out


def duplicate_of(run: Run) -> list[Any]:
    """The known upstream *issues* (not PRs) a new report of this run would duplicate."""
    return [k for k in matches(run) if k.type == "issue"]  # a PR, or a defect no issue reports, is no duplicate


def fixed_upstream(run: Run) -> tuple[Any, str, int | None] | None:
    """(the known issue, the release, the PR) that fixes the run's failure in a later torch, or None."""
    for k in matches(run):
        fix = fix_of(k)
        if fix and k.project == "pytorch" and identity.release_key(run.torch) < identity.release_key(fix[0]):
            return k, fix[0], fix[1]
    return None


# ---------------------------------------------------------------- which documents a run gets


def plan(run: Run) -> tuple[list[str], str]:
    """The documents this run gets, and why (one line, for the index).

    A failure gets a diagnosis; an upstream issue is drafted for a project only when no known issue
    of that project covers the failure already (filed, it would be closed as a duplicate), and for
    transformers only when the failing line is transformers' own."""
    if run.summary.get("status") != "ok":
        return [], "none: the run did not complete"
    if run.failures and not run.lost:
        found = failure_matches(run)
        refs = ", ".join(k.ref for k in found)
        kind = run.failures[0]["class"]
        return [DIAGNOSIS], f"a compile failure of class {kind}" + (f", known upstream ({refs})" if refs else ", no known upstream issue")
    if not run.lost and not run.late:
        return [], "none: nothing to report (every call compiles and matches eager, no finding)"
    duplicates = duplicate_of(run)
    known_in = {k.project for k in duplicates}
    fixed = fixed_upstream(run)
    source = (_key_finding(run) or {}).get("source") or {}
    docs: list[str] = [DIAGNOSIS] if run.lost or duplicates else []
    reasons = []
    if duplicates:
        refs = ", ".join(k.ref for k in duplicates)
        reasons.append(f"known upstream ({refs}" + (f"; fixed in torch {fixed[1]}" if fixed else "") + ")")
    if "pytorch" not in known_in:
        docs.append(PYTORCH)
        reasons.append("a PyTorch issue to file: no known upstream issue covers " + ("this failure" if run.lost else "a check after its load"))
    if run.lost and source.get("file", "").startswith("transformers/") and "transformers" not in known_in:
        docs.append(TRANSFORMERS)
        reasons.append("a transformers issue to file: the failing line is transformers' own")
    if DIAGNOSIS in docs and not reasons[1:] and duplicates:
        reasons.append("a diagnosis, no new issue of either project")
    return docs, "; ".join(reasons)


# ---------------------------------------------------------------- issue-pytorch.md


def _versions_lines(run: Run) -> list[str]:
    v = run.summary.get("versions") or {}
    return [
        f"torch {v.get('torch', run.torch)} (CPU), transformers {v.get('transformers', run.transformers)}, "
        f"Python {v.get('python', '?')}, {v.get('platform', '?')}, {v.get('compiler', 'the C++ compiler Inductor called')}, "
        f"vector ISA {v.get('vec_isa', '?')}."
    ]


def _repro_output(run: Run) -> tuple[str, list[str], int | None]:
    """The repro script, the lines it printed when it was proven, and its exit code."""
    entry = run.repro.get("repro_torch.py") or {}
    return run.text("repro_torch.py") or "", list(entry.get("output") or []), entry.get("exit_code")


def _upstream_tests_line(reports_dir: Path, run: Run, project: str) -> str:
    _, upstream = _verify(reports_dir, run)
    own = [u for u in upstream if u["project"] == project]
    if not own:
        return ""
    parts = []
    for u in own:
        state = "patched" if u["patched"] else "unpatched"
        parts.append(f"{state}: {_PYTEST_TIME.sub('', u['summary'])}")
    return f"Its regression test on torch {run.torch}, " + "; ".join(parts) + "."


def _runtime_evidence(reports_dir: Path, run: Run) -> str:
    """What the check after the load costs at runtime, as `python -m analyzer evidence` measured it on
    this run's versions, or the plain statement that it was not measured (then it is code order)."""
    path = reports_dir / "evidence" / identity.run_folder_name(run.torch, run.transformers) / "guard_page.json"
    data = files.read_json(path) if path.is_file() else {"runs": []}
    runs = {r["code"]: r for r in data["runs"]}
    before, after = runs.get("unpatched"), runs.get("patched")
    if not before:
        return "Runtime harm was not measured on this release: what is shown is the order of the code."
    inputs = data["inputs"]
    line = (
        "At runtime, the same pattern (the causal rule AND `padding_mask[b_idx, kv_idx]`, dynamic shapes) called with kv "
        f"length {inputs['out_of_range_kv']} on a padding mask of length "
        f"{inputs['mask_length']} that ends right before a guard page (a page mapped without access): "
        f"{before['outcome']}; eager raises `{before.get('eager_out_of_range', '?')}`."
    )
    if after and after.get("out_of_range_call"):
        error = re.sub(r"^RuntimeError: kernel, \S+, ", "RuntimeError: ", after["out_of_range_call"])
        line += f" With the check moved before the load (the fix below), the call raises `{error}`."
    return line


def pytorch_issue(run: Run, reports_dir: Path) -> str:
    finding = _key_finding(run) or {}
    source = finding.get("source") or {}
    script, printed, _ = _repro_output(run)
    out: list[str] = []
    if run.lost:
        ident = finding.get("identifier", "tmpN")
        out.append(f"# [inductor][cpu] Bounds check uses `{ident}` before its declaration with dynamic shapes")
        paragraph = (
            f"With dynamic shapes on CPU, torch {run.torch} stops in the C++ compile of an Inductor kernel: "
            f"the indirect-index bounds check `TORCH_CHECK(... \"index out of bounds\")` uses `{ident}`, which the "
            "kernel declares only later."
        )
    else:
        out.append("# [inductor][cpu] Bounds check of a gathered index runs after the load it guards (dynamic shapes)")
        paragraph = (
            f"With dynamic shapes on CPU, torch {run.torch} compiles a gather whose index Inductor cannot bound into a "
            "kernel that loads the gathered element first and runs the index's `TORCH_CHECK(... \"index out of bounds\")` "
            "afterwards, so an index out of range is read before the check can raise. The pattern is transformers' SDPA "
            f"mask for a padded batch (`{source.get('text', 'padding_mask[batch_idx, kv_idx]')}`, one index shared with the "
            "causal comparison). Since the fix for the compile error of this pattern (#178244, PR #180212), "
            "`CppKernel.check_bounds` writes the check into `compute` when the kernel's CSE already holds the index, and a "
            "kernel runs `loads` before `compute`."
        )
    out += ["", "### 🐛 Describe the bug", "", paragraph]
    if script:
        out += ["", _fence(script, "python")]
    if printed:
        out += ["", "### Error logs", "", _fence("\n".join(printed))]
    if run.late and not run.lost:
        out += ["", _runtime_evidence(reports_dir, run)]
    out += ["", "### Versions", "", *_versions_lines(run)]
    related_ = related("pytorch")
    out += ["", "Related upstream:", *_known_lines(related_, why=False)]
    out += ["", _details("python -m torch.utils.collect_env", _versions_block(run))]
    if finding:
        body = [f"The generated kernel `{finding.get('kernel', '')}`, line {finding['line']}: {finding['message']}.", "",
                _fence(_kernel_excerpt(run, finding), "cpp"), ""]
        sentence = _cse_sentence(finding)
        if sentence and run.lost:
            body += [sentence, ""]
        body += ["The check traced through Inductor's layers:", "", _trace_table(finding, upstream=True)]
        out += ["", _details("Analysis: the kernel transformers' mask builder compiles to, and its trace to the source line", "\n".join(body))]
    names, patch = _patch_section("pytorch", run.torch)
    if patch:
        tests = _upstream_tests_line(reports_dir, run, "pytorch")
        text = "A proposed fix." + (f" {tests}" if tests else "")
        out += ["", _details("Proposed fix", text + "\n\n" + _fence(patch, "diff"))]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- issue-transformers.md


def transformers_issue(run: Run, reports_dir: Path) -> str:
    finding = _key_finding(run) or {}
    source = finding.get("source") or {}
    failing = _failing_call(run)
    env = run.text(TRANSFORMERS_ENV)
    out = [
        "# SDPA mask builder does not compile with dynamic shapes on CPU (torch 2.8–2.12): `padding_mask[batch_idx, kv_idx]`",
        "",
        "### System Info",
        "",
        env.strip() if env else _fence("\n".join(_versions_lines(run))),
        "",
        "### Who can help?",
        "",
        TRANSFORMERS_ATTENTION,
        "",
        "### Information",
        "",
        "- [ ] The official example scripts",
        "- [x] My own modified scripts",
        "",
        "### Tasks",
        "",
        "- [ ] An officially supported task in the `examples` folder (such as GLUE/SQuAD, ...)",
        "- [x] My own task or dataset (give details below)",
        "",
        "### Reproduction",
        "",
    ]
    script = run.text("repro_transformers.py")
    entry = run.repro.get("repro_transformers.py") or {}
    if script:
        out += [_fence(script, "python"), ""]
        if entry:
            out.append(f"It exits {entry.get('exit_code')} on torch {run.torch} with transformers {run.transformers}, and prints:")
            out += ["", _fence("\n".join(entry.get("output") or []))]
    if failing:
        variant, call = failing
        errors, _ = _compiler_errors(run, variant, call["label"])
        if errors:
            out += ["", "The compiler's errors:", "", _fence(errors)]
    if source:
        out += [
            "",
            f"The failing bounds check comes from `{source['file']}:{source['line']}`, `{source['text']}`: the padding rule "
            "gathers the 2D mask with the `kv_idx` the causal rule compares. With dynamic shapes Inductor cannot prove "
            "`kv_idx < attention_mask.shape[-1]` (on the decode step the kv length and the mask length are distinct "
            "symbols), keeps a bounds check, and torch 2.8 to 2.12 write that check before the variable it checks "
            "(pytorch/pytorch#178244, fixed in 2.13.0). Every transformers release since 4.53 builds the mask with this "
            "gather, so upgrading transformers alone does not help anyone on those torch releases.",
        ]
    sequence = run.text("repro_sequence.py")
    if sequence:
        out += [
            "",
            _details(
                "Why it looks flaky (the default dynamic=None)",
                "The first call compiles static shapes and passes; a later call with new shapes recompiles with "
                "automatic dynamic shapes and fails, in whichever test happens to make it. The same calls in one "
                "process, in a fixed order:\n\n" + _fence(sequence, "python"),
            ),
        ]
    out += ["", "### Expected behavior", "", "The compiled mask builder compiles and returns the eager mask."]
    out += ["", "Related upstream:", "", *_known_lines(related("transformers"), why=False)]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- diagnosis.md (stays with the user)


def diagnosis(run: Run, reports_dir: Path) -> str:
    """For the user and their team: what failed, which upstream issue it is, what to do, the evidence."""
    finding = _key_finding(run) or {}
    source = finding.get("source") or {}
    calls = [c for v in run.summary["variants"] for c in v.get("calls", [])]
    failed = [c for c in calls if not c["ok"]]
    fixed = fixed_upstream(run)
    found = matches(run)
    out = [f"# Diagnosis: torch {run.torch} with transformers {run.transformers}, `{run.summary['scenario']}`", ""]
    first_error = next((c["compiler_error"] for c in failed if c.get("compiler_error")), None)
    what = f"{len(failed)} of {len(calls)} compiled calls fail" if failed else f"all {len(calls)} compiled calls compile"
    out += ["## What failed", "", f"{what}" + (f": `{first_error}`" if first_error else ".")]
    if finding:
        out += [
            "",
            f"The analysis of the generated C++ finds {len(run.lost)} lost definitions and {len(run.late)} late checks; "
            f"the first: {finding['file']}:{finding['line']}: {finding['message']}.",
        ]
    if source:
        out += ["", f"It comes from `{source['file']}:{source['line']}`: `{source['text']}`."]
    out += ["", "## Which upstream issue it is", ""]
    if found:
        out += _known_lines(found)
    else:
        out.append("None known: `issue-pytorch.md` in this folder is the report to file.")
    out += ["", "## What to do", ""]
    steps = []
    if fixed:
        k, release, pr = fixed
        steps.append(
            f"Upgrade torch to {release} or later: it contains the fix" + (f" (PR #{pr})" if pr else "") + ". "
            "The kernel then compiles, but runs this bounds check after the load it guards (see the `issue-pytorch.md` "
            f"of the torch {release} runs in `reports/README.md`)."
        )
    steps.append(
        "Or, until then, turn the indirect-index bounds checks off before the first compile: "
        "`torch._inductor.config.assert_indirect_indexing = False` (or `options={\"assert_indirect_indexing\": False}` "
        "in `torch.compile`). It compiles and matches eager, but drops every such check in the graph."
    )
    names, patch = _patch_section("pytorch", run.torch)
    if patch:
        steps.append(
            f"Or apply the local PyTorch patch {names} to the installed torch: "
            "`nox -s apply -- --project pytorch <site-packages>/torch` (`--check` first, `--reverse` to undo)."
        )
    tnames, tpatch = _patch_section("transformers", run.transformers)
    if tpatch and source.get("file", "").startswith("transformers/"):
        steps.append(
            f"Or apply the local transformers patch {tnames}: `nox -s apply -- --project transformers "
            "<site-packages>/transformers`; it builds the mask without the gather."
        )
        proposals = sorted((patches.PATCHES / "transformers").glob("*/PR.md"))
        if proposals:
            steps[-1] += (
                " The same change is proposed for transformers' main, with its tests: "
                f"`{proposals[-1].relative_to(patches.PATCHES.parent).as_posix()}` (the pull request's text)."
            )
    out += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    open_issues = [k for k in found if k.type == "issue" and k.status == "open"]
    if open_issues:
        refs = ", ".join(_ref(k) for k in open_issues)
        out += ["", f"Upstream already tracks it ({refs}): add your case there, with `repro_torch.py` below, instead of a new issue."]
    out += ["", "## Evidence", ""]
    for name in ("repro_torch.py", "repro_transformers.py", "repro_sequence.py"):
        entry = run.repro.get(name)
        if entry:
            state = "verified in a fresh process" if entry.get("verified") else "NOT verified"
            out.append(f"- `{name}`: exit {entry.get('exit_code')} here, {state}.")
    if finding:
        out += ["", _fence(_kernel_excerpt(run, finding), "cpp"), "", _trace_table(finding)]
    pictures = sorted(p.relative_to(run.path).as_posix() for p in (run.path / "pictures").glob("*.svg")) if (run.path / "pictures").is_dir() else []
    if pictures:
        out += ["", "Pictures: " + ", ".join(f"`{p}`" for p in pictures)]
    out += ["", "### Versions measured", "", _matrix_section(reports_dir)]
    verify = _verify_section(reports_dir, run, "pytorch")
    out += ["", "### The patches, verified here", "", verify]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- index and writing


def verdict(run: Run) -> str:
    """One line: what the run shows."""
    calls = [c for v in run.summary["variants"] for c in v.get("calls", [])]
    failed = [c for c in calls if not c["ok"]]
    source = (_key_finding(run) or {}).get("source") or next((f["source"] for f in run.failures if f.get("source")), None)
    where = f", traced to `{source['file']}:{source['line']}`" if source else ""
    if run.summary.get("status") != "ok":
        return "run failed: " + ", ".join(f"{v['variant']} {v['status']}" for v in run.summary["variants"] if v["status"] != "ok")
    if failed or run.lost:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted((run.summary.get("findings") or {}).items()))
        if not kinds and run.failures:  # a user's program: the compiler's failures by class
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(f["class"] for f in run.failures).items()))
        entry = run.repro.get("repro_torch.py") or {}
        ops = f"{entry['ops']} ops, " if entry.get("ops") is not None else ""
        repro = f"; repro {ops}{'verified' if entry.get('verified') else 'not verified'}" if entry else ""
        return f"fails: {len(failed)}/{len(calls)} calls do not compile; {kinds}{where}{repro}"
    late = f"; {len(run.late)} checks after their load{where}" if run.late else ""
    return f"compiles, {len(calls)}/{len(calls)} calls match eager{late}"


def index(reports_dir: Path) -> str:
    lines = [
        "# Reports",
        "",
        "Written by this project; `python -m analyzer report` rewrites this index and every run folder's documents.",
        "`diagnosis.md` stays with you and your team: a failure upstream already knows, what fixes it, what to do "
        "meanwhile. `issue-pytorch.md` and `issue-transformers.md` go upstream: each is a bug report to file as it is.",
        "",
        "| scenario | versions | verdict | documents |",
        "|---|---|---|---|",
    ]
    for run_dir in run_dirs(reports_dir):
        run = load(run_dir)
        rel = run_dir.relative_to(reports_dir).as_posix()
        docs, why = plan(run)
        links = " · ".join(f"[{name}]({rel}/{name})" for name in docs)
        lines.append(f"| {run.summary['scenario']} | [{run_dir.name}]({rel}/) | {verdict(run)} | {links + ': ' if links else ''}{why} |")
    extra = [
        ("matrix.md", "the version matrix (`nox -s matrix`)"),
        ("verify/README.md", "each patch configuration against eager (`nox -s verify`)"),
        ("bench.json", "benchmarks with the machine and versions (`nox -s bench`)"),
    ]
    present = [(name, why) for name, why in extra if (reports_dir / name).is_file()]
    if present:
        lines += ["", "Also here:", ""] + [f"- [{name}]({name}): {why}" for name, why in present]
    lines += [
        "",
        "A run folder holds `summary.json`, `findings.json`, one captured bundle per variant (`capture.json`, "
        "`kernels/`), `collect_env.txt` and `transformers_env.txt`, and where a finding was traced, the verified "
        "repros (`repro_torch.py`, and for a lost definition `repro_transformers.py` and `repro_sequence.py`; "
        "`repro.json`). `index.json` lists the runs of this table for programs. Durations go to `timings.json`, which git ignores, so everything committed regenerates byte "
        "for byte.",
    ]
    return "\n".join(lines) + "\n"


def _diagnosis(run: Run, reports_dir: Path) -> str:
    return program_diagnosis(run) if run.failures and not run.lost else diagnosis(run, reports_dir)


WRITERS = {DIAGNOSIS: _diagnosis, PYTORCH: pytorch_issue, TRANSFORMERS: transformers_issue}


def write_run(run_dir: Path, reports_dir: Path) -> list[Path]:
    """Write the documents `plan` gives the run, and remove those it no longer gets."""
    run = load(run_dir)
    docs, _ = plan(run)
    written = []
    for name in DOCUMENTS:
        if name in docs:
            files.write_text(run_dir / name, WRITERS[name](run, reports_dir))
            written.append(run_dir / name)
        else:
            (run_dir / name).unlink(missing_ok=True)
    return written


INDEX_JSON = "index.json"


def index_json(reports_dir: Path) -> dict[str, Any]:
    """`reports/index.json`: every run folder for a program to read, as the README lists them for a person."""
    runs = []
    for run_dir in run_dirs(reports_dir):
        run = load(run_dir)
        docs, why = plan(run)
        source = (_key_finding(run) or {}).get("source")
        runs.append(
            {
                "path": run_dir.relative_to(reports_dir).as_posix(),
                "workload": run.summary["scenario"],
                "torch": run.torch,
                "transformers": run.transformers,
                "status": run.summary.get("status"),
                "findings": run.summary.get("findings", {}),
                "source": {"file": source["file"], "line": source["line"]} if source else None,
                "known": [f"{k.project}#{k.number}" for k in matches(run) if k.number is not None],
                "repros": {n: e.get("verified") for n, e in run.repro.items() if n.endswith(".py")},
                "documents": docs,
                "why": why,
            }
        )
    return {"schema_version": artifacts.SCHEMA_VERSION, "runs": runs}


def write_all(reports_dir: Path, only: list[Path] | None = None) -> list[Path]:
    """Documents for the named run folders (default: all), then the index of all of them, for people
    (`README.md`) and for programs (`index.json`)."""
    written = []
    for run_dir in only or run_dirs(reports_dir):
        written += write_run(run_dir, reports_dir)
    files.write_text(reports_dir / "README.md", index(reports_dir))
    files.write_json(reports_dir / INDEX_JSON, index_json(reports_dir))
    written += [reports_dir / "README.md", reports_dir / INDEX_JSON]
    return written
