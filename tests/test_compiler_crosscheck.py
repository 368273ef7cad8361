"""The kernel analysis against the compiler, on every kernel captured under tests/data.

For each kernel: the compiler's errors must be exactly the analysis's lost definitions (undeclared,
forward-reference, out-of-scope) that g++ reports, by (line, column, identifier) (g++ reports an
undeclared name at its first use in a scope; see `crosscheck.compiler_reports`), and a kernel the
analysis calls clean must compile with no error at all. Kernels are compiled against the headers
of the torch they were captured on, so each torch release's kernels are checked only in an
environment with that release installed: 2.13.0 in `nox -s tests`, 2.8.0 in `nox -s reproduce`
(marker `affected`).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import AFFECTED, DATA

import crosscheck
from analyzer.analysis import kernel

INSTALLED = version("torch").split("+")[0]
BUNDLES = crosscheck.bundles(DATA)
AFFECTED_RELEASES = {"2.8.0", "2.9.0", "2.9.1", "2.10.0", "2.11.0", "2.12.0", "2.12.1"}
# the compile Inductor ran at capture wrote the kernel after one blank line
RECORDED_ERROR = re.compile(r"\.cpp:(\d+):(\d+): error: .(tmp\w+). was not declared")


def _groups() -> dict[tuple[str, str | None], list[Path]]:
    """Kernels by (torch release, vector ISA) of their capture: each group shares one set of flags."""
    groups: dict[tuple[str, str | None], list[Path]] = defaultdict(list)
    for bundle in BUNDLES:
        groups[(crosscheck.bundle_torch(bundle), crosscheck.bundle_isa(bundle))] += sorted((bundle / "kernels").glob("*.cpp"))
    return groups


def _releases() -> list:
    releases = sorted({torch for torch, _ in _groups()})
    return [pytest.param(r, marks=[pytest.mark.affected] if r in AFFECTED_RELEASES else [], id=f"torch-{r}") for r in releases]


def _need(release: str) -> None:
    if release != INSTALLED:
        pytest.skip(f"kernels captured on torch {release} compile against its own headers; torch {INSTALLED} is installed here")


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict[str, list[crosscheck.CompilerError]]]:
    """Compiler errors per kernel file, per torch release: computed once, for the installed release only."""
    from analyzer.capture import torchglue

    out: dict[str, dict[str, list[crosscheck.CompilerError]]] = defaultdict(dict)
    for (release, isa), paths in _groups().items():
        if release == INSTALLED:
            compiler, flags = torchglue.kernel_compile_flags(isa)
            out[release].update(crosscheck.check_kernels(compiler, flags, paths))
    return out


def test_the_corpus_holds_failing_and_clean_kernels_of_several_workloads():
    """The cross-check means something only if the data has both verdicts, from more than one workload."""
    releases = {crosscheck.bundle_torch(b) for b in BUNDLES}
    assert {"2.8.0", "2.13.0"} <= releases
    lost_by_workload = defaultdict(int)
    clean_with_checks = 0
    for bundle in BUNDLES:
        data = json.loads((bundle / "capture.json").read_text())
        for path in (bundle / "kernels").glob("*.cpp"):
            found = crosscheck.lost_definitions(path)
            lost_by_workload[data["scenario"]] += len(found)
            clean_with_checks += not found and kernel.BOUNDS_MESSAGE in path.read_text()
    assert sum(1 for n in lost_by_workload.values() if n) >= 3, dict(lost_by_workload)
    assert lost_by_workload["iota-gather"], "no pure-torch workload loses the definition"
    assert clean_with_checks >= 10  # bounds checks the analysis must not flag


@pytest.mark.parametrize("release", _releases())
def test_analysis_and_compiler_agree_on_every_kernel(release, verdicts):
    """Every error g++ reports is a lost definition at that line and column, every lost definition it
    would report is one of its errors, and a kernel without lost definitions has no error at all."""
    _need(release)
    checked = verdicts[release]
    assert len(checked) >= 20
    disagreements = []
    flagged = 0
    for file, errors in sorted(checked.items()):
        found = crosscheck.lost_definitions(Path(file))
        compiler = {(e.line, e.col, e.undeclared) for e in errors}
        flagged += bool(found)
        if crosscheck.compiler_reports(Path(file)) != compiler or bool(found) != bool(errors):
            disagreements.append(f"{file}\n  analysis: {sorted(found)}\n  compiler: {sorted((e.line, e.col, e.message) for e in errors)}")
    assert not disagreements, "\n".join(disagreements)
    if release in AFFECTED_RELEASES:
        assert flagged >= 5  # the mask kernels of several workloads
    else:
        assert flagged == 0


@pytest.fixture(scope="module")
def clang_verdicts() -> dict[str, dict[str, list[crosscheck.CompilerError]]]:
    """As `verdicts`, with clang++ given Inductor's flags (for the installed release only)."""
    import shutil

    from analyzer.capture import torchglue

    if shutil.which("clang++") is None:
        pytest.skip("clang++ is not installed (apt-get install clang libomp-dev)")
    out: dict[str, dict[str, list[crosscheck.CompilerError]]] = defaultdict(dict)
    for (release, isa), paths in _groups().items():
        if release == INSTALLED:
            _, flags = torchglue.kernel_compile_flags(isa)
            out[release].update(crosscheck.check_kernels("clang++", flags, paths))
    return out


@pytest.mark.parametrize("release", _releases())
def test_clang_reports_every_lost_definition_and_nothing_else(release, clang_verdicts):
    """clang reports each use of an undeclared name, so its errors are exactly the analysis's lost
    definitions, every one, at their lines and columns; a kernel without any compiles cleanly."""
    _need(release)
    checked = clang_verdicts[release]
    assert len(checked) >= 20
    disagreements = []
    flagged = 0
    for file, errors in sorted(checked.items()):
        found = crosscheck.lost_definitions(Path(file))
        flagged += bool(found)
        reported = {(e.line, e.col, e.undeclared) for e in errors}
        if reported != crosscheck.compiler_reports(Path(file), "clang++") or reported != found:
            disagreements.append(f"{file}\n  analysis: {sorted(found)}\n  clang: {sorted((e.line, e.col, e.message) for e in errors)}")
    assert not disagreements, "\n".join(disagreements)
    assert flagged >= 5 if release in AFFECTED_RELEASES else flagged == 0


@pytest.mark.parametrize("release", _releases())
def test_compile_errors_recorded_at_capture_are_those_of_the_standalone_compile(release, verdicts):
    """The compile Inductor ran at capture time put the kernel one line lower (after a blank line);
    compiled as captured, the same errors sit on the kernel file's own lines."""
    _need(release)
    compared = 0
    for bundle in BUNDLES:
        if crosscheck.bundle_torch(bundle) != release:
            continue
        data = json.loads((bundle / "capture.json").read_text())
        recorded = set()
        for call in data["calls"]:
            if call.get("error"):
                recorded |= {(int(m[1]) - 1, int(m[2]), m[3]) for m in RECORDED_ERROR.finditer(call["error"]["message"])}
        if not recorded:
            continue
        standalone = {(e.line, e.col, e.undeclared) for p in (bundle / "kernels").glob("*.cpp") for e in verdicts[release][str(p)]}
        assert recorded <= standalone, bundle
        compared += 1
    if release in AFFECTED_RELEASES:
        assert compared >= 3


@pytest.mark.parametrize("release", _releases())
def test_one_unit_says_what_each_kernel_alone_says(release, verdicts):
    """Checking many kernels in one translation unit is only a speed-up: a failing kernel and a clean
    one compiled by themselves get the same verdicts."""
    _need(release)
    from analyzer.capture import torchglue

    checked = verdicts[release]
    failing = next((f for f, errors in sorted(checked.items()) if errors), None)
    clean = next(f for f, errors in sorted(checked.items()) if not errors and kernel.BOUNDS_MESSAGE in Path(f).read_text())
    isa_of = {str(path): isa for (r, isa), paths in _groups().items() if r == release for path in paths}
    for file in filter(None, [failing, clean]):
        compiler, flags = torchglue.kernel_compile_flags(isa_of[file])
        alone = crosscheck.compile_alone(compiler, flags, Path(file))
        # the message up to any "did you mean" suggestion, which may name what else the unit declares
        assert {(e.line, e.col, e.message.split(";")[0]) for e in alone} == {(e.line, e.col, e.message.split(";")[0]) for e in checked[file]}, file
    if release in AFFECTED_RELEASES:
        assert failing is not None


def test_generated_kernels_with_every_defect_kind_agree_with_the_compiler(tmp_path):
    """The corpus's lost definitions are all forward references; the property test's kernels also
    hold undeclared names, names of the other body and of lambdas, and lost reduction accumulators.
    On each, g++ must report exactly what `compiler_reports` says it reports. The generator does not
    type-check its arithmetic, so only its 'not declared' errors are compared."""
    from hypothesis import HealthCheck, given, settings
    from test_kernel_properties import kernels as generated_kernels
    from test_kernel_properties import render

    from analyzer.capture import torchglue

    sources: list[str] = []

    @settings(max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(generated_kernels())
    def collect(k) -> None:
        sources.append(render(k)[0])

    collect()
    paths = []
    for i, source in enumerate(sources):
        paths.append(tmp_path / f"generated_{i}.cpp")
        paths[-1].write_text(source)
    compiler, flags = torchglue.kernel_compile_flags()
    verdicts = crosscheck.check_kernels(compiler, flags, paths)
    kinds = set()
    for path in paths:
        reported = {(e.line, e.col, e.undeclared) for e in verdicts[str(path)] if e.undeclared}
        assert reported == crosscheck.compiler_reports(path), path.read_text()
        kinds |= {f.kind for f in kernel.analyze_source(path.read_text(), str(path)) if f.kind in kernel.LOST}
    assert kinds == set(kernel.LOST)


def test_unit_source_keeps_every_kernel_line_and_column(tmp_path):
    """No compiler needed: the unit's text after each `#line 1` is the kernel's text, column for column."""
    paths = sorted((AFFECTED / "kernels").glob("*.cpp"))[:2]
    unit = crosscheck.unit_source(paths).splitlines()
    for path in paths:
        start = unit.index(f'#line 1 "{path}"') + 1
        for own, there in zip(path.read_text().splitlines(), unit[start:]):
            assert len(own) == len(there)
            if "#include" not in own:
                assert there == own.replace('extern "C"', " " * 10)


def test_errors_are_read_from_gcc_and_clang_output():
    out = (
        "/k/a.cpp:23:70: error: 'tmp2' was not declared in this scope; did you mean 'tmp0'?\n"
        "/k/b.cpp:4:9: error: use of undeclared identifier 'tmp7'\n"
        "/k/b.cpp:5:1: error: expected ';' before '}' token\n"
        "/k/b.cpp:6:1: warning: unused variable 'x'\n"
    )
    errors = crosscheck.parse_errors(out)
    assert [(e.file, e.line, e.col, e.undeclared) for e in errors] == [
        ("/k/a.cpp", 23, 70, "tmp2"),
        ("/k/b.cpp", 4, 9, "tmp7"),
        ("/k/b.cpp", 5, 1, None),
    ]
