"""A Python float from `.item()` returned through a compiled function (capture_scalar_outputs).

Upstream: pytorch/pytorch#131561, "Bug with cpu capture_scalar_outputs".
Idea: with `capture_scalar_outputs`, the `.item()` result becomes an unbacked float symbol that
Inductor turns back into a tensor in a C++ kernel, which uses the symbol but is never passed it.
Fails here on torch 2.8.0 (generated kernel line 8:29):
    error: ‘zuf0’ was not declared in this scope
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch._dynamo.config.capture_scalar_outputs = True
torch.manual_seed(0)


@torch.compile
def total(x):
    return x.sum().item()  # fault


x = torch.rand(20)
got = total(x)
assert abs(got - x.sum().item()) < 1e-4
print("ok", got)
