"""The kernel analysis reads text only: it must run where torch is not importable."""
from __future__ import annotations

import subprocess
import sys


def test_scan_does_not_import_torch():
    code = "import sys, analyzer.analysis.scan, analyzer.analysis.kernel, analyzer.analysis.trace; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
