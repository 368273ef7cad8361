# AOT ID: ['0_inference']
from ctypes import c_void_p, c_long, c_int
import torch
import math
import random
import os
import tempfile
from math import inf, nan
from cmath import nanj
from torch._inductor.hooks import run_intermediate_hooks
from torch._inductor.utils import maybe_profile
from torch._inductor.codegen.memory_planning import _align as align
from torch import device, empty_strided
from torch._inductor.async_compile import AsyncCompile
from torch._inductor.select_algorithm import extern_kernels

aten = torch.ops.aten
inductor_ops = torch.ops.inductor
_quantized = torch.ops._quantized
assert_size_stride = torch._C._dynamo.guards.assert_size_stride
assert_alignment = torch._C._dynamo.guards.assert_alignment
empty_strided_cpu = torch._C._dynamo.guards._empty_strided_cpu
empty_strided_cuda = torch._C._dynamo.guards._empty_strided_cuda
empty_strided_xpu = torch._C._dynamo.guards._empty_strided_xpu
reinterpret_tensor = torch._C._dynamo.guards._reinterpret_tensor
alloc_from_pool = torch.ops.inductor._alloc_from_pool
async_compile = AsyncCompile()
empty_strided_p2p = torch._C._distributed_c10d._SymmetricMemory.empty_strided_p2p


cpp_fused_bitwise_and_index_le_0 = async_compile.cpp_pybinding(['const bool*', 'bool*', 'const int64_t', 'const int64_t', 'const int64_t', 'const int64_t'], '''
#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const bool* in_ptr0,
                       bool* out_ptr0,
                       const int64_t ks0,
                       const int64_t ks1,
                       const int64_t ks2,
                       const int64_t ks3)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(ks0); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(ks1); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L))))))
                    {
                        TORCH_CHECK((at::vec::VecMask<int64_t,2>(tmp2 < at::vec::VectorizedN<int64_t,2>(ks3))).all_masked(), "index out of bounds: tmp2 < ks3");
                        auto tmp8 = at::vec::VecMask<float,1>::from(in_ptr0 + static_cast<int64_t>(x1 + ks3*x0));
                        auto tmp0 = x1;
                        auto tmp1 = c10::convert<int64_t>(tmp0);
                        auto tmp2 = at::vec::VectorizedN<int64_t,2>::arange(tmp1, 1);
                        auto tmp3 = ks2;
                        auto tmp4 = c10::convert<int64_t>(tmp3);
                        auto tmp5 = at::vec::VectorizedN<int64_t,2>(tmp4);
                        auto tmp6 = at::vec::VecMask<int64_t,2>(tmp2 <= tmp5);
                        auto tmp9 = tmp6.template cast<int32_t,1>();
                        auto tmp10 = tmp8.template cast<int32_t,1>();
                        auto tmp11 = tmp9 & tmp10;
                        tmp11.store(out_ptr0 + static_cast<int64_t>(x1 + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks1))), static_cast<int64_t>(16));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L)))) && x1 < static_cast<int64_t>(ks1)))
                    {
                        for (int64_t x1_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L))));x1_tail < static_cast<int64_t>(ks1); x1_tail++)
                        {
                            TORCH_CHECK(tmp1 < ks3, "index out of bounds: tmp1 < ks3");
                            auto tmp6 = in_ptr0[static_cast<int64_t>(x1_tail + ks3*x0)];
                            auto tmp0 = x1_tail;
                            auto tmp1 = c10::convert<int64_t>(tmp0);
                            auto tmp2 = ks2;
                            auto tmp3 = c10::convert<int64_t>(tmp2);
                            auto tmp4 = tmp1 <= tmp3;
                            auto tmp7 = decltype(tmp4)(tmp4 & tmp6);
                            out_ptr0[static_cast<int64_t>(x1_tail + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks1)))] = tmp7;
                        }
                    }
                }
            }
        }
    }
}
''')


async_compile.wait(globals())
del async_compile

def call(args):
    arg0_1, arg1_1, arg2_1, arg3_1, arg4_1 = args
    args.clear()
    s86 = arg0_1
    s64 = arg1_1
    s70 = arg2_1
    s44 = arg3_1
    assert_size_stride(arg4_1, (s70, s44), (s44, 1))
    buf0 = empty_strided_cpu((s70, s86), (max(1, s86), 1), torch.bool)
    cpp_fused_bitwise_and_index_le_0(arg4_1, buf0, s70, s86, s64, s44)
    del arg4_1
    return (buf0, )


def benchmark_compiled_module(times=10, repeat=10):
    from torch._dynamo.testing import rand_strided
    from torch._inductor.utils import print_performance
    arg0_1 = 9
    arg1_1 = 4
    arg2_1 = 2
    arg3_1 = 11
    arg4_1 = rand_strided((2, 11), (11, 1), device='cpu', dtype=torch.bool)
    fn = lambda: call([arg0_1, arg1_1, arg2_1, arg3_1, arg4_1])
    return print_performance(fn, times=times, repeat=repeat)


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    compiled_module_main('None', benchmark_compiled_module)
