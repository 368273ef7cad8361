"""Position-embedding lookup with a length cutoff, compiled with dynamic shapes.

Upstream: pytorch/pytorch#178244, "[CPU] `torch.compile` inductor C++ codegen fails when
closure-composed mask functions are used with `F.scaled_dot_product_attention` across
recompilations".
Idea: the same index tensor drives a comparison and an indexed load in one kernel; here the
positions arange selects rows of an embedding table (a different size symbol) and masks them.
Fails here on torch 2.8.0 (generated kernel line 19:37):
    error: ‘tmp1’ was not declared in this scope; did you mean ‘tm’?
    (in the bounds check `TORCH_CHECK(..., "index out of bounds: tmp1 < ks3")`)
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch.manual_seed(0)


def embed(table, n, keep):
    pos = torch.arange(n)
    return (pos < keep).unsqueeze(-1) * table[pos]  # fault


table = torch.randn(20, 8)
compiled = torch.compile(embed, dynamic=True)
out = compiled(table, 9, 6)
assert torch.allclose(out, embed(table, 9, 6))
print("ok", tuple(out.shape))
