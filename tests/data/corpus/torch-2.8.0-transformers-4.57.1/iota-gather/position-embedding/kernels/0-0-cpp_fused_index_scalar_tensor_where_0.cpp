#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const float* in_ptr0,
                       float* out_ptr0,
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
                        auto tmp5 = (ks2 + x0 < 0L) ? (ks2 + ks3 + x0) : (ks2 + x0);
                        auto tmp6 = c10::convert<int64_t>(tmp5);
                        TORCH_CHECK((0 <= tmp6) & (tmp6 < ks3), "index out of bounds: 0 <= tmp6 < ks3");
                        auto tmp8 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(x1 + ks1*((ks2 + x0 < 0L) ? (ks2 + ks3 + x0) : (ks2 + x0))), static_cast<int64_t>(16));
                        auto tmp0 = ks2 + x0;
                        auto tmp1 = c10::convert<int64_t>(tmp0);
                        auto tmp2 = (-1L) + ks3;
                        auto tmp3 = c10::convert<int64_t>(tmp2);
                        auto tmp4 = tmp1 < tmp3;
                        auto tmp9 = static_cast<float>(0.0);
                        auto tmp10 = at::vec::VecMask<float,1>::from(tmp4);
                        auto tmp11 = at::vec::Vectorized<float>(tmp9);
                        auto tmp12 = decltype(tmp8)::blendv(tmp11, tmp8, tmp10.template cast<float,1>());
                        tmp12.store(out_ptr0 + static_cast<int64_t>(x1 + ks1*x0));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L)))) && x1 < static_cast<int64_t>(ks1)))
                    {
                        for (int64_t x1_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L))));x1_tail < static_cast<int64_t>(ks1); x1_tail++)
                        {
                            auto tmp5 = (ks2 + x0 < 0L) ? (ks2 + ks3 + x0) : (ks2 + x0);
                            auto tmp6 = c10::convert<int64_t>(tmp5);
                            TORCH_CHECK((0 <= tmp6) & (tmp6 < ks3), "index out of bounds: 0 <= tmp6 < ks3");
                            auto tmp8 = in_ptr0[static_cast<int64_t>(x1_tail + ks1*((ks2 + x0 < 0L) ? (ks2 + ks3 + x0) : (ks2 + x0)))];
                            auto tmp0 = ks2 + x0;
                            auto tmp1 = c10::convert<int64_t>(tmp0);
                            auto tmp2 = (-1L) + ks3;
                            auto tmp3 = c10::convert<int64_t>(tmp2);
                            auto tmp4 = tmp1 < tmp3;
                            auto tmp9 = static_cast<float>(0.0);
                            auto tmp10 = tmp4 ? tmp8 : tmp9;
                            out_ptr0[static_cast<int64_t>(x1_tail + ks1*x0)] = tmp10;
                        }
                    }
                }
            }
        }
    }
}
