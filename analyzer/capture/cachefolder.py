"""A real Inductor cache folder, captured for `scan`'s tests: what a user's `TORCHINDUCTOR_CACHE_DIR`
holds after a compile, kernels and everything else Inductor writes there (its vector-ISA probes,
the `output_code.py` wrapper, with `cpp_wrapper` on the C++ wrapper).

A small pure-torch program (the mask builder's shape: an arange compared with a query position and
used to gather a padding table) is compiled in a fresh process with a cache folder of its own; its
text files are copied to `out` (binaries, locks and pickles left out) beside `capture.json`, which
records the versions, the command and what was copied. The program exits 0 whether or not the
kernel compiles: a folder from an affected release holds the kernel g++ refused.
"""
from __future__ import annotations

import platform
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from analyzer import files, procs

PROGRAM = """
import torch

def mask_and(table, q, n):
    idx = torch.arange(n)
    return (idx[None, :] <= q) & table[:, idx]

compiled = torch.compile(mask_and, dynamic=True)
for n, m in [(9, 11), (5, 12)]:
    table = torch.ones(2, m, dtype=torch.bool)
    try:
        print(bool(torch.equal(compiled(table, n // 2, n), mask_and(table, n // 2, n))))
    except Exception as exc:  # an affected release: the kernel's source is in the cache all the same
        print(type(exc).__name__, str(exc).splitlines()[0][:200])
"""

TEXT_SUFFIXES = (".cpp", ".h", ".hpp", ".py")


def capture(out: Path, cpp_wrapper: bool = False, timeout_s: float = 600) -> dict:
    """Compile PROGRAM with its own cache folder and copy that folder's text files to `out`
    (replaced whole when complete); returns what `capture.json` records."""
    out = Path(out)
    staging = files.staging_dir(out.parent, out.name)
    try:
        with tempfile.TemporaryDirectory(prefix="inductor-cache-") as cache:
            env = {"TORCHINDUCTOR_CPP_WRAPPER": "1" if cpp_wrapper else "0"}
            rc, stdout, stderr = procs.run_in_cache([sys.executable, "-c", PROGRAM], timeout_s, cache, env=env)
            if rc != 0:
                raise RuntimeError(f"the program exited {rc}: {stderr.strip().splitlines()[-1:] or stdout}")
            copied = []
            for path in sorted(Path(cache).rglob("*")):
                if path.is_file() and path.suffix in TEXT_SUFFIXES:
                    rel = path.relative_to(cache)
                    (staging / "cache" / rel).parent.mkdir(parents=True, exist_ok=True)
                    files.write_bytes(staging / "cache" / rel, path.read_bytes())
                    copied.append(rel.as_posix())
        record = {
            "what": "an Inductor cache folder after a compile (text files only)",
            "command": f"python -m analyzer capture-cache --out {out.as_posix()}" + (" --cpp-wrapper" if cpp_wrapper else ""),
            "cpp_wrapper": cpp_wrapper,
            "versions": {"torch": version("torch"), "python": platform.python_version(), "platform": f"{platform.system()}-{platform.machine()}"},
            "program_output": stdout.splitlines(),
            "files": copied,
        }
        files.write_json(staging / "capture.json", record)
        files.replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return record
