#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const float* in_ptr0,
                       float* out_ptr0,
                       const int64_t ks0,
                       const int64_t ks1,
                       const int64_t ks2)
{
    {
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(ks0); x0+=static_cast<int64_t>(16L))
        {
            {
                if(C10_LIKELY(x0 >= static_cast<int64_t>(0) && x0 < static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks0), static_cast<int64_t>(16L))))))
                {
                    TORCH_CHECK((at::vec::VecMask<int64_t,2>(tmp2 < at::vec::VectorizedN<int64_t,2>(ks2))).all_masked(), "index out of bounds: tmp2 < ks2");
                    auto tmp8 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(x0), static_cast<int64_t>(16));
                    auto tmp9 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(ks2 + x0), static_cast<int64_t>(16));
                    auto tmp0 = x0;
                    auto tmp1 = c10::convert<int64_t>(tmp0);
                    auto tmp2 = at::vec::VectorizedN<int64_t,2>::arange(tmp1, 1);
                    auto tmp3 = ks1;
                    auto tmp4 = c10::convert<int64_t>(tmp3);
                    auto tmp5 = at::vec::VectorizedN<int64_t,2>(tmp4);
                    auto tmp6 = at::vec::VecMask<int64_t,2>(tmp2 <= tmp5);
                    auto tmp10 = decltype(tmp8)::blendv(tmp9, tmp8, tmp6.template cast<float,1>());
                    tmp10.store(out_ptr0 + static_cast<int64_t>(x0));
                }
                if(C10_UNLIKELY(x0 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks0), static_cast<int64_t>(16L)))) && x0 < static_cast<int64_t>(ks0)))
                {
                    for (int64_t x0_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks0), static_cast<int64_t>(16L))));x0_tail < static_cast<int64_t>(ks0); x0_tail++)
                    {
                        TORCH_CHECK(tmp1 < ks2, "index out of bounds: tmp1 < ks2");
                        auto tmp6 = in_ptr0[static_cast<int64_t>(x0_tail)];
                        auto tmp7 = in_ptr0[static_cast<int64_t>(ks2 + x0_tail)];
                        auto tmp0 = x0_tail;
                        auto tmp1 = c10::convert<int64_t>(tmp0);
                        auto tmp2 = ks1;
                        auto tmp3 = c10::convert<int64_t>(tmp2);
                        auto tmp4 = tmp1 <= tmp3;
                        auto tmp8 = tmp4 ? tmp6 : tmp7;
                        out_ptr0[static_cast<int64_t>(x0_tail)] = tmp8;
                    }
                }
            }
        }
    }
}
