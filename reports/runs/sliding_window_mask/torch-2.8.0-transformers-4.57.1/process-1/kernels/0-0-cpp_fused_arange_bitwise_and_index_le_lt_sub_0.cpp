#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const bool* in_ptr0,
                       bool* out_ptr0,
                       const int64_t ks0,
                       const int64_t ks1,
                       const int64_t ks2)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(ks0); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(ks0); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks0), static_cast<int64_t>(16L))))))
                    {
                        TORCH_CHECK((at::vec::VecMask<int64_t,2>(tmp9 < at::vec::VectorizedN<int64_t,2>(ks2))).all_masked(), "index out of bounds: tmp9 < ks2");
                        auto tmp18 = at::vec::VecMask<float,1>::from(in_ptr0 + static_cast<int64_t>(x1));
                        auto tmp0 = x0 + ((-1L)*x1);
                        auto tmp1 = c10::convert<int64_t>(tmp0);
                        auto tmp2 = at::vec::VectorizedN<int64_t,2>::arange(tmp1, -1);
                        auto tmp3 = ks1;
                        auto tmp4 = c10::convert<int64_t>(tmp3);
                        auto tmp5 = at::vec::VectorizedN<int64_t,2>(tmp4);
                        auto tmp6 = at::vec::VecMask<int64_t,2>(tmp2 < tmp5);
                        auto tmp7 = x1;
                        auto tmp8 = c10::convert<int64_t>(tmp7);
                        auto tmp9 = at::vec::VectorizedN<int64_t,2>::arange(tmp8, 1);
                        auto tmp10 = x0;
                        auto tmp11 = c10::convert<int64_t>(tmp10);
                        auto tmp12 = at::vec::VectorizedN<int64_t,2>(tmp11);
                        auto tmp13 = at::vec::VecMask<int64_t,2>(tmp9 <= tmp12);
                        auto tmp14 = tmp6.template cast<int32_t,1>();
                        auto tmp15 = tmp13.template cast<int32_t,1>();
                        auto tmp16 = tmp14 & tmp15;
                        auto tmp19 = tmp16.template cast<int32_t,1>();
                        auto tmp20 = tmp18.template cast<int32_t,1>();
                        auto tmp21 = tmp19 & tmp20;
                        tmp21.store(out_ptr0 + static_cast<int64_t>(x1 + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks0))), static_cast<int64_t>(16));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks0), static_cast<int64_t>(16L)))) && x1 < static_cast<int64_t>(ks0)))
                    {
                        for (int64_t x1_tail = static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks0), static_cast<int64_t>(16L))));x1_tail < static_cast<int64_t>(ks0); x1_tail++)
                        {
                            TORCH_CHECK(tmp6 < ks2, "index out of bounds: tmp6 < ks2");
                            auto tmp12 = in_ptr0[static_cast<int64_t>(x1_tail)];
                            auto tmp0 = x0 + ((-1L)*x1_tail);
                            auto tmp1 = c10::convert<int64_t>(tmp0);
                            auto tmp2 = ks1;
                            auto tmp3 = c10::convert<int64_t>(tmp2);
                            auto tmp4 = tmp1 < tmp3;
                            auto tmp5 = x1_tail;
                            auto tmp6 = c10::convert<int64_t>(tmp5);
                            auto tmp7 = x0;
                            auto tmp8 = c10::convert<int64_t>(tmp7);
                            auto tmp9 = tmp6 <= tmp8;
                            auto tmp10 = decltype(tmp4)(tmp4 & tmp9);
                            auto tmp13 = decltype(tmp10)(tmp10 & tmp12);
                            out_ptr0[static_cast<int64_t>(x1_tail + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks0)))] = tmp13;
                        }
                    }
                }
            }
        }
    }
}
