"""Inductor CPU: an indirect-index bounds check uses its variable before declaring it.

Minimized from the post-grad graph of `transformers/masking_utils.py:173` (return padding_mask[batch_idx, kv_idx]).
Two distinct size symbols (index length and indexed dimension) keep Inductor from proving the
gather in range; the bounds check it adds hits a CSE entry emitted later in the kernel.
Minimized from a graph captured on torch 2.8.0+cu128; exits 1 while the bug
is present, 0 once the compiled result matches eager.
"""
import sys

import torch


def f(unsqueeze_5, convert_element_type, unsqueeze_2):
    iota_4 = torch.arange(6, dtype=torch.int64)
    unsqueeze_8 = iota_4.reshape([1, 1, 1, 6])
    le = unsqueeze_8 <= unsqueeze_5
    index = convert_element_type[unsqueeze_2, unsqueeze_8]
    bitwise_and_3 = le & index
    return bitwise_and_3,

def make_inputs():
    g = torch.Generator().manual_seed(0)
    return (
        torch.randint(0, 2, (1, 1, 1, 1), generator=g, dtype=torch.int64),  # unsqueeze_5
        torch.rand((2, 9), generator=g) > 0.3,  # convert_element_type
        torch.randint(0, 2, (2, 1, 1, 1), generator=g, dtype=torch.int64),  # unsqueeze_2
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
