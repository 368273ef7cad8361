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
                        TORCH_CHECK(tmp1 < ks3, "index out of bounds: tmp1 < ks3");
                        auto tmp7 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(x1 + ks1*x0), static_cast<int64_t>(16));
                        auto tmp0 = x0;
                        auto tmp1 = c10::convert<int64_t>(tmp0);
                        auto tmp2 = ks2;
                        auto tmp3 = c10::convert<int64_t>(tmp2);
                        auto tmp4 = tmp1 < tmp3;
                        auto tmp5 = c10::convert<float>(tmp4);
                        auto tmp8 = at::vec::Vectorized<float>(tmp5);
                        auto tmp9 = tmp8 * tmp7;
                        tmp9.store(out_ptr0 + static_cast<int64_t>(x1 + ks1*x0));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L)))) && x1 < static_cast<int64_t>(ks1)))
                    {
                        for (int64_t x1_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L))));x1_tail < static_cast<int64_t>(ks1); x1_tail++)
                        {
                            TORCH_CHECK(tmp1 < ks3, "index out of bounds: tmp1 < ks3");
                            auto tmp7 = in_ptr0[static_cast<int64_t>(x1_tail + ks1*x0)];
                            auto tmp0 = x0;
                            auto tmp1 = c10::convert<int64_t>(tmp0);
                            auto tmp2 = ks2;
                            auto tmp3 = c10::convert<int64_t>(tmp2);
                            auto tmp4 = tmp1 < tmp3;
                            auto tmp5 = c10::convert<float>(tmp4);
                            auto tmp8 = float(tmp5 * tmp7);
                            out_ptr0[static_cast<int64_t>(x1_tail + ks1*x0)] = tmp8;
                        }
                    }
                }
            }
        }
    }
}
