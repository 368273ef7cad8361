"""The committed repros, run as a maintainer runs them, on the installed torch."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from analyzer import oracle

REPORTS = Path(__file__).resolve().parent.parent / "reports"
SCRIPTS = sorted(REPORTS.glob("*/torch-2.8.0-*/repro_torch.py"))
FIXED = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 13)


@pytest.mark.capture
def test_every_committed_torch_repro_fails_on_an_affected_torch_and_passes_on_a_fixed_one():
    assert len(SCRIPTS) >= 8, "expected a repro per scenario and transformers version on 2.8.0"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(SCRIPTS, pool.map(oracle.run_script, SCRIPTS)))
    for script, (rc, output) in results.items():
        name = script.relative_to(REPORTS)
        if FIXED:
            assert rc == 0 and "matches eager: True" in output, (name, output[-500:])
        else:
            assert rc == 1 and oracle.signature(output) is not None, (name, output[-500:])
