// norm kernels (being written).
#include "cpu/register.h"

namespace tensorforge::cpu::TF_ISA_NS {

void register_norm(KernelTable&) {}

}  // namespace tensorforge::cpu::TF_ISA_NS
