// im2col / col2im: lower one image's convolution to a GEMM and back.
#include <algorithm>
#include <cstring>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::ConvGeom;

template <typename T>
void im2col(const char* x_, char* cols_, const ConvGeom& g) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* cols = reinterpret_cast<T*>(cols_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* xc = x + c * plane;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = cols + ((c * g.kh + i) * g.kw + j) * opl;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t h = oh * g.sh - g.ph + i * g.dh;
          T* dst = row + oh * g.out_w;
          if (h < 0 || h >= g.height) {
            std::memset(dst, 0, sizeof(T) * g.out_w);
            continue;
          }
          const T* src = xc + h * g.width;
          const int64_t w0 = j * g.dw - g.pw;
          if (g.sw == 1) {
            // contiguous run: zero the padded edges, copy the middle
            const int64_t lo = std::min(g.out_w, std::max<int64_t>(0, -w0));
            const int64_t hi = std::max(lo, std::min(g.out_w, g.width - w0));
            std::memset(dst, 0, sizeof(T) * lo);
            std::memcpy(dst + lo, src + w0 + lo, sizeof(T) * (hi - lo));
            std::memset(dst + hi, 0, sizeof(T) * (g.out_w - hi));
          } else {
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
              const int64_t w = w0 + ow * g.sw;
              dst[ow] = (w >= 0 && w < g.width) ? src[w] : T(0);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void col2im(const char* cols_, char* x_, const ConvGeom& g) {
  const T* cols = reinterpret_cast<const T*>(cols_);
  T* x = reinterpret_cast<T*>(x_);
  const int64_t plane = g.height * g.width, opl = g.out_h * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    T* xc = x + c * plane;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = cols + ((c * g.kh + i) * g.kw + j) * opl;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t h = oh * g.sh - g.ph + i * g.dh;
          if (h < 0 || h >= g.height) continue;
          const T* src = row + oh * g.out_w;
          T* dst = xc + h * g.width;
          const int64_t w0 = j * g.dw - g.pw;
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            const int64_t w = w0 + ow * g.sw;
            if (w >= 0 && w < g.width) dst[w] += src[ow];
          }
        }
      }
    }
  }
}

}  // namespace

void register_conv(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.im2col[dtype_index<T>] = im2col<T>;
    t.col2im[dtype_index<T>] = col2im<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
