// pool kernels (being written).
#include "cpu/register.h"

namespace tensorforge::cpu::TF_ISA_NS {

void register_pool(KernelTable&) {}

}  // namespace tensorforge::cpu::TF_ISA_NS
