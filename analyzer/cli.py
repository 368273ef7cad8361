"""One command line for every job; nox sessions call it, and it owns no environment logic."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_capture-child"]:
        from . import capture

        _, scenario, variant, out = argv
        return capture.run_child(scenario, variant, Path(out))
    parser = argparse.ArgumentParser(prog="python -m analyzer")
    parser.parse_args(argv)
    return 0
