// Builds this ISA's dispatch table from the kernel families.
#include "cpu/register.h"
#include "cpu/simd/vec.h"

namespace tensorforge::cpu::TF_ISA_NS {

void fill_table(KernelTable& t) {
  t.isa = kIsaName;
  register_elementwise(t);
  register_reduce(t);
  register_gemm(t);
  register_random(t);
  register_index(t);
  register_conv(t);
  register_pool(t);
  register_norm(t);
  register_loss(t);
  register_optim(t);
  register_image(t);
  register_attention(t);
  register_sort(t);
  register_scan(t);
  register_scatter(t);
  register_sampling(t);
  register_rnn(t);
  register_ctc(t);  // ---- ctc (cpu/loss/ctc.cpp) ----
}

}  // namespace tensorforge::cpu::TF_ISA_NS
