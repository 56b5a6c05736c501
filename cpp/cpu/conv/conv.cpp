// im2col / col2im (vol2col / col2vol for 3-D): lower one image's convolution to a GEMM and
// back; and the fused forward, which packs the columns straight into the GEMM micro-kernel's
// panels (no im2col buffer). A 2-D convolution is the 3-D one with a depth of one.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/gemm/gemm_kernel.h"
#include "cpu/register.h"
#include "cpu/simd/ctype.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::ConvGeom;

// Output columns [lo, hi) of a row whose taps w = w0 + ow * sw fall inside [0, width).
inline void valid_span(int64_t w0, int64_t sw, int64_t width, int64_t out_w, int64_t& lo, int64_t& hi) {
  lo = w0 >= 0 ? 0 : std::min(out_w, (-w0 + sw - 1) / sw);
  hi = w0 >= width ? 0 : std::min(out_w, (width - 1 - w0) / sw + 1);
  hi = std::max(lo, hi);
}

template <typename T>
void im2col(const char* x_, char* cols_, const ConvGeom& g, int64_t r0, int64_t r1) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* cols = reinterpret_cast<T*>(cols_);
  const int64_t plane = g.height * g.width, volume = g.depth * plane, rows = (r1 - r0) * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* xc = x + c * volume;
    for (int64_t a = 0; a < g.kd; ++a) {
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          T* dst = cols + (((c * g.kd + a) * g.kh + i) * g.kw + j) * rows;
          const int64_t w0 = j * g.dw - g.pw;
          int64_t lo, hi;
          valid_span(w0, g.sw, g.width, g.out_w, lo, hi);
          for (int64_t r = r0; r < r1; ++r, dst += g.out_w) {
            const int64_t od = r / g.out_h, oh = r - od * g.out_h;
            const int64_t d = od * g.sd - g.pd + a * g.dd, h = oh * g.sh - g.ph + i * g.dh;
            if (d < 0 || d >= g.depth || h < 0 || h >= g.height || lo == hi) {
              std::memset(dst, 0, sizeof(T) * g.out_w);
              continue;
            }
            const T* src = xc + d * plane + h * g.width + w0;
            std::memset(dst, 0, sizeof(T) * lo);
            if (g.sw == 1) {
              std::memcpy(dst + lo, src + lo, sizeof(T) * (hi - lo));
            } else if (g.sw == 2) {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[2 * ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.sw];
            }
            std::memset(dst + hi, 0, sizeof(T) * (g.out_w - hi));
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
  const int64_t plane = g.height * g.width, volume = g.depth * plane, opl = g.out_d * g.out_h * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    T* xc = x + c * volume;
    for (int64_t a = 0; a < g.kd; ++a) {
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const T* row = cols + (((c * g.kd + a) * g.kh + i) * g.kw + j) * opl;
          const int64_t w0 = j * g.dw - g.pw;
          int64_t lo, hi;
          valid_span(w0, g.sw, g.width, g.out_w, lo, hi);
          for (int64_t od = 0; od < g.out_d; ++od) {
            const int64_t d = od * g.sd - g.pd + a * g.dd;
            if (d < 0 || d >= g.depth) continue;
            for (int64_t oh = 0; oh < g.out_h; ++oh) {
              const int64_t h = oh * g.sh - g.ph + i * g.dh;
              if (h < 0 || h >= g.height) continue;
              const T* src = row + (od * g.out_h + oh) * g.out_w;
              T* dst = xc + d * plane + h * g.width + w0;
              if (g.sw == 1) {
                for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
              } else {
                for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.sw] += src[ow];
              }
            }
          }
        }
      }
    }
  }
}

// Short runs (a panel is NR wide) with whole vectors and one masked tail.
template <typename T>
inline void copy_run(T* dst, const T* src, int64_t n) {
  using V = Vec<T>;
  int64_t o = 0;
  for (; o + V::size <= n; o += V::size) V::load(src + o).store(dst + o);
  if (o < n) V::load_partial(src + o, static_cast<int>(n - o)).store_partial(dst + o, static_cast<int>(n - o));
}

template <typename T>
inline void zero_run(T* dst, int64_t n) {
  using V = Vec<T>;
  int64_t o = 0;
  for (; o + V::size <= n; o += V::size) V(T(0)).store(dst + o);
  if (o < n) V(T(0)).store_partial(dst + o, static_cast<int>(n - o));
}

// One tap row k = (c, a, i, j) of the columns: its channel volume and offsets, and the output
// columns [lo, hi) whose input column falls inside the image.
struct Tap {
  int64_t volume_off, d_off, h_off, w_off, lo, hi;
};

// Output positions [p, p + n) of one output row (od, oh), at offset at within a panel.
struct Segment {
  int64_t od, oh, ow0, ow1, at;
};

// Panel of NR output positions starting at p (cols of them real) for the taps of one depth
// block: bp[k * NR + j] = cols[k0 + k][p + j], zero past cols. Written sequentially (it stays
// in L1 for the micro-kernels that follow); the input rows it reads sit in L2.
template <typename T>
void pack_panel(const T* x, const ConvGeom& g, const Tap* taps, int64_t kc, int64_t p, int cols, T* bp) {
  constexpr int64_t NR = gemm_detail::Tile<T>::NR;
  Segment seg[NR];
  int nseg = 0;
  for (int64_t at = 0; at < cols;) {
    const int64_t r = (p + at) / g.out_w, ow0 = p + at - r * g.out_w, ow1 = std::min(g.out_w, ow0 + cols - at);
    const int64_t od = r / g.out_h;
    seg[nseg++] = {od, r - od * g.out_h, ow0, ow1, at};
    at += ow1 - ow0;
  }
  for (int64_t k = 0; k < kc; ++k, bp += NR) {
    const Tap& t = taps[k];
    for (int sgi = 0; sgi < nseg; ++sgi) {
      const Segment& sg = seg[sgi];
      T* dst = bp + sg.at - sg.ow0;  // dst[ow] for ow in [ow0, ow1)
      const int64_t d = sg.od * g.sd + t.d_off, h = sg.oh * g.sh + t.h_off;
      if (d < 0 || d >= g.depth || h < 0 || h >= g.height) {
        zero_run(dst + sg.ow0, sg.ow1 - sg.ow0);
        continue;
      }
      const T* src = x + t.volume_off + (d * g.height + h) * g.width + t.w_off;
      const int64_t a = std::clamp(t.lo, sg.ow0, sg.ow1), b = std::clamp(t.hi, a, sg.ow1);
      zero_run(dst + sg.ow0, a - sg.ow0);
      if (g.sw == 1) {
        copy_run(dst + a, src + a, b - a);
      } else {
        for (int64_t o = a; o < b; ++o) dst[o] = src[o * g.sw];
      }
      zero_run(dst + b, sg.ow1 - b);
    }
    if (cols < NR) zero_run(bp + cols, NR - cols);
  }
}

// Blocked like the GEMM's few-row path: the weight is packed once; per depth block, each
// NR-wide panel of columns is packed straight from the image and every MR-row sliver of the
// weight runs against it while it sits in L1.
template <typename T>
void conv_forward(const char* w_, const char* x_, char* out_, int64_t cout, const ConvGeom& g, int64_t p0,
                  int64_t p1, bool accumulate) {
  using gemm_detail::Tile;
  constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR;
  static thread_local gemm_detail::AlignedBuffer<T> a_buf, b_buf;
  static thread_local std::vector<Tap> taps;
  const T* w = reinterpret_cast<const T*>(w_);
  const T* x = reinterpret_cast<const T*>(x_);
  T* out = reinterpret_cast<T*>(out_);
  const int64_t K = g.channels * g.kd * g.kh * g.kw, np = p1 - p0, ldc = g.out_d * g.out_h * g.out_w;
  const int64_t blocks = (K + gemm_detail::Blocks<T>::KC - 1) / gemm_detail::Blocks<T>::KC;
  const int64_t kc_step = (K + blocks - 1) / blocks;
  const int64_t slivers = (cout + MR - 1) / MR, mp = slivers * MR, panels = (np + NR - 1) / NR;
  T* ap = a_buf.get(static_cast<size_t>(mp * K));
  T* bp = b_buf.get(static_cast<size_t>(kc_step * NR));
  taps.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) {
    const int64_t c = k / (g.kd * g.kh * g.kw), a = k / (g.kh * g.kw) % g.kd, i = k / g.kw % g.kh, j = k % g.kw;
    Tap& t = taps[static_cast<size_t>(k)];
    t = {c * g.depth * g.height * g.width, a * g.dd - g.pd, i * g.dh - g.ph, j * g.dw - g.pw, 0, 0};
    valid_span(t.w_off, g.sw, g.width, g.out_w, t.lo, t.hi);
  }
  for (int64_t pc = 0; pc < K; pc += kc_step) {
    const int64_t kc = std::min(kc_step, K - pc);
    gemm_detail::pack_a(w, K, false, 0, cout, pc, kc, ap + pc * mp);
  }
  for (int64_t pc = 0; pc < K; pc += kc_step) {
    const int64_t kc = std::min(kc_step, K - pc);
    const bool acc = accumulate || pc > 0;
    for (int64_t q = 0; q < panels; ++q) {
      const int cols = static_cast<int>(std::min(NR, np - q * NR));
      pack_panel(x, g, taps.data() + pc, kc, p0 + q * NR, cols, bp);
      for (int64_t s = 0; s < slivers; ++s) {
        const int rows = static_cast<int>(std::min(MR, cout - s * MR));
        gemm_detail::micro_kernel<T, false>(kc, ap + pc * mp + s * MR * kc, 0, 0, bp, NR,
                                            out + s * MR * ldc + p0 + q * NR, ldc, rows, cols, acc);
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
    t.conv2d_forward[dtype_index<T>] = conv_forward<T>;
  });
  register_conv_depthwise(t);
}

}  // namespace tensorforge::cpu::TF_ISA_NS
