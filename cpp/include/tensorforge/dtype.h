// Element types a tensor can hold, their sizes and PyTorch's promotion rules.
#pragma once

#include <cstdint>
#include <string>

namespace tensorforge {

/// Element type of a tensor. The order is the promotion order within PyTorch's categories
/// (bool < integer < floating point).
enum class DType : uint8_t { Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4 };

/// Number of dtypes; sizes every per-dtype table.
inline constexpr int kNumDTypes = 5;

/// Bytes per element of `dt`.
int64_t itemsize(DType dt);

/// PyTorch's name without the prefix: "float32", "int64", "bool", ...
const char* dtype_name(DType dt);

/// Parses a name produced by dtype_name (also "float", "double", "long", "int").
/// Throws DTypeError for an unknown name.
DType dtype_from_name(const std::string& name);

/// True for float32 / float64.
inline bool is_floating(DType dt) { return dt == DType::Float32 || dt == DType::Float64; }

/// True for int32 / int64 (bool is not counted as an integer here).
inline bool is_integral(DType dt) { return dt == DType::Int32 || dt == DType::Int64; }

/// The common dtype of two tensors under PyTorch's rules for same-kind operands
/// (the larger of the two in the order above).
inline DType promote_types(DType a, DType b) { return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b; }

/// PyTorch's result_type for two tensor operands: a zero-dimensional operand only decides
/// the dtype when its category (bool < integral < floating) is higher than the other's.
DType result_type(DType a, bool a_is_scalar, DType b, bool b_is_scalar);

}  // namespace tensorforge
