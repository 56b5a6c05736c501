// DType -> C++ element type, and one helper that calls a generic lambda with the element type
// of a runtime dtype. Compiled per ISA like every kernel header.
#pragma once

#include <cstdint>

#include "tensorforge/dtype.h"

namespace tensorforge::cpu::TF_ISA_NS {

template <DType D> struct CType;
template <> struct CType<DType::Bool> { using type = bool; };
template <> struct CType<DType::Int32> { using type = int32_t; };
template <> struct CType<DType::Int64> { using type = int64_t; };
template <> struct CType<DType::Float32> { using type = float; };
template <> struct CType<DType::Float64> { using type = double; };

template <typename T> struct DTypeOf;
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };

template <typename T> inline constexpr int dtype_index = static_cast<int>(DTypeOf<T>::value);

// Calls fn(T{}) for each of the listed element types, e.g. to fill one table row per dtype:
//   for_each_type<float, double>([&](auto tag) { using T = decltype(tag); ... });
template <typename... Ts, typename F>
void for_each_type(F&& fn) {
  (fn(Ts{}), ...);
}

}  // namespace tensorforge::cpu::TF_ISA_NS
