"""The entry points of the analyzer's own child processes: `python -m analyzer.child NAME ARGS...`.

Each job that must run in a fresh process (a capture, the runtime evidence, the verification
suite, two benchmarks) is started with `procs.child_command(NAME, ...)` and lands here; none is
a command a user types, so none is in the CLI.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from analyzer import files, procs


def _exit_now(code: int) -> None:
    """End a child whose work is on disk without the interpreter's teardown: unloading torch
    takes about a second, and the parent waits for it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str]) -> int:
    procs.bind_to_parent()  # a child dies with the run that started it
    name, args = argv[0], argv[1:]
    if name == "capture":
        from analyzer.capture import bundle

        scenario, variant, out = args
        _exit_now(bundle.run_child(scenario, variant, Path(out)))
    if name == "evidence":
        from analyzer.fix import evidence

        evidence.child(Path(args[0]))
        return 0
    if name == "verify-suite":
        from analyzer.fix import verify

        examples, out = args
        files.write_json(Path(out), verify.suite(int(examples)))
        return 0
    if name == "kernel-bench":
        from analyzer import bench

        return bench.kernel_child(Path(args[0]))
    if name == "minify-checked":
        from analyzer import bench

        launcher, out = args
        return bench.minify_checked(Path(launcher), Path(out))
    print(f"analyzer.child: unknown child {name!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
