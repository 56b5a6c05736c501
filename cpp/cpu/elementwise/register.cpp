// The elementwise family's entry in the dispatch table.
#include "cpu/elementwise/elementwise.h"

namespace tensorforge::cpu::TF_ISA_NS {

void register_elementwise(KernelTable& t) {
  register_unary(t);
  register_binary(t);
  register_where_cast(t);
}

}  // namespace tensorforge::cpu::TF_ISA_NS
