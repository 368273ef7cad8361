"""The "fails only when many async tests run together" report, made deterministic.

Three async tests share one compiled mask builder, the way a test module shares a module-level
`torch.compile(build)`: each calls it with its own shapes (a prefill, a decode step, a mask
longer than the kv length). They run alone, one after another in fixed orders, and concurrently
with `asyncio.gather`, every order on a fresh Dynamo state. The compiled calls are synchronous, so
concurrency only interleaves them at the tests' await points; each test awaits a fixed number of
times before its first call (an async fixture), which makes the interleaving deterministic.

Dynamo's cache and its automatic-dynamic state belong to the function, not to the test: the first
call of an order compiles static shapes, and a later call with new shapes recompiles with the
changed sizes made symbolic. On torch 2.8 through 2.12 that recompile is where Inductor's bounds
check loses its variable, so whether a test fails depends on which test ran before it.

For every call the run records whether it compiled or hit the cache, the guard whose failure made
it recompile, which sizes became symbolic, the result, and the kernel analysis of each compile.
The record goes into capture.json as `flakiness`; `explain` turns it into flakiness.md.
Runs inside the capture child (imports torch through `torchglue`).
"""
from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from analyzer import identity
from analyzer.analysis import compiler, kernel
from analyzer.capture import masks


@dataclasses.dataclass(frozen=True)
class Call:
    name: str
    mask_length: int  # the attention mask's second dimension
    q_offset: int
    q_length: int
    kv_length: int
    pad: int = 3  # left padding of the first row

    def shapes(self, batch: int) -> dict[str, Any]:
        return {"attention_mask": [batch, self.mask_length], "q_offset": self.q_offset, "q_length": self.q_length, "kv_length": self.kv_length}


@dataclasses.dataclass(frozen=True)
class AsyncTest:
    name: str
    setup_awaits: int  # awaits before the first call (an async fixture): where it lands among concurrent tests
    calls: tuple[Call, ...]


@dataclasses.dataclass(frozen=True)
class Order:
    name: str
    mode: str  # "alone" | "sequential" | "concurrent"
    tests: tuple[str, ...]


BATCH = 2
TESTS: dict[str, AsyncTest] = {
    t.name: t
    for t in [
        # the second prefill has the same shapes with other padding: a cache hit once the first compiled
        AsyncTest("test_prefill", 1, (Call("prefill", 8, 0, 8, 8), Call("prefill-again", 8, 0, 8, 8, pad=1))),
        AsyncTest("test_decode", 0, (Call("decode", 9, 8, 1, 9),)),
        AsyncTest("test_long_mask", 2, (Call("long-mask", 12, 0, 8, 8),)),
    ]
}
ALL = tuple(TESTS)
ORDERS: tuple[Order, ...] = (
    *(Order(f"alone-{name.removeprefix('test_').replace('_', '-')}", "alone", (name,)) for name in ALL),
    Order("prefill-decode-long", "sequential", ("test_prefill", "test_decode", "test_long_mask")),
    Order("decode-prefill-long", "sequential", ("test_decode", "test_prefill", "test_long_mask")),
    Order("prefill-long-decode", "sequential", ("test_prefill", "test_long_mask", "test_decode")),
    Order("gather", "concurrent", ALL),
)


def variants() -> list[str]:
    """One variant: the installed transformers' default mask path (vmap on 4.x, no vmap on 5.x)."""
    return ["vmap-auto" if masks.transformers_major() < 5 else "novmap-auto"]


def _error_line(exc: BaseException) -> str:
    """The compiler's first error, or the exception's first line: no paths, the same on every run."""
    text = str(exc)
    found = compiler.first_compiler_error(text)
    if found is not None:
        return found
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first}"[:300]


def _kernel_findings(recorder: Any, key: str) -> list[dict[str, Any]]:
    """The kernel analysis of every kernel one compile generated, also those g++ refused."""
    out = []
    for k in (recorder.compiles.get(key) or {}).get("kernels", []):
        file = identity.kernel_file(key, k["name"])
        try:
            found = kernel.analyze_source(k["source"], file)
        except kernel.KernelParseError as exc:
            out.append({"kernel": k["name"], "file": file, "kind": "unparsed", "message": str(exc)})
            continue
        for f in found:
            out.append({"kernel": k["name"], "file": file, "line": f.line, "col": f.col, "kind": f.kind, "identifier": f.identifier, "scope": f.scope, "message": f.message})
    return out


class _TestFailed(Exception):
    pass


def _run_order(order: Order, compiled: Any, build: Any, recorder: Any, use_vmap: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One order on a fresh Dynamo state: its record and the calls it made (capture's call format)."""
    import torch

    from analyzer.capture import torchglue

    torchglue.reset()
    torchglue.clear_compile_events()
    recorder.namespace = order.name
    steps: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []

    def call(test: AsyncTest, spec: Call) -> bool:
        mask = masks.padded_mask(BATCH, spec.mask_length, 0)
        mask[0, : spec.pad] = False
        args = (mask, spec.q_offset, spec.q_length, spec.kv_length)
        expected = build(*args)
        seen = len(torchglue.compile_events())
        known = set(recorder.compiles)
        try:
            got = compiled(*args)
            error = None
        except Exception as exc:  # the test fails; the order goes on, as a test runner would
            got, error = None, exc
        events = torchglue.compile_events()[seen:]
        # a compile that reached the backend but left no event (should Dynamo stop keeping its
        # metrics) still counts as a compile, with its reason unknown rather than a cache hit
        evented = {recorder.key(e["compile_id"]) for e in events}
        for key in recorder.compiles:
            if key not in known and key not in evented:
                events.append({"compile_id": recorder.compiles[key].get("dynamo_compile_id", key), "recompile": None, "fail_type": None, "reason": "unrecorded"})
        compiles = []
        for event in events:
            key = recorder.key(event["compile_id"])
            compiles.append(
                {
                    **event,
                    "bundle_compile": key if key in recorder.compiles else None,
                    "dynamic": (recorder.compiles.get(key) or {}).get("symbols"),
                    "findings": _kernel_findings(recorder, key),
                }
            )
        if error is None:
            same = got is None if expected is None else isinstance(got, torch.Tensor) and got.shape == expected.shape and bool(torch.equal(got, expected))
        else:
            same = None
        ok = error is None and bool(same)
        outcome = "cache-hit" if not compiles else ("recompiled" if any(c["recompile"] for c in compiles) else "compiled")
        steps.append(
            {
                "task": test.name,
                "call": spec.name,
                "shapes": spec.shapes(BATCH),
                "pad": spec.pad,
                "outcome": outcome,
                "compile_id": compiles[-1]["compile_id"] if compiles else None,
                "recompile": compiles[-1]["recompile"] if compiles else None,
                "compiles": compiles,
                "ok": ok,
                "matches_eager": same,
                "error": _error_line(error) if error is not None else (None if same else "differs from eager"),
            }
        )
        record: dict[str, Any] = {
            "label": f"{order.name}/{test.name}/{spec.name}",
            "step": spec.name,
            "inputs": spec.shapes(BATCH),
            "compile": {"dynamic": None, "use_vmap": use_vmap},
            "ok": error is None,
            "error": {"type": type(error).__name__, "message": str(error)} if error is not None else None,
            "matches_eager": same,
        }
        calls.append(record)
        return ok

    async def run_test(test: AsyncTest) -> None:
        for _ in range(test.setup_awaits):
            await asyncio.sleep(0)
        for spec in test.calls:
            if not call(test, spec):
                raise _TestFailed(spec.name)
            await asyncio.sleep(0)  # the next test's turn, when they run concurrently

    async def main() -> list[Any]:
        tests = [TESTS[name] for name in order.tests]
        if order.mode == "concurrent":
            return list(await asyncio.gather(*(run_test(t) for t in tests), return_exceptions=True))
        results: list[Any] = []
        for t in tests:
            try:
                results.append(await run_test(t))
            except _TestFailed as exc:
                results.append(exc)
        return results

    try:
        results = asyncio.run(main())
    finally:
        recorder.namespace = None
    for r in results:
        if r is not None and not isinstance(r, _TestFailed):
            raise r  # a fault of this harness, not a test result
    verdicts = {name: "failed" if isinstance(r, _TestFailed) else "passed" for name, r in zip(order.tests, results)}
    first_failure = next((i for i, s in enumerate(steps) if not s["ok"]), None)
    bad = next(
        (
            (i, c)
            for i, s in enumerate(steps)
            for c in s["compiles"]
            if any(f["kind"] in kernel.LOST for f in c["findings"])
        ),
        None,
    )
    first_bad_compile = None
    if bad is not None:
        i, c = bad
        lost = [f for f in c["findings"] if f["kind"] in kernel.LOST]
        first_bad_compile = {"step": i, "task": steps[i]["task"], "call": steps[i]["call"], "compile_id": c["compile_id"], "kernel": lost[0]["kernel"], "findings": lost}
    return (
        {
            "name": order.name,
            "mode": order.mode,
            "tests": list(order.tests),
            "steps": steps,
            "results": verdicts,
            "passed": all(v == "passed" for v in verdicts.values()),
            "first_failure": first_failure,
            "first_bad_compile": first_bad_compile,
        },
        calls,
    )


def run(variant: str, recorder: Any) -> list[dict[str, Any]]:
    """Every order of `ORDERS`; the flakiness record goes to `recorder.extra`, the calls are returned."""
    import torch

    use_vmap = variant.startswith("vmap")
    build = masks.builder(use_vmap=use_vmap)
    compiled = torch.compile(build)  # the default dynamic=None, shared by every test
    orders, calls = [], []
    for order in ORDERS:
        record, made = _run_order(order, compiled, build, recorder, use_vmap)
        orders.append(record)
        calls.extend(made)
    major = masks.transformers_major()
    recorder.extra["flakiness"] = {
        "builder": "sdpa_mask_recent_torch" if major < 5 else f"sdpa_mask(use_vmap={use_vmap})",
        "dynamic": None,
        "batch": BATCH,
        "tests": [
            {"name": t.name, "setup_awaits": t.setup_awaits, "calls": [{"call": c.name, **c.shapes(BATCH), "pad": c.pad} for c in t.calls]}
            for t in TESTS.values()
        ],
        "orders": orders,
        "affected": any(o["first_bad_compile"] for o in orders),
    }
    return calls
