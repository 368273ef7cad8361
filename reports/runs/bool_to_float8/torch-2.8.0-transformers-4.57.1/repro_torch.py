"""Inductor CPU: a call or conversion the types do not allow.

Minimized from the post-grad graph of compile 0/0 of `tests/programs/bool_to_float8.py` (`tests/programs/bool_to_float8.py:17`).
The C++ compiler rejects the generated kernel:
    'blendv' is not a member of 'at::vec::CPU_CAPABILITY::Vectorized<c10::Float8_e4m3fn>'
Captured on torch 2.8.0+cu128; exits 1 while the compiler rejects it this way, 0 once it compiles.
"""
import sys

import torch


def f(arg0_1):
    convert_element_type = arg0_1.to(torch.float8_e4m3fn)
    return convert_element_type,


def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        torch.rand((64,), generator=g) > 0.3,  # arg0_1
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
