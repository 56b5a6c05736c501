// optim kernels (being written).
#include "cpu/register.h"

namespace tensorforge::cpu::TF_ISA_NS {

void register_optim(KernelTable&) {}

}  // namespace tensorforge::cpu::TF_ISA_NS
