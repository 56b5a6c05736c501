// dtype, device and error-message helpers.
#include <sstream>

#include "tensorforge/device.h"
#include "tensorforge/dtype.h"
#include "tensorforge/error.h"

namespace tensorforge {

int64_t itemsize(DType dt) {
  switch (dt) {
    case DType::Bool: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

const char* dtype_name(DType dt) {
  switch (dt) {
    case DType::Bool: return "bool";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

DType dtype_from_name(const std::string& name) {
  if (name == "bool") return DType::Bool;
  if (name == "int32" || name == "int") return DType::Int32;
  if (name == "int64" || name == "long") return DType::Int64;
  if (name == "float32" || name == "float") return DType::Float32;
  if (name == "float64" || name == "double") return DType::Float64;
  fail<DTypeError>("dtype", "unknown dtype '", name, "'");
}

namespace {
int category(DType dt) { return dt == DType::Bool ? 0 : (is_integral(dt) ? 1 : 2); }
}  // namespace

DType result_type(DType a, bool a_is_scalar, DType b, bool b_is_scalar) {
  if (a_is_scalar == b_is_scalar) return promote_types(a, b);
  // A zero-dim operand decides only when it is of a higher category.
  const DType dim_t = a_is_scalar ? b : a;
  const DType sc_t = a_is_scalar ? a : b;
  if (category(sc_t) > category(dim_t)) return promote_types(a, b);
  return dim_t;
}

std::string Device::str() const {
  return type == DeviceType::CPU ? std::string("cpu") : "cuda:" + std::to_string(index);
}

int cuda_device_count() { return 0; }

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device{};
  if (name.rfind("cuda", 0) == 0) {
    fail<DeviceError>("device", "'", name, "' requested, but this build has no CUDA support ",
                      "(cuda.is_available() is False)");
  }
  fail<ValueError>("device", "expected 'cpu' or 'cuda[:N]', got '", name, "'");
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

}  // namespace tensorforge
