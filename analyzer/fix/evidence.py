"""Runtime evidence of what a bounds check after its load costs.

The padding gather of the SDPA mask, `(kv_idx <= q_idx) & padding_mask[b, kv_idx]`, compiled with
`dynamic=True`, is called with kv_length past the end of a padding mask whose last byte lies right
before a guard page (a page mapped without access). A check that runs before the load it guards
raises "index out of bounds" before any byte past the mask is read; a check that runs after it
comes too late: the load touches the guard page and the process dies of SIGSEGV.

`child` runs one such process (see `run`): an in-range call first (compiled once, compared with
eager, every kernel through this project's kernel analysis), eager's answer to the out-of-range
call, then the compiled out-of-range call. It rewrites its JSON after each step, so a process that
dies leaves the steps it finished. `run` starts it on the installed torch, unpatched and with this
project's PyTorch patch applied (reversed afterwards whatever happens), each in a fresh process with
an Inductor cache of its own, and writes `reports/evidence/<environment>/guard_page.json` and `.md`.
Linux only (mmap and mprotect through libc).
"""
from __future__ import annotations

import contextlib
import ctypes
import mmap
import platform
import re
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from analyzer import files, identity, procs
from analyzer.fix import patches

COMMAND = "python -m analyzer evidence"
PROT_NONE = 0  # <sys/mman.h>; the mmap module exports only PROT_READ and PROT_WRITE
BATCH = 1  # one row: the first index past the end is past the buffer, not in the next row
MASK_LENGTH = 32  # a multiple of Inductor's input alignment, so the input is used where it lies
IN_RANGE_KV = 31  # not MASK_LENGTH: equal sizes may be unified into one symbol, and the check dropped
OUT_OF_RANGE_KV = 48
Q_POSITION = 30


def mask(padding_mask: Any, q_idx: Any, kv_len: int) -> Any:
    """The causal rule ANDed with the padding gather, as transformers' SDPA mask combines them."""
    import torch

    b_idx = torch.arange(padding_mask.size(0)).view(-1, 1, 1)
    kv_idx = torch.arange(kv_len).view(1, 1, -1)
    return (kv_idx <= q_idx.view(1, -1, 1)) & padding_mask[b_idx, kv_idx]


def before_guard_page(values: Any) -> tuple[Any, mmap.mmap]:
    """A bool tensor holding `values`, whose last byte is the last one before a page that cannot be
    read. Returns the mapping too: it must outlive the tensor."""
    import torch

    if not sys.platform.startswith("linux"):
        raise OSError("the guard page needs Linux (mmap and mprotect through libc)")
    page = mmap.PAGESIZE
    size = values.numel()
    pages = -(-size // page) + 1
    mapping = mmap.mmap(-1, pages * page)
    address = ctypes.addressof(ctypes.c_char.from_buffer(mapping))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if libc.mprotect(ctypes.c_void_p(address + (pages - 1) * page), page, PROT_NONE) != 0:
        raise OSError(ctypes.get_errno(), "mprotect of the guard page failed")
    tensor = torch.frombuffer(mapping, dtype=torch.bool, count=size, offset=(pages - 1) * page - size)
    tensor.copy_(values.reshape(-1).to(torch.bool))
    return tensor.view(values.shape), mapping


def _first_line(exc: BaseException) -> str:
    """The exception's first line, a path in it cut to the file's name (the cache folder is temporary)."""
    text = str(exc).strip().splitlines()
    line = re.sub(r"/\S*/([^/\s]+)", r"\1", text[0] if text else "")
    return f"{type(exc).__name__}: {line}"[:200]


def child(out: Path) -> None:
    """One process: the steps the module docstring lists, recorded in `out` as they finish."""
    import torch

    from analyzer.analysis import kernel
    from analyzer.capture import torchglue

    record: dict[str, Any] = {
        "torch": torch.__version__,
        "compiler": torchglue.compiler_version(),
        "vec_isa": torchglue.vec_isa(),
        "threads": torch.get_num_threads(),
        "step": "start",
    }
    files.write_json(out, record)
    values = torch.ones(BATCH, MASK_LENGTH, dtype=torch.bool)
    values[:, :3] = False  # left padding
    padding_mask, _mapping = before_guard_page(values)
    q_idx = torch.tensor([Q_POSITION])

    recorder = torchglue.Recorder()
    with torchglue.recording(recorder):
        compiled = torch.compile(mask, backend=recorder.backend, dynamic=True)
        got = compiled(padding_mask, q_idx, IN_RANGE_KV)
    same = torch.equal(got, mask(padding_mask, q_idx, IN_RANGE_KV))
    record["in_range_call"] = "equal to eager" if same else "differs from eager"
    record["kernels"] = []
    for compile_rec in recorder.compiles.values():
        for k in compile_rec["kernels"]:
            kinds = [f.kind for f in kernel.analyze_source(k["source"], k["name"])]
            record["kernels"].append(
                {
                    "name": k["name"],
                    "bounds_checks": k["source"].count("index out of bounds"),
                    "checks_after_their_load": kinds.count("check-after-load"),
                    "other_findings": len(kinds) - kinds.count("check-after-load"),
                    "openmp_parallel": "#pragma omp parallel" in k["source"],
                }
            )
    compiles_before = len(recorder.compiles)
    try:
        mask(padding_mask, q_idx, OUT_OF_RANGE_KV)
        record["eager_out_of_range"] = "returned without error"
    except Exception as exc:
        record["eager_out_of_range"] = _first_line(exc)
    record["step"] = "compiled out-of-range call"
    files.write_json(out, record)  # on disk before the call that may kill this process
    try:
        compiled(padding_mask, q_idx, OUT_OF_RANGE_KV)
        record["out_of_range_call"] = "returned without error"
    except Exception as exc:
        record["out_of_range_call"] = _first_line(exc)
    record["recompiled_for_it"] = len(recorder.compiles) > compiles_before
    record["step"] = "done"
    files.write_json(out, record)


def exit_text(rc: int | None) -> str:
    if rc is None:
        return "timed out"
    if rc < 0:
        return f"killed by {signal.Signals(-rc).name}"
    return f"exit {rc}"


def outcome(rc: int | None, record: dict[str, Any]) -> str:
    """One sentence on what the compiled out-of-range call did, from the exit and the record."""
    if rc is None:
        return "timed out"
    if record.get("step") == "compiled out-of-range call" and rc < 0:
        return f"the process died ({signal.Signals(-rc).name}) in the out-of-range call: no error was raised"
    result = record.get("out_of_range_call")
    if rc == 0 and result is not None:
        if "index out of bounds" in result:
            return "the out-of-range call raised the bounds check's error"
        return f"the out-of-range call: {result}"
    return f"the run did not reach its end ({exit_text(rc)}, last step: {record.get('step', 'none')})"


def _one(patched: bool, timeout_s: float) -> dict[str, Any]:
    torch_dir = _torch_dir()
    with contextlib.ExitStack() as stack:
        if patched:
            stack.enter_context(patches.applied("pytorch", torch_dir))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="analyzer-evidence-")))
        out = tmp / "child.json"
        rc, _, stderr = procs.run_fresh_cache(procs.child_command("evidence", str(out)), timeout_s)
        record = files.read_json(out) if out.is_file() else {}
    result = {"code": "patched" if patched else "unpatched", "exit": exit_text(rc), "outcome": outcome(rc, record), **record}
    if rc is not None and rc > 0:
        result["stderr_tail"] = (stderr.strip().splitlines() or [""])[-1][:300]
    return result


def _torch_dir() -> Path:
    from analyzer.fix.verify import site_package

    return site_package("torch")


def table(data: dict[str, Any]) -> str:
    lines = [
        f"### {data['environment']}: a read past the padding mask, before a guard page",
        "",
        f"`{data['command']}`; padding mask {BATCH} x {MASK_LENGTH} ending at a guard page, compiled with "
        f"`dynamic=True` at kv_length {IN_RANGE_KV}, then called with kv_length {OUT_OF_RANGE_KV}.",
        "",
        "| code | in-range call | checks after their load | eager, out of range | compiled, out of range | process |",
        "|---|---|---|---|---|---|",
    ]
    for r in data["runs"]:
        late = sum(k["checks_after_their_load"] for k in r.get("kernels", []))
        checks = sum(k["bounds_checks"] for k in r.get("kernels", []))
        lines.append(
            f"| {r['code']} | {r.get('in_range_call', '-')} | {late} of {checks} | {r.get('eager_out_of_range', '-')} "
            f"| {r['outcome']} | {r['exit']} |"
        )
    return "\n".join(lines) + "\n"


def run(reports: Path, timeout_s: float = 900) -> Path:
    """Unpatched, then patched, on the installed torch; writes the JSON and the table."""
    runs = [_one(patched, timeout_s) for patched in (False, True)]
    data = {
        "environment": identity.installed_run_folder_name(),
        "command": COMMAND,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "inputs": {"batch": BATCH, "mask_length": MASK_LENGTH, "in_range_kv": IN_RANGE_KV, "out_of_range_kv": OUT_OF_RANGE_KV, "q_position": Q_POSITION},
        "runs": runs,
    }
    folder = reports / "evidence" / data["environment"]
    files.write_json(folder / "guard_page.json", data)
    files.write_text(folder / "guard_page.md", table(data))
    return folder
