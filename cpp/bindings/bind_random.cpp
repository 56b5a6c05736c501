// Generators and random ops (random_ops.h and the random part of ops.h). `generator=None`
// arrives as a null Generator*: the global generator.
#include <pybind11/stl.h>

#include <optional>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
using Dims = std::vector<int64_t>;
DType dt(int code) {
  if (code < 0 || code >= kNumDTypes) fail<DTypeError>("dtype", "unknown dtype code ", code);
  return static_cast<DType>(code);
}
}  // namespace

void bind_random(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  py::class_<Generator>(m, "Generator")
      .def(py::init<uint64_t>(), py::arg("seed") = Generator::kDefaultSeed)
      .def("manual_seed", &Generator::manual_seed, py::arg("seed"))
      .def("seed", &Generator::seed)
      .def("offset", &Generator::offset)
      .def("set_state", &Generator::set_state, py::arg("seed"), py::arg("offset"));
  m.def("default_generator", &default_generator, py::return_value_policy::reference);
  m.def("manual_seed", &manual_seed);
  const auto gen = py::arg("generator") = static_cast<Generator*>(nullptr);
  m.def("rand", [](const Dims& s, int d, Generator* g) { return rand(s, dt(d), g); }, py::arg("shape"),
        py::arg("dtype"), gen, nogil);
  m.def("randn", [](const Dims& s, int d, Generator* g) { return randn(s, dt(d), g); }, py::arg("shape"),
        py::arg("dtype"), gen, nogil);
  m.def("randint", [](int64_t lo, int64_t hi, const Dims& s, int d, Generator* g) { return randint(lo, hi, s, dt(d), g); },
        py::arg("low"), py::arg("high"), py::arg("shape"), py::arg("dtype"), gen, nogil);
  m.def("randperm", [](int64_t n, int d, Generator* g) { return randperm(n, dt(d), g); }, py::arg("n"),
        py::arg("dtype"), gen, nogil);
  m.def("bernoulli", [](const Dims& s, double p, int d, Generator* g) { return bernoulli(s, p, dt(d), g); },
        py::arg("shape"), py::arg("p"), py::arg("dtype"), gen, nogil);
  m.def("uniform_", &uniform_, py::arg("t"), py::arg("low"), py::arg("high"), gen, nogil);
  m.def("normal_", &normal_, py::arg("t"), py::arg("mean"), py::arg("std"), gen, nogil);
  m.def("multinomial", &multinomial, py::arg("probs"), py::arg("num_samples"), py::arg("replacement"), gen, nogil);
  m.def("bernoulli_tensor_", py::overload_cast<const Tensor&, const Tensor&, Generator*>(&bernoulli_), py::arg("t"),
        py::arg("p"), gen, nogil);
  m.def("bernoulli_", py::overload_cast<const Tensor&, double, Generator*>(&bernoulli_), py::arg("t"), py::arg("p"),
        gen, nogil);
  m.def("exponential_", &exponential_, py::arg("t"), py::arg("lambd"), gen, nogil);
  m.def("geometric_", &geometric_, py::arg("t"), py::arg("p"), gen, nogil);
  m.def("random_", &random_, py::arg("t"), py::arg("from"), py::arg("to"), gen, nogil);
  m.def("poisson", &poisson, py::arg("rates"), gen, nogil);
}

}  // namespace tensorforge::bindings
