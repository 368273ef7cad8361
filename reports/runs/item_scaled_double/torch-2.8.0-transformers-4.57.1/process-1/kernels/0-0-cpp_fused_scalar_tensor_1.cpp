#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void kernel(double* out_ptr0)
{
    {
        {
            {
                auto tmp0 = 10.000000000000000*zuf0;
                auto tmp1 = c10::convert<double>(tmp0);
                out_ptr0[static_cast<int64_t>(0L)] = tmp1;
            }
        }
    }
}
