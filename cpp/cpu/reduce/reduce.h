// Private to cpu/reduce: the softmax half of register_reduce lives in softmax.cpp.
#pragma once

#include "cpu/register.h"

namespace tensorforge::cpu::TF_ISA_NS {
void register_softmax(KernelTable& t);  // t.softmax, t.softmax_backward
}  // namespace tensorforge::cpu::TF_ISA_NS
