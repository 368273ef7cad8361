#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const bool* in_ptr0,
                       bool* out_ptr0)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(2L); x0+=static_cast<int64_t>(1L))
        {
            #pragma GCC ivdep
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(8L); x1+=static_cast<int64_t>(1L))
            {
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(8L); x2+=static_cast<int64_t>(16L))
                {
                    {
                        if(C10_LIKELY(x2 >= static_cast<int64_t>(0L) && x2 < static_cast<int64_t>(1)))
                        {
                            for (int64_t x2_tail = static_cast<int64_t>(0L);x2_tail < static_cast<int64_t>(8L); x2_tail++)
                            {
                                auto tmp5 = in_ptr0[static_cast<int64_t>(x2_tail + 16L*x0)];
                                auto tmp0 = x2_tail;
                                auto tmp1 = c10::convert<int64_t>(tmp0);
                                auto tmp2 = x1;
                                auto tmp3 = c10::convert<int64_t>(tmp2);
                                auto tmp4 = tmp1 <= tmp3;
                                auto tmp6 = decltype(tmp4)(tmp4 & tmp5);
                                out_ptr0[static_cast<int64_t>(x2_tail + 8L*x1 + 64L*x0)] = tmp6;
                            }
                        }
                    }
                }
            }
        }
    }
}
