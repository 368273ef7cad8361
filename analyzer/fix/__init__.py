"""Fix: this project's patches to transformers and PyTorch, applied and proven.

`patches` (series by shape of the code, applied with `git apply`), `shapes` (which series fits
which release), `verify` (differential tests in the patched environment), `evidence` (what the
late bounds check costs at run time).
"""
