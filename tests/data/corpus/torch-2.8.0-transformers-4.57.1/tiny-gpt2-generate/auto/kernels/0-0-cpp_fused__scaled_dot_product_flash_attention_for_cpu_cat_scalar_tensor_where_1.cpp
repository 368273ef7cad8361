#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const float* in_ptr0,
                       const int64_t* in_ptr1,
                       const int64_t* in_ptr2,
                       float* out_ptr0,
                       float* out_ptr1,
                       float* out_ptr2,
                       float* out_ptr3)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(16L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(64L); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(64L)))
                    {
                        auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(64L + x1 + 192L*x0), static_cast<int64_t>(16));
                        tmp0.store(out_ptr0 + static_cast<int64_t>(x1 + 64L*x0));
                    }
                }
            }
        }
    }
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(16L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(64L); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(64L)))
                    {
                        auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(128L + x1 + 192L*x0), static_cast<int64_t>(16));
                        tmp0.store(out_ptr1 + static_cast<int64_t>(x1 + 64L*x0));
                    }
                }
            }
        }
    }
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
                                auto tmp0 = in_ptr1[static_cast<int64_t>(x1)];
                                auto tmp6 = in_ptr2[static_cast<int64_t>(x2_tail + 8L*x0)];
                                auto tmp1 = x2_tail;
                                auto tmp2 = c10::convert<int64_t>(tmp1);
                                auto tmp3 = tmp2 <= tmp0;
                                auto tmp4 = static_cast<bool>(true);
                                auto tmp5 = decltype(tmp4)(tmp4 & tmp3);
                                auto tmp7 = c10::convert<bool>(tmp6);
                                auto tmp8 = decltype(tmp5)(tmp5 & tmp7);
                                auto tmp9 = static_cast<float>(0.0);
                                auto tmp10 = -std::numeric_limits<float>::infinity();
                                auto tmp11 = tmp8 ? tmp9 : tmp10;
                                out_ptr2[static_cast<int64_t>(x2_tail + 8L*x1 + 64L*x0)] = tmp11;
                                out_ptr3[static_cast<int64_t>(x2_tail + 8L*x1 + 64L*x0)] = tmp11;
                            }
                        }
                    }
                }
            }
        }
    }
}
