// im2col / col2im (vol2col / col2vol for 3-D): lower one image's convolution to a GEMM and
// back; and the fused forward, which packs the columns straight into the GEMM micro-kernel's
// panels (no im2col buffer). A 2-D convolution is the 3-D one with a depth of one.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/gemm/gemm_kernel.h"
#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

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

// The phase-split zero-padded image the padded kernels read (see ConvPaddedForwardKernel):
// padded element (z, y, x) of a channel sits in phase ((z % sd) * sh + y % sh) * sw + x % sw at
// (z / sd, y / sh, x / sw) of that phase's volume, so that with any stride every tap row is a
// contiguous run (stride 1: one phase, the padded image itself).
struct Phases {
  int64_t d, h, w, count;
  explicit Phases(const ConvGeom& g)
      : d((g.depth + 2 * g.pd + g.sd - 1) / g.sd), h((g.height + 2 * g.ph + g.sh - 1) / g.sh),
        w((g.width + 2 * g.pw + g.sw - 1) / g.sw), count(g.sd * g.sh * g.sw) {}
  // Offset of tap k = (c, a, i, j) from an output position's q.
  int64_t tap(const ConvGeom& g, int64_t k) const {
    const int64_t taps = g.kd * g.kh * g.kw, c = k / taps;
    const int64_t z = k / (g.kh * g.kw) % g.kd * g.dd, y = k / g.kw % g.kh * g.dh, x = k % g.kw * g.dw;
    const int64_t phase = ((z % g.sd) * g.sh + y % g.sh) * g.sw + x % g.sw;
    return (c * count + phase) * d * h * w + ((z / g.sd) * h + y / g.sh) * w + x / g.sw;
  }
  // q of the first position of output row r (od = r / out_h, oh = r % out_h).
  int64_t row(const ConvGeom& g, int64_t r) const { return (r / g.out_h * h + r % g.out_h) * w; }
};

template <typename T>
void conv_pad(const char* x_, char* xp_, int64_t planes, const ConvGeom& g) {
  const T* x = reinterpret_cast<const T*>(x_);
  T* xp = reinterpret_cast<T*>(xp_);
  const Phases ph(g);
  const int64_t hw = g.height * g.width, in_vol = g.depth * hw, out_vol = ph.count * ph.d * ph.h * ph.w;
  // Phase r of an axis holds the input elements m * s + r - pad: the valid m are [lo, hi).
  const auto valid = [](int64_t r, int64_t s, int64_t pad, int64_t size, int64_t n, int64_t& lo, int64_t& hi) {
    lo = r >= pad ? 0 : std::min(n, (pad - r + s - 1) / s);
    hi = std::max(lo, std::min(n, size + pad - r <= 0 ? 0 : (size + pad - r - 1) / s + 1));
  };
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(out_vol, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* src = x + p * in_vol;
      T* dst = xp + p * out_vol;
      for (int64_t rd = 0; rd < g.sd; ++rd)
        for (int64_t rh = 0; rh < g.sh; ++rh)
          for (int64_t rw = 0; rw < g.sw; ++rw, dst += ph.d * ph.h * ph.w) {
            int64_t d0, d1, h0, h1, w0, w1;
            valid(rd, g.sd, g.pd, g.depth, ph.d, d0, d1);
            valid(rh, g.sh, g.ph, g.height, ph.h, h0, h1);
            valid(rw, g.sw, g.pw, g.width, ph.w, w0, w1);
            for (int64_t md = 0; md < ph.d; ++md)
              for (int64_t mh = 0; mh < ph.h; ++mh) {
                T* row = dst + (md * ph.h + mh) * ph.w;
                if (md < d0 || md >= d1 || mh < h0 || mh >= h1 || w0 == w1) {
                  std::fill(row, row + ph.w, T(0));
                  continue;
                }
                const T* in = src + (md * g.sd + rd - g.pd) * hw + (mh * g.sh + rh - g.ph) * g.width;
                std::fill(row, row + w0, T(0));
                if (g.sw == 1) std::memcpy(row + w0, in + w0 + rw - g.pw, sizeof(T) * (w1 - w0));
                else
                  for (int64_t mw = w0; mw < w1; ++mw) row[mw] = in[mw * g.sw + rw - g.pw];
                std::fill(row + w1, row + ph.w, T(0));
              }
          }
    }
  });
}

// acc(MR x NR) = A(MR x kc) * B(kc x NR) as the GEMM micro-kernel computes it, with B row k read
// in place at b + offsets[k]; then C[:rows, :cols] = acc (+ C when accumulate).
template <typename T>
inline void indirect_kernel(int64_t kc, const T* a, const int64_t* offsets, const T* b, T* c, int64_t ldc, int rows,
                            int cols, bool accumulate) {
  using gemm_detail::Tile;
  constexpr int MR = Tile<T>::MR, NV = Tile<T>::NV, W = Tile<T>::W;
  using V = Vec<T>;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = V(T(0));
  auto step = [&](const T* ak, const T* bk) {
    V bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = V::load(bk + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const V av(ak[r]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[r][v] = fmadd(av, bv[v], acc[r][v]);
    }
  };
  int64_t k = 0;
  for (; k + 2 <= kc; k += 2, a += 2 * MR) {
    step(a, b + offsets[k]);
    step(a + MR, b + offsets[k + 1]);
  }
  if (k < kc) step(a, b + offsets[k]);
  for (int r = 0; r < rows; ++r) {
    T* row = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const int left = cols - v * W;
      if (left >= W) {
        if (accumulate) (acc[r][v] + V::load(row + v * W)).store(row + v * W);
        else acc[r][v].store(row + v * W);
      } else if (left > 0) {
        if (accumulate) (acc[r][v] + V::load_partial(row + v * W, left)).store_partial(row + v * W, left);
        else acc[r][v].store_partial(row + v * W, left);
      }
    }
  }
}

// Output position (od, oh, ow) sits at q = (od * h + oh) * w + ow of a phase volume, and tap k
// reads xp[q + Phases::tap(k)]. The GEMM runs, plane by plane, over the span of q that the rows
// cover, into a scratch tile whose padding columns are dropped when the rows are copied out.
template <typename T>
void conv_padded_forward(const char* w_, const char* xp_, char* out_, int64_t cout, const ConvGeom& g, int64_t r0,
                         int64_t r1, bool accumulate) {
  using gemm_detail::Tile;
  using V = Vec<T>;
  constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR;
  static thread_local gemm_detail::AlignedBuffer<T> a_buf, c_buf;
  static thread_local std::vector<int64_t> offsets;
  const T* w = reinterpret_cast<const T*>(w_);
  const T* xp = reinterpret_cast<const T*>(xp_);
  T* out = reinterpret_cast<T*>(out_);
  const Phases ph(g);
  const int64_t K = g.channels * g.kd * g.kh * g.kw, ldc = g.out_d * g.out_h * g.out_w;
  auto q_of = [&](int64_t r) { return ph.row(g, r); };
  const int64_t blocks = (K + gemm_detail::Blocks<T>::KC - 1) / gemm_detail::Blocks<T>::KC;
  const int64_t kc_step = (K + blocks - 1) / blocks;
  const int64_t slivers = (cout + MR - 1) / MR, mp = slivers * MR;
  offsets.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) offsets[static_cast<size_t>(k)] = ph.tap(g, k);
  T* ap = a_buf.get(static_cast<size_t>(mp * K));
  for (int64_t pc = 0; pc < K; pc += kc_step)
    gemm_detail::pack_a(w, K, false, 0, cout, pc, std::min(kc_step, K - pc), ap + pc * mp);
  for (int64_t ra = r0; ra < r1;) {
    const int64_t rb = std::min(r1, (ra / g.out_h + 1) * g.out_h);  // rows of one output plane
    const int64_t qa = q_of(ra), span = q_of(rb - 1) + g.out_w - qa;
    T* tile = c_buf.get(static_cast<size_t>(cout * span));
    for (int64_t pc = 0; pc < K; pc += kc_step) {
      const int64_t kc = std::min(kc_step, K - pc);
      for (int64_t q = 0; q < span; q += NR) {
        const int cols = static_cast<int>(std::min(NR, span - q));
        for (int64_t s = 0; s < slivers; ++s)
          indirect_kernel<T>(kc, ap + pc * mp + s * MR * kc, offsets.data() + pc, xp + qa + q, tile + s * MR * span + q,
                             span, static_cast<int>(std::min(MR, cout - s * MR)), cols, pc > 0);
      }
    }
    for (int64_t co = 0; co < cout; ++co)
      for (int64_t r = ra; r < rb; ++r) {
        const T* src = tile + co * span + q_of(r) - qa;
        T* dst = out + co * ldc + r * g.out_w;
        int64_t o = 0;
        for (; o + V::size <= g.out_w; o += V::size)
          (accumulate ? V::load(src + o) + V::load(dst + o) : V::load(src + o)).store(dst + o);
        for (; o < g.out_w; ++o) dst[o] = accumulate ? dst[o] + src[o] : src[o];
      }
    ra = rb;
  }
}

// acc (MR taps x NV vectors of output channels) += taps (MR x positions) . gt (positions x NV
// vectors, ldg apart) over `nrows` output rows of n positions: row rr's tap values are broadcast
// from the padded image at bases[rr] + offsets[r]. acc lives in dwt (rows ldd apart) between calls.
template <typename T, int MR, int NV>
void weight_tile(const T* const* bases, int nrows, const int64_t* offsets, int rows, const T* gt, int64_t ldg,
                 int64_t n, T* dwt, int64_t ldd) {
  constexpr int W = Vec<T>::size;
  using V = Vec<T>;
  V acc[MR][NV];
  int64_t off[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    off[r] = offsets[r < rows ? r : 0];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V::load(dwt + (r < rows ? r : 0) * ldd + v * W);
  }
  for (int rr = 0; rr < nrows; ++rr) {
    const T* tap[MR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) tap[r] = bases[rr] + off[r];
    for (int64_t t = 0; t < n; ++t, gt += ldg) {
      V bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = V::load(gt + v * W);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        const V av(tap[r][t]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = fmadd(av, bv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v].store(dwt + r * ldd + v * W);
}

// The weight gradient as dw^T (K x cout) += taps^T . grad^T over blocks of output rows: the
// gradient of a block is transposed once (positions x channels); every tap value is broadcast
// straight from the padded image, so the big operand is never packed. dw^T is accumulated in a
// scratch and added to dw at the end.
template <typename T>
void conv_padded_weight_grad(const char* xp_, const char* grad_, char* dw_, int64_t cout, const ConvGeom& g,
                             int64_t r0, int64_t r1) {
  constexpr int64_t W = Vec<T>::size, kMaxRows = 32;
  constexpr bool kWide = gemm_detail::Tile<T>::kZmm;
  static thread_local gemm_detail::AlignedBuffer<T> g_buf, d_buf;
  static thread_local std::vector<int64_t> offsets;
  const T* xp = reinterpret_cast<const T*>(xp_);
  const T* grad = reinterpret_cast<const T*>(grad_);
  T* dw = reinterpret_cast<T*>(dw_);
  const Phases ph(g);
  const int64_t K = g.channels * g.kd * g.kh * g.kw, P = g.out_d * g.out_h * g.out_w;
  const int64_t ld = (cout + W - 1) / W * W;  // channels, padded to whole vectors
  offsets.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) offsets[static_cast<size_t>(k)] = ph.tap(g, k);
  T* dwt = d_buf.get(static_cast<size_t>(K * ld));
  std::fill(dwt, dwt + K * ld, T(0));
  // Blocks of about 512 positions: each tap row then streams a long run of the image.
  const int64_t block = std::clamp<int64_t>(512 / std::max<int64_t>(g.out_w, 1), 4, kMaxRows);
  T* gt = g_buf.get(static_cast<size_t>(block * g.out_w * ld));
  const T* rows[64];
  for (int64_t ra = r0; ra < r1; ra += block) {
    const int64_t rb = std::min(r1, ra + block), n = (rb - ra) * g.out_w;
    for (int64_t c0 = 0; c0 < cout; c0 += 64) {  // grad^T of the block, 64 channels at a time
      const int cc = static_cast<int>(std::min<int64_t>(64, cout - c0));
      for (int c = 0; c < cc; ++c) rows[c] = grad + (c0 + c) * P + ra * g.out_w;
      gemm_detail::gather_rows(rows, cc, n, gt + c0, ld);
    }
    if (ld > cout)
      for (int64_t t = 0; t < n; ++t) std::fill(gt + t * ld + cout, gt + (t + 1) * ld, T(0));
    const T* bases[kMaxRows];
    for (int64_t r = ra; r < rb; ++r) bases[r - ra] = xp + ph.row(g, r);
    const int nrows = static_cast<int>(rb - ra);
    // Channels in chunks of up to 4 (AVX-512) or 2 vectors, each against tiles of 6 or 8 taps
    // (accumulators + one row of gradient vectors + a broadcast fill the register file).
    for (int64_t v0 = 0, nvec = ld / W; v0 < nvec;) {
      const int64_t rem = nvec - v0, nv = kWide ? (rem == 5 ? 3 : std::min<int64_t>(4, rem)) : std::min<int64_t>(2, rem);
      const int64_t mr = nv == 4 || (!kWide && nv == 2) ? 6 : 8;
      for (int64_t m0 = 0; m0 < K; m0 += mr) {
        const int rows_here = static_cast<int>(std::min(mr, K - m0));
        const int64_t* off = offsets.data() + m0;
        T* tile = dwt + m0 * ld + v0 * W;
        const T* gv = gt + v0 * W;
        if (nv == 4) weight_tile<T, 6, 4>(bases, nrows, off, rows_here, gv, ld, g.out_w, tile, ld);
        else if (nv == 3) weight_tile<T, 8, 3>(bases, nrows, off, rows_here, gv, ld, g.out_w, tile, ld);
        else if (nv == 2 && kWide) weight_tile<T, 8, 2>(bases, nrows, off, rows_here, gv, ld, g.out_w, tile, ld);
        else if (nv == 2) weight_tile<T, 6, 2>(bases, nrows, off, rows_here, gv, ld, g.out_w, tile, ld);
        else weight_tile<T, 8, 1>(bases, nrows, off, rows_here, gv, ld, g.out_w, tile, ld);
      }
      v0 += nv;
    }
  }
  for (int64_t co = 0; co < cout; ++co)
    for (int64_t k = 0; k < K; ++k) dw[co * K + k] += dwt[k * ld + co];
}

}  // namespace

void register_conv(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.im2col[dtype_index<T>] = im2col<T>;
    t.col2im[dtype_index<T>] = col2im<T>;
    t.conv2d_forward[dtype_index<T>] = conv_forward<T>;
    t.conv_padded_forward[dtype_index<T>] = conv_padded_forward<T>;
    t.conv_padded_weight_grad[dtype_index<T>] = conv_padded_weight_grad<T>;
    t.conv_pad[dtype_index<T>] = conv_pad<T>;
  });
  register_conv_depthwise(t);
}

}  // namespace tensorforge::cpu::TF_ISA_NS
