"""Prove a fix by differential testing: compiled against eager, in the environment it was applied to.

`suite` runs inside one torch environment, in a fresh process (see `run_config`):
- the installed transformers' SDPA mask builder over shapes and mask kinds drawn by hypothesis
  (causal, sliding window, chunked, bidirectional; padding left, right or none; batch 1 and more;
  non-zero q and kv offsets; attention masks longer than kv_length), compiled once per kind with
  `dynamic=True` and compared with eager on every example;
- the automatic-dynamic call sequence (`dynamic=None`: prefill, then decode steps);
- greedy `generate` of the tiny Llama and Mistral, compiled forward against eager tokens;
- every kernel those compiles generated, read by this project's kernel analysis: a fix must leave
  no lost definition and no bounds check after the load it guards.
`run_config` applies a patch configuration to the environment, runs the suite in a child process
with its own Inductor cache, and reverses the patches whatever happened.
"""
from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from analyzer import files, identity, procs
from analyzer.analysis import kernel
from analyzer.capture import masks, scenarios
from analyzer.fix import patches

KINDS = ("causal", "sliding", "chunked", "bidirectional")
RECOMPILE_LIMIT = 64  # above Dynamo's 8, so the suite never falls back to eager and hides a failure


@dataclasses.dataclass(frozen=True)
class MaskCase:
    batch: int
    q_length: int
    kv_length: int
    kv_offset: int
    q_offset: int
    extra: int  # how much longer the attention mask is than kv_offset + kv_length
    padding: str  # left | right | none
    pad: int


def attention_mask(case: MaskCase) -> Any:
    import torch

    length = case.kv_offset + case.kv_length + case.extra
    mask = torch.ones(case.batch, length, dtype=torch.long)
    pad = min(case.pad, length - 1)
    if case.padding == "left" and pad:
        mask[0, :pad] = 0
    elif case.padding == "right" and pad:
        mask[-1, length - pad :] = 0
    return mask


def _mask_function(mu: Any, kind: str, left_padding: Any) -> Any:
    """`mu` is transformers' masking_utils, passed in: an import inside the compiled function would
    break Dynamo's graph (transformers is a lazy module) and hide the bug."""
    if kind == "causal":
        return mu.causal_mask_function
    if kind == "sliding":
        return mu.sliding_window_causal_mask_function(3)
    if kind == "chunked":
        return mu.chunked_causal_mask_function(4, left_padding)
    if hasattr(mu, "bidirectional_mask_function"):
        return mu.bidirectional_mask_function
    return lambda batch_idx, head_idx, q_idx, kv_idx: q_idx >= 0  # 4.x has no named one


def builder(kind: str, use_vmap: bool) -> Any:
    """The installed builder behind one signature; the skips that return None are off, so every
    call materializes the mask and eager and compiled are compared element by element."""
    import torch
    from transformers import masking_utils as mu

    major = masks.transformers_major()  # outside the traced function: Dynamo would break the graph on a metadata lookup

    def build(mask: torch.Tensor, q_offset: int, q_length: int, kv_length: int, kv_offset: int) -> Any:
        left_padding = (mask == 0).long().cumprod(-1).sum(-1) if kind == "chunked" else None
        common = dict(
            batch_size=mask.shape[0],
            kv_length=kv_length,
            kv_offset=kv_offset,
            mask_function=_mask_function(mu, kind, left_padding),
            attention_mask=mask.bool(),
            allow_is_causal_skip=False,
        )
        if major >= 5:
            return mu.sdpa_mask(q_length=q_length, q_offset=q_offset, use_vmap=use_vmap, **common)
        return mu.sdpa_mask_recent_torch(cache_position=torch.arange(q_length) + q_offset, **common)

    return build


def _bind_kv_offset(build: Any, kv_offset: int) -> Any:
    def bound(mask: Any, q_offset: int, q_length: int, kv_length: int) -> Any:
        return build(mask, q_offset, q_length, kv_length, kv_offset)

    return bound


def _outcome(thunk: Any, expected: Any) -> tuple[str, str | None]:
    import torch

    try:
        got = thunk()
    except Exception as exc:
        first = next((line for line in str(exc).splitlines() if "error:" in line), str(exc).splitlines()[0] if str(exc) else "")
        return "error", f"{type(exc).__name__}: {first.strip()[:160]}"
    if isinstance(expected, torch.Tensor):
        same = isinstance(got, torch.Tensor) and got.shape == expected.shape and bool(torch.equal(got, expected))
    else:
        same = got is expected or got == expected
    return ("ok", None) if same else ("mismatch", "compiled result differs from eager")


def cases(examples: int, seed: int = 0) -> list[MaskCase]:
    """Mask cases drawn by hypothesis, derandomized so a rerun checks the same ones."""
    from hypothesis import HealthCheck, given, seed as hseed, settings
    from hypothesis import strategies as st

    drawn: list[MaskCase] = []
    strategy = st.builds(
        MaskCase,
        batch=st.integers(1, 3),
        q_length=st.sampled_from([1, 1, 2, 5]),
        kv_length=st.integers(4, 24),
        kv_offset=st.sampled_from([0, 0, 3]),
        q_offset=st.integers(0, 6),
        extra=st.sampled_from([0, 0, 4]),
        padding=st.sampled_from(["left", "right", "none"]),
        pad=st.integers(1, 4),
    )

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case: MaskCase) -> None:
        drawn.append(case)

    collect()
    # the decode step with q_offset reaching the end of kv is the shape that fails; keep it in
    return [MaskCase(2, 1, 9, 0, 8, 0, "left", 3), MaskCase(2, 1, 9, 0, 8, 4, "left", 3), *drawn]


def suite(examples: int) -> dict[str, Any]:
    """All checks in this process; returns plain results (see module docstring)."""
    import torch

    from analyzer.capture import torchglue

    torchglue.set_recompile_limit(RECOMPILE_LIMIT)
    recorder = torchglue.Recorder()
    results: list[dict[str, Any]] = []
    drawn = cases(examples)
    paths = [False, True] if masks.transformers_major() >= 5 else [True]
    with torchglue.recording(recorder):
        for use_vmap in paths:
            for kind in KINDS:
                build = builder(kind, use_vmap)
                # kv_offset stays a constant of each compile, as in transformers, where it comes from the
                # cache as a Python int: passed as an argument, it would become a symbol of its own, and
                # then torch 2.8 compiles the unpatched mask and the suite could not tell the fix from the bug
                compiled: dict[int, Any] = {}
                tally: Counter[str] = Counter()
                first_failure = None
                for case in drawn:
                    mask = attention_mask(case)
                    args = (mask, case.q_offset, case.q_length, case.kv_length, case.kv_offset)
                    try:
                        expected = build(*args)
                    except Exception:  # a case eager itself rejects is no evidence either way
                        tally["eager-error"] += 1
                        continue
                    if case.kv_offset not in compiled:
                        compiled[case.kv_offset] = torch.compile(_bind_kv_offset(build, case.kv_offset), backend=recorder.backend, dynamic=True)
                    status, reason = _outcome(lambda: compiled[case.kv_offset](*args[:4]), expected)
                    tally[status] += 1
                    if status != "ok" and first_failure is None:
                        first_failure = {"case": dataclasses.asdict(case), "reason": reason}
                results.append(
                    {
                        "check": f"mask {kind}" + (" vmap" if use_vmap and masks.transformers_major() >= 5 else ""),
                        "passed": tally["ok"] > 0 and tally["ok"] + tally["eager-error"] == len(drawn),
                        "counts": dict(tally),
                        "first_failure": first_failure,
                    }
                )
            torchglue.reset()
        results.append(_scenario_decode(recorder, paths[-1]))
        results.append(_sequence(recorder, paths[-1]))
        for model in ("llama", "mistral"):
            call = scenarios.run_generate(model)("auto", recorder)[0]
            reason = None if call["ok"] and call["matches_eager"] else (call.get("error") or {}).get("type", "tokens differ from eager")
            results.append({"check": f"generate tiny-{model}", "passed": bool(call["ok"] and call["matches_eager"]), "first_failure": reason})
            torchglue.reset()
    results.append(_kernels(recorder))
    return {"results": results, "examples": len(drawn), "compiles": len(recorder.compiles)}


def _scenario_decode(recorder: Any, use_vmap: bool) -> dict[str, Any]:
    """The decode step exactly as `sdpa-mask-decode` calls the builder, where unpatched 2.8 fails:
    the hypothesis cases go through a wrapper whose traced graph differs enough that unpatched
    2.8 may compile them, so this case keeps the suite able to tell the fix from the bug."""
    import torch

    from analyzer.capture import torchglue

    build = masks.builder(use_vmap)
    compiled = torch.compile(build, backend=recorder.backend, dynamic=True)
    failures = []
    for q_offset, kv_length in [(8, 9), (9, 10)]:
        mask = torch.ones(2, kv_length, dtype=torch.bool)
        mask[0, :3] = False
        status, reason = _outcome(lambda: compiled(mask, q_offset, 1, kv_length), build(mask, q_offset, 1, kv_length))
        if status != "ok":
            failures.append(f"kv {kv_length}: {reason}")
    torchglue.reset()
    return {"check": "mask decode as sdpa-mask-decode calls it", "passed": not failures, "first_failure": failures[0] if failures else None}


def _sequence(recorder: Any, use_vmap: bool) -> dict[str, Any]:
    """The automatic-dynamic path: static prefill, then decode steps that recompile with dynamic sizes."""
    import torch

    build = builder("causal", use_vmap)
    compiled = torch.compile(build, backend=recorder.backend)
    failures = []
    for q_offset, q_length, kv_length in [(0, 8, 8), (8, 1, 9), (9, 1, 10), (10, 1, 11)]:
        case = MaskCase(2, q_length, kv_length, 0, q_offset, 0, "left", 3)
        args = (attention_mask(case), q_offset, q_length, kv_length, 0)
        status, reason = _outcome(lambda: compiled(*args), build(*args))
        if status != "ok":
            failures.append(f"kv {kv_length}: {reason}")
    return {"check": "mask causal, automatic dynamic", "passed": not failures, "first_failure": failures[0] if failures else None}


def _kernels(recorder: Any) -> dict[str, Any]:
    """Every generated kernel through the project's own analysis."""
    kinds: Counter[str] = Counter()
    count = 0
    for compile_rec in recorder.compiles.values():
        for k in compile_rec["kernels"]:
            count += 1
            try:
                kinds.update(f.kind for f in kernel.analyze_source(k["source"], k["name"]))
            except kernel.KernelParseError:
                kinds["unparsed"] += 1
    lost = sum(kinds[k] for k in kernel.LOST)
    late = kinds["check-after-load"]
    reason = None
    if lost or late or kinds["unparsed"]:
        reason = f"{lost} lost definitions, {late} checks after their load, {kinds['unparsed']} unparsed, in {count} kernels"
    return {"check": "kernel analysis", "passed": reason is None, "counts": dict(kinds), "kernels": count, "first_failure": reason}


CONFIGS = {
    "unpatched": [],
    "pytorch": ["pytorch"],
    "transformers": ["transformers"],
    "pytorch+transformers": ["pytorch", "transformers"],
    "candidate": ["candidate"],
}


def site_package(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise patches.PatchError(f"{name} is not installed in this environment")
    return Path(spec.origin).parent


def candidate_series(transformers_version: str) -> list[Path]:
    found = sorted((patches.PATCHES / "candidates").glob(f"transformers-{transformers_version}-*.patch"))
    if not found:
        raise patches.PatchError(f"no candidate patch for transformers {transformers_version}")
    return found


def run_config(name: str, examples: int, timeout_s: float = 3600) -> dict[str, Any]:
    """Apply the configuration's patches to this environment, run the suite in a child, reverse them."""
    torch_dir, tf_dir = site_package("torch"), site_package("transformers")
    try:
        with contextlib.ExitStack() as stack:
            for part in CONFIGS[name]:
                if part == "candidate":
                    version = patches.detect("transformers", tf_dir).version
                    stack.enter_context(patches.applied("transformers", tf_dir, series=candidate_series(version)))
                else:
                    stack.enter_context(patches.applied(part, torch_dir if part == "pytorch" else tf_dir))
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "suite.json"
                cmd = procs.child_command("verify-suite", str(examples), str(out))
                rc, _, stderr = procs.run_fresh_cache(cmd, timeout_s)
                if rc is None:
                    result = {"error": f"suite timed out after {timeout_s}s"}
                else:
                    result = files.read_json(out) if out.is_file() else {"error": (stderr.strip().splitlines() or ["no output"])[-1]}
    except patches.PatchError as exc:
        result = {"error": f"patch: {exc}"}
    return {"config": name, **result}


_NO_DIRS = re.compile(r"/\S*/([^/\s]+\.cpp)")


def table(runs: list[dict[str, Any]], env: str) -> str:
    """Configuration x check -> pass/fail with the reason, as Markdown."""
    lines = [f"### {env}", "", "| patches | check | result | reason |", "|---|---|---|---|"]
    for run in runs:
        if "error" in run:
            lines.append(f"| {run['config']} | (suite) | error | {run['error']} |")
            continue
        for result in run["results"]:
            reason = result.get("first_failure") or ""
            if isinstance(reason, dict):
                case = ", ".join(f"{k}={v}" for k, v in reason["case"].items())
                reason = f"{reason['reason']} ({case})"
            verdict = "pass" if result["passed"] else "FAIL"
            reason = _NO_DIRS.sub(r"\1", str(reason)).replace("|", "/")  # the kernel's name, not this machine's path
            lines.append(f"| {run['config']} | {result['check']} | {verdict} | {reason} |")
    return "\n".join(lines) + "\n"


def run_all(configs: list[str], examples: int, reports: Path, progress: Any = None) -> Path:
    """Every configuration on this environment; writes `verify/<env>/results.json` and `results.md`."""
    env = identity.installed_run_folder_name()
    runs = []
    for name in configs:
        if progress:
            progress(f"{env}: patches '{name}' applied, running the differential suite in a fresh process")
        runs.append(run_config(name, examples))
    folder = reports / "verify" / env
    files.write_json(folder / "results.json", {"environment": env, "examples": examples, "runs": runs})
    files.write_text(folder / "results.md", table(runs, env))
    if progress:
        progress(f"{env}: the patches' own regression tests, patched and unpatched")
    run_upstream(reports)
    write_overview(reports / "verify")
    return folder


def overview(results: list[dict[str, Any]]) -> str:
    """One row per environment and patch configuration: how many checks passed, and which failed."""
    lines = [
        "| environment | patches | passed | failed checks |",
        "|---|---|---|---|",
    ]
    for data in results:
        for run in data["runs"]:
            if "error" in run:
                lines.append(f"| {data['environment']} | {run['config']} | - | {run['error']} |")
                continue
            failed = [r["check"] for r in run["results"] if not r["passed"]]
            passed = len(run["results"]) - len(failed)
            lines.append(f"| {data['environment']} | {run['config']} | {passed}/{len(run['results'])} | {', '.join(failed) or '-'} |")
    return "\n".join(lines) + "\n"


def write_overview(folder: Path) -> None:
    """`reports/verify/README.md`: the overview of every environment verified so far."""
    results = [files.read_json(p) for p in sorted(folder.glob("*/results.json"))]
    text = (
        "# Verification\n\n"
        "`nox -s verify`: each patch configuration applied to a throwaway environment, then compiled against\n"
        "eager over hypothesis-drawn mask cases, the automatic-dynamic sequence, tiny-model `generate`, and the\n"
        "kernel analysis of every generated kernel. Details and reasons: `<environment>/results.md`.\n\n"
        + overview(results)
    )
    for path in sorted(folder.glob("*/upstream_tests.json")):
        text += "\n" + upstream_table(files.read_json(path), path.parent.name)
    files.write_text(folder / "README.md", text)


# An existing upstream test file a patch adds test methods to, with hunks: the class they go in, and
# the module-level names that file gives them, imported from the installed package (a wheel has no
# test/ or tests/ folder, and the upstream file imports its siblings). A hunk that adds no test
# method (the file's imports) is left out: these names stand in.
_CPU_REPRO_NAMES = """\
import contextlib
import itertools
import unittest

import torch
from torch import nn
from torch._C import FileCheck
from torch._inductor import config, cpu_vec_isa, metrics
from torch._inductor.test_case import TestCase
from torch._inductor.utils import run_and_get_cpp_code
from torch.nn import functional as F
"""
_MASKING_UTILS_TEST_NAMES = """\
from unittest import TestCase

import torch
from torch.fx.experimental.proxy_tensor import make_fx

from transformers.masking_utils import (
    and_masks,
    causal_mask_function,
    padding_mask_function,
    sdpa_mask,
    sliding_window_causal_mask_function,
)
from transformers.testing_utils import slow
"""
EXTENDED_TEST_FILES = {
    "test/inductor/test_cpu_repro.py": ("CPUReproTests", _CPU_REPRO_NAMES),
    "tests/utils/test_masking_utils.py": ("MaskTest", _MASKING_UTILS_TEST_NAMES),
}


def _file_hunks(patch_text: str) -> list[tuple[str, bool, list[list[str]]]]:
    """Each file a patch touches: its path, whether the patch creates it, and its hunks, each a list
    of body lines with their ' ', '+' or '-' mark. Hunks are read by their line counts, so what
    follows the last one (format-patch's signature) is not taken for part of it."""
    out = []
    for part in re.split(r"(?m)^(?=diff --git )", patch_text)[1:]:
        lines = part.splitlines()
        path = re.match(r"diff --git a/(\S+) b/\S+", lines[0])
        created, hunks, i = False, [], 1
        while i < len(lines) and not lines[i].startswith("@@"):
            created = created or lines[i].startswith("new file mode")
            i += 1
        while i < len(lines) and (header := re.match(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", lines[i])):
            old, new, body = int(header[1] or 1), int(header[2] or 1), []
            i += 1
            while (old > 0 or new > 0) and i < len(lines):
                line = lines[i] or " "  # an empty context line may have lost its space
                old -= line[0] in " -"
                new -= line[0] in " +"
                if line[0] != "\\":  # "\ No newline at end of file"
                    body.append(line)
                i += 1
            hunks.append(body)
        if path:
            out.append((path[1], created, hunks))
    return out

def new_test_files(patch_text: str) -> dict[str, str]:
    """The test files a patch adds (path -> content): the regression tests it carries upstream."""
    return {
        path: "\n".join(line[1:] for hunk in hunks for line in hunk if line[:1] == "+") + "\n"
        for path, created, hunks in _file_hunks(patch_text)
        if created and path.startswith(("test/", "tests/"))
    }



def added_test_modules(patch_text: str) -> dict[str, str]:
    """For each existing upstream test file a patch adds test methods to, a module that runs just
    those methods outside the upstream checkout (path -> content; the upstream path with `_added`
    before `.py`): the lines added by the hunks that add a `def test_`, as the body of a class named
    as the upstream one, under the names `EXTENDED_TEST_FILES` gives for that file. Such a hunk that
    also removes lines, or a file the table does not know, raises ValueError."""
    out: dict[str, str] = {}
    for path, created, hunks in _file_hunks(patch_text):
        if created or not path.startswith(("test/", "tests/")):
            continue
        methods = [h for h in hunks if any(line[:1] == "+" and line[1:].lstrip().startswith("def test_") for line in h)]
        if not methods:
            continue
        if path not in EXTENDED_TEST_FILES:
            raise ValueError(f"{path}: the patch adds tests to a file verify.EXTENDED_TEST_FILES does not know")
        if any(line[:1] == "-" for hunk in methods for line in hunk):
            raise ValueError(f"{path}: the patch changes existing lines there, not only adds test methods")
        cls, names = EXTENDED_TEST_FILES[path]
        body = "\n".join(line[1:] for hunk in methods for line in hunk if line[:1] == "+").strip("\n")
        head = f"# The test methods a patch adds to upstream's {path}, run outside its checkout.\n"
        out[path.removesuffix(".py") + "_added.py"] = f"{head}{names}\n\nclass {cls}(TestCase):\n{body}\n"
    return out


def regression_tests(patch_text: str) -> dict[str, str]:
    """Every test module to run for a patch (path -> content): the test files it adds, and a module
    for the test methods it adds to existing ones (`added_test_modules`)."""
    return {**new_test_files(patch_text), **added_test_modules(patch_text)}


PROJECTS = ("pytorch", "transformers")


def upstream_tests(timeout_s: float = 1800, projects: tuple[str, ...] = PROJECTS) -> list[dict[str, Any]]:
    """Each project's series applied here, and the regression tests it adds (`regression_tests`) run
    against it with pytest in a fresh process; then each test also against the unpatched code, where
    it must fail."""
    results = []
    for project, package in (("pytorch", "torch"), ("transformers", "transformers")):
        if project not in projects:
            continue
        path = site_package(package)
        try:
            series = patches.release_series(project, patches.detect(project, path).version, path)
            tests = {k: v for p in series for k, v in regression_tests(p.read_text(encoding="utf-8")).items()}
        except (patches.PatchError, ValueError) as exc:
            results.append({"project": project, "error": str(exc)})
            continue
        for patched in (True, False):
            with tempfile.TemporaryDirectory() as tmp:
                for rel, text in tests.items():
                    (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / rel).write_text(text, encoding="utf-8")
                cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
                context = patches.applied(project, path) if patched else contextlib.nullcontext()
                with context:
                    # transformers marks its compile tests slow; here they are the evidence, so they run
                    rc, stdout, _ = procs.run_fresh_cache(cmd, timeout_s, env={"RUN_SLOW": "1"}, cwd=Path(tmp))
                    tail = (stdout.strip().splitlines() or [""])[-1] if rc is not None else f"timed out after {timeout_s}s"
            results.append({"project": project, "tests": sorted(tests), "patched": patched, "exit_code": rc, "summary": tail})
    return results


def upstream_table(results: list[dict[str, Any]], env: str) -> str:
    lines = [f"### {env}: the patches' own regression tests", "", "| project | code | tests | pytest |", "|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['project']} | - | - | {r['error']} |")
            continue
        code = "patched" if r["patched"] else "unpatched"
        lines.append(f"| {r['project']} | {code} | {', '.join(r['tests'])} | {r['summary']} |")
    return "\n".join(lines) + "\n"


def run_upstream(reports: Path, projects: tuple[str, ...] = PROJECTS) -> Path:
    """Only the regression tests of this environment's series; writes `upstream_tests.*`. With some
    `projects` only, the other projects' results already there are kept."""
    env = identity.installed_run_folder_name()
    folder = reports / "verify" / env
    previous = files.read_json(folder / "upstream_tests.json") if (folder / "upstream_tests.json").is_file() else []
    upstream = upstream_tests(projects=projects)
    kept = [r for r in previous if r["project"] not in projects]
    upstream = sorted(kept + upstream, key=lambda r: PROJECTS.index(r["project"]))  # stable: patched before unpatched
    files.write_json(folder / "upstream_tests.json", upstream)
    files.write_text(folder / "upstream_tests.md", upstream_table(upstream, env))
    write_overview(reports / "verify")
    return folder
