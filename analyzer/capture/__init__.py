"""Capture: run a workload under torch.compile in a fresh process and keep what each compile made.

`torchglue` (the only module that touches torch internals); `launch` (start any command with
the recording, `hook/`, in each of its Python processes) and `program` (that recording, one bundle
per process); `scenarios`, `asynctests` and `masks` (the built-in workloads, each variant a
program); `bundle` (a scenario's variant run and kept as a bundle folder); `machine` (the
versions a capture ran on, and this machine's paths taken out of it); and the captures of
upstream material the tests stand on: `cachefolder` (a real Inductor cache folder) and `wheels`
(released sources, read from PyPI's wheels).
"""
