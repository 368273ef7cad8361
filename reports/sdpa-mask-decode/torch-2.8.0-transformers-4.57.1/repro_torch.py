"""Inductor CPU: an indirect-index bounds check uses its variable before declaring it.

Minimized from the post-grad graph of `transformers/masking_utils.py:142` (return padding_mask[batch_idx, kv_idx]).
Two distinct size symbols (index length and indexed dimension) keep Inductor from proving the
gather in range; the bounds check it adds hits a CSE entry emitted later in the kernel.
Minimized from a graph captured on torch 2.8.0+cu128; exits 1 while the bug
is present, 0 once the compiled result matches eager.
"""
import sys

import torch


def f(arg5_1, view, arg4_1, view_2, arg2_1):
    iota_1 = torch.arange(arg5_1, dtype=torch.int64)
    le = iota_1 <= view
    index = arg4_1[view_2, iota_1]
    view_3 = index.reshape([arg2_1, 1, arg5_1])
    bitwise_and_1 = le & view_3
    return bitwise_and_1,

def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        8,  # arg5_1
        torch.randint(0, 2, (8, 1), generator=g, dtype=torch.int64),  # view
        torch.rand((2, 8), generator=g) > 0.3,  # arg4_1
        torch.randint(0, 2, (2, 1), generator=g, dtype=torch.int64),  # view_2
        2,  # arg2_1
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
