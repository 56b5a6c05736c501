// conv kernels (being written).
#include "cpu/register.h"

namespace tensorforge::cpu::TF_ISA_NS {

void register_conv(KernelTable&) {}

}  // namespace tensorforge::cpu::TF_ISA_NS
