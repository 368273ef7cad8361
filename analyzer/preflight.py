"""Checks made before a command starts work, so that what it cannot do here is refused in one
line instead of showing up later as a capture full of confusing errors.

Nothing here imports torch: the checks read package metadata and the environment, and run the
compiler's `--version`, in well under a second.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

from analyzer import identity

# the oldest releases this project reads: Inductor's loop bodies and hooks as torchglue uses them,
# and the SDPA mask builders of transformers 4.53+
MINIMUM = {"torch": (2, 8), "transformers": (4, 53)}


def inductor_cxx() -> tuple[str, str]:
    """The C++ compiler Inductor will call, and where that choice comes from. Inductor's default
    (`torch._inductor.config.cpp.cxx`) is $CXX when set, else g++ (clang++ on macOS), and it does
    not look further: a machine with only clang++ or c++ still fails unless CXX names one."""
    cxx = os.environ.get("CXX")
    if cxx:
        return cxx, "$CXX"
    return ("clang++" if sys.platform == "darwin" else "g++"), "Inductor's default"


def cxx_problem() -> str | None:
    """Why Inductor could not compile a kernel on this machine, or None."""
    if os.environ.get("TORCH_INDUCTOR_INSTALL_GXX"):
        return None  # Inductor installs g++ from conda itself
    cxx, origin = inductor_cxx()
    path = shutil.which(cxx)
    if path is None:
        if origin == "$CXX":
            return f"no C++ compiler: CXX is {cxx!r}, which is not found; Inductor compiles every CPU kernel with $CXX (set it to an installed compiler)"
        return f"no C++ compiler: {cxx} is not on PATH and CXX is not set; Inductor compiles every CPU kernel with $CXX or {cxx} (install {cxx} or set CXX)"
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"C++ compiler {cxx!r} ({origin}) does not run: {exc}"
    if proc.returncode != 0:
        return f"C++ compiler {cxx!r} ({origin}) does not run: `{cxx} --version` exited with {proc.returncode}"
    return None


def versions_problem() -> str | None:
    """Why the installed torch or transformers cannot be analysed with this project, or None."""
    for dist, minimum in MINIMUM.items():
        try:
            installed = version(dist)
        except PackageNotFoundError:
            return f"{dist} is not installed in this environment (python: {sys.executable})"
        if identity.release_key(installed)[:2] < minimum:
            needed = ".".join(map(str, minimum))
            return f"{dist} {installed} is older than {needed}, the oldest release this project can analyse"
    return None


def problem(compiler: bool = True) -> str | None:
    """The first reason a command that runs torch (and, with `compiler`, compiles) cannot start here."""
    return versions_problem() or (cxx_problem() if compiler else None)
