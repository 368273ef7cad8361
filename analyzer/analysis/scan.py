"""Find kernels in files and folders and run the kernel analysis on them, like a linter.

Accepts `.cpp` kernels, Inductor `output_code.py` wrappers (kernels live in their
`cpp_pybinding(..., '''...''')` strings), and folders of either (an Inductor cache dir).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing as mp
import os
import re
import threading
from pathlib import Path
from typing import Any

from analyzer.analysis import kernel

CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".h", ".hpp")
_PYBINDING = re.compile(r"cpp_pybinding\(\s*\[[^\]]*\],\s*r?'''\n?(?P<src>.*?)'''", re.DOTALL)


class BadInput(ValueError):
    """Input the scan cannot take; the message is one line naming the file and the reason."""


@dataclasses.dataclass
class KernelText:
    file: str
    source: str
    line_offset: int  # lines before the kernel in its file
    named: bool = True  # named on the command line (refused if not a kernel), or found in a folder (skipped)


@dataclasses.dataclass
class Skipped:
    """A file found in a folder that is not a kernel, with why; a file named explicitly is refused instead."""

    file: str
    reason: str


@dataclasses.dataclass
class ScanResult:
    findings: list[kernel.Finding]
    kernels: int  # kernel texts analysed
    skipped: list[Skipped]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "findings": [f.to_dict() for f in self.findings],
            "kernels": self.kernels,
            "skipped": [dataclasses.asdict(s) for s in self.skipped],
        }

    def skipped_line(self) -> str:
        """`scanned 3 kernels; skipped 7 files that are not kernels: 6 vector-ISA probes, 1 header`."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        kinds = ", ".join(f"{n} {SKIP_LABELS.get(reason, reason)}" for reason, n in counts.items())
        return f"scanned {self.kernels} kernel{'' if self.kernels == 1 else 's'}; skipped {len(self.skipped)} files that are not kernels: {kinds}"


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise BadInput(f"{path}: empty file")
    if b"\0" in data:
        raise BadInput(f"{path}: binary file, not C++ or Python text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: binary file (not UTF-8 text)") from None


def kernels_in_python(text: str, file: str) -> list[KernelText]:
    out = []
    for match in _PYBINDING.finditer(text):
        offset = text.count("\n", 0, match.start("src"))
        out.append(KernelText(file, match.group("src"), offset))
    return out


def collect(paths: list[str]) -> list[KernelText]:
    """Every kernel text under the given paths, or BadInput naming the first problem."""
    if not paths:
        raise BadInput("no paths given")
    out: list[KernelText] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise BadInput(f"{raw}: no such file or directory")
        if path.is_dir():
            found = []
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix in CPP_SUFFIXES:
                    found.append(KernelText(str(child), _read(child), 0, named=False))
                elif child.is_file() and child.suffix == ".py":
                    text = child.read_text(encoding="utf-8", errors="replace")
                    found.extend(kernels_in_python(text, str(child)))
            if not found:
                raise BadInput(f"{raw}: no C++ kernels or Inductor output code in this directory")
            out.extend(found)
        elif path.suffix == ".py":
            found = kernels_in_python(_read(path), raw)
            if not found:
                raise BadInput(f"{raw}: no C++ kernels (cpp_pybinding sources) in this Python file")
            out.extend(found)
        elif path.suffix in CPP_SUFFIXES:
            out.append(KernelText(raw, _read(path), 0))
        else:
            raise BadInput(f"{raw}: not a C++ file or Inductor output code (expected .cpp or .py)")
    return out


# Below this much kernel source a scan runs in this process: starting workers costs more than
# the analysis (a few MB take about a second on one core).
PARALLEL_BYTES = 8 * 1024 * 1024


# What every kernel Inductor's C++ backend writes has: its prefix header, its pointer arguments,
# or its tmp variables. C++ with none of them is some other program, and "no findings" about it
# would be a claim this analysis cannot make.
_INDUCTOR = re.compile(r"cpp_prefix\.h|\b(?:in_out_ptr|in_ptr|out_ptr)\d+\b|\btmp\d+\b")


# What else Inductor writes beside its kernels as C++, each recognised by its own mark. A folder
# scan skips them (and says so); named on the command line they are refused, as any non-kernel.
HEADER = "a header, not a kernel"
ISA_PROBE = "Inductor's vector-ISA probe (a __<isa>_chk_kernel function), not a kernel"
NOT_INDUCTOR = "C++, but not an Inductor kernel (no cpp_prefix.h include, no in_ptr/out_ptr arguments, no tmp variables)"
SKIP_LABELS = {HEADER: "headers", ISA_PROBE: "vector-ISA probes", NOT_INDUCTOR: "other C++ files"}
_ISA_PROBE = re.compile(r'extern\s+"C"\s+[^(;{]*\b__\w+_chk_kernel\w*\s*\(')


def not_a_kernel(item: KernelText) -> str | None:
    """Why a C++ text that parses is not an Inductor kernel (one of the reasons above), or None."""
    if item.file.endswith((".h", ".hpp")):
        return HEADER
    if _ISA_PROBE.search(item.source):
        return ISA_PROBE
    if not _INDUCTOR.search(item.source):
        return NOT_INDUCTOR
    return None


def _analyze(item: KernelText) -> list[kernel.Finding] | Skipped | str:
    """One kernel's findings, a file of a folder skipped with its reason, or why it cannot be
    analysed (raised in order by `scan`)."""
    try:
        findings = kernel.analyze_source(item.source, item.file, item.line_offset)
    except kernel.KernelParseError as exc:
        return str(exc)
    reason = not_a_kernel(item)
    if reason:
        return reason if item.named else Skipped(item.file, reason)
    return findings


_FORKED_ITEMS: list[KernelText] = []  # the kernels a forked worker inherits from `scan`


def _analyze_span(span: tuple[int, int]) -> list[list[kernel.Finding] | Skipped | str]:
    return [_analyze(item) for item in _FORKED_ITEMS[span[0] : span[1]]]


def _analyze_items(items: list[KernelText]) -> list[list[kernel.Finding] | Skipped | str]:
    return [_analyze(item) for item in items]


def cpus() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def workers(items: list[KernelText], jobs: int | None = None) -> int:
    """How many processes analyse `items`: `jobs` when given (0 means one per available CPU),
    otherwise one per available CPU once the sources are large enough to pay for starting them."""
    if jobs is None:
        jobs = 0 if sum(len(i.source) for i in items) >= PARALLEL_BYTES else 1
    return max(1, min(jobs or cpus(), len(items)))


def scan(paths: list[str], jobs: int | None = None) -> list[kernel.Finding]:
    """Every finding under `paths`, in the order of the files (see `scan_paths`)."""
    return scan_paths(paths, jobs).findings


def scan_paths(paths: list[str], jobs: int | None = None) -> ScanResult:
    """Every finding under `paths`, in the order of the files, and the files of folders skipped as
    not kernels; BadInput for the first file that cannot be read or parsed, or that is named and is
    not a kernel, whichever process analysed it (see `workers` for `jobs`)."""
    items = collect(paths)
    count = workers(items, jobs)
    if count == 1:
        results: Any = map(_analyze, items)
    else:
        chunk = max(1, len(items) // (count * 8))
        spans = [(i, min(i + chunk, len(items))) for i in range(0, len(items), chunk)]
        # fork shares the parser already loaded here, and the kernel texts: a worker is sent where
        # its chunk starts and ends, not the chunk's source. Without fork (or with threads
        # running) each worker starts afresh and is sent its texts.
        forked = "fork" in mp.get_all_start_methods() and threading.active_count() == 1
        global _FORKED_ITEMS
        _FORKED_ITEMS = items if forked else []
        pool = concurrent.futures.ProcessPoolExecutor(count, mp_context=mp.get_context("fork" if forked else "spawn"))
        try:
            tasks = spans if forked else [items[a:b] for a, b in spans]
            results = [r for part in pool.map(_analyze_span if forked else _analyze_items, tasks) for r in part]
        finally:  # interrupted: the chunks not started yet are dropped, not analysed first
            pool.shutdown(wait=True, cancel_futures=True)
            _FORKED_ITEMS = []
    findings: list[kernel.Finding] = []
    skipped: list[Skipped] = []
    for item, result in zip(items, results):
        if isinstance(result, str):
            raise BadInput(f"{item.file}: {result}")
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            findings.extend(result)
    analysed = len(items) - len(skipped)
    if not analysed:
        raise BadInput(f"{' '.join(paths)}: no Inductor kernels ({ScanResult([], 0, skipped).skipped_line()})")
    return ScanResult(findings, analysed, skipped)


def format_finding(f: kernel.Finding) -> str:
    return f"{f.file}:{f.line}:{f.col}: {f.kind}: {f.message}"
