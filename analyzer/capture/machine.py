"""What a capture ran on, and the machine's paths taken out of what it keeps.

A capture is meant to be read elsewhere (by the tests, in reports for upstream): it names the
versions it ran on, and every path of this machine in it is replaced by a name for the place.
"""
from __future__ import annotations

import os
import platform
import re
import sys
import tempfile
from importlib.metadata import PackageNotFoundError
from pathlib import Path
from typing import Any

from analyzer import identity


def versions() -> dict[str, str]:
    """What a capture ran on. transformers is named as the process imported it, else as installed,
    and left out where it is not installed (a user's program may not use it); it is never imported
    here, which would add its import to a program that does not make it."""
    import sys

    import torch

    from analyzer.capture import torchglue

    out = {"torch": torch.__version__}
    imported = sys.modules.get("transformers")
    if imported is not None:
        out["transformers"] = imported.__version__
    else:
        try:
            out["transformers"] = identity.installed("transformers")
        except PackageNotFoundError:
            pass
    out.update(python=platform.python_version(), platform=f"{platform.system()}-{platform.machine()}")
    out.update(compiler=torchglue.compiler_version(), vec_isa=torchglue.vec_isa())
    return out


_CACHE_HASH = re.compile(r"\b[0-9a-z]{50,}\b")
_CACHE_SUBDIR = re.compile(r"/[0-9a-z]{2}/<hash>")


def prefixes() -> list[tuple[str, str]]:
    """Where this machine keeps things, and the name a capture gives each instead.

    Error messages and stacks name the venv, the temporary Inductor cache, the Python install
    and the project checkout. Left in, a capture would say more about the machine than about the
    failure, differ on every run, and leak local paths into reports meant for upstream.
    """
    import getpass
    import site
    import sysconfig

    pairs: list[tuple[str, str]] = []
    cache = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    if cache:
        pairs.append((cache, "<inductor-cache>"))
    for sp in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}:
        pairs.append((sp.rstrip("/") + "/", "site-packages/"))
    pairs.append((str(Path(__file__).resolve().parents[2]) + "/", ""))
    try:
        pairs.append((os.path.join(tempfile.gettempdir(), f"torchinductor_{getpass.getuser()}"), "<torchinductor-tmp>"))
    except (KeyError, OSError):  # no user name in a bare container
        pass
    pairs += [(sys.prefix, "<venv>"), (sys.base_prefix, "<python>"), (str(Path.home()), "~")]
    return sorted({(a, b) for a, b in pairs if a and a != "/"}, key=lambda ab: -len(ab[0]))


def portable(data: Any, prefixes: list[tuple[str, str]]) -> Any:
    """Every string in `data` with machine paths named, and Inductor's content-hash file names (which
    hash those paths into the compile flags) replaced by `<hash>`."""
    if isinstance(data, str):
        for prefix, name in prefixes:
            data = data.replace(prefix, name)
        # the cache's two-letter folder is the head of that hash: it goes with it
        return _CACHE_SUBDIR.sub("/<hash>", _CACHE_HASH.sub("<hash>", data))
    if isinstance(data, dict):
        return {k: portable(v, prefixes) for k, v in data.items()}
    if isinstance(data, list):
        return [portable(v, prefixes) for v in data]
    return data
