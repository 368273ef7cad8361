"""Find kernels in files and folders and run the kernel analysis on them, like a linter.

Accepts `.cpp` kernels, Inductor `output_code.py` wrappers (kernels live in their
`cpp_pybinding(..., '''...''')` strings), and folders of either (an Inductor cache dir).
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from . import kernel

CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".h", ".hpp")
_PYBINDING = re.compile(r"cpp_pybinding\(\s*\[[^\]]*\],\s*r?'''\n?(?P<src>.*?)'''", re.DOTALL)


class BadInput(ValueError):
    """Input the scan cannot take; the message is one line naming the file and the reason."""


@dataclasses.dataclass
class KernelText:
    file: str
    source: str
    line_offset: int  # lines before the kernel in its file


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
                    found.append(KernelText(str(child), _read(child), 0))
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


def scan(paths: list[str]) -> list[kernel.Finding]:
    findings: list[kernel.Finding] = []
    for item in collect(paths):
        try:
            findings.extend(kernel.analyze_source(item.source, item.file, item.line_offset))
        except kernel.KernelParseError as exc:
            raise BadInput(f"{item.file}: {exc}") from None
    return findings


def format_finding(f: kernel.Finding) -> str:
    return f"{f.file}:{f.line}:{f.col}: {f.kind}: {f.message}"
