// The Tensor handle: geometry, numpy interop (zero-copy both ways), scalars.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "tensorforge/tensorforge.h"

namespace py = pybind11;

namespace tensorforge::bindings {

namespace {

py::tuple to_tuple(const Shape& s) {
  py::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
  return t;
}

py::dtype numpy_dtype(DType dt) {
  switch (dt) {
    case DType::Bool: return py::dtype::of<bool>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

DType dtype_of_numpy(const py::dtype& d) {
  const char kind = d.kind();
  const auto size = d.itemsize();
  if (kind == 'b' && size == 1) return DType::Bool;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  fail<DTypeError>("from_numpy", "unsupported numpy dtype ", std::string(py::str(d)),
                   "; supported: bool, int32, int64, float32, float64");
}

py::array to_numpy(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  std::vector<py::ssize_t> strides;
  for (int64_t s : t.strides()) strides.push_back(s * t.itemsize());
  auto holder = std::make_unique<Tensor>(t);
  py::capsule base(holder.get(), [](void* p) { delete static_cast<Tensor*>(p); });
  holder.release();
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.data_ptr(), base);
}

// Shares the array's memory; the array stays alive as long as any view of the tensor does.
Tensor from_numpy(const py::array& arr) {
  const DType dt = dtype_of_numpy(arr.dtype());
  const int64_t isz = itemsize(dt);
  const int64_t nd = arr.ndim();
  Shape shape(nd), strides(nd);
  int64_t lo = 0, hi = 0;
  bool empty = false;
  for (int64_t i = 0; i < nd; ++i) {
    shape[i] = arr.shape(i);
    const int64_t sb = arr.strides(i);
    if (sb % isz != 0)
      fail<ValueError>("from_numpy", "array strides must be multiples of the element size (got stride ", sb,
                       " for itemsize ", isz, "); use np.ascontiguousarray");
    strides[i] = sb / isz;
    if (shape[i] == 0) empty = true;
    const int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  if (empty) lo = hi = 0;
  char* first = static_cast<char*>(const_cast<void*>(arr.data()));
  char* base = first + lo * isz;
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  auto storage = std::make_shared<Storage>(base, (hi - lo + 1) * isz, Device{}, [owner](void*) {
    py::gil_scoped_acquire gil;
    Py_DECREF(owner);
  });
  return Tensor(std::move(storage), shape, strides, -lo, dt);
}

py::object item(const Tensor& t) {
  if (t.numel() != 1)
    fail<ValueError>("item", "a Tensor with ", t.numel(), " elements cannot be converted to a Python scalar");
  const Tensor c = contiguous(t);
  switch (t.dtype()) {
    case DType::Bool: return py::bool_(*c.data<bool>());
    case DType::Int32: return py::int_(*c.data<int32_t>());
    case DType::Int64: return py::int_(*c.data<int64_t>());
    case DType::Float32: return py::float_(*c.data<float>());
    case DType::Float64: return py::float_(*c.data<double>());
  }
  return py::none();
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<Tensor>(m, "Tensor")
      .def_property_readonly("shape", [](const Tensor& t) { return to_tuple(t.shape()); })
      .def_property_readonly("strides", [](const Tensor& t) { return to_tuple(t.strides()); })
      .def_property_readonly("offset", &Tensor::offset)
      .def_property_readonly("dtype", [](const Tensor& t) { return static_cast<int>(t.dtype()); })
      .def_property_readonly("ndim", &Tensor::ndim)
      .def_property_readonly("numel", &Tensor::numel)
      .def_property_readonly("itemsize", &Tensor::itemsize)
      .def_property_readonly("version", &Tensor::version)
      .def_property_readonly("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def_property_readonly("storage_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.storage()->data()); })
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("numpy", &to_numpy)
      .def("item", &item)
      .def("bump_version", &Tensor::bump_version);
  m.def("from_numpy", &from_numpy, py::arg("array"));
  m.def("dtype_name", [](int code) { return dtype_name(static_cast<DType>(code)); });
}

}  // namespace tensorforge::bindings
