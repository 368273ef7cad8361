"""The command line outside an environment that has the analyzer's dependencies: one line, exit 2."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import AFFECTED, kernels

from analyzer import cli

ROOT = Path(__file__).resolve().parent.parent


def test_the_dependency_table_is_the_projects():
    """cli.DEPENDENCIES names every dependency pyproject.toml declares, and nothing else."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0] for d in declared}
    assert set(cli.DEPENDENCIES.values()) == names


def test_scan_in_a_python_without_the_dependencies_is_one_line_and_exit_2(tmp_path):
    """A venv with nothing installed (what `pip install nox` alone leaves a user with), running the
    checkout's code: the missing package is named with how to get it, no traceback."""
    venv = tmp_path / "bare"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [str(python), "-m", "analyzer", "scan", str(kernels(AFFECTED)[0])], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
    assert re.match(r"analyzer: error: [a-z-]+ is not installed in this Python \(", proc.stderr)
    assert "pip install -e ." in proc.stderr and "Traceback" not in proc.stderr


def test_an_unrelated_missing_module_is_not_hidden():
    """Only the project's own dependencies get the one-line treatment; any other is a bug to show."""
    assert cli.missing_dependency(ModuleNotFoundError("no", name="networkx.algorithms")) is not None
    assert cli.missing_dependency(ModuleNotFoundError("no", name="analyzer.nothing")) is None
