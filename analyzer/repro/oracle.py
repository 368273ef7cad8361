"""Does a candidate repro show *this* bug? The question every minimization step asks.

A candidate reproduces only when compiling it fails with a C++ compile error whose undeclared
identifier sits inside an "index out of bounds" TORCH_CHECK, and it compiles once
`assert_indirect_indexing` is off. Any other error is a different bug and is refused: accepting
any error is how a minifier ends on a graph that shows nothing.
"""
from __future__ import annotations

import dataclasses
import signal
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from analyzer import procs
from analyzer.analysis import compiler

BUG, PASS, OTHER, UNKNOWN = "bug", "pass", "other-error", "unknown"


@dataclasses.dataclass
class Verdict:
    status: str  # bug | pass | other-error | unknown (the screen could not read the kernel)
    detail: str  # the identifier and compiler line, or the other error's first line

    @property
    def reproduces(self) -> bool:
        return self.status == BUG


def signature(message: str) -> str | None:
    """The lost identifier when the error is this bug's, else None (`compiler.lost_identifier`)."""
    return compiler.lost_identifier(message)


def classify(exc: BaseException | None) -> Verdict:
    if exc is None:
        return Verdict(PASS, "compiled and ran")
    message = str(exc)
    ident = signature(message)
    if ident is not None:
        return Verdict(BUG, f"'{ident}' undeclared in an index-out-of-bounds TORCH_CHECK")
    first = next((line for line in message.splitlines() if line.strip()), type(exc).__name__)
    return Verdict(OTHER, f"{type(exc).__name__}: {first[:200]}")


@contextmanager
def _alarm(seconds: int):
    def on_timeout(*_: Any) -> None:
        raise TimeoutError(f"query exceeded {seconds}s")

    old = signal.signal(signal.SIGALRM, on_timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def query_in_process(fn: Callable[..., Any], inputs: tuple, assert_indirect: bool = True, timeout_s: int = 120) -> Verdict:
    """Compile `fn` with dynamic shapes here, with Dynamo reset and the FX graph cache off.

    Safe in-process: a C++ compile error is a Python exception, and a fresh Dynamo state per
    query keeps one candidate's recompiles out of the next.
    """
    import torch

    from analyzer.capture import torchglue

    torchglue.reset()
    exc: BaseException | None = None
    with torchglue.inductor_options(assert_indirect_indexing=assert_indirect, fx_graph_cache=False):
        try:
            with _alarm(timeout_s):
                torch.compile(fn, dynamic=True)(*inputs)
        except Exception as e:  # the verdict is the point
            exc = e
    torchglue.reset()
    return classify(exc)


def screen_in_process(fn: Callable[..., Any], inputs: tuple, timeout_s: int = 120) -> Verdict:
    """Generate the C++ without compiling it and read it with the kernel analysis.

    A screen, never a judge: it can only reject. When no bounds check in the generated code uses
    an undeclared variable, the compiler cannot report this bug's signature, so the expensive
    C++ compile is skipped. When it finds one, the compiler decides (`reproduces_in_process`).
    """
    import torch

    from analyzer.analysis import kernel
    from analyzer.capture import torchglue

    sources: list[str] = []
    torchglue.reset()
    with torchglue.inductor_options(fx_graph_cache=False), torchglue.codegen_only(sources):
        try:
            with _alarm(timeout_s):
                torch.compile(fn, dynamic=True)(*inputs)
        except Exception as exc:  # a candidate that cannot even be generated is not this bug
            torchglue.reset()
            return classify(exc)
    torchglue.reset()
    for source in sources:
        try:
            findings = kernel.analyze_source(source, "<candidate>")
        except kernel.KernelParseError:
            return Verdict(UNKNOWN, "unreadable kernel: left to the compiler")
        lost = [f for f in findings if f.kind in kernel.LOST and kernel.BOUNDS_MESSAGE in f.statement]
        if lost:
            return Verdict(BUG, f"'{lost[0].identifier}' used before its declaration in a bounds check")
    return Verdict(PASS, "no bounds check uses an undeclared variable in the generated C++")


def reproduces_in_process(fn: Callable[..., Any], inputs: tuple, screen: bool = True) -> Verdict:
    """The strict verdict: compiler error with this signature, and a clean compile with the assert off."""
    if screen:
        screened = screen_in_process(fn, inputs)
        if screened.status not in (BUG, UNKNOWN):
            return screened
    first = query_in_process(fn, inputs, assert_indirect=True)
    if not first.reproduces:
        return first
    control = query_in_process(fn, inputs, assert_indirect=False)
    if control.status != PASS:
        return Verdict(OTHER, f"still fails with assert_indirect_indexing off: {control.detail}")
    return first


def run_script(script: Path, assert_indirect: bool = True, timeout_s: float = 300, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a repro script in a fresh process with its own Inductor cache; (exit code, output)."""
    script = script.resolve()  # the child runs in the script's folder, so a relative path would miss
    prelude = "" if assert_indirect else "import torch._inductor.config as c; c.assert_indirect_indexing = False; "
    # the script's own exit code and output, without the second of interpreter teardown after it
    code = (
        f"{prelude}import os, runpy, sys\nsys.argv = [{str(script)!r}]\ncode = 0\n"
        f"try:\n    runpy.run_path({str(script)!r}, run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code if isinstance(e.code, int) else e.code is not None\n"
        "    if not isinstance(e.code, (int, type(None))):\n        print(e.code, file=sys.stderr)\n"
        "sys.stdout.flush(); sys.stderr.flush(); os._exit(code)"
    )
    rc, stdout, stderr = procs.run_fresh_cache([sys.executable, "-c", code], timeout_s, cwd=script.parent, env=env)
    if rc is None:
        return 124, f"timed out after {timeout_s}s"
    return rc, stdout + stderr


def verify_script(script: Path, timeout_s: float = 300, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The final word: fails as this bug in a fresh process, passes with the assert off.

    The two runs are independent processes with caches of their own, so they run side by side.
    `env` is added to theirs (see `torchglue.trust_vec_isa`)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        on = pool.submit(run_script, script, True, timeout_s, env)
        off = pool.submit(run_script, script, False, timeout_s, env)
        (rc, out), (rc_off, _) = on.result(), off.result()
    shows_bug = rc != 0 and signature(out) is not None
    return {
        "verified": shows_bug and rc_off == 0,
        "exit_code": rc,
        "exit_code_assert_off": rc_off,
        "signature": signature(out),
        "output": [line for line in out.splitlines() if line.startswith(("BUG", "compiled", "each call", "the same calls", "torch "))],
    }
