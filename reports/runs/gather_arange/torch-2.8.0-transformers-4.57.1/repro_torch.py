"""Inductor CPU: an indirect-index bounds check uses its variable before declaring it.

Minimized from the post-grad graph of `tests/programs/gather_arange.py:20` (return (idx < 5) * torch.gather(x, 1, idx.expand(x.size(0), n))  # fault).
Two distinct size symbols (index length and indexed dimension) keep Inductor from proving the
gather in range; the bounds check it adds hits a CSE entry emitted later in the kernel.
Minimized from a graph captured on torch 2.8.0+cu128; exits 1 while the bug
is present, 0 once the compiled result matches eager.
"""
import sys

import torch


def f(arg0_1, arg1_1, arg3_1):
    iota = torch.arange(arg0_1, dtype=torch.int64)
    lt = iota < 5
    expand = iota.expand([arg1_1, arg0_1])
    gather = torch.ops.aten.gather.default(arg3_1, 1, expand)
    mul_5 = lt * gather
    return mul_5,

def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        9,  # arg0_1
        3,  # arg1_1
        torch.rand((3, 16), generator=g, dtype=torch.float32),  # arg3_1
    )

def main() -> int:
    inputs = make_inputs()
    expected = f(*inputs)
    try:
        got = torch.compile(f, dynamic=True)(*inputs)
    except Exception as exc:  # the compile error is what this script shows
        lines = str(exc).splitlines()
        errors = [i for i, line in enumerate(lines) if "error:" in line]
        text = "\n".join(lines[j] for i in errors for j in range(i, min(i + 3, len(lines))))
        if errors and "index out of bounds" in text:
            print("BUG: Inductor's C++ kernel uses a variable in its bounds check before declaring it")
            print(text)
            return 1
        raise
    same = all(torch.equal(a, b) for a, b in zip(got, expected))
    print(f"compiled with dynamic shapes; matches eager: {same}")
    return 0 if same else 2


if __name__ == "__main__":
    sys.exit(main())
