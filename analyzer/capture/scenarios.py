"""Named workloads that exercise the failure, each run under torch.compile on CPU.

A scenario is a set of variants; each variant is one compile configuration, and a program of its
own: `python -m analyzer.capture.scenarios NAME VARIANT` runs it and prints each call's outcome.
`analyze` runs each variant as `run` runs a user's command (`capture.launch`), in its own
process, because Dynamo's caches and automatic-dynamic state are per process and would
otherwise make one variant's result depend on another's; the recording (`capture.program`)
keeps its compiles, and the scenario adds its own calls, each compared with eager.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from analyzer.capture import masks


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    variants: Callable[[], list[str]]
    run: Callable[[str, Any], list[dict[str, Any]]]
    compiles_mask_builder_alone: bool = False  # what it compiles is what repro_transformers.py compiles


class UnknownScenario(ValueError):
    pass


def _mask_variants() -> list[str]:
    paths = ["novmap", "vmap"] if masks.transformers_major() >= 5 else ["vmap"]
    return [f"{path}-{mode}" for path in paths for mode in ("dynamic", "auto")]


def _run_mask(variant: str, recorder: Any) -> list[dict[str, Any]]:
    """Prefill then two decode steps: on decode the kv length and mask length are distinct symbols."""
    import torch

    path, mode = variant.split("-")
    build = masks.builder(use_vmap=(path == "vmap"))
    compiled = torch.compile(build, dynamic=True if mode == "dynamic" else None)
    batch, prompt, pad = 2, 8, 3
    steps = [("prefill", 0, prompt, prompt)] + [
        (f"decode-{i}", prompt + i, 1, prompt + i + 1) for i in range(2)
    ]
    calls = []
    for label, q_offset, q_length, kv_length in steps:
        mask = masks.padded_mask(batch, kv_length, pad)
        call: dict[str, Any] = {
            "label": label,
            "inputs": {
                "attention_mask": list(mask.shape),
                "q_offset": q_offset,
                "q_length": q_length,
                "kv_length": kv_length,
            },
            "compile": {"dynamic": True if mode == "dynamic" else None, "use_vmap": path == "vmap"},
        }
        expected = build(mask, q_offset, q_length, kv_length)
        calls.append(_compare(call, lambda: compiled(mask, q_offset, q_length, kv_length), expected))
    return calls


def _async_variants() -> list[str]:
    from analyzer.capture import asynctests

    return asynctests.variants()


def _run_async_tests(variant: str, recorder: Any) -> list[dict[str, Any]]:
    """Async tests sharing one compiled mask builder, alone, in fixed orders and concurrently (see `asynctests`)."""
    from analyzer.capture import asynctests

    return asynctests.run(variant, recorder)


def _compare(call: dict[str, Any], thunk: Callable[[], Any], expected: Any) -> dict[str, Any]:
    import torch

    try:
        got = thunk()
    except Exception as exc:
        call.update(ok=False, error={"type": type(exc).__name__, "message": str(exc)})
        call["matches_eager"] = None
        return call
    if isinstance(expected, torch.Tensor):
        same = isinstance(got, torch.Tensor) and got.shape == expected.shape and bool(torch.equal(got, expected))
    else:
        same = got == expected
    call.update(ok=True, error=None, matches_eager=same)
    return call


TINY_LAYERS_ENV = "ANALYZER_TINY_LAYERS"


def tiny_layers() -> int | None:
    """The tiny models' layer count when $ANALYZER_TINY_LAYERS overrides the default of 2: the
    bench varies it to see how `analyze` grows with the model. None when not overridden."""
    raw = os.environ.get(TINY_LAYERS_ENV)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{TINY_LAYERS_ENV}={raw!r} is not a layer count")
    return int(raw)


def _tiny_model(kind: str) -> Any:
    import torch
    import transformers

    torch.manual_seed(0)
    common = dict(
        vocab_size=128,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=tiny_layers() or 2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    configs = {
        "llama": lambda: (transformers.LlamaConfig(**common), transformers.LlamaForCausalLM),
        "mistral": lambda: (transformers.MistralConfig(sliding_window=6, **common), transformers.MistralForCausalLM),
        "qwen2": lambda: (transformers.Qwen2Config(**common), transformers.Qwen2ForCausalLM),
        "gemma": lambda: (transformers.GemmaConfig(head_dim=16, **common), transformers.GemmaForCausalLM),
        "gpt2": lambda: (transformers.GPT2Config(**common), transformers.GPT2LMHeadModel),
    }
    config, model_cls = configs[kind]()
    config._attn_implementation = "sdpa"
    return model_cls(config).eval()


def run_generate(kind: str) -> Callable[[str, Any], list[dict[str, Any]]]:
    def run(variant: str, recorder: Any) -> list[dict[str, Any]]:
        """Greedy generate on a left-padded batch, compiled forward against eager tokens."""
        import torch

        model = _tiny_model(kind)
        input_ids = torch.tensor([[0, 0, 0, 5, 6, 7, 8, 9], [3, 4, 5, 6, 7, 8, 9, 10]])
        attention_mask = (input_ids != 0).long()
        kwargs = dict(attention_mask=attention_mask, max_new_tokens=4, do_sample=False, pad_token_id=0)
        with torch.no_grad():
            expected = model.generate(input_ids, **kwargs)
            model.forward = torch.compile(model.forward)
            call: dict[str, Any] = {
                "label": "generate",
                "inputs": {"input_ids": list(input_ids.shape), "max_new_tokens": 4, "padding": "left"},
                "compile": {"dynamic": None, "target": f"{type(model).__name__}.forward"},
            }
            if tiny_layers() is not None:  # recorded only when it differs from the scenario as named
                call["inputs"]["layers"] = tiny_layers()
            return [_compare(call, lambda: model.generate(input_ids, **kwargs), expected)]

    return run


def _gather_workloads() -> dict[str, tuple[Callable[..., Any], Callable[[int, int], tuple[Any, ...]]]]:
    """Pure-torch gathers whose index is an arange the compiler cannot bound (its length and the
    gathered dimension are distinct symbols), each fused with another use of that index.

    Each entry is (function, inputs for a length n and a gathered size m). Whether the bounds
    check loses its variable depends on which use of the index Inductor generates first.
    """
    import torch

    def mask_and(table: torch.Tensor, q: int, n: int) -> torch.Tensor:
        idx = torch.arange(n)
        return (idx[None, :] <= q) & table[:, idx]  # the comparison first: the check's variable is lost

    def where_pick(x: torch.Tensor, k: int, n: int) -> torch.Tensor:
        idx = torch.arange(n)
        return torch.where(idx <= k, x[0, idx], x[1, idx])

    def select_then_compare(x: torch.Tensor, k: int, n: int) -> torch.Tensor:
        idx = torch.arange(n)
        return x.index_select(1, idx) * (idx < k)  # the gather first: same ops, the check comes first

    def gather_iota(x: torch.Tensor, k: int, n: int) -> torch.Tensor:
        idx = torch.arange(n).expand(x.shape[0], n)
        return torch.gather(x, 1, idx) * (idx < k)

    def position_embedding(table: torch.Tensor, offset: int, n: int) -> torch.Tensor:
        pos = torch.arange(n) + offset
        return torch.where((pos < table.shape[0] - 1)[:, None], table[pos], 0.0)

    def token_lookup(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return table[ids] * (ids[:, None] > 0)  # a data-dependent index: checked on the loaded value

    def bool_table(n: int, m: int) -> tuple[Any, ...]:
        table = torch.ones(2, m, dtype=torch.bool)
        table[0, :2] = False
        return table, n // 2, n

    def floats(n: int, m: int) -> tuple[Any, ...]:
        return torch.arange(3 * m, dtype=torch.float32).reshape(3, m), n // 2, n

    def rows(n: int, m: int) -> tuple[Any, ...]:
        return torch.arange(m * 8, dtype=torch.float32).reshape(m, 8), 2, n

    def ids(n: int, m: int) -> tuple[Any, ...]:
        return torch.arange(m * 8, dtype=torch.float32).reshape(m, 8), torch.arange(n) % m

    return {
        "mask-and": (mask_and, bool_table),
        "where-pick": (where_pick, floats),
        "select-then-compare": (select_then_compare, floats),
        "gather-iota": (gather_iota, floats),
        "position-embedding": (position_embedding, rows),
        "token-lookup": (token_lookup, ids),
    }


def _run_gather(variant: str, recorder: Any) -> list[dict[str, Any]]:
    """Two calls with dynamic=True; the length and the gathered size differ, so they are distinct symbols."""
    import torch

    fn, make = _gather_workloads()[variant]
    compiled = torch.compile(fn, dynamic=True)
    calls = []
    for label, n, m in [("first", 9, 11), ("second", 5, 12)]:
        args = make(n, m)
        call: dict[str, Any] = {
            "label": label,
            "inputs": {"n": n, "m": m},
            "compile": {"dynamic": True, "function": fn.__name__},
        }
        calls.append(_compare(call, lambda: compiled(*args), fn(*args)))
    return calls


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "sdpa-mask-decode",
            "transformers' SDPA mask builder, padded batch, prefill then decode",
            _mask_variants,
            _run_mask,
            compiles_mask_builder_alone=True,
        ),
        Scenario(
            "async-tests-flaky",
            "async tests sharing one compiled mask builder (dynamic=None): alone, in fixed orders, and with asyncio.gather",
            _async_variants,
            _run_async_tests,
            compiles_mask_builder_alone=True,
        ),
        Scenario(
            "tiny-llama-generate",
            "random-weight 2-layer Llama, compiled forward, greedy generate on a left-padded batch",
            lambda: ["auto"],
            run_generate("llama"),
        ),
        Scenario(
            "tiny-mistral-generate",
            "random-weight 2-layer Mistral (sliding window 6), compiled forward, left-padded generate",
            lambda: ["auto"],
            run_generate("mistral"),
        ),
        *[
            Scenario(
                f"tiny-{kind}-generate",
                f"random-weight 2-layer {label}, compiled forward, greedy generate on a left-padded batch",
                lambda: ["auto"],
                run_generate(kind),
            )
            for kind, label in [("qwen2", "Qwen2"), ("gemma", "Gemma"), ("gpt2", "GPT-2")]
        ],
        Scenario(
            "iota-gather",
            "pure torch: gathers by an arange of unbounded length fused with another use of it, dynamic=True",
            lambda: list(_gather_workloads()),
            _run_gather,
        ),
    ]
}


EXTRA_ENV = "ANALYZER_EXTRA_SCENARIOS"


def _extra() -> dict[str, Scenario]:
    """Scenarios from the module named in $ANALYZER_EXTRA_SCENARIOS (its `SCENARIOS` dict), for
    workloads that do not belong in this list: the test suite injects its crashing, hanging and
    instant scenarios this way, and they run through the same capture, analysis and report code."""
    module = os.environ.get(EXTRA_ENV)
    return dict(importlib.import_module(module).SCENARIOS) if module else {}


def get(name: str) -> Scenario:
    try:
        return SCENARIOS.get(name) or _extra()[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise UnknownScenario(f"unknown scenario {name!r} (known: {known})") from None


def command(name: str, variant: str) -> list[str]:
    """The program that runs one variant (after `python`)."""
    return ["-m", "analyzer.capture.scenarios", name, variant]


def main(argv: list[str]) -> int:
    """Run one variant, and print what its calls did. Started by `analyze` (`bundle.run_variant`), it
    also describes itself and its calls in its bundle; under `run`, it is recorded as any program is.
    Exit 0 when the variant ran to its end (a call that failed to compile is its result, printed),
    2 on a name that is no scenario or variant."""
    import time

    from analyzer import procs

    if len(argv) != 2:
        print("usage: python -m analyzer.capture.scenarios NAME VARIANT", file=sys.stderr)
        return 2
    name, variant = argv
    try:
        scenario = get(name)
    except UnknownScenario as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if variant not in scenario.variants():
        print(f"error: unknown variant {variant!r} of {name} (known: {', '.join(scenario.variants())})", file=sys.stderr)
        return 2
    procs.bind_to_parent()  # started by `analyze`: it dies with it
    import torch  # noqa: F401  (under `run`, importing torch installs the recording: first, then the glue)

    from analyzer.capture import program, torchglue

    recorder = program.recorder()
    if recorder is None:  # not recorded: this recorder sees nothing
        recorder = torchglue.Recorder()
    started = time.perf_counter()
    itself = dict(scenario=name, variant=variant, command=" ".join(["python", *command(name, variant)]))
    try:
        calls = scenario.run(variant, recorder)
    except BaseException as exc:  # the bundle says which variant crashed, with what it compiled before
        program.describe(**itself, calls=[], crashed=f"{type(exc).__name__}: {exc}")
        raise
    program.describe(**itself, seconds=round(time.perf_counter() - started, 2), calls=calls, **recorder.extra)
    for call in calls:
        error = call.get("error") or {}
        first = next(iter((error.get("message") or "").strip().splitlines()), "")
        outcome = "ran" if call["ok"] else f"failed: {error.get('type')}: {first}"
        same = {True: ", matches eager", False: ", differs from eager"}.get(call.get("matches_eager"), "")
        print(f"{name} [{variant}] {call['label']}: {outcome}{same}")
    program.write()  # under `run`, as it stands at the end (the exit below skips the one at exit)
    return 0


if __name__ == "__main__":
    from analyzer.capture import scenarios as _module  # the one copy the rest of the package imports

    code = _module.main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the bundle is on disk: skip unloading torch, about a second the caller waits for
