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
            #pragma GCC ivdep
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(ks1); x1+=static_cast<int64_t>(1L))
            {
                for(int64_t x2=static_cast<int64_t>(0L); x2<static_cast<int64_t>(ks2); x2+=static_cast<int64_t>(16L))
                {
                    {
                        if(C10_LIKELY(x2 >= static_cast<int64_t>(0) && x2 < static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks2), static_cast<int64_t>(16L))))))
                        {
                            TORCH_CHECK((at::vec::VecMask<int64_t,2>(tmp2 < at::vec::VectorizedN<int64_t,2>(ks3))).all_masked(), "index out of bounds: tmp2 < ks3");
                            auto tmp8 = at::vec::VecMask<float,1>::from(in_ptr0 + static_cast<int64_t>(x2 + ks3*x0));
                            auto tmp0 = x2;
                            auto tmp1 = c10::convert<int64_t>(tmp0);
                            auto tmp2 = at::vec::VectorizedN<int64_t,2>::arange(tmp1, 1);
                            auto tmp3 = ks2 + x1 + ((-1L)*ks1);
                            auto tmp4 = c10::convert<int64_t>(tmp3);
                            auto tmp5 = at::vec::VectorizedN<int64_t,2>(tmp4);
                            auto tmp6 = at::vec::VecMask<int64_t,2>(tmp2 <= tmp5);
                            auto tmp9 = tmp6.template cast<int32_t,1>();
                            auto tmp10 = tmp8.template cast<int32_t,1>();
                            auto tmp11 = tmp9 & tmp10;
                            tmp11.store(out_ptr0 + static_cast<int64_t>(x2 + x1*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks2)) + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks1))*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks2))), static_cast<int64_t>(16));
                        }
                        if(C10_UNLIKELY(x2 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks2), static_cast<int64_t>(16L)))) && x2 < static_cast<int64_t>(ks2)))
                        {
                            for (int64_t x2_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks2), static_cast<int64_t>(16L))));x2_tail < static_cast<int64_t>(ks2); x2_tail++)
                            {
                                TORCH_CHECK(tmp1 < ks3, "index out of bounds: tmp1 < ks3");
                                auto tmp6 = in_ptr0[static_cast<int64_t>(x2_tail + ks3*x0)];
                                auto tmp0 = x2_tail;
                                auto tmp1 = c10::convert<int64_t>(tmp0);
                                auto tmp2 = ks2 + x1 + ((-1L)*ks1);
                                auto tmp3 = c10::convert<int64_t>(tmp2);
                                auto tmp4 = tmp1 <= tmp3;
                                auto tmp7 = decltype(tmp4)(tmp4 & tmp6);
                                out_ptr0[static_cast<int64_t>(x2_tail + x1*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks2)) + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks1))*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks2)))] = tmp7;
                            }
                        }
                    }
                }
            }
        }
    }
}
