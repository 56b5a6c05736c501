// Advanced-indexing data movement: gather strided blocks at element offsets, and put them back
// (optionally accumulating). Blocks are the non-indexed dims of the source tensor.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

// Calls fn(element_offset, linear_position) for every element of a strided block.
template <typename F>
void walk_block(const int64_t* shape, const int64_t* strides, int ndim, F&& fn) {
  if (ndim == 0) {
    fn(int64_t{0}, int64_t{0});
    return;
  }
  int64_t idx[64] = {0};  // the front end caps tensors at 64 dims
  int64_t total = 1;
  for (int d = 0; d < ndim; ++d) total *= shape[d];
  int64_t off = 0;
  for (int64_t pos = 0; pos < total; ++pos) {
    fn(off, pos);
    for (int d = ndim - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

template <typename T>
void gather_typed(char* out, const char* src, const int64_t* offsets, int64_t nb,
                  const int64_t* rest_shape, const int64_t* rest_strides, int rest_ndim) {
  int64_t block = 1;
  for (int d = 0; d < rest_ndim; ++d) block *= rest_shape[d];
  const T* s = reinterpret_cast<const T*>(src);
  T* o = reinterpret_cast<T*>(out);
  const bool dense = rest_ndim == 1 && rest_strides[0] == 1;
  parallel_for(0, nb, std::max<int64_t>(1, 32768 / std::max<int64_t>(block, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* base = s + offsets[b];
      T* dst = o + b * block;
      if (rest_ndim == 0) {
        *dst = *base;
      } else if (dense) {
        std::memcpy(dst, base, sizeof(T) * block);
      } else {
        walk_block(rest_shape, rest_strides, rest_ndim,
                   [&](int64_t off, int64_t pos) { dst[pos] = base[off]; });
      }
    }
  });
}

void index_gather(char* out, const char* src, const int64_t* offsets, int64_t nb,
                  const int64_t* rest_shape, const int64_t* rest_strides, int rest_ndim,
                  int64_t itemsize) {
  switch (itemsize) {
    case 1: return gather_typed<uint8_t>(out, src, offsets, nb, rest_shape, rest_strides, rest_ndim);
    case 4: return gather_typed<uint32_t>(out, src, offsets, nb, rest_shape, rest_strides, rest_ndim);
    default: return gather_typed<uint64_t>(out, src, offsets, nb, rest_shape, rest_strides, rest_ndim);
  }
}

// Serial: with accumulate, two blocks may hit the same element.
template <typename T>
void index_put(char* dst, const char* values, const int64_t* offsets, int64_t nb,
               const int64_t* rest_shape, const int64_t* rest_strides, int rest_ndim,
               bool accumulate) {
  int64_t block = 1;
  for (int d = 0; d < rest_ndim; ++d) block *= rest_shape[d];
  T* d = reinterpret_cast<T*>(dst);
  const T* v = reinterpret_cast<const T*>(values);
  for (int64_t b = 0; b < nb; ++b) {
    T* base = d + offsets[b];
    const T* src = v + b * block;
    walk_block(rest_shape, rest_strides, rest_ndim, [&](int64_t off, int64_t pos) {
      if constexpr (std::is_same_v<T, bool>) {
        base[off] = accumulate ? (base[off] || src[pos]) : src[pos];
      } else {
        base[off] = accumulate ? static_cast<T>(base[off] + src[pos]) : src[pos];
      }
    });
  }
}

}  // namespace

void register_index(KernelTable& t) {
  t.index_gather = index_gather;
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    t.index_put[dtype_index<T>] = index_put<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
