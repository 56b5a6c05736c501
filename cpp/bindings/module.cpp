#include "bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "tensorforge C++ core";
  tensorforge::bindings::bind_errors(m);
  tensorforge::bindings::bind_tensor(m);
  tensorforge::bindings::bind_ops(m);
  tensorforge::bindings::bind_conv(m);
  tensorforge::bindings::bind_norm(m);
  tensorforge::bindings::bind_optim(m);
  tensorforge::bindings::bind_io(m);
  tensorforge::bindings::bind_image(m);
  tensorforge::bindings::bind_attention(m);
  tensorforge::bindings::bind_sort(m);
  tensorforge::bindings::bind_shape(m);
  tensorforge::bindings::bind_scatter(m);
  tensorforge::bindings::bind_random(m);
  tensorforge::bindings::bind_rnn(m);
}
