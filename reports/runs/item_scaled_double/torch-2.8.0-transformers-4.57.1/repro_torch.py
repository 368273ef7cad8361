"""Inductor CPU: a name the kernel uses but never declares or receives as an argument.

Minimized from the post-grad graph of compile 0/0 of `tests/programs/item_scaled_double.py` (`tests/programs/item_scaled_double.py:20`).
The C++ compiler rejects the generated kernel:
    'zuf0' was not declared in this scope
Captured on torch 2.8.0+cu128; exits 1 while the compiler rejects it this way, 0 once it compiles.
"""
import sys

import torch

torch._dynamo.config.capture_scalar_outputs = True  # the graph reads an .item()


def f(abs_1):
    max_1 = torch.ops.aten.max.default(abs_1)
    _local_scalar_dense = torch.ops.aten._local_scalar_dense.default(max_1)
    return _local_scalar_dense,


def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        torch.rand((16,), generator=g, dtype=torch.float64),  # abs_1
    )


def main() -> int:
    print(f"torch {torch.__version__}")
    try:
        torch.compile(f, dynamic=False)(*make_inputs())
    except Exception as exc:
        print(exc, file=sys.stderr)
        print("BUG: the C++ compiler rejects the generated kernel")
        return 1
    print("compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
