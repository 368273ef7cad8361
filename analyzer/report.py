"""Paste-ready upstream issue reports, written from a run folder's evidence and nothing else.

`issue-pytorch.md` follows PyTorch's torch.compile bug template, `issue-transformers.md`
transformers' bug template. Each is a pure function of files the project wrote (the run folder,
`reports/matrix.json`, `reports/verify/`, `patches/`), so a second run on the same versions writes
the same bytes: no timings, no local paths, no machine names outside the captured
`collect_env.txt`. `reports/README.md` indexes every run folder with a one-line verdict.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from . import files, kernel, matrix, patches

PYTORCH, TRANSFORMERS = "issue-pytorch.md", "issue-transformers.md"
COLLECT_ENV = "collect_env.txt"
FLAKINESS = "flakiness.md"

PYTORCH_LINKS = [
    ("pytorch/pytorch#178244", "https://github.com/pytorch/pytorch/issues/178244", "the original report of this compile error"),
    ("pytorch/pytorch#180212", "https://github.com/pytorch/pytorch/pull/180212", "the fix, first released in 2.13.0; it emits the check after the load"),
    ("pytorch/pytorch#187335", "https://github.com/pytorch/pytorch/issues/187335", "reported the fix incomplete on 2.12, which does not contain it"),
    ("pytorch/pytorch#187798", "https://github.com/pytorch/pytorch/issues/187798", "a closed follow-up"),
]
TRANSFORMERS_LINKS = [
    ("huggingface/transformers#37866", "https://github.com/huggingface/transformers/pull/37866", "introduced the vmap mask builder (4.53.0)"),
    ("huggingface/transformers#41852", "https://github.com/huggingface/transformers/pull/41852", "made the non-vmap path the default (5.0.0)"),
    ("huggingface/transformers#44845", "https://github.com/huggingface/transformers/pull/44845", "sliced the padding mask; not merged"),
    ("huggingface/transformers#44458", "https://github.com/huggingface/transformers/issues/44458", "the same failure through Mllama"),
]

# Anything that still looks like a machine path when a report is written loses its directories.
_DIRS = re.compile(r"(?:(?<=-[IL])|(?<![\w>.~-]))(?:/[\w.+-]+)+/([\w.+-]+)")
_PYTEST_TIME = re.compile(r" in \d+(?:\.\d+)?s\b")


def _no_paths(text: str) -> str:
    return _DIRS.sub(lambda m: m.group(1), text)


def _fence(text: str, lang: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


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
            return patches.release(recorded)
        match = re.fullmatch(r"torch-(?P<torch>[^-]+)-transformers-(?P<transformers>[^-]+)", self.summary.get("run", self.path.name))
        return match[dist] if match else "unknown"

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

    def text(self, name: str) -> str | None:
        path = self.path / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def kernel_lines(self, rel: str) -> list[str]:
        return (self.path / rel).read_text(encoding="utf-8").splitlines()

    def capture(self, variant: str) -> dict[str, Any]:
        return files.read_json(self.path / variant / "capture.json")


def load(run_dir: Path) -> Run:
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{run_dir}: not an analyze run folder (no summary.json)")
    findings = files.read_json(run_dir / "findings.json") if (run_dir / "findings.json").is_file() else []
    repro = files.read_json(run_dir / "repro.json") if (run_dir / "repro.json").is_file() else {}
    return Run(run_dir, files.read_json(summary_path), findings, repro)


def run_dirs(reports_dir: Path) -> list[Path]:
    """Every analyze run folder: `<scenario>/torch-<v>-transformers-<v>/` with a summary."""
    return sorted(p.parent for p in reports_dir.glob("*/torch-*-transformers-*/summary.json"))


# ---------------------------------------------------------------- evidence shared by both reports


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


def _trace_table(finding: dict[str, Any]) -> str:
    rows = ["| layer | what | where |", "|---|---|---|"]
    for step in finding.get("trace") or []:
        where = f"{step['file']}:{step['line']}" if step.get("file") else step.get("node", "")
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
        cells = [status.get(matrix.cell_name(t, tf), "not run") for tf in tfs]
        rows.append(f"| {t} | " + " | ".join(_CELL.get(c, c) for c in cells) + " |")
    failing = [t for t in torches if any(status.get(matrix.cell_name(t, tf)) == "fail" for tf in tfs)]
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


def _workaround(note: str) -> list[str]:
    code = "import torch._inductor.config\ntorch._inductor.config.assert_indirect_indexing = False"
    return ["### Workaround", "", _fence(code, "python"), "", note]


def _versions_block(run: Run) -> str:
    env = run.text(COLLECT_ENV)
    if env is None:
        return "`collect_env.txt` was not captured with this run."
    return _fence(env.strip())


# ---------------------------------------------------------------- issue-pytorch.md


def pytorch_issue(run: Run, reports_dir: Path) -> str:
    finding = _key_finding(run)
    failing = _failing_call(run)
    scenario = run.summary["scenario"]
    out: list[str] = []
    if run.lost:
        ident = finding["identifier"] if finding else "tmpN"
        out.append(
            f"# [inductor][cpu] Bounds check uses `{ident}` before its declaration under dynamic shapes: "
            f"`error: '{ident}' was not declared in this scope`"
        )
    else:
        out.append("# [inductor][cpu] Indirect-index bounds check runs after the load it guards")
    out += ["", "### 🐛 Describe the bug", ""]
    source = (finding or {}).get("source") or {}
    if run.lost:
        kernels = sorted({f["file"] for f in run.lost})
        scopes = sorted({f.get("scope", "") for f in run.lost} - {""})
        out.append(
            f"On torch {run.torch} (CPU), `torch.compile` with dynamic shapes stops in the C++ compile of an Inductor "
            f"kernel: the indirect-index bounds check `TORCH_CHECK(... \"index out of bounds\")` uses a variable the "
            f"kernel declares only later. The analysis of the generated code finds {len(run.lost)} such uses in "
            f"{len(kernels)} kernel(s), across the {len(run.summary['variants'])} captured variants of the `{scenario}` "
            f"scenario, one in every loop body that has a CSE of its own ({', '.join(scopes) or 'one body'}). It happens when a gather and a comparison in one kernel share the same index "
            f"and two sizes are distinct symbols, as in transformers' SDPA mask on the decode step "
            f"(`{source.get('file', '?')}:{source.get('line', '?')}`: `{source.get('text', '')}`)."
        )
    else:
        out.append(
            f"On torch {run.torch} (CPU), the `{scenario}` scenario compiles and matches eager, but the generated "
            f"kernel runs the indirect-index bounds check after the load it is meant to guard: "
            f"{len(run.late)} check(s) after their load. An out-of-range index is read before the assert fires."
        )
    repro_entry = run.repro.get("repro_torch.py") or {}
    script = run.text("repro_torch.py")
    if script:
        out += [
            "",
            f"Minimal repro, pure torch, {repro_entry.get('ops', '?')} ops; it exits 1 while the bug is present "
            "and 0 once the compiled result matches eager:",
            "",
            _fence(script, "python"),
        ]
        if repro_entry:
            verdict = "verified" if repro_entry.get("verified") else "NOT verified"
            out += [
                "",
                f"{verdict} in a fresh process with its own `TORCHINDUCTOR_CACHE_DIR`: exit {repro_entry.get('exit_code')} "
                f"on torch {run.torch}, exit {repro_entry.get('exit_code_assert_off')} with "
                "`torch._inductor.config.assert_indirect_indexing = False`.",
            ]
    if failing:
        variant, call = failing
        errors, message = _compiler_errors(run, variant, call["label"])
        out += ["", "### Error logs", "", _fence(errors or message.splitlines()[0] if message else "(no message)")]
        if message:
            out += ["", _details("Full error", _fence(message))]
    if finding:
        out += ["", "### Analysis", ""]
        if run.lost:
            out.append(
                f"`{finding['file'].rsplit('/', 1)[-1]}` line {finding['line']}, {finding.get('scope', '')}: "
                f"{finding['message']}."
            )
        else:
            out.append(f"`{finding['file'].rsplit('/', 1)[-1]}` line {finding['line']}: {finding['message']}.")
        out += ["", _fence(_kernel_excerpt(run, finding), "cpp"), ""]
        sentence = _cse_sentence(finding)
        if sentence and run.lost:
            out += [sentence, ""]
        out += ["The finding traced through every layer Inductor went through:", "", _trace_table(finding)]
        pictures = sorted(p.relative_to(run.path).as_posix() for p in (run.path / "pictures").glob("*.svg")) if (run.path / "pictures").is_dir() else []
        if pictures:
            out += ["", "Pictures (def-use graph of the kernel, and the trace across layers): " + ", ".join(f"`{p}`" for p in pictures)]
    out += ["", "### Affected versions", "", _matrix_section(reports_dir)]
    out += [
        "",
        *_workaround(
            "It compiles and matches eager, but drops every indirect-index bounds check in the graph. "
            "It is also accepted as `torch.compile(..., options={\"assert_indirect_indexing\": False})`."
        ),
    ]
    names, body = _patch_section("pytorch", run.torch)
    out += ["", "### Proposed fix", ""]
    if body:
        if run.lost:
            out.append(
                f"{names}: `check_bounds` gives a direct index its own declaration before the check (and before the "
                "load it guards), and hoists the check before the loops when the index is affine with non-negative "
                "coefficients."
            )
        else:
            out.append(
                f"{names}: the check goes back in front of the load it guards; when the kernel's CSE already holds the "
                "index, `check_bounds` computes it again in `loads` with a clone of the CSE, under a fresh name."
            )
        out += ["", _details("The patch", _fence(body, "diff")), "", _verify_section(reports_dir, run, "pytorch")]
    else:
        out.append(names)
    out += ["", "### Related", ""]
    out += [f"- [{label}]({url}): {why}" for label, url, why in PYTORCH_LINKS]
    out += ["", "### Versions", "", _details("python -m torch.utils.collect_env", _versions_block(run))]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- issue-transformers.md


def _system_info(run: Run) -> str:
    v = run.summary.get("versions") or {"torch": run.torch, "transformers": run.transformers}
    return "\n".join(
        [
            f"- `transformers` version: {v.get('transformers')}",
            f"- PyTorch version: {v.get('torch')} (CPU)",
            f"- Python version: {v.get('python')}",
            f"- Platform: {v.get('platform')}",
            f"- C++ compiler: {v.get('compiler')}",
        ]
    )


def transformers_issue(run: Run, reports_dir: Path) -> str:
    finding = _key_finding(run)
    source = (finding or {}).get("source") or {}
    failing = _failing_call(run)
    out = [
        "# SDPA mask builder fails to compile with dynamic shapes on CPU (torch ≤ 2.12): `padding_mask[batch_idx, kv_idx]`"
        if run.lost
        else "# SDPA mask builder under torch.compile: the padding gather keeps an indirect bounds check",
        "",
        "### System Info",
        "",
        _system_info(run),
        "",
        "### Who can help?",
        "",
        "Attention masks / `masking_utils`, and torch.compile.",
        "",
        "### Reproduction",
        "",
    ]
    script = run.text("repro_transformers.py")
    entry = run.repro.get("repro_transformers.py") or {}
    if script:
        out += [_fence(script, "python"), ""]
        if entry:
            out.append(
                f"Exit {entry.get('exit_code')} on torch {run.torch} with transformers {run.transformers} "
                f"({'verified' if entry.get('verified') else 'NOT verified'} in a fresh process; exit "
                f"{entry.get('exit_code_assert_off')} with the workaround below)."
            )
    else:
        out.append(
            f"On torch {run.torch} with transformers {run.transformers} the `{run.summary['scenario']}` scenario compiles "
            "and matches eager; nothing to reproduce here. The failure is on torch 2.8.0 through 2.12.1 (see below)."
        )
    sequence = run.text("repro_sequence.py")
    if sequence:
        out += [
            "",
            "With the default `dynamic=None` the failure looks flaky: the first call compiles static shapes and passes; "
            "a later call with new shapes recompiles with automatic dynamic shapes and fails. The same calls, in one "
            "process, in a deterministic order:",
            "",
            _details("repro_sequence.py", _fence(sequence, "python")),
        ]
    flaky = run.text(FLAKINESS)
    if flaky:
        out += ["", flaky.strip()]
    out += ["", "### Expected behavior", "", "The compiled mask builder compiles and returns the eager mask."]
    if failing:
        variant, call = failing
        errors, _ = _compiler_errors(run, variant, call["label"])
        out += ["", "What happens instead:", "", _fence(errors or call.get("compiler_error") or call.get("error_type") or "")]
    if source:
        out += [
            "",
            "### Where it comes from",
            "",
            f"The failing kernel's bounds check traces back to `{source['file']}:{source['line']}`:",
            "",
            _fence(source["text"], "python"),
            "",
            "The padding rule gathers the 2D mask with the same `kv_idx` the causal rule compares. With dynamic shapes "
            "Inductor cannot prove `kv_idx < attention_mask.shape[-1]` (the kv length and the mask length are distinct "
            "symbols on the decode step), keeps an indirect bounds check, and on torch ≤ 2.12 its C++ backend emits "
            "that check before the variable it checks.",
        ]
        if finding:
            out += ["", _details("The trace, layer by layer", _trace_table(finding))]
    out += ["", "### Why upgrading transformers alone does not help", "", _matrix_section(reports_dir)]
    out += [
        "",
        "transformers supports torch ≥ 2.6, and every transformers release since 4.53 builds the mask with this "
        "gather, with vmap (4.53–4.57) or without (5.x), so a user on torch 2.8–2.12 fails with any of them.",
    ]
    names, body = _patch_section("transformers", run.transformers)
    out += ["", "### Proposed fix", ""]
    if body:
        out += [
            f"{names}: the 2D padding mask is narrowed to the kv window (`kv_offset`, `kv_length`) and ANDed into the "
            "mask, broadcast over heads and queries, so no gather is compiled at all.",
            "",
            _details("The patch", _fence(body, "diff")),
            "",
            _verify_section(reports_dir, run, "transformers"),
        ]
        results, _ = _verify(reports_dir, run)
        candidate = _config_line(results, "candidate")
        if candidate:
            out += [
                "",
                "The alternative proposed by a user (AND the padding mask in after the vmap, broadcast as "
                f"`padding_mask[:, None, None, :]`) was verified the same way: {candidate}. It has no room for a mask "
                "longer than kv_length, nor for a non-zero kv_offset (sliding-window layers).",
            ]
    else:
        out.append(names)
    out += [
        "",
        *_workaround("It drops every indirect-index bounds check in the compiled graph; upgrading torch to 2.13.0 or later also works."),
        "",
        "### Related",
        "",
    ]
    out += [f"- [{label}]({url}): {why}" for label, url, why in TRANSFORMERS_LINKS + PYTORCH_LINKS[:2]]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- index and writing


def verdict(run: Run) -> str:
    """One line: what the run shows."""
    calls = [c for v in run.summary["variants"] for c in v.get("calls", [])]
    failed = [c for c in calls if not c["ok"]]
    source = (_key_finding(run) or {}).get("source")
    where = f", traced to `{source['file']}:{source['line']}`" if source else ""
    if run.summary.get("status") != "ok":
        return "run failed: " + ", ".join(f"{v['variant']} {v['status']}" for v in run.summary["variants"] if v["status"] != "ok")
    if failed or run.lost:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted((run.summary.get("findings") or {}).items()))
        entry = run.repro.get("repro_torch.py") or {}
        repro = f"; repro {entry['ops']} ops, {'verified' if entry.get('verified') else 'not verified'}" if entry else ""
        return f"fails: {len(failed)}/{len(calls)} calls do not compile; {kinds}{where}{repro}"
    late = f"; {len(run.late)} checks after their load{where}" if run.late else ""
    return f"compiles, {len(calls)}/{len(calls)} calls match eager{late}"


def index(reports_dir: Path) -> str:
    lines = [
        "# Reports",
        "",
        "Written by this project; `python -m analyzer report` rewrites this index and every run folder's issue reports.",
        "",
        "| scenario | versions | verdict | reports |",
        "|---|---|---|---|",
    ]
    for run_dir in run_dirs(reports_dir):
        run = load(run_dir)
        rel = run_dir.relative_to(reports_dir).as_posix()
        links = " · ".join(f"[{name}]({rel}/{name})" for name in (PYTORCH, TRANSFORMERS) if (run_dir / name).is_file())
        lines.append(f"| {run.summary['scenario']} | [{run_dir.name}]({rel}/) | {verdict(run)} | {links} |")
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
        "`kernels/`), `collect_env.txt`, and where a lost definition was traced, the verified repros "
        "(`repro_torch.py`, `repro_transformers.py`, `repro_sequence.py`, `repro.json`). Durations go to "
        "`timings.json`, which git ignores, so everything committed regenerates byte for byte.",
    ]
    return "\n".join(lines) + "\n"


def write_run(run_dir: Path, reports_dir: Path) -> list[Path]:
    run = load(run_dir)
    written = []
    for name, make in ((PYTORCH, pytorch_issue), (TRANSFORMERS, transformers_issue)):
        files.write_text(run_dir / name, make(run, reports_dir))
        written.append(run_dir / name)
    return written


def write_all(reports_dir: Path, only: list[Path] | None = None) -> list[Path]:
    """Issue reports for the named run folders (default: all), then the index of all of them."""
    written = []
    for run_dir in only or run_dirs(reports_dir):
        written += write_run(run_dir, reports_dir)
    files.write_text(reports_dir / "README.md", index(reports_dir))
    written.append(reports_dir / "README.md")
    return written
