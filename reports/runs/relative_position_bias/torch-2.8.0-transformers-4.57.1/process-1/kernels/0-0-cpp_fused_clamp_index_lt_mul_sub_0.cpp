#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(const float* in_ptr0,
                       float* out_ptr0,
                       const int64_t ks0,
                       const int64_t ks1,
                       const int64_t ks2)
{
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(ks0); x0+=static_cast<int64_t>(1L))
        {
            #pragma GCC ivdep
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(ks1); x1+=static_cast<int64_t>(1L))
            {
                {
                    {
                        TORCH_CHECK(tmp1 < ks2, "index out of bounds: tmp1 < ks2");
                        auto tmp6 = in_ptr0[static_cast<int64_t>(std::max(static_cast<int64_t>(0L), static_cast<int64_t>(x1 + ((-1L)*x0))))];
                        auto tmp0 = std::max(static_cast<int64_t>(0L), static_cast<int64_t>(x1 + ((-1L)*x0)));
                        auto tmp1 = c10::convert<int64_t>(tmp0);
                        auto tmp2 = static_cast<int64_t>(4);
                        auto tmp3 = tmp1 < tmp2;
                        auto tmp4 = c10::convert<float>(tmp3);
                        auto tmp7 = float(tmp4 * tmp6);
                        out_ptr0[static_cast<int64_t>(x1 + x0*std::max(static_cast<int64_t>(1L), static_cast<int64_t>(ks1)))] = tmp7;
                    }
                }
            }
        }
    }
}
