"""Relative-position bias lookup with a window cutoff, compiled with dynamic shapes.

Upstream: pytorch/pytorch#178244, "[CPU] `torch.compile` inductor C++ codegen fails when
closure-composed mask functions are used with `F.scaled_dot_product_attention` across
recompilations".
Idea: broadcast query/key aranges build an index that is both compared and used to gather; here
the clamped relative distance picks entries of a bias table and a window rule masks them.
Fails here on torch 2.8.0 (generated kernel line 18:37):
    error: ‘tmp1’ was not declared in this scope; did you mean ‘tm’?
    (in the bounds check `TORCH_CHECK(..., "index out of bounds: tmp1 < ks2")`)
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch.manual_seed(0)


def bias(bias_table, q_len, k_len):
    q = torch.arange(q_len).view(-1, 1)
    k = torch.arange(k_len).view(1, -1)
    rel = (k - q).clamp(0, None)
    return (rel < 4) * bias_table[rel]  # fault


table = torch.randn(32)
compiled = torch.compile(bias, dynamic=True)
out = compiled(table, 9, 11)
assert torch.allclose(out, bias(table, 9, 11))
print("ok", tuple(out.shape))
