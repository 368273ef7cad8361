"""Causal + padding attention mask written by hand, compiled with dynamic shapes.

Upstream: pytorch/pytorch#178244, "[CPU] `torch.compile` inductor C++ codegen fails when
closure-composed mask functions are used with `F.scaled_dot_product_attention` across
recompilations".
Idea: the padding rule gathers `padding_mask[b_idx, kv_idx]` with the same `kv_idx` arange the
causal rule compares, so the gather's index is already a value of the kernel when its bounds
check is written.
Fails here on torch 2.8.0 (generated kernel line 21:70):
    error: ‘tmp2’ was not declared in this scope; did you mean ‘tm’?
    (in the bounds check `TORCH_CHECK(..., "index out of bounds: tmp2 < ks2")`)
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch.manual_seed(0)


def mask(padding_mask, q_len):
    b_idx = torch.arange(padding_mask.size(0)).view(-1, 1, 1)
    q_idx = torch.arange(q_len).view(1, -1, 1)
    kv_idx = torch.arange(q_len).view(1, 1, -1)
    return (kv_idx <= q_idx) & padding_mask[b_idx, kv_idx]  # fault


padding_mask = torch.rand(2, 12) > 0.2
compiled = torch.compile(mask, dynamic=True)
out = compiled(padding_mask, 9)
assert torch.equal(out, mask(padding_mask, 9))
print("ok", tuple(out.shape))
