// Sorting, selection and scans (sort_ops.h), forwarded as is with the GIL released.
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {
std::optional<DType> opt_dtype(std::optional<int> code) {
  if (!code) return std::nullopt;
  if (*code < 0 || *code >= kNumDTypes) fail<DTypeError>("dtype", "unknown dtype code ", *code);
  return static_cast<DType>(*code);
}
py::tuple unique_tuple(const UniqueResult& r) {
  auto opt = [](const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); };
  return py::make_tuple(r.values, opt(r.inverse), opt(r.counts));
}
}  // namespace

void bind_sort(py::module_& m) {
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("sort", &sort, py::arg("x"), py::arg("dim"), py::arg("descending"), nogil);
  m.def("argsort", &argsort, py::arg("x"), py::arg("dim"), py::arg("descending"), nogil);
  m.def("topk", &topk, py::arg("x"), py::arg("k"), py::arg("dim"), py::arg("largest"), nogil);
  m.def("kthvalue", &kthvalue, py::arg("x"), py::arg("k"), py::arg("dim"), py::arg("keepdim"), nogil);
  m.def("median_dim", &median_dim, py::arg("x"), py::arg("dim"), py::arg("keepdim"), py::arg("ignore_nan"), nogil);
  m.def("median", &median, py::arg("x"), py::arg("ignore_nan"), nogil);
  m.def("mode", &mode, py::arg("x"), py::arg("dim"), py::arg("keepdim"), nogil);
  m.def("unique", [](const Tensor& x, bool inv, bool counts, std::optional<int64_t> dim) {
    UniqueResult r;
    {
      py::gil_scoped_release release;
      r = unique(x, inv, counts, dim);
    }
    return unique_tuple(r);
  }, py::arg("x"), py::arg("return_inverse"), py::arg("return_counts"), py::arg("dim"));
  m.def("unique_consecutive", [](const Tensor& x, bool inv, bool counts, std::optional<int64_t> dim) {
    UniqueResult r;
    {
      py::gil_scoped_release release;
      r = unique_consecutive(x, inv, counts, dim);
    }
    return unique_tuple(r);
  }, py::arg("x"), py::arg("return_inverse"), py::arg("return_counts"), py::arg("dim"));
  m.def("searchsorted", [](const Tensor& s, const Tensor& v, bool i32, bool right, const std::optional<Tensor>& sorter) {
    py::gil_scoped_release release;
    return searchsorted(s, v, i32, right, sorter ? *sorter : Tensor());
  }, py::arg("sorted"), py::arg("values"), py::arg("out_int32"), py::arg("right"), py::arg("sorter"));
  m.def("bucketize", &bucketize, py::arg("x"), py::arg("boundaries"), py::arg("out_int32"), py::arg("right"), nogil);

  m.def("cumsum", [](const Tensor& x, int64_t dim, std::optional<int> dt, bool reverse) {
    const auto d = opt_dtype(dt);
    py::gil_scoped_release release;
    return cumsum(x, dim, d, reverse);
  }, py::arg("x"), py::arg("dim"), py::arg("dtype"), py::arg("reverse"));
  m.def("cumprod", [](const Tensor& x, int64_t dim, std::optional<int> dt) {
    const auto d = opt_dtype(dt);
    py::gil_scoped_release release;
    return cumprod(x, dim, d);
  }, py::arg("x"), py::arg("dim"), py::arg("dtype"));
  m.def("logcumsumexp", &logcumsumexp, py::arg("x"), py::arg("dim"), py::arg("reverse"), nogil);
  m.def("cummax", &cummax, py::arg("x"), py::arg("dim"), nogil);
  m.def("cummin", &cummin, py::arg("x"), py::arg("dim"), nogil);
  m.def("cumprod_backward", &cumprod_backward, py::arg("grad"), py::arg("x"), py::arg("out"), py::arg("dim"), nogil);
}

}  // namespace tensorforge::bindings
