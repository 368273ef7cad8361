"""Shared paths to the captured test data (made by `nox -s fixtures`, versions in each capture.json)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# the failing programs `run` is tested on: each is the user's code, run by the analyzer, never by pytest here
collect_ignore = ["programs"]

DATA = Path(__file__).parent / "data"
AFFECTED = DATA / "torch-2.8.0-transformers-4.57.1" / "sdpa-mask-decode" / "vmap-dynamic"
AFFECTED_MODEL = DATA / "torch-2.8.0-transformers-4.57.1" / "tiny-llama-generate" / "auto"
AFFECTED_5X = DATA / "torch-2.8.0-transformers-5.23.0" / "sdpa-mask-decode" / "novmap-auto"
FIXED = DATA / "torch-2.13.0-transformers-5.23.0" / "sdpa-mask-decode" / "novmap-dynamic"
FIXED_MODEL = DATA / "torch-2.13.0-transformers-5.23.0" / "tiny-llama-generate" / "auto"


def kernels(bundle: Path) -> list[Path]:
    found = sorted((bundle / "kernels").glob("*.cpp"))
    assert found, f"no kernels captured under {bundle}"
    return found


def capture_json(bundle: Path) -> dict:
    return json.loads((bundle / "capture.json").read_text())


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def cli():
    return run_cli
