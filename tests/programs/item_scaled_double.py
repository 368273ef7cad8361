"""A float64 `.item()` scaled by a constant inside a compiled function (capture_scalar_outputs).

Upstream: pytorch/pytorch#160800, "Torch compile error goes on for 2000 lines when using
capture_scaler_output".
Idea: the reported kernel `kernel(double*, double*)` computes `10.0*zuf0` from an `.item()` value
that the kernel never receives as an argument.
Fails here on torch 2.8.0 (generated kernel line 8:48):
    error: ‘zuf0’ was not declared in this scope
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch._dynamo.config.capture_scalar_outputs = True
torch.manual_seed(0)


@torch.compile
def scaled_peak(x):
    peak = x.abs().max().item()
    return 10.0 * peak  # fault


x = torch.randn(16, dtype=torch.float64)
got = scaled_peak(x)
expected = 10.0 * x.abs().max().item()
assert abs(got - expected) < 1e-4 * expected
print("ok", got)
