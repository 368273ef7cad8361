"""Sliding-window causal mask with a padding lookup, compiled with dynamic shapes.

Upstream: pytorch/pytorch#187335, "[Inductor][CPU] #180212 fix is incomplete — #178244 reproducer
still fails identically on 2.12.0+cpu (workaround: assert_indirect_indexing=False)".
Idea: the failure is the `TORCH_CHECK` bounds check of an indexed mask load; here the load is a
padding row read at the key positions that the window and causal rules also compare.
Fails here on torch 2.8.0 (generated kernel line 18:66):
    error: ‘tmp9’ was not declared in this scope; did you mean ‘tm’?
    (in the bounds check `TORCH_CHECK(..., "index out of bounds: tmp9 < ks2")`)
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch.manual_seed(0)


def window_mask(padding_mask, q_len, window):
    kv_idx = torch.arange(q_len)
    q_idx = kv_idx.view(-1, 1)
    return ((q_idx - kv_idx) < window) & (kv_idx <= q_idx) & padding_mask[0][kv_idx]  # fault


padding_mask = torch.rand(1, 12) > 0.2
compiled = torch.compile(window_mask, dynamic=True)
out = compiled(padding_mask, 9, 4)
assert torch.equal(out, window_mask(padding_mask, 9, 4))
print("ok", tuple(out.shape))
