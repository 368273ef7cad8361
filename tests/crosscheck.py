"""The kernel analysis against the C++ compiler, on captured kernels.

The analysis claims to find, without a compiler, every use of a `tmpN` that no declaration
reaches. The compiler is the ground truth for that claim: a kernel the analysis calls clean must
compile, and each lost definition it reports must be an error the compiler reports on that
identifier, at that line and column. This module runs the compiler's front end
(`-fsyntax-only`) on captured kernels and reads its errors back; it never imports torch (the
flags come from `torchglue.kernel_compile_flags`, in the environment of the matching torch).

Parsing torch's headers costs about two seconds per compile, longer than any kernel, so the
kernels of one torch version are checked as a few translation units, not one compile each:
the prefix header is included once, each kernel sits in its own namespace, and a `#line 1`
directive before it makes the compiler report its errors with the kernel file's own name,
lines and columns. `extern "C"` is blanked (same length, so no column moves), because
C-linkage functions of one name in different namespaces are the same function to the compiler.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from analyzer import identity
from analyzer.analysis import kernel

_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"][^>\"]*[>\"][^\n]*$", re.MULTILINE)
_PREFIX = "#include <torch/csrc/inductor/cpp_prefix.h>"
_DIAGNOSTIC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?:fatal )?error: (?P<message>[^\n]*)$", re.MULTILINE)
# gcc: 'tmp3' was not declared in this scope; clang: use of undeclared identifier 'tmp3'
_UNDECLARED = re.compile(r"['‘`](?P<gcc>\w+)['’`] was not declared in this scope|use of undeclared identifier ['‘](?P<clang>\w+)['’]")
_EXTERN_C = 'extern "C"'


@dataclasses.dataclass(frozen=True)
class CompilerError:
    """One error the compiler reported, where it reported it (1-based, as it prints them)."""

    file: str
    line: int
    col: int
    message: str

    @property
    def undeclared(self) -> str | None:
        """The identifier, when this is a 'not declared' error, the compiler's form of a lost definition."""
        m = _UNDECLARED.search(self.message)
        return (m["gcc"] or m["clang"]) if m else None


@dataclasses.dataclass
class UnitResult:
    """What one compiler run said about the kernels in it."""

    files: list[str]
    returncode: int
    errors: dict[str, list[CompilerError]]  # by kernel file; files with no error are absent
    elsewhere: list[CompilerError]  # errors located outside every kernel file (a header, the unit itself)
    output: str


def bundles(root: Path) -> list[Path]:
    """Every complete captured bundle under `root`: a folder with a capture.json and kernels/*.cpp,
    not a capture's staging folder nor one kept aside after a crash or timeout."""
    out = []
    for path in root.rglob("capture.json"):
        parts = path.relative_to(root).parts[:-1]
        if any(p.startswith(".") or p.endswith((".crashed", ".timeout")) for p in parts):
            continue
        if any((path.parent / "kernels").glob("*.cpp")):
            out.append(path.parent)
    return sorted(out)


def bundle_torch(bundle: Path) -> str:
    """The torch release a bundle was captured on, without the local build tag (2.8.0+cu128 -> 2.8.0)."""
    data = json.loads((bundle / "capture.json").read_text(encoding="utf-8"))
    return identity.release(data["versions"]["torch"])


def bundle_isa(bundle: Path) -> str | None:
    """The vector ISA recorded at capture, when the capture recorded one."""
    data = json.loads((bundle / "capture.json").read_text(encoding="utf-8"))
    return data["versions"].get("vec_isa")


def unit_source(kernels: list[Path]) -> str:
    """One translation unit holding every kernel, each reported by the compiler under its own file name."""
    includes: list[str] = [_PREFIX]
    parts: list[str] = []
    for i, path in enumerate(kernels):
        text = path.read_text(encoding="utf-8")
        for match in _INCLUDE.finditer(text):
            line = match.group(0).strip()
            if line not in includes and "cpp_prefix.h" not in line:  # the prefix may be named by a cache path
                includes.append(line)
        text = _INCLUDE.sub(lambda m: " " * len(m.group(0)), text)
        text = text.replace(_EXTERN_C, " " * len(_EXTERN_C))
        name = str(path).replace("\\", "\\\\").replace('"', '\\"')
        parts += [f"namespace crosscheck_unit_{i} {{", f'#line 1 "{name}"', text, "}"]
    return "\n".join(includes + parts) + "\n"


def parse_errors(output: str) -> list[CompilerError]:
    return [CompilerError(m["file"], int(m["line"]), int(m["col"]), m["message"]) for m in _DIAGNOSTIC.finditer(output)]


def compile_unit(compiler: str, flags: list[str], kernels: list[Path], timeout_s: float = 300.0) -> UnitResult:
    """Run the compiler's front end on the kernels as one unit and sort its errors by kernel file."""
    names = {str(p) for p in kernels}
    with tempfile.TemporaryDirectory(prefix="crosscheck-") as tmp:
        unit = Path(tmp) / "unit.cpp"
        unit.write_text(unit_source(kernels), encoding="utf-8")
        proc = subprocess.run(
            [compiler, "-fsyntax-only", *flags, str(unit)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env={**os.environ, "LC_ALL": "C"},  # plain quotes in messages, whatever the locale
        )
    output = proc.stdout + proc.stderr
    errors: dict[str, list[CompilerError]] = {}
    elsewhere = []
    for error in parse_errors(output):
        if error.file in names:
            errors.setdefault(error.file, []).append(error)
        else:
            elsewhere.append(error)
    return UnitResult([str(p) for p in kernels], proc.returncode, errors, elsewhere, output)


def compile_alone(compiler: str, flags: list[str], path: Path, timeout_s: float = 300.0) -> list[CompilerError]:
    """The kernel file compiled as it is, by itself: what the unit's verdict must agree with."""
    proc = subprocess.run(
        [compiler, "-fsyntax-only", *flags, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "LC_ALL": "C"},
    )
    return [e for e in parse_errors(proc.stdout + proc.stderr) if e.file == str(path)]


def check_kernels(compiler: str, flags: list[str], kernels: list[Path], jobs: int = 2) -> dict[str, list[CompilerError]]:
    """Compiler errors of every kernel file (an empty list for a file it accepts).

    Identical kernel texts (the same kernel in several compiles of one capture) are compiled
    once; the kernels are split into `jobs` units compiled side by side. An error outside every
    kernel file raises, since it cannot be put on any kernel."""
    by_text: dict[str, list[Path]] = {}
    for path in kernels:
        by_text.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), []).append(path)
    unique = [paths[0] for paths in by_text.values()]
    chunks = [unique[i::jobs] for i in range(jobs) if unique[i::jobs]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(chunks))) as pool:
        results = list(pool.map(lambda chunk: compile_unit(compiler, flags, chunk), chunks))
    out: dict[str, list[CompilerError]] = {}
    for result in results:
        if result.elsewhere or (result.returncode != 0 and not result.errors):
            raise RuntimeError(f"compiler errors outside the kernels (rc {result.returncode}):\n{result.output[-4000:]}")
        for first in result.files:
            errors = result.errors.get(first, [])
            for path in by_text[hashlib.sha256(Path(first).read_bytes()).hexdigest()]:
                out[str(path)] = [dataclasses.replace(e, file=str(path)) for e in errors]
    return out


def lost_definitions(path: Path) -> set[tuple[int, int, str]]:
    """(line, col, identifier) of every undeclared, forward-reference and out-of-scope finding."""
    return {(f.line, f.col, f.identifier) for f in kernel.analyze_source(path.read_text(encoding="utf-8"), str(path)) if f.kind in kernel.LOST}


def is_clang(compiler: str) -> bool:
    return "clang" in Path(compiler).name


def compiler_reports(path: Path, compiler: str = "g++") -> set[tuple[int, int, str]]:
    """The lost definitions `compiler` reports: (line, col, identifier), a subset of `lost_definitions`.

    clang reports every use of an undeclared name (it declares nothing after the error): all of
    `lost_definitions`. For g++, see below.

    g++ reports an undeclared name at its first use in a scope and then declares it there as an
    error, so later uses in that scope, and in the scopes inside it, are silent: in
    `tmp_acc0 = tmp_acc0 + tmp2;` only the first `tmp_acc0` is reported. A use in a `TORCH_CHECK`
    condition sits in the scope of the macro's own `if`, and silences nothing after it. Every
    finding the compiler leaves silent this way is still a lost definition; the analysis reports
    each use, because each one is a place to fix."""
    source = path.read_text(encoding="utf-8")
    lost = lost_definitions(path)
    if is_clang(compiler):
        return lost
    out: set[tuple[int, int, str]] = set()
    for model in kernel.parse_functions(source):
        uses = {(u.line, u.col): u for u in model.uses}
        silenced: list[tuple[str, int]] = []
        for line, col, name in sorted(f for f in lost if (f[0], f[1]) in uses):
            use = uses[(line, col)]
            if any(n == name and scope in model.chain(use.scope) for n, scope in silenced):
                continue
            out.add((line, col, name))
            if not use.in_check:
                silenced.append((name, use.scope))
    return out
