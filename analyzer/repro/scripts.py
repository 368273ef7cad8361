"""The repros a maintainer asks for first, written into an analyze run folder and each proven.

- `repro_torch.py`: pure torch, built from the captured post-grad graph by `minimize`; for a run
  that compiles but checks after the load, a script of the mask builder's pattern that prints the
  late check (`make_order`).
- `repro_transformers.py`: the installed transformers mask builder with the shapes that failed.
- `repro_sequence.py`: the "flaky" failure made deterministic: two calls in one process with the
  default `dynamic=None` fail on the automatic-dynamic recompile; the same calls with Dynamo reset
  between them (what separate test processes amount to) pass.
- `repro.json`: per script, the torch ops it compiles, whether a fresh process confirmed it, and
  what the minimization cost.
Runs inside the torch environment (imports torch); `analyze` calls it in a subprocess.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from analyzer import artifacts, files, identity
from analyzer.analysis import kernel
from analyzer.capture import masks, scenarios
from analyzer.repro import minimize, oracle


SIGNATURE_CHECK = '''def shows_bug(exc: Exception) -> bool:
    """A C++ compile error naming a variable inside an index-out-of-bounds TORCH_CHECK."""
    text = str(exc)
    lines = text.splitlines()
    errors = [i for i, line in enumerate(lines) if "was not declared" in line or "undeclared identifier" in line]
    for i in errors:
        print("\\n".join(lines[i : i + 3]))
    return bool(errors) and "index out of bounds" in text
'''

TRANSFORMERS_4 = '''from transformers.masking_utils import causal_mask_function, sdpa_mask_recent_torch


def build(attention_mask, q_offset, q_length, kv_length):
    return sdpa_mask_recent_torch(
        batch_size=attention_mask.shape[0],
        cache_position=torch.arange(q_length) + q_offset,
        kv_length=kv_length,
        mask_function=causal_mask_function,
        attention_mask=attention_mask,
    )
'''

TRANSFORMERS_5 = '''from transformers.masking_utils import causal_mask_function, sdpa_mask


def build(attention_mask, q_offset, q_length, kv_length):
    return sdpa_mask(
        batch_size=attention_mask.shape[0],
        q_length=q_length,
        kv_length=kv_length,
        q_offset=q_offset,
        mask_function=causal_mask_function,
        attention_mask=attention_mask,
        use_vmap={use_vmap},
    )
'''

MASK = '''def padded_mask(batch, length, pad):
    """A left-padded 2D attention mask, as a batched generate builds it."""
    mask = torch.ones(batch, length, dtype=torch.bool)
    mask[0, :pad] = False
    return mask
'''

TRANSFORMERS_MAIN = '''def main() -> int:
    print(f"torch {{torch.__version__}}, transformers {{transformers.__version__}}")
    mask = padded_mask({batch}, {kv_length}, {pad})
    args = (mask, {q_offset}, {q_length}, {kv_length})  # attention mask, q_offset, q_length, kv_length
    expected = build(*args)
    try:
        got = torch.compile(build, dynamic=True)(*args)
    except Exception as exc:
        if shows_bug(exc):
            print("BUG: the compiled SDPA mask builder fails in Inductor's C++ bounds check")
            return 1
        raise
    print(f"compiled with dynamic=True; matches eager: {{torch.equal(got, expected)}}")
    return 0 if torch.equal(got, expected) else 2
'''

SEQUENCE_MAIN = '''CALLS = [  # (label, attention-mask length, q_offset, q_length, kv_length)
    ("prefill", {p_kv}, {p_qo}, {p_ql}, {p_kv}),
    ("decode", {d_kv}, {d_qo}, {d_ql}, {d_kv}),
]


def run(reset_between: bool) -> str | None:
    """Returns the label of the call that failed, or None."""
    torch._dynamo.reset()
    compiled = torch.compile(build)  # the default dynamic=None: static first, automatic dynamic after
    for label, length, q_offset, q_length, kv_length in CALLS:
        if reset_between:
            torch._dynamo.reset()  # what running each test in its own process amounts to
        mask = padded_mask({batch}, length, {pad})
        try:
            compiled(mask, q_offset, q_length, kv_length)
        except Exception as exc:
            if shows_bug(exc):
                return label
            raise
    return None


def main() -> int:
    isolated = run(reset_between=True)
    print(f"each call on a fresh Dynamo state: {{'fails at ' + isolated if isolated else 'all pass'}}")
    together = run(reset_between=False)
    print(f"the same calls in one process:    {{'fails at ' + together if together else 'all pass'}}")
    if together:
        print("BUG: the second call recompiles with automatic dynamic shapes, the kv length and the mask")
        print("length become distinct symbols, and Inductor's bounds check loses its variable.")
        return 1
    return 0
'''


# a model scenario compiles the builder inside generate; its repro uses the decode step a batched
# generate makes, on the builder's default path
DEFAULT_CALLS = [
    {"label": "prefill", "ok": True, "inputs": {"attention_mask": [2, 8], "q_offset": 0, "q_length": 8, "kv_length": 8}, "compile": {}},
    {"label": "decode-0", "ok": False, "inputs": {"attention_mask": [2, 9], "q_offset": 8, "q_length": 1, "kv_length": 9}, "compile": {}},
]


def _script(doc: str, body: str) -> str:
    return f'"""{doc}"""\nimport sys\n\nimport torch\nimport transformers\n\n{body}\n\nif __name__ == "__main__":\n    sys.exit(main())\n'


def _failing_call(data: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in data["calls"] if not c["ok"] and c["label"] != "generate"), None)


def transformers_script(calls: list[dict[str, Any]], use_vmap: bool) -> str:
    """The transformers-level repro with the shapes of the first call that failed."""
    failing = next(c for c in calls if not c["ok"])
    inputs = failing["inputs"]
    builder = TRANSFORMERS_5.format(use_vmap=use_vmap) if masks.transformers_major() >= 5 else TRANSFORMERS_4
    main = TRANSFORMERS_MAIN.format(
        batch=inputs["attention_mask"][0], kv_length=inputs["kv_length"], pad=3, q_offset=inputs["q_offset"], q_length=inputs["q_length"]
    )
    doc = (
        "transformers' SDPA mask builder under torch.compile(dynamic=True) on CPU, left-padded batch.\n\n"
        "Exits 1 while Inductor's C++ bounds check uses a variable before declaring it, 0 once the compiled\n"
        "mask matches eager."
    )
    return _script(doc, "\n\n".join([builder, MASK, SIGNATURE_CHECK, main]))


def sequence_script(calls: list[dict[str, Any]], use_vmap: bool) -> str:
    # a call's `step` names it when its label also says where it ran (an order of async tests)
    prefill = next(c for c in calls if c.get("step", c["label"]) == "prefill")["inputs"]
    decode = next(c for c in calls if c.get("step", c["label"]).startswith("decode"))["inputs"]
    builder = TRANSFORMERS_5.format(use_vmap=use_vmap) if masks.transformers_major() >= 5 else TRANSFORMERS_4
    main = SEQUENCE_MAIN.format(
        batch=prefill["attention_mask"][0],
        pad=3,
        p_kv=prefill["kv_length"],
        p_qo=prefill["q_offset"],
        p_ql=prefill["q_length"],
        d_kv=decode["kv_length"],
        d_qo=decode["q_offset"],
        d_ql=decode["q_length"],
    )
    doc = (
        "Why it fails only when tests run together: a prefill call then a decode call, default dynamic=None.\n\n"
        "Each call alone compiles static shapes and passes. In one process the second call recompiles with\n"
        "automatic dynamic shapes and fails. Exits 1 while that happens, 0 when both orders pass."
    )
    return _script(doc, "\n\n".join([builder, MASK, SIGNATURE_CHECK, main]))


def _compiles_mask_builder_alone(scenario: str) -> bool:
    try:
        return scenarios.get(scenario).compiles_mask_builder_alone
    except scenarios.UnknownScenario:  # a run captured by a scenario this checkout no longer has
        return False


def _pick(findings: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((f for f in findings if f["kind"] in kernel.LOST and f.get("source")), None)


def _post_grad_op_count(compile_rec: dict[str, Any]) -> int:
    graphs = compile_rec["post_grad_graphs"]
    return sum(1 for n in graphs[-1]["nodes"] if n["op"] == "call_function") if graphs else 0


def _torch_script(candidate: minimize.Candidate, finding: dict[str, Any], torch_version: str) -> str:
    where = f"{finding['source']['file']}:{finding['source']['line']}"
    return candidate.script(
        "Inductor CPU: an indirect-index bounds check uses its variable before declaring it.",
        f"Minimized from the post-grad graph of `{where}` ({finding['source']['text']}).\n"
        "Two distinct size symbols (index length and indexed dimension) keep Inductor from proving the\n"
        "gather in range; the bounds check it adds hits a CSE entry emitted later in the kernel.",
        torch_version,
    )


RUN_STARTED_ENV = "ANALYZER_RUN_STARTED"  # when the analyze run that started this process began (epoch seconds)


def _since_run_start() -> dict[str, float]:
    """From the start of the analyze run to now: capture, analysis, minimization and proof, with
    every process start between them; the span a user waits for a verified repro."""
    started = os.environ.get(RUN_STARTED_ENV)
    return {"run_to_verified_seconds": round(time.time() - float(started), 2)} if started else {}


class _Prover:
    """Proves candidates in fresh processes while the search goes on.

    The first candidate the search proposes (the simplified start, most often the final result)
    is written and verified in the background, on the CPU the in-process queries leave idle;
    `prove` reuses that proof when the search ends on the same program, and verifies the final
    one otherwise. The script on disk is always the final candidate's."""

    def __init__(self, script: Path, render: Any, env: dict[str, str], timeout_s: float) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.script, self.render, self.env, self.timeout_s = script, render, env, timeout_s
        self.proposed_path = script.with_name(f".{script.stem}.proposed.py")
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: tuple[str, Any] | None = None

    def __enter__(self) -> "_Prover":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.pool.shutdown(wait=True)
        self.proposed_path.unlink(missing_ok=True)

    def _verify(self, text: str, path: Path) -> dict[str, Any]:
        files.write_text(path, text)
        return oracle.verify_script(path, self.timeout_s, env=self.env)

    def propose(self, candidate: minimize.Candidate) -> None:
        if self.pending is None:
            text = self.render(candidate)
            self.pending = (text, self.pool.submit(self._verify, text, self.proposed_path))

    def prove(self, candidate: minimize.Candidate) -> tuple[dict[str, Any], float]:
        """The final candidate's verdict, and the seconds verification added after the search ended."""
        text = self.render(candidate)
        waited = time.perf_counter()
        if self.pending is not None:
            proposed, future = self.pending
            verdict = future.result()
            if proposed == text:
                files.write_text(self.script, text)
                return verdict, round(time.perf_counter() - waited, 2)
        verdict = self._verify(text, self.script)
        return verdict, round(time.perf_counter() - waited, 2)


ORDER_SCRIPT = '''"""Inductor CPU, torch {torch}: a gather's bounds check runs after the load it guards.

Prints each late check with the load before it; exits 1 while there is one, 0 once none is left.
"""
import re
import sys

import torch
from torch._inductor.utils import run_and_get_cpp_code


def mask(padding_mask, q_idx, kv_len):  # transformers' SDPA mask for a padded batch ({where})
    kv_idx = torch.arange(kv_len)
    return (kv_idx[None, :] <= q_idx[:, None]) & padding_mask[0, kv_idx][None, :]


padding_mask, q_idx = torch.ones(1, 12, dtype=torch.bool), torch.tensor([8])
got, code = run_and_get_cpp_code(torch.compile(mask, dynamic=True), padding_mask, q_idx, 9)
assert torch.equal(got, mask(padding_mask, q_idx, 9)), "the compiled result differs from eager"
gathered = re.search(r"const bool\\* (in_ptr\\d+)", code)[1]  # the padding mask: the only bool input
late, body = [], []  # body: the statements since the last loop header or check
for line in code.splitlines():
    if "TORCH_CHECK" in line and "index out of bounds" in line:
        late += [(load.strip(), line.strip()) for load in body if re.search(rf"\\b{{gathered}}\\b", load)][:1]
    body = [] if re.search(r"\\bfor\\s*\\(|TORCH_CHECK", line) else body + [line]
for load, check in late:
    print(f"load:  {{load}}\\ncheck: {{check}}")
print(f"BUG: {{len(late)}} bounds checks of {{gathered}}'s index run after the load they guard" if late else "every bounds check runs before its load")
sys.exit(1 if late else 0)
'''


def make_order(run_dir: Path, finding: dict[str, Any], timeout_s: float = 300) -> dict[str, Any]:
    """For a run whose kernels compile but check after the load (`check-after-load`): a pure-torch
    script of the mask builder's pattern that prints the late check and the load before it, proven
    in a fresh process (exit 1 and its `BUG` line here). It is written from the pattern, not
    minimized from the run's graph: there is no compile error for a minimizer to keep."""
    from analyzer.capture import torchglue

    where = f"{finding['source']['file']}:{finding['source']['line']}"
    script = run_dir / "repro_torch.py"
    files.write_text(script, ORDER_SCRIPT.format(torch=identity.installed_release("torch"), where=where))
    rc, output = oracle.run_script(script, timeout_s=timeout_s, env=torchglue.trust_vec_isa())
    printed = output.strip().splitlines()
    out = {
        "finding": {k: finding[k] for k in ("file", "line", "identifier", "kind", "source")},
        "repro_torch.py": {
            "kind": "check-after-load",
            "from": "the mask builder's pattern (not minimized: nothing fails to compile)",
            "exit_code": rc,
            "verified": rc == 1 and any(line.startswith("BUG: ") for line in printed),
            "output": printed,
        },
    }
    artifacts.write_repro(run_dir, out)
    return out


def warm_up() -> None:
    """The setup every later step needs and no input decides: torch's and Inductor's imports, the
    vector ISA probe, and a first small codegen (Dynamo, AOT and Inductor build their state once
    per process). Started beside the capture, it is off the path to a verified repro."""
    import torch

    from analyzer.capture import torchglue

    torchglue.vec_isa()
    oracle.screen_in_process(lambda x, i: x[i] + 1, (torch.ones(4, 3), torch.tensor([0, 2])))


def make(run_dir: Path, timeout_s: float = 300) -> dict[str, Any]:
    """Write and verify the repros for the first traced lost definition of a run folder."""
    from analyzer.capture import torchglue

    started = time.perf_counter()
    findings = artifacts.read_findings(run_dir)
    finding = _pick(findings)
    if finding is None:
        # a `run` of a user's program writes its summary, with the failures, before the repro; `analyze` after
        summary = artifacts.read_summary(run_dir) if artifacts.has(run_dir, artifacts.SUMMARY) else {}
        failed = [f for f in summary.get("failures", []) if f.get("compiler_error")]
        if failed:  # a user's program that failed in the C++ compiler some other way (`run`)
            from analyzer.repro import failure

            return failure.make(run_dir, failed[0], timeout_s)
        late = next((f for f in findings if f["kind"] == "check-after-load" and f.get("source")), None)
        if late is not None:
            return make_order(run_dir, late, timeout_s)
        raise LookupError("no traced lost-definition or check-after-load finding in this run; nothing to reproduce")
    data = artifacts.read_capture(run_dir / finding["variant"])
    compile_rec = next(c for c in data["compiles"] if c["compile_id"] == finding["compile_id"])
    check_step = next(s for s in finding["trace"] if s["layer"] == "loop-body")
    gathers = [s["node"] for s in finding["trace"] if s["layer"] == "post-grad"]
    nodes = compile_rec["post_grad_graphs"][-1]["nodes"]
    roots = minimize.kernel_roots(nodes, check_step.get("origins", []), gathers)
    starts = minimize.cores(nodes, gathers, minimize.backward_slice(nodes, roots))
    # probed once here (by `warm_up`, beside the capture), taken as probed by the processes below
    child_env = torchglue.trust_vec_isa()

    def screened(candidate: minimize.Candidate) -> bool:
        return oracle.screen_in_process(*candidate.load()).reproduces

    def compiled(candidate: minimize.Candidate) -> bool:
        return oracle.reproduces_in_process(*candidate.load()).reproduces

    setup_seconds = round(time.perf_counter() - started, 2)  # reading the run, probing the ISA unless warmed up
    out: dict[str, Any] = {"finding": {k: finding[k] for k in ("file", "line", "identifier", "kind", "source")}}
    script = run_dir / "repro_torch.py"
    # Queries are judged by the screen (generated C++ read by the kernel analysis, no C++ compile);
    # the result is proven by the compiler in fresh processes. Should the compiler disagree, the
    # minimization runs again with the compiler judging every accepted candidate.
    minimize_seconds, queries = 0.0, 0
    for oracle_name, judge in (("screen, proven by the compiler", screened), ("compiler", compiled)):
        with _Prover(script, lambda c: _torch_script(c, finding, data["versions"]["torch"]), child_env, timeout_s) as prover:
            result = minimize.minimize(nodes, roots, judge, starts=starts, on_candidate=prover.propose)
            minimize_seconds, queries = minimize_seconds + result.seconds, queries + result.queries
            verdict, verify_seconds = prover.prove(result.candidate)
        if verdict["verified"]:
            break
    out["repro_torch.py"] = {
        "ops": result.candidate.op_count,
        "initial_ops": result.initial_ops,
        "start": "mechanism" if result.from_start else "slice",
        "queries": queries,
        "oracle": oracle_name,
        "setup_seconds": setup_seconds,
        "minimize_seconds": round(minimize_seconds, 2),
        "verify_seconds": verify_seconds,
        **_since_run_start(),
        **verdict,
    }
    if data.get("program"):  # a user's program: its own code, not transformers' mask builder
        artifacts.write_repro(run_dir, out)
        return out
    mask_calls = [c for c in data["calls"] if "attention_mask" in c["inputs"]] or DEFAULT_CALLS
    use_vmap = bool(mask_calls[0]["compile"].get("use_vmap"))
    # these scripts compile the mask builder alone: their op count is known when that is what was captured
    ops = _post_grad_op_count(compile_rec) if _compiles_mask_builder_alone(data["scenario"]) else None
    for name, text in (
        ("repro_transformers.py", transformers_script(mask_calls, use_vmap)),
        ("repro_sequence.py", sequence_script(mask_calls, use_vmap)),
    ):
        files.write_text(run_dir / name, text)
        out[name] = {"ops": ops, **oracle.verify_script(run_dir / name, timeout_s, env=child_env)}
    artifacts.write_repro(run_dir, out)
    return out


def record_in_summary(run_dir: Path, result: dict[str, Any]) -> None:
    """Keep the run's summary.json in step with a repro made again for an existing run folder."""
    if artifacts.has(run_dir, artifacts.SUMMARY):
        summary = artifacts.read_summary(run_dir)
        verified = all(e.get("verified") for n, e in result.items() if n.endswith(".py"))
        summary["repro"] = {"status": "ok" if verified else "not-verified", **result}
        artifacts.write_summary(run_dir, summary)
