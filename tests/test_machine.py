"""What a capture keeps of the machine it ran on (`capture/machine.py`)."""
from __future__ import annotations

from analyzer.capture import machine


def test_capture_names_machine_paths_and_cache_hashes():
    prefixes = [("/work/x/.nox/a/lib/python3.11/site-packages/", "site-packages/"), ("/work/x/", ""), ("/tmp/cache-1", "<inductor-cache>")]
    record = {"m": ["/tmp/cache-1/oa/c" + "a1" * 26 + ".main.cpp:3: in /work/x/.nox/a/lib/python3.11/site-packages/torch/x.py"], "n": 3}
    got = machine.portable(record, prefixes)
    assert got == {"m": ["<inductor-cache>/<hash>.main.cpp:3: in site-packages/torch/x.py"], "n": 3}
