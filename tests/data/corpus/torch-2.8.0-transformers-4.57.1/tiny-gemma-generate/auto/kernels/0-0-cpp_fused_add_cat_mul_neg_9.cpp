#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(float* in_out_ptr0,
                       const float* in_ptr1,
                       const float* in_ptr2,
                       float* out_ptr0,
                       float* out_ptr1)
{
    auto in_ptr0 = in_out_ptr0;
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(2L); x0+=static_cast<int64_t>(1L))
        {
            #pragma GCC ivdep
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(2L); x1+=static_cast<int64_t>(1L))
            {
                #pragma GCC ivdep
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(8L); x2+=static_cast<int64_t>(1L))
                {
                    for(int64_t x3=static_cast<int64_t>(0L); x3<static_cast<int64_t>(8L); x3+=static_cast<int64_t>(16L))
                    {
                        {
                            if(C10_LIKELY(x3 >= static_cast<int64_t>(0L) && x3 < static_cast<int64_t>(8L)))
                            {
                                auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(8L + x3 + 16L*x1 + 32L*x2 + 256L*x0), static_cast<int64_t>(8L));
                                auto tmp1 = tmp0.neg();
                                tmp1.store(out_ptr0 + static_cast<int64_t>(x3 + 16L*x2 + 128L*x1 + 256L*x0), static_cast<int64_t>(8L));
                            }
                        }
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
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(2L); x1+=static_cast<int64_t>(1L))
            {
                #pragma GCC ivdep
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(8L); x2+=static_cast<int64_t>(1L))
                {
                    for(int64_t x3=static_cast<int64_t>(0L); x3<static_cast<int64_t>(8L); x3+=static_cast<int64_t>(16L))
                    {
                        {
                            if(C10_LIKELY(x3 >= static_cast<int64_t>(0L) && x3 < static_cast<int64_t>(8L)))
                            {
                                auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(x3 + 16L*x1 + 32L*x2 + 256L*x0), static_cast<int64_t>(8L));
                                tmp0.store(out_ptr1 + static_cast<int64_t>(x3 + 16L*x2 + 128L*x1 + 256L*x0), static_cast<int64_t>(8L));
                            }
                        }
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
                #pragma GCC ivdep
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(2L); x2+=static_cast<int64_t>(1L))
                {
                    #pragma GCC ivdep
                    for(int64_t x3=static_cast<int64_t>(0L); x3<static_cast<int64_t>(16L); x3+=static_cast<int64_t>(1L))
                    {
                        {
                            {
                                auto tmp0 = in_out_ptr0[static_cast<int64_t>(x3 + 16L*x2 + 32L*x1 + 256L*x0)];
                                auto tmp1 = in_ptr1[static_cast<int64_t>(x1 + 8L*((static_cast<int64_t>(x3) % static_cast<int64_t>(8L))) + 64L*x0)];
                                auto tmp6 = in_ptr2[static_cast<int64_t>(x3 + 16L*x1 + 128L*x2 + 256L*x0)];
                                auto tmp2 = std::cos(tmp1);
                                auto tmp3 = static_cast<float>(1.0);
                                auto tmp4 = float(tmp2 * tmp3);
                                auto tmp5 = float(tmp0 * tmp4);
                                auto tmp7 = std::sin(tmp1);
                                auto tmp8 = float(tmp7 * tmp3);
                                auto tmp9 = float(tmp6 * tmp8);
                                auto tmp10 = float(tmp5 + tmp9);
                                in_out_ptr0[static_cast<int64_t>(x3 + 16L*x2 + 32L*x1 + 256L*x0)] = tmp10;
                            }
                        }
                    }
                }
            }
        }
    }
}
