"""Capture: run a workload under torch.compile in a fresh process and keep what each compile made.

`torchglue` (the only module that touches torch internals), `scenarios` and `asynctests` (the
built-in workloads), `bundle` (a variant's process and the `capture.json` it writes), and the
captures of upstream material the tests stand on: `cachefolder` (a real Inductor cache folder)
and `wheels` (released sources, read from PyPI's wheels).
"""
