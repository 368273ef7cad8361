"""A minimal repro of any C++ compile failure of Inductor, judged by the compiler's own diagnostic.

The lost-definition oracle (`oracle`) knows one bug. A user's program can fail in other ways: a
symbol the kernel never receives, a redeclaration, a type the vector classes do not have. For
those the question every minimization step asks is the general one: does the candidate fail with
the same compiler diagnostic as the original, the same class and the same error with identifier
numbers free (`compiler.diagnostic`)? Any other outcome, a clean compile or another error, is a
different program and is refused.

The search is `minimize`'s, over the failing compile's post-grad graph; the result is written as
`repro_torch.py` and proven in a fresh process with its own Inductor cache.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from analyzer import artifacts, files
from analyzer.analysis import compiler
from analyzer.repro import minimize, oracle

TEMPLATE = '''"""Inductor CPU: {title}.

Minimized from the post-grad graph of compile {compile_id} of `{command}`{where}.
The C++ compiler rejects the generated kernel:
    {error}
Captured on torch {torch}; exits 1 while the compiler rejects it this way, 0 once it compiles.
"""
import sys

import torch
{imports}{config}

{function}


{inputs}


def main() -> int:
    print(f"torch {{torch.__version__}}")
    try:
        torch.compile(f, dynamic={dynamic})(*make_inputs())
    except Exception as exc:
        print(exc, file=sys.stderr)
        print("BUG: the C++ compiler rejects the generated kernel")
        return 1
    print("compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

SCALARS = "_local_scalar_dense"  # an `.item()` in the graph: Dynamo keeps it only when told to


def _roots(nodes: list[dict[str, Any]]) -> list[str]:
    """What the graph returns: the nodes its output reads."""
    out = next((n for n in nodes if n["op"] == "output"), None)
    return list(out["inputs"]) if out else [n["name"] for n in nodes if n["op"] == "call_function"][-1:]


def _failing_compile(run_dir: Path, failure: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    data = artifacts.read_capture(run_dir / failure["variant"])
    compile_rec = next(c for c in data["compiles"] if c["compile_id"] == failure["compile_id"])
    call = next(c for c in data["calls"] if c["label"] == f"compile {failure['compile_id']}")
    return data, compile_rec, (call.get("error") or {}).get("message", "")


def same_failure(wanted: tuple[str, str, str], message: str) -> bool:
    """The candidate's failure is the original's: same class, same error with numbers free."""
    got = compiler.diagnostic(message)
    return got is not None and got[:2] == wanted[:2]


def make(run_dir: Path, failure: dict[str, Any], timeout_s: float = 300) -> dict[str, Any]:
    """Write and prove `repro_torch.py` for one failed compile of a `run` folder."""
    import torch

    from analyzer.capture import torchglue

    started = time.perf_counter()
    data, compile_rec, message = _failing_compile(run_dir, failure)
    wanted = compiler.diagnostic(message)
    if wanted is None:
        raise LookupError(f"compile {failure['compile_id']} did not fail in the C++ compiler; nothing to reproduce")
    if not compile_rec.get("post_grad_graphs"):
        raise LookupError(f"compile {failure['compile_id']} recorded no post-grad graph to minimize")
    nodes = compile_rec["post_grad_graphs"][-1]["nodes"]
    dynamic = bool(compile_rec.get("symbols"))
    scalars = any(SCALARS in str(n.get("target")) for n in nodes)
    dynamo = {"capture_scalar_outputs": True} if scalars else {}

    # a lost definition has a screen that needs no C++ compile (`oracle.screen_in_process`, which
    # compiles with dynamic shapes and no config of the program's): it rejects most candidates cheaply
    screened = wanted[0] == compiler.LOST_DEFINITION and dynamic and not scalars

    def judge(candidate: minimize.Candidate) -> bool:
        fn, inputs = candidate.load()
        if screened and oracle.screen_in_process(fn, inputs).status not in (oracle.BUG, oracle.UNKNOWN):
            return False
        torchglue.reset()
        try:
            with torchglue.inductor_options(fx_graph_cache=False), torchglue.dynamo_options(**dynamo):
                torch.compile(fn, dynamic=dynamic)(*inputs)
        except Exception as exc:  # the verdict is the point
            return same_failure(wanted, str(exc))
        finally:
            torchglue.reset()
        return False

    source = failure.get("source")
    where = f" (`{source['file']}:{source['line']}`)" if source else ""

    def render(candidate: minimize.Candidate) -> str:
        function = candidate.function_source().rstrip()
        return TEMPLATE.format(
            title=compiler.CLASSES[wanted[0]],
            compile_id=failure["compile_id"],
            command=data.get("command", ""),
            where=where,
            error=wanted[1],
            torch=data["versions"]["torch"],
            imports="import operator\n" if "operator." in function else "",
            config="\ntorch._dynamo.config.capture_scalar_outputs = True  # the graph reads an .item()\n" if scalars else "",
            function=function,
            inputs=candidate.inputs_source().rstrip(),
            dynamic=dynamic,
        )

    try:
        result = minimize.minimize(nodes, _roots(nodes), judge)
    except ValueError:  # the screen missed what the compiler sees (a config of the program's?): without it
        if not screened:
            raise
        screened = False
        result = minimize.minimize(nodes, _roots(nodes), judge)
    script = run_dir / "repro_torch.py"
    files.write_text(script, render(result.candidate))
    rc, output = oracle.run_script(script, timeout_s=timeout_s, env=torchglue.trust_vec_isa())
    out = {
        "failure": {k: failure.get(k) for k in ("variant", "compile_id", "class", "compiler_error", "test")},
        "repro_torch.py": {
            "kind": wanted[0],
            "ops": result.candidate.op_count,
            "initial_ops": result.initial_ops,
            "queries": result.queries,
            "oracle": "the same compiler diagnostic (class and error, identifier numbers free)"
            + (", after the kernel analysis's screen" if screened else ""),
            "minimize_seconds": result.seconds,
            "seconds": round(time.perf_counter() - started, 2),
            "exit_code": rc,
            "verified": rc == 1 and same_failure(wanted, output),
            "output": [line for line in output.splitlines() if line.startswith(("BUG", "compiled", "torch "))],
        },
    }
    artifacts.write_repro(run_dir, out)
    return out
