"""Inductor CPU: a variable used where no declaration reaches it, in an index bounds check.

Minimized from the post-grad graph of compile 0/0 of `tests/programs/sliding_window_mask.py` (`tests/programs/sliding_window_mask.py:20`).
The C++ compiler rejects the generated kernel:
    'tmpN' was not declared in this scope
Captured on torch 2.8.0+cu128; exits 1 while the compiler rejects it this way, 0 once it compiles.
"""
import sys

import torch


def f(arg0_1, view, select):
    iota = torch.arange(arg0_1, dtype=torch.int64)
    le = iota <= view
    index = select[iota]
    bitwise_and_1 = le & index
    return bitwise_and_1,


def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        9,  # arg0_1
        torch.randint(0, 2, (9, 1), generator=g, dtype=torch.int64),  # view
        torch.rand((12,), generator=g) > 0.3,  # select
    )


def main() -> int:
    print(f"torch {torch.__version__}")
    try:
        torch.compile(f, dynamic=True)(*make_inputs())
    except Exception as exc:
        print(exc, file=sys.stderr)
        print("BUG: the C++ compiler rejects the generated kernel")
        return 1
    print("compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
