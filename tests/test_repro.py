"""The committed repros, run as a maintainer runs them, on the installed torch."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from analyzer.repro import oracle

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


LATE = [p.parent for p in sorted(REPORTS.glob("*/torch-*/repro.json")) if '"kind": "check-after-load"' in p.read_text()]


@pytest.mark.capture
def test_the_check_after_load_repro_prints_what_the_pytorch_issue_quotes():
    """On the release it was proven on, the repro of a run that checks after the load, run as a
    maintainer runs it, exits 1 and prints exactly the error block its `issue-pytorch.md` quotes."""
    import json

    from analyzer import identity
    from analyzer.capture import torchglue
    from analyzer.report import documents

    assert LATE, "expected a check-after-load repro in the committed 2.13.0 runs"
    runs = [r for r in LATE if documents.load(r).torch == identity.release(torch.__version__)]
    if not runs:
        pytest.skip(f"the check-after-load repros were proven on another torch than {torch.__version__}")
    for run_dir in runs[:1]:  # one compile is enough; the others hold the same script
        recorded = json.loads((run_dir / "summary.json").read_text())["versions"].get("vec_isa")
        if recorded != torchglue.vec_isa():
            pytest.skip(f"proven with vector ISA {recorded}; this machine's Inductor picks {torchglue.vec_isa()}")
        rc, output = oracle.run_script(run_dir / "repro_torch.py")
        printed = output.strip().splitlines()
        entry = json.loads((run_dir / "repro.json").read_text())["repro_torch.py"]
        assert rc == 1 and printed == entry["output"], output[-800:]
        issue = (run_dir / documents.PYTORCH).read_text(encoding="utf-8")
        assert "\n".join(printed) in issue
