#include "bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "tensorforge C++ core";
  tensorforge::bindings::bind_errors(m);
  tensorforge::bindings::bind_tensor(m);
  tensorforge::bindings::bind_ops(m);
}
