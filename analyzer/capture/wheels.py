"""Files of a released package, read from its wheel on PyPI.

`pip download <dist>==<release> --no-deps --only-binary :all:` fetches the one wheel into a
temporary folder (pip's own cache makes a second fetch quick), and the files asked for are read
from it as a zip: nothing is installed. `capture` writes them with a `capture.json` naming the
release, the wheel and its sha256, the member each file came from, pip's version and the command,
into a folder that appears whole or not at all.
"""
from __future__ import annotations

import fnmatch
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from analyzer import files, identity

RELEASE = re.compile(r"\d+\.\d+\.\d+")
PIP_TIMEOUT_S = 600

# what the project captures from a transformers wheel: the module its patches change, and the
# license it is distributed under (Apache-2.0; the module keeps its own header)
MASKING_UTILS = {"masking_utils.py": "transformers/masking_utils.py", "LICENSE": "*.dist-info/*LICENSE"}
# ... and from a torch wheel: the module CppKernel.check_bounds lives in, which the PyTorch series
# change, and torch's license (BSD-3-Clause)
CPP_CODEGEN = {"cpp.py": "torch/_inductor/codegen/cpp.py", "LICENSE": "torch-*.dist-info/licenses/LICENSE"}


class FetchError(ValueError):
    """A release or file that cannot be had, in one line."""


def check_release(release: str) -> str:
    """`5.25.0` as given; anything but three numbers (a range, `latest`, `5.x`) is refused."""
    if not RELEASE.fullmatch(release):
        raise FetchError(f"{release!r} is not a release number (like 5.25.0)")
    return release


def _pip(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=PIP_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise FetchError(f"pip {args[0]} did not finish in {PIP_TIMEOUT_S}s") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("WARNING")]
    return lines[-1] if lines else "no output"


def pip_version() -> str:
    result = _pip("--version")
    return result.stdout.split()[1] if result.returncode == 0 and result.stdout.split()[1:] else "unknown"


def releases(dist: str, first: str, last: str) -> list[str]:
    """The releases of `dist` on the index, from `first` to `last` inclusive, oldest first, as
    `pip index versions` lists them (yanked releases are not listed)."""
    check_release(first)
    check_release(last)
    result = _pip("index", "versions", dist)
    match = re.search(r"Available versions: (.+)", result.stdout)
    if result.returncode != 0 or match is None:
        raise FetchError(f"pip index versions {dist} failed: {_last_line(result.stderr or result.stdout)}")
    found = [v.strip() for v in match[1].split(",") if RELEASE.fullmatch(v.strip())]
    low, high = identity.release_key(first), identity.release_key(last)
    return sorted((v for v in found if low <= identity.release_key(v) <= high), key=identity.release_key)


def download(dist: str, release: str, folder: Path) -> Path:
    """The wheel of `dist==release`, downloaded into `folder`."""
    check_release(release)
    result = _pip("download", f"{dist}=={release}", "--no-deps", "--only-binary", ":all:", "-q", "-d", str(folder))
    # a local build carries a label (`torch-2.13.0+cpu-...`): the release, then `-` or `+`
    wheels = sorted(folder.glob(f"{dist.replace('-', '_')}-{release}[-+]*.whl"))
    if result.returncode != 0 or not wheels:
        raise FetchError(f"pip download {dist}=={release} failed: {_last_line(result.stderr or result.stdout)}")
    return wheels[0]


def read_members(wheel: Path, members: dict[str, str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """The files named in `members` (output name -> member path in the wheel, or a glob matching
    exactly one), with the member each came from."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        contents, origins = {}, {}
        for out_name, pattern in members.items():
            hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
            if len(hits) != 1:
                raise FetchError(f"{wheel.name}: {len(hits)} members match {pattern!r}, expected one")
            contents[out_name], origins[out_name] = zf.read(hits[0]), hits[0]
    return contents, origins


def capture(dist: str, release: str, members: dict[str, str], out: Path, command: str) -> dict[str, Any]:
    """Download the wheel, write the members and `capture.json` into `out` (replacing it whole)."""
    with tempfile.TemporaryDirectory(prefix="analyzer-wheel-") as tmp:
        wheel = download(dist, release, Path(tmp))
        contents, origins = read_members(wheel, members)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    record = {
        "project": dist,
        "release": release,
        "wheel": wheel.name,
        "wheel_sha256": digest,
        "files": origins,
        "pip": pip_version(),
        "command": command,
    }
    staging = files.staging_dir(out.parent, out.name)
    try:
        for name, data in contents.items():
            files.write_bytes(staging / name, data)
        files.write_json(staging / "capture.json", record)
        files.replace_dir(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return record
