"""The JSON artifacts of a run: their file names, their schemas, and the one reader and writer of each.

A run folder (`reports/<workload>/torch-<v>-transformers-<v>/`) holds:

- `<variant>/capture.json` (`Capture`): what one process compiled, written by `capture.bundle`;
- `findings.json` (`Findings`): the kernel analysis of every kernel, each finding traced;
- `repro.json` (`Repro`): the repro scripts written into the folder and how each was proven;
- `summary.json` (`Summary`): the run as a whole, written last by `analyze`.

Data flows one way: capture writes `capture.json`; analysis reads it and writes `findings.json`;
the repro step reads both and writes `repro.json`; the reports read all four and write none of
them. Every file carries `schema_version`; a reader refuses a version newer than its own in one
line, and takes a file without the field as version 1 (the same layout, written before the field
was). The schemas are `TypedDict`s: the files stay plain JSON, and the fields are named here once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from analyzer import files

SCHEMA_VERSION = 1
CAPTURE, FINDINGS, SUMMARY, REPRO = "capture.json", "findings.json", "summary.json", "repro.json"


class ArtifactError(ValueError):
    """An artifact this analyzer cannot read, in one line."""


class Kernel(TypedDict, total=False):
    name: str  # Inductor's kernel name, e.g. cpp_fused_...
    file: str  # the kernel's source, relative to the bundle (`identity.kernel_file`)
    nodes: list[dict[str, Any]]  # the scheduler nodes it fused, with their loop bodies and origins
    path: str  # absolute path of `file`, added by `read_capture` (never written)


class Compile(TypedDict, total=False):
    compile_id: str  # Dynamo's, e.g. "0/1"
    dynamo_graph: dict[str, Any]  # the FX graph Dynamo traced, with the user's stack per node
    post_grad_graphs: list[dict[str, Any]]  # Inductor's graphs after its FX passes
    kernels: list[Kernel]
    example_inputs: list[Any]
    symbols: dict[str, str]  # size symbol -> the input dimension it stands for
    recompile_reason: dict[str, Any]  # the guard whose failure made this compile, when it is a recompile


class Call(TypedDict, total=False):
    label: str
    inputs: dict[str, Any]
    compile: dict[str, Any]  # the torch.compile options of the call
    ok: bool
    error: dict[str, str] | None  # {"type", "message"} of the exception, None when it ran
    matches_eager: bool | None


class Capture(TypedDict, total=False):
    schema_version: int
    scenario: str
    variant: str
    versions: dict[str, str]  # torch, transformers, python, platform, compiler, vec_isa
    command: str  # the command that made it
    calls: list[Call]
    compiles: list[Compile]
    flakiness: dict[str, Any]  # the async tests' orders, for a workload that records them
    slim: bool  # graphs left out (`bundle.slim_bundle`)
    program: bool  # recorded in a user's program by `run` (`capture.program`), not by a scenario


class Finding(TypedDict, total=False):
    file: str  # kernel source, relative to the run folder
    line: int
    col: int
    kind: str  # one of `identity.KINDS`
    identifier: str  # the variable used without a declaration that reaches it
    scope: str
    message: str
    statement: str  # the kernel statement that uses it
    related_line: int | None
    kernel: str
    variant: str
    compile_id: str
    trace: list[dict[str, Any]]  # the finding through Inductor's layers, kernel to Python
    source: dict[str, Any] | None  # the user's line: {"file", "line", "text", ...}; None when untraced
    unresolved: list[str]  # the layers the trace could not cross, each with its reason


class VariantEntry(TypedDict, total=False):
    variant: str
    bundle: str
    status: str  # "ok" | "crashed" | "timeout" | "unparsed-kernels"
    returncode: int | None
    calls: list[dict[str, Any]]
    compiles: int
    kernels: int
    findings: dict[str, int]  # kind -> count
    unparsed: list[dict[str, str]]


class Summary(TypedDict, total=False):
    schema_version: int
    scenario: str
    run: str  # the run folder's name (`identity.run_folder_name`)
    variants: list[VariantEntry]
    versions: dict[str, str]
    status: str  # "ok" | "failed"
    findings: dict[str, int]
    repro: dict[str, Any]
    flakiness: dict[str, Any]


class Repro(TypedDict, total=False):
    """`finding` (the one reproduced) and one entry per script, named by its file (`repro_torch.py`, ...)."""

    schema_version: int
    finding: dict[str, Any]


def _versioned(data: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in data.items() if k != "schema_version"}}


def _read(path: Path) -> Any:
    if not path.is_file():
        raise ArtifactError(f"{path}: no such artifact")
    try:
        data = files.read_json(path)
    except ValueError as exc:
        raise ArtifactError(f"{path}: not JSON ({exc})") from None
    version = data.get("schema_version", 1) if isinstance(data, dict) else 1
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ArtifactError(f"{path}: schema_version {version!r} is newer than this analyzer reads ({SCHEMA_VERSION}); update the analyzer")
    return data


def write_capture(bundle_dir: Path, record: Capture) -> None:
    """Write a bundle's capture; a kernel's `path`, which `read_capture` derives, is left out."""
    data: dict[str, Any] = dict(record)
    if "compiles" in data:
        data["compiles"] = [
            {**c, "kernels": [{k: v for k, v in kernel.items() if k != "path"} for kernel in c["kernels"]]} if "kernels" in c else c
            for c in data["compiles"]
        ]
    files.write_json(bundle_dir / CAPTURE, _versioned(data))


def read_capture(bundle_dir: Path) -> Capture:
    """A bundle's capture, each kernel with the absolute `path` of its source."""
    data = _read(bundle_dir / CAPTURE)
    for compile_ in data.get("compiles", []):
        for kernel in compile_.get("kernels", []):
            kernel["path"] = str(bundle_dir / kernel["file"])
    return data


def bundles(run_dir: Path) -> list[Path]:
    """The bundle folders of a run, in name order."""
    return sorted(p.parent for p in run_dir.glob(f"*/{CAPTURE}"))


def write_findings(run_dir: Path, findings: list[Finding]) -> None:
    files.write_json(run_dir / FINDINGS, {"schema_version": SCHEMA_VERSION, "findings": findings})


def read_findings(run_dir: Path) -> list[Finding]:
    data = _read(run_dir / FINDINGS)
    return data if isinstance(data, list) else data["findings"]  # a list: written before the version was


def write_summary(run_dir: Path, summary: Summary) -> None:
    files.write_json(run_dir / SUMMARY, _versioned(dict(summary)))


def read_summary(run_dir: Path) -> Summary:
    return _read(run_dir / SUMMARY)


def write_repro(run_dir: Path, repro: Repro) -> None:
    files.write_json(run_dir / REPRO, _versioned(dict(repro)))


def read_repro(run_dir: Path) -> Repro:
    return _read(run_dir / REPRO)


def has(run_dir: Path, name: str) -> bool:
    return (run_dir / name).is_file()
