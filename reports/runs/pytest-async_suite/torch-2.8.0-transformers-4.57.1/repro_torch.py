"""Inductor CPU: an indirect-index bounds check uses its variable before declaring it.

Minimized from the post-grad graph of `tests/programs/async_suite/test_masks.py:19` (return (kv_idx <= q_idx) & padding_mask[batch_idx, kv_idx]).
Two distinct size symbols (index length and indexed dimension) keep Inductor from proving the
gather in range; the bounds check it adds hits a CSE entry emitted later in the kernel.
Minimized from a graph captured on torch 2.8.0+cu128; exits 1 while the bug
is present, 0 once the compiled result matches eager.
"""
import sys

import torch


def f(arg2_1, view_1, arg1_1, view):
    iota_2 = torch.arange(arg2_1, dtype=torch.int64)
    view_2 = iota_2.reshape([1, 1, -1])
    le = view_2 <= view_1
    index = arg1_1[view, view_2]
    bitwise_and = le & index
    return bitwise_and,

def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        9,  # arg2_1
        torch.randint(0, 2, (1, 1, 1), generator=g, dtype=torch.int64),  # view_1
        torch.rand((2, 24), generator=g) > 0.3,  # arg1_1
        torch.randint(0, 2, (2, 1, 1), generator=g, dtype=torch.int64),  # view
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
