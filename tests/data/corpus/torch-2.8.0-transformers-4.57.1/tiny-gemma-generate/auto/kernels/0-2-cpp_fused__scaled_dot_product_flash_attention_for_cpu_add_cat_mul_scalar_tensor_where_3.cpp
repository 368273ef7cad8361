#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(float* in_out_ptr0,
                       const float* in_ptr0,
                       const float* in_ptr1,
                       const float* in_ptr2,
                       const int64_t* in_ptr3,
                       const float* in_ptr4,
                       const float* in_ptr5,
                       const float* in_ptr6,
                       const int64_t* in_ptr7,
                       const int64_t* in_ptr8,
                       float* out_ptr0,
                       float* out_ptr1,
                       float* out_ptr2,
                       float* out_ptr3,
                       float* out_ptr4,
                       float* out_ptr5,
                       const int64_t ks0,
                       const int64_t ks1,
                       const int64_t ks2)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(4L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(16L*ks0); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(16L*ks0)))
                    {
                        auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(x1 + 16L*ks0*x0), static_cast<int64_t>(16));
                        tmp0.store(out_ptr0 + static_cast<int64_t>(x1 + 16L*x0 + 16L*ks0*x0));
                    }
                }
            }
        }
    }
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(4L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(16L); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(16L)))
                    {
                        auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr1 + static_cast<int64_t>(x1 + 16L*x0), static_cast<int64_t>(16));
                        tmp0.store(out_ptr1 + static_cast<int64_t>(x1 + 16L*x0 + 16L*ks0*x0));
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
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(4L); x1+=static_cast<int64_t>(1L))
            {
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(16L); x2+=static_cast<int64_t>(16L))
                {
                    {
                        if(C10_LIKELY(x2 >= static_cast<int64_t>(0) && x2 < static_cast<int64_t>(16L)))
                        {
                            auto tmp0 = at::vec::Vectorized<float>::loadu(in_out_ptr0 + static_cast<int64_t>(x2 + 16L*x1 + 64L*x0), static_cast<int64_t>(16));
                            auto tmp1 =
                            [&]
                            {
                                __at_align__ std::array<float, 16> tmpbuf;
                                #pragma GCC unroll 16
                                for (long x2_inner = 0; x2_inner < static_cast<int64_t>(16); x2_inner++)
                                {
                                    tmpbuf[x2_inner] = in_ptr2[static_cast<int64_t>((static_cast<int64_t>(x2 + x2_inner) % static_cast<int64_t>(8L)))];
                                }
                                return at::vec::Vectorized<float>::loadu(tmpbuf.data(), static_cast<int64_t>(16));
                            }
                            ()
                            ;
                            auto tmp2 = in_ptr3[static_cast<int64_t>(x0)];
                            auto tmp11 = at::vec::Vectorized<float>::loadu(in_ptr4 + static_cast<int64_t>(x2 + 16L*x1 + 64L*x0), static_cast<int64_t>(16));
                            auto tmp3 = c10::convert<float>(tmp2);
                            auto tmp4 = at::vec::Vectorized<float>(tmp3);
                            auto tmp5 = tmp1 * tmp4;
                            auto tmp6 = tmp5.cos();
                            auto tmp7 = static_cast<float>(1.0);
                            auto tmp8 = at::vec::Vectorized<float>(tmp7);
                            auto tmp9 = tmp6 * tmp8;
                            auto tmp10 = tmp0 * tmp9;
                            auto tmp12 = tmp5.sin();
                            auto tmp13 = tmp12 * tmp8;
                            auto tmp14 = tmp11 * tmp13;
                            auto tmp15 = tmp10 + tmp14;
                            tmp15.store(in_out_ptr0 + static_cast<int64_t>(x2 + 16L*x1 + 64L*x0));
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
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(4L); x1+=static_cast<int64_t>(1L))
            {
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(16L + 16L*ks1); x2+=static_cast<int64_t>(16L))
                {
                    {
                        if(C10_LIKELY(x2 >= static_cast<int64_t>(0) && x2 < static_cast<int64_t>(16L + 16L*ks1)))
                        {
                            auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr5 + static_cast<int64_t>(x2 + 16L*(c10::div_floor_integer(static_cast<int64_t>(x1), static_cast<int64_t>(2L))) + 32L*x0 + 16L*ks1*(c10::div_floor_integer(static_cast<int64_t>(x1), static_cast<int64_t>(2L))) + 32L*ks1*x0), static_cast<int64_t>(16));
                            tmp0.store(out_ptr2 + static_cast<int64_t>(x2 + 16L*x1 + 64L*x0 + 16L*ks1*x1 + 64L*ks1*x0));
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
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(4L); x1+=static_cast<int64_t>(1L))
            {
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(16L + 16L*ks0); x2+=static_cast<int64_t>(16L))
                {
                    {
                        if(C10_LIKELY(x2 >= static_cast<int64_t>(0) && x2 < static_cast<int64_t>(16L + 16L*ks0)))
                        {
                            auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr6 + static_cast<int64_t>(x2 + 16L*(c10::div_floor_integer(static_cast<int64_t>(x1), static_cast<int64_t>(2L))) + 32L*x0 + 16L*ks0*(c10::div_floor_integer(static_cast<int64_t>(x1), static_cast<int64_t>(2L))) + 32L*ks0*x0), static_cast<int64_t>(16));
                            tmp0.store(out_ptr3 + static_cast<int64_t>(x2 + 16L*x1 + 64L*x0 + 16L*ks0*x1 + 64L*ks0*x0));
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
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(1L + ks1); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(1L + ks1), static_cast<int64_t>(16L))))))
                    {
                        auto tmp0 = in_ptr7[static_cast<int64_t>(0L)];
                        TORCH_CHECK((at::vec::VecMask<int64_t,2>(tmp3 < at::vec::VectorizedN<int64_t,2>(ks2))).all_masked(), "index out of bounds: tmp3 < ks2");
                        auto tmp12 = at::vec::VectorizedN<int64_t,2>::loadu(in_ptr8 + static_cast<int64_t>(x1 + ks2*x0), static_cast<int64_t>(16));
                        auto tmp1 = x1;
                        auto tmp2 = c10::convert<int64_t>(tmp1);
                        auto tmp3 = at::vec::VectorizedN<int64_t,2>::arange(tmp2, 1);
                        auto tmp4 = at::vec::VectorizedN<int64_t,2>(tmp0);
                        auto tmp5 = at::vec::VecMask<int64_t,2>(tmp3 <= tmp4);
                        auto tmp6 = static_cast<bool>(true);
                        auto tmp7 = at::vec::VecMask<float,1>::from(tmp6);
                        auto tmp8 = tmp7.template cast<int32_t,1>();
                        auto tmp9 = tmp5.template cast<int32_t,1>();
                        auto tmp10 = tmp8 & tmp9;
                        auto tmp13 = at::vec::VecMask<int64_t,2>::from<int64_t,2>(tmp12);
                        auto tmp14 = tmp10.template cast<int32_t,1>();
                        auto tmp15 = tmp13.template cast<int32_t,1>();
                        auto tmp16 = tmp14 & tmp15;
                        auto tmp17 = static_cast<float>(0.0);
                        auto tmp18 = -std::numeric_limits<float>::infinity();
                        auto tmp19 = at::vec::Vectorized<float>(tmp17);
                        auto tmp20 = at::vec::Vectorized<float>(tmp18);
                        auto tmp21 = decltype(tmp19)::blendv(tmp20, tmp19, tmp16.template cast<float,1>());
                        tmp21.store(out_ptr4 + static_cast<int64_t>(x0 + x1 + ks1*x0));
                        tmp21.store(out_ptr5 + static_cast<int64_t>(x0 + x1 + ks1*x0));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(1L + ks1), static_cast<int64_t>(16L)))) && x1 < static_cast<int64_t>(1L + ks1)))
                    {
                        for (int64_t x1_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(1L + ks1), static_cast<int64_t>(16L))));x1_tail < static_cast<int64_t>(1L + ks1); x1_tail++)
                        {
                            auto tmp0 = in_ptr7[static_cast<int64_t>(0L)];
                            TORCH_CHECK(tmp2 < ks2, "index out of bounds: tmp2 < ks2");
                            auto tmp7 = in_ptr8[static_cast<int64_t>(x1_tail + ks2*x0)];
                            auto tmp1 = x1_tail;
                            auto tmp2 = c10::convert<int64_t>(tmp1);
                            auto tmp3 = tmp2 <= tmp0;
                            auto tmp4 = static_cast<bool>(true);
                            auto tmp5 = decltype(tmp4)(tmp4 & tmp3);
                            auto tmp8 = c10::convert<bool>(tmp7);
                            auto tmp9 = decltype(tmp5)(tmp5 & tmp8);
                            auto tmp10 = static_cast<float>(0.0);
                            auto tmp11 = -std::numeric_limits<float>::infinity();
                            auto tmp12 = tmp9 ? tmp10 : tmp11;
                            out_ptr4[static_cast<int64_t>(x0 + x1_tail + ks1*x0)] = tmp12;
                            out_ptr5[static_cast<int64_t>(x0 + x1_tail + ks1*x0)] = tmp12;
                        }
                    }
                }
            }
        }
    }
}
