"""torch.gather with an arange index that the same kernel also compares, dynamic shapes.

Upstream: pytorch/pytorch#181621, "torch.compile (Inductor) generates invalid C++ kernel: tmp8
used outside its declared scope when torch.gather index is a self-referential expression".
Idea: a gather whose index is an expression computed inside the same kernel; here the index is
an arange that a comparison in the kernel uses too, and the bounds check names it before it is
declared.
Fails here on torch 2.8.0 (generated kernel line 18:66):
    error: ‘tmp2’ was not declared in this scope; did you mean ‘tm’?
    (in the bounds check `TORCH_CHECK(..., "index out of bounds: tmp2 < ks2")`)
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch.manual_seed(0)


def first_columns(x, n):
    idx = torch.arange(n)
    return (idx < 5) * torch.gather(x, 1, idx.expand(x.size(0), n))  # fault


x = torch.randn(3, 16)
compiled = torch.compile(first_columns, dynamic=True)
out = compiled(x, 9)
assert torch.allclose(out, first_columns(x, 9))
print("ok", tuple(out.shape))
