#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const bool* in_ptr0,
                       bool* out_ptr0)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(2L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(9L); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0L) && x1 < static_cast<int64_t>(1)))
                    {
                        for (int64_t x1_tail = static_cast<int64_t>(0L);x1_tail < static_cast<int64_t>(9L); x1_tail++)
                        {
                            auto tmp6 = in_ptr0[static_cast<int64_t>(x1_tail + 9L*x0)];
                            auto tmp0 = x1_tail;
                            auto tmp1 = c10::convert<int64_t>(tmp0);
                            auto tmp2 = static_cast<int64_t>(8);
                            auto tmp3 = tmp1 <= tmp2;
                            auto tmp4 = static_cast<bool>(true);
                            auto tmp5 = decltype(tmp4)(tmp4 & tmp3);
                            auto tmp7 = decltype(tmp5)(tmp5 & tmp6);
                            out_ptr0[static_cast<int64_t>(x1_tail + 9L*x0)] = tmp7;
                        }
                    }
                }
            }
        }
    }
}
