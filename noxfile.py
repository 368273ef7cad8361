"""Environments for the analyzer. nox owns the environments; `python -m analyzer` owns the logic.

    nox -s analyze                         every scenario on each version pair, torch 2.8.0 + transformers 4.57.1 first
    nox -s "analyze(torch='2.13.0', transformers='5.23.0')"    one version pair (`nox -l` lists them)
    nox -s analyze -- sdpa-mask-decode     only the named scenarios
    nox -s tests                           the test suite (torch 2.13.0, CPU wheel)
    nox -s reproduce                       the end-to-end test on torch 2.8.0, where the bug lives
    nox -s fixtures                        re-capture the kernels and graphs under tests/data
    nox -s corpus                          re-capture the kernel corpus under tests/data/corpus
    nox -s cache_fixtures                  re-capture the Inductor cache folders under tests/data/cache
    nox -s fuzz                            the kernel analysis's property test on 20000 fresh kernels
    nox -s matrix                          the mask scenario on every torch x transformers release, one cell per environment
    nox -s transformers_sources            re-capture the pristine transformers masking_utils.py under tests/data/transformers
    nox -s transformers_shapes             check which transformers series fits each release; rewrite each series.json
    nox -s bench_builder                   the patched transformers mask builder against the unpatched one, newest release
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]

# The pair the failure was reported on comes first: it is what a bare `nox -s analyze` starts with.
PAIRS = [("2.8.0", "4.57.1"), ("2.8.0", "5.23.0"), ("2.13.0", "5.23.0")]
DEFAULT_PAIR = PAIRS[0]
TEST_PAIR = ("2.13.0", "5.23.0")
SCENARIOS = ["sdpa-mask-decode", "tiny-llama-generate", "tiny-mistral-generate", "async-tests-flaky"]


@contextlib.contextmanager
def heartbeat(session: nox.Session, what: str, every_s: float = 20.0) -> Iterator[None]:
    """A log line every `every_s` seconds while `what` runs: pip says nothing for minutes while it
    downloads a 6.7 GB CUDA build of torch, and a log should show that work goes on."""
    stop = threading.Event()
    started = time.monotonic()

    def beat() -> None:
        while not stop.wait(every_s):
            session.log(f"still {what} ({time.monotonic() - started:.0f}s)")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def install(session: nox.Session, torch: str, transformers: str) -> None:
    """torch first and pinned, so the project's own `torch>=2.8` cannot pull a different build."""
    with heartbeat(session, f"installing torch {torch} and transformers {transformers}"):
        session.install(f"torch=={torch}", f"transformers=={transformers}")
        session.install("-e", ".[test]")


@nox.session
@nox.parametrize(["torch", "transformers"], PAIRS)
def analyze(session: nox.Session, torch: str, transformers: str) -> None:
    """Capture, analyse and trace every scenario (or those named after `--`) on one version pair."""
    install(session, torch, transformers)
    scenarios = session.posargs or SCENARIOS
    for number, scenario in enumerate(scenarios, 1):
        session.log(f"scenario {number}/{len(scenarios)}: {scenario} on torch {torch} + transformers {transformers}")
        session.run("python", "-m", "analyzer", "analyze", "--scenario", scenario)
    # the issue reports and the index read every run folder, matrix and verification on disk
    session.run("python", "-m", "analyzer", "report")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, on the CPU wheel of torch 2.13.0 (installs in seconds)."""
    install(session, *TEST_PAIR)
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def reproduce(session: nox.Session) -> None:
    """The end-to-end capture test on torch 2.8.0, where the failure must be found and traced."""
    install(session, *DEFAULT_PAIR)
    session.run("python", "-m", "pytest", "-q", "-m", "capture or affected", *session.posargs)


@nox.session(reuse_venv=False)  # throwaway: a run cut short may leave it patched or half made
@nox.parametrize(["torch", "transformers"], PAIRS)
def verify(session: nox.Session, torch: str, transformers: str) -> None:
    """Apply each patch configuration to a throwaway environment and test compiled against eager.

    The environment is removed afterwards (pass `-- --keep` to keep it): it is patched in place."""
    keep = "--keep" in session.posargs
    args = [a for a in session.posargs if a != "--keep"]
    install(session, torch, transformers)
    session.install("expecttest")  # torch's own test case classes, used by the PyTorch patch's test
    try:
        session.run("python", "-m", "analyzer", "verify", *args)
    finally:
        if not keep and session.virtualenv.location:
            shutil.rmtree(session.virtualenv.location, ignore_errors=True)


MATRIX_TORCH = ["2.8.0", "2.9.1", "2.10.0", "2.11.0", "2.12.1", "2.13.0", "2.14.1"]
MATRIX_TRANSFORMERS = ["4.57.1", "5.23.0"]


@nox.session(reuse_venv=False)  # most cells are a 6.7 GB CUDA build: one environment at a time, removed after
@nox.parametrize(["torch", "transformers"], [(t, tf) for t in MATRIX_TORCH for tf in MATRIX_TRANSFORMERS])
def matrix(session: nox.Session, torch: str, transformers: str) -> None:
    """One cell of the version matrix: the mask scenario on this pair, to reports/matrix/<cell>.json,
    then reports/matrix.json and .md collated again from every cell there.

    A pair that cannot be installed is recorded as not installable, with pip's reason. The
    environment is removed afterwards (pass `-- --keep` to keep it)."""
    keep = "--keep" in session.posargs
    cell = f"torch-{torch}-transformers-{transformers}"
    command = ["python", "-m", "analyzer", "matrix-cell", "--torch", torch, "--transformers", transformers]
    command += ["--out", f"reports/matrix/{cell}.json"]
    try:
        session.log(f"{cell}: installing torch {torch} pinned, then transformers {transformers}")
        with tempfile.TemporaryDirectory(prefix="matrix-pip-") as tmp:
            pip_log = Path(tmp) / "pip.log"
            try:
                with pip_log.open("w", encoding="utf-8") as out:
                    session.install(
                        f"torch=={torch}", f"transformers=={transformers}", silent=False, stdout=out, stderr=subprocess.STDOUT
                    )
            except nox.command.CommandFailed:
                session.install("--no-deps", "-e", ".")  # recording and collating need neither torch nor transformers
                session.run(*command, "--not-installable", str(pip_log))
            else:
                session.install("-e", ".")
                session.log(f"{cell}: running the cell")
                session.run(*command)
    finally:
        # collated whatever happened, so the table always shows every cell recorded so far
        with contextlib.suppress(nox.command.CommandFailed):
            session.run("python", "-m", "analyzer", "matrix")
        if not keep and session.virtualenv.location:
            session.log(f"{cell}: removing the environment")
            shutil.rmtree(session.virtualenv.location, ignore_errors=True)


# The series' own regression tests on the releases `verify` has no pair for: every PyTorch release
# from 2.9.1 on, with the shape of check_bounds it has; and a release of each transformers shape
# that `verify` does not cover (5.0-5.3, 5.4-5.19), on the affected torch 2.8.0.
UPSTREAM_PAIRS = [(t, "5.23.0") for t in ("2.9.1", "2.10.0", "2.11.0", "2.12.1", "2.14.1")] + [
    ("2.8.0", "5.0.0"),
    ("2.8.0", "5.17.0"),
]


@nox.session(reuse_venv=False)
@nox.parametrize(["torch", "transformers"], UPSTREAM_PAIRS)
def verify_patches(session: nox.Session, torch: str, transformers: str) -> None:
    """The series' own regression tests on a pair `verify` does not cover (see UPSTREAM_PAIRS).

    Each test must pass patched, and fail unpatched where the bug is. Throwaway environments,
    removed afterwards (a CUDA build of torch is about 6.7 GB)."""
    install(session, torch, transformers)
    session.install("expecttest")
    try:
        session.run("python", "-m", "analyzer", "verify", "--upstream-only", *session.posargs)
    finally:
        if session.virtualenv.location:
            shutil.rmtree(session.virtualenv.location, ignore_errors=True)


@nox.session
def apply(session: nox.Session) -> None:
    """Apply a fix to your tree: `nox -s apply -- --project transformers|pytorch PATH [--check] [--reverse]`."""
    session.install("--no-deps", "-e", ".")  # git and the standard library are all it needs
    session.run("python", "-m", "analyzer", "apply", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks on the affected release, figures to reports/bench.json: ours against PyTorch's minifier,
    the patched mask kernel and builder against their references (the patch is reversed afterwards),
    scan throughput on a large kernel corpus, and analyze time by the tiny model's layer count."""
    install(session, *DEFAULT_PAIR)
    session.run("python", "-m", "analyzer", "bench", "minifier", *session.posargs)
    session.run("python", "-m", "analyzer", "bench", "kernel")
    session.run("python", "-m", "analyzer", "bench", "scan")  # scan throughput on a large kernel corpus
    session.run("python", "-m", "analyzer", "bench", "graphs")  # analyze time by the tiny model's layer count
    session.run("python", "-m", "analyzer", "bench", "programs")  # per corpus program: run against a plain run and the minifier


NEWEST_TRANSFORMERS = "5.25.0"  # the newest transformers release on PyPI; the proposal for main is made against it
TRANSFORMERS_SOURCES = ["4.53.0", "4.55.4", "4.57.6", "5.0.0", "5.17.0", NEWEST_TRANSFORMERS]


@nox.session
def transformers_sources(session: nox.Session) -> None:
    """The pristine masking_utils.py (and license) of the transformers releases the tests apply the
    series to, from each release's wheel on PyPI; capture.json records the wheel and the command."""
    session.install("--no-deps", "-e", ".")  # pip, git and the standard library are all it needs
    for release in TRANSFORMERS_SOURCES:
        session.run("python", "-m", "analyzer", "fetch-masking-utils", "--release", release, "--out", f"tests/data/transformers/{release}")


@nox.session
def transformers_shapes(session: nox.Session) -> None:
    """Every transformers release from 4.53.0 to the newest against every shipped series: each must
    fit exactly one; each series.json is rewritten with the releases it fits (about 65 wheels)."""
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "analyzer", "shapes", "--project", "transformers", "--first", "4.53.0", "--last", NEWEST_TRANSFORMERS)


NEWEST_TORCH = "2.14.1"  # the newest torch installable here: the stand-in for PyTorch main
TORCH_SOURCES = ["2.9.0", "2.12.0", NEWEST_TORCH]  # affected releases without a run or verify of their own, and the newest


@nox.session
def torch_sources(session: nox.Session) -> None:
    """The pristine torch/_inductor/codegen/cpp.py (and license) of the torch releases the tests apply
    the PyTorch series to, from each release's wheel on PyPI (about 900 MB each, not installed)."""
    session.install("--no-deps", "-e", ".")
    for release in TORCH_SOURCES:
        session.run("python", "-m", "analyzer", "fetch-cpp-codegen", "--release", release, "--out", f"tests/data/torch/{release}")


@nox.session
def torch_shapes(session: nox.Session) -> None:
    """Every torch release from 2.8.0 to the newest installable here against every shipped PyTorch
    series: each must fit exactly one; each series.json is rewritten (about 10 wheels of 900 MB)."""
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "analyzer", "shapes", "--project", "pytorch", "--first", "2.8.0", "--last", NEWEST_TORCH)


@nox.session
def bench_builder(session: nox.Session) -> None:
    """The SDPA mask builder of the newest transformers with its series against without, in eager
    (no compile, so the CPU build of torch 2.13.0 serves); the `mask_builder` entry of reports/bench.json."""
    install(session, "2.13.0", NEWEST_TRANSFORMERS)
    session.run("python", "-m", "analyzer", "bench", "builder")


FIXTURES = [
    # (torch, transformers, scenario, variant)
    ("2.8.0", "4.57.1", "sdpa-mask-decode", "vmap-dynamic"),
    ("2.8.0", "4.57.1", "tiny-llama-generate", "auto"),
    ("2.8.0", "5.23.0", "sdpa-mask-decode", "novmap-auto"),
    ("2.13.0", "5.23.0", "sdpa-mask-decode", "novmap-dynamic"),
    ("2.13.0", "5.23.0", "tiny-llama-generate", "auto"),
]


@nox.session
@nox.parametrize(["torch", "transformers"], sorted({(t, tf) for t, tf, _, _ in FIXTURES}))
def fixtures(session: nox.Session, torch: str, transformers: str) -> None:
    """Capture the test data with this project's own code; capture.json records versions and command."""
    install(session, torch, transformers)
    for t, tf, scenario, variant in FIXTURES:
        if (t, tf) == (torch, transformers):
            out = f"tests/data/torch-{t}-transformers-{tf}/{scenario}/{variant}"
            session.run("python", "-m", "analyzer", "capture", "--scenario", scenario, "--variant", variant, "--out", out)


CACHE_FIXTURES = [("2.8.0", False), ("2.13.0", False), ("2.13.0", True), ("2.14.1", False)]


@nox.session
@nox.parametrize("torch", sorted({t for t, _ in CACHE_FIXTURES}))
def cache_fixtures(session: nox.Session, torch: str) -> None:
    """Capture real Inductor cache folders (kernels, ISA probes, wrappers) for scan's tests, under
    tests/data/cache/torch-<v>/{plain,cpp-wrapper}; each capture.json records versions and command."""
    install(session, torch, "5.23.0")
    for t, cpp_wrapper in CACHE_FIXTURES:
        if t == torch:
            out = f"tests/data/cache/torch-{t}/{'cpp-wrapper' if cpp_wrapper else 'plain'}"
            session.run("python", "-m", "analyzer", "capture-cache", "--out", out, *(["--cpp-wrapper"] if cpp_wrapper else []))


# The kernel corpus the analysis is checked on against the compiler (tests/test_compiler_crosscheck.py):
# whole tiny-model compiles, and pure-torch gathers that lose the check's variable on an affected
# release or keep it. Slim bundles: versions, calls and kernels, without the graphs.
GATHERS = ["mask-and", "where-pick", "select-then-compare", "gather-iota", "position-embedding", "token-lookup"]
CORPUS = [
    *[("2.8.0", "4.57.1", "iota-gather", v) for v in GATHERS],
    *[("2.8.0", "4.57.1", f"tiny-{m}-generate", "auto") for m in ("qwen2", "gemma", "gpt2")],
    ("2.8.0", "5.23.0", "tiny-qwen2-generate", "auto"),
    *[("2.13.0", "5.23.0", "iota-gather", v) for v in GATHERS],
    *[("2.13.0", "5.23.0", f"tiny-{m}-generate", "auto") for m in ("mistral", "qwen2", "gemma", "gpt2")],
]


@nox.session
@nox.parametrize(["torch", "transformers"], sorted({(t, tf) for t, tf, _, _ in CORPUS}))
def corpus(session: nox.Session, torch: str, transformers: str) -> None:
    """Capture the kernel corpus with this project's own code; each capture.json records versions and command."""
    install(session, torch, transformers)
    for t, tf, scenario, variant in CORPUS:
        if (t, tf) == (torch, transformers):
            out = f"tests/data/corpus/torch-{t}-transformers-{tf}/{scenario}/{variant}"
            session.run("python", "-m", "analyzer", "capture", "--scenario", scenario, "--variant", variant, "--out", out, "--slim")


@nox.session
def fuzz(session: nox.Session) -> None:
    """The kernel analysis's property test on many more generated kernels, drawn afresh each run
    (the tests session draws 1000, the same each run). ANALYZER_FUZZ_EXAMPLES sets how many."""
    install(session, *TEST_PAIR)
    examples = os.environ.get("ANALYZER_FUZZ_EXAMPLES", "20000")
    env = {"ANALYZER_FUZZ_EXAMPLES": examples, "ANALYZER_FUZZ_RANDOM": "1"}
    session.run("python", "-m", "pytest", "-q", "tests/test_kernel_properties.py", *session.posargs, env=env)
