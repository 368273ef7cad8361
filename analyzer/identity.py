"""Run identity: what a version string means, what a run folder and the environment records in
it are called, and the finding kinds. The one home of these facts; every other module asks here. Standard library only.

Versions, as `torch.__version__`, pip and package metadata write them:

    >>> release("2.8.0+cu128"), release("2.13.0.dev20260101+cpu"), release("2.14.0a0"), release("2.12.0rc1")
    ('2.8.0', '2.13.0', '2.14.0', '2.12.0')
    >>> release_key("2.10.0") > release_key("2.9.1"), is_prerelease("2.13.0.dev20260101+cpu"), is_prerelease("2.8.0+cu128")
    (True, True, False)
    >>> run_folder_name("2.13.0.dev20260101+cpu", "5.23.0")
    'torch-2.13.0-transformers-5.23.0'

A local label (`+cpu`, `+cu128`) names a build of the release itself; `.devN`, `aN`, `bN`, `rcN`
name a build made before it. A release is three numbers (`2.8` is `2.8.0`).
"""
from __future__ import annotations

import re
from importlib.metadata import version

_RELEASE = re.compile(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?")
_PRERELEASE = re.compile(r"^(?:\.?dev\d*|a\d*|b\d*|rc\d*|\.post\d*)", re.IGNORECASE)


class BadVersion(ValueError):
    """Text that holds no release number; the message is one line."""


def release(text: str) -> str:
    """The release a version belongs to, three numbers: `2.8.0+cu128` -> `2.8.0`."""
    match = _RELEASE.match(text)
    if match is None:
        raise BadVersion(f"not a version number: {text!r}")
    return f"{match[1]}.{match[2]}.{match[3] or 0}"


def release_key(text: str) -> tuple[int, int, int]:
    """Numeric order of releases: 2.10.0 after 2.9.1 (a string sort puts it first)."""
    major, minor, patch = release(text).split(".")
    return int(major), int(minor), int(patch)


def major(text: str) -> int:
    return release_key(text)[0]


def is_prerelease(text: str) -> bool:
    """A build made before its release (`.devN`, `aN`, `bN`, `rcN`); a local label is not one."""
    match = _RELEASE.match(text)
    if match is None:
        raise BadVersion(f"not a version number: {text!r}")
    rest = text[match.end():].split("+")[0]
    return bool(rest) and bool(_PRERELEASE.match(rest)) and not rest.startswith(".post")


def installed(dist: str) -> str:
    """The installed version of a distribution, as its metadata says (`PackageNotFoundError` if absent)."""
    return version(dist)


def installed_release(dist: str) -> str:
    return release(installed(dist))


def run_folder_name(torch: str, transformers: str) -> str:
    """`torch-<release>-transformers-<release>`: a run folder under a scenario, a matrix cell, a
    verification folder. Named by release, since builds of one release differ by machine."""
    return f"torch-{release(torch)}-transformers-{release(transformers)}"


def installed_run_folder_name() -> str:
    return run_folder_name(installed("torch"), installed("transformers"))


_RUN_FOLDER = re.compile(r"torch-(?P<torch>[^-]+)-transformers-(?P<transformers>[^-]+)")


def parse_run_folder_name(name: str) -> tuple[str, str] | None:
    """(torch, transformers) of a name `run_folder_name` made, or None."""
    match = _RUN_FOLDER.fullmatch(name)
    return (match["torch"], match["transformers"]) if match else None


# ------------------------------------------------------------------------------------------ findings

BOUNDS_MESSAGE = "index out of bounds"  # what Inductor's bounds checks say
KINDS = ("undeclared", "forward-reference", "out-of-scope", "check-after-load")
LOST = KINDS[:3]  # the kinds that mean a variable is used where no declaration reaches it

# ----------------------------------------------------------------------------- artifacts of a run

COLLECT_ENV = "collect_env.txt"
TRANSFORMERS_ENV = "transformers_env.txt"


def kernel_file(compile_id: str, kernel_name: str) -> str:
    """Where a bundle keeps a kernel: `kernels/<compile id>-<kernel>.cpp`, the compile id's `/` as `-`."""
    return f"kernels/{compile_id.replace('/', '-')}-{kernel_name}.cpp"
