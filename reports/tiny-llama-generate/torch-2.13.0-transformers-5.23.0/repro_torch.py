"""Inductor CPU, torch 2.13.0: a gather's bounds check runs after the load it guards.

Prints each late check with the load before it; exits 1 while there is one, 0 once none is left.
"""
import re
import sys

import torch
from torch._inductor.utils import run_and_get_cpp_code


def mask(padding_mask, q_idx, kv_len):  # transformers' SDPA mask for a padded batch (transformers/masking_utils.py:173)
    kv_idx = torch.arange(kv_len)
    return (kv_idx[None, :] <= q_idx[:, None]) & padding_mask[0, kv_idx][None, :]


padding_mask, q_idx = torch.ones(1, 12, dtype=torch.bool), torch.tensor([8])
got, code = run_and_get_cpp_code(torch.compile(mask, dynamic=True), padding_mask, q_idx, 9)
assert torch.equal(got, mask(padding_mask, q_idx, 9)), "the compiled result differs from eager"
gathered = re.search(r"const bool\* (in_ptr\d+)", code)[1]  # the padding mask: the only bool input
late, body = [], []  # body: the statements since the last loop header or check
for line in code.splitlines():
    if "TORCH_CHECK" in line and "index out of bounds" in line:
        late += [(load.strip(), line.strip()) for load in body if re.search(rf"\b{gathered}\b", load)][:1]
    body = [] if re.search(r"\bfor\s*\(|TORCH_CHECK", line) else body + [line]
for load, check in late:
    print(f"load:  {load}\ncheck: {check}")
print(f"BUG: {len(late)} bounds checks of {gathered}'s index run after the load they guard" if late else "every bounds check runs before its load")
sys.exit(1 if late else 0)
