"""Inductor CPU: a gather's bounds check runs after the load it guards.

On torch 2.13.0 the compiled kernel of the function below reads the gathered tensor first and
checks the index afterwards, so an index out of range is read before the check can raise.
The function is transformers' SDPA mask for a padded batch (the causal rule AND the padding rule,
one index for both), where the traced check comes from (transformers/masking_utils.py:173: return padding_mask[batch_idx, kv_idx]).
It prints each load of the gathered tensor that comes before the check of its index, and exits 1
while there is one, 0 once every check runs before the load it guards.
"""
import re
import sys

import torch
from torch._inductor.utils import run_and_get_cpp_code


def mask(padding_mask, q_idx, kv_len):
    kv_idx = torch.arange(kv_len)
    return (kv_idx[None, :] <= q_idx[:, None]) & padding_mask[0, kv_idx][None, :]


def main() -> int:
    padding_mask = torch.ones(1, 12, dtype=torch.bool)
    padding_mask[0, :2] = False
    q_idx = torch.tensor([8])
    got, code = run_and_get_cpp_code(torch.compile(mask, dynamic=True), padding_mask, q_idx, 9)
    assert torch.equal(got, mask(padding_mask, q_idx, 9)), "the compiled result differs from eager"
    lines = code.splitlines()
    gathered = re.search(r"const bool\* (in_ptr\d+)", code)[1]  # the padding mask: the only bool input
    late, since = [], 0  # the statements since the last loop header or check: this check's body so far
    for i, line in enumerate(lines):
        if re.search(r"\bfor\s*\(", line):
            since = i
        elif "TORCH_CHECK" in line and "index out of bounds" in line:
            loads = [j for j in range(since, i) if re.search(rf"\b{gathered}\b", lines[j])]
            if loads:
                late.append((lines[loads[0]].strip(), line.strip()))
            since = i
    for load, check in late:
        print(f"load:  {load}")
        print(f"check: {check}")
    if late:
        print(f"BUG: {len(late)} bounds checks of {gathered}'s index run after the load they guard")
        return 1
    print("every bounds check runs before the load it guards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
