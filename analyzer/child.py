"""The entry points of the analyzer's own child processes: `python -m analyzer.child NAME ARGS...`.

Each job that must run in a fresh process (the runtime evidence, the verification suite, two
benchmarks) is started with `procs.child_command(NAME, ...)` and lands here; none is
a command a user types, so none is in the CLI.
"""
from __future__ import annotations

import sys
from pathlib import Path

from analyzer import files, procs


def main(argv: list[str]) -> int:
    procs.bind_to_parent()  # a child dies with the run that started it
    name, args = argv[0], argv[1:]
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
