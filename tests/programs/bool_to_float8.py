"""A bool tensor cast to float8_e4m3fn in a compiled function.

Upstream: pytorch/pytorch#178095, "[Inductor CPU] Compilation fails when converting bool to
float8_e4m3fn dtype".
Idea: the vectorized C++ kernel converts the bool mask with a `blendv` on
`Vectorized<c10::Float8_e4m3fn>`, a member that vector type does not have.
Fails here on torch 2.8.0 (torch/include/ATen/cpu/vec/vec_n.h:142:32, instantiated from the generated kernel):
    error: ‘blendv’ is not a member of ‘at::vec::CPU_CAPABILITY::Vectorized<c10::Float8_e4m3fn>’
Passes here on torch 2.13.0 (and 2.14.1).
"""
import torch

torch.manual_seed(0)


def to_float8(x):
    return x.to(dtype=torch.float8_e4m3fn)  # fault


x = torch.rand(64) > 0.5
out = torch.compile(to_float8)(x)
assert torch.equal(out.float(), to_float8(x).float())
print("ok", out.dtype)
