// Fused recurrent layers (Elman tanh / relu, LSTM with optional projection, GRU), forward and
// backward through time. Per direction: one GEMM projects the whole input sequence into the
// reserve; each step then runs the recurrent product on weights packed once into GEMM panels,
// fused with the gate pass. With enough batch rows, each thread runs the whole recurrence on its
// own rows (batch rows never interact), with no synchronisation between steps; otherwise a
// step is split across threads by hidden units, the same units every step, and the threads
// meet at the end of each step. The backward mirrors this and forms the weight gradients as
// large GEMMs over the whole sequence at the end.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/register.h"
#include "cpu/rnn/rnn_gates.h"
#include "cpu/rnn/rnn_gemm.h"
#include "cpu/simd/ctype.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

using kernels::RnnDirection;
using kernels::RnnLayer;
using kernels::RnnSizes;
using namespace rnn_detail;

constexpr int kRelu = 1, kLstm = 2, kGru = 3;
constexpr int64_t kMaxChunks = 64;
// A step's recurrent GEMM is split across threads from this many multiply-adds on.
constexpr int64_t kStepGrain = int64_t{1} << 18;
// Copies outside the step loop are split across threads in pieces of at least this many elements.
constexpr int64_t kCopyGrain = int64_t{1} << 15;

// The sizes of one layer. Reserve row (width S): RNN [h]; LSTM [i f g o | c | m (proj)];
// GRU [r z n | hn]. Gradient row of the pre-activations (width Gd): RNN [da]; LSTM
// [di df dg do]; GRU [dr dz dn_h | dn_x].
struct Dims {
  int mode;
  int64_t G, H, P, I, B, rows, T, D, S, Gd;
  bool proj;
};

Dims dims_of(const RnnLayer& l) {
  Dims d{};
  d.mode = l.mode;
  d.G = l.mode == kLstm ? 4 : (l.mode == kGru ? 3 : 1);
  d.H = l.hidden;
  d.proj = l.proj > 0;
  d.P = d.proj ? l.proj : l.hidden;
  d.I = l.input_size;
  d.B = l.batch;
  d.rows = l.rows;
  d.T = l.steps;
  d.D = l.dirs;
  d.S = l.mode == kLstm ? (d.proj ? 6 : 5) * d.H : (l.mode == kGru ? 4 * d.H : d.H);
  d.Gd = l.mode == kGru ? 4 * d.H : d.G * d.H;
  return d;
}

// `units` columns split into ranges starting at multiples of the panel width, and for each
// range the first of its packed panels (G groups of ceil(width / NR) panels per range).
struct Partition {
  int64_t n = 1;
  int64_t start[kMaxChunks + 1];
  int64_t panel0[kMaxChunks + 1];
};

template <typename T>
Partition partition(int64_t units, int64_t chunks, int64_t groups) {
  constexpr int64_t NR = StepTile<T>::NR;
  const int64_t blocks = (units + NR - 1) / NR;
  const int64_t want = std::max<int64_t>(1, std::min({chunks, blocks, kMaxChunks}));
  const int64_t step = (blocks + want - 1) / want * NR;
  Partition p;
  p.n = (units + step - 1) / step;
  p.panel0[0] = 0;
  for (int64_t k = 0; k < p.n; ++k) {
    p.start[k] = k * step;
    const int64_t width = std::min(units, (k + 1) * step) - k * step;
    p.panel0[k + 1] = p.panel0[k] + groups * ((width + NR - 1) / NR);
  }
  p.start[p.n] = units;
  return p;
}

// Elements that packed panels of `units` columns (G groups), depth K, need for up to `chunks`.
template <typename T>
int64_t packed_size(int64_t units, int64_t groups, int64_t depth, int64_t chunks) {
  return groups * (units + std::min(chunks, kMaxChunks) * StepTile<T>::NR) * depth;
}

// Scratch carved from one buffer; with base null it only counts (the sizes query).
template <typename T>
struct Carver {
  T* base;
  int64_t at = 0;
  T* take(int64_t n) {
    T* p = base ? base + at : nullptr;
    at += (n + 15) / 16 * 16;  // 64-byte aligned pieces
    return p;
  }
};

template <typename T>
struct ForwardWork {
  T *bias, *bias_hn, *h[2], *c, *gh, *packed;
  int64_t size;
  ForwardWork(const Dims& d, int64_t chunks, T* base) {
    Carver<T> w{base};
    bias = w.take(d.G * d.H);
    bias_hn = w.take(d.H);
    h[0] = w.take(d.B * d.P);
    h[1] = w.take(d.B * d.P);
    c = w.take(d.mode == kLstm ? d.B * d.H : 0);
    gh = w.take(d.mode == kGru ? d.B * 3 * d.H : 0);
    packed = w.take(packed_size<T>(d.H, d.G, d.P, chunks));
    size = w.at;
  }
};

// xh: the rows [x | h_prev] the weight gradients are formed from; dw: [dW_ih | dW_hh].
template <typename T>
struct BackwardWork {
  T *dg, *dh, *dc, *db, *dm, *dhp, *xh, *dw, *packed, *db_parts;
  int64_t size;
  BackwardWork(const Dims& d, int64_t chunks, T* base) {
    Carver<T> w{base};
    dg = w.take(d.rows * d.Gd);
    dh = w.take(d.B * d.P);
    dc = w.take(d.mode == kLstm ? d.B * d.H : 0);
    db = w.take(d.Gd);
    dm = w.take(d.proj ? d.B * d.H : 0);
    dhp = w.take(d.proj ? d.rows * d.P : 0);
    xh = w.take(d.rows * (d.I + d.P));
    dw = w.take(d.G * d.H * (d.I + d.P));
    packed = w.take(d.proj ? packed_size<T>(d.H, 1, d.P, chunks) : packed_size<T>(d.P, 1, d.G * d.H, chunks));
    db_parts = w.take(std::min(chunks, kMaxChunks) * d.Gd);  // last: its size depends on chunks
    size = w.at;
  }
};

// Packs columns [g * gate_stride + u] of op(B) (depth K) for each range's units u as NR-wide
// panels: group g, panel q of range k at packed + (panel0[k] + g * panels_k + q) * NR * K.
// Each range is packed by the thread that later uses it.
template <typename T>
void pack_panels(const T* b, int64_t ldb, bool trans, int64_t depth, int64_t groups, int64_t gate_stride,
                 const Partition& p, T* packed) {
  constexpr int64_t NR = StepTile<T>::NR;
  parallel_for(0, p.n, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t u0 = p.start[k], u1 = p.start[k + 1];
      const int64_t np = (p.panel0[k + 1] - p.panel0[k]) / groups;
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t q = 0; q < np; ++q) {
          const int64_t j0 = u0 + q * NR;
          const int cols = static_cast<int>(std::min(NR, u1 - j0));
          pack_step_panel(b, ldb, trans, 0, depth, g * gate_stride + j0, cols,
                              packed + (p.panel0[k] + g * np + q) * NR * depth);
        }
    }
  });
}

// C[rows, cols] (+)= A[rows, K] * one packed panel, A read in place one MR-row sliver at a time.
template <typename T>
inline void panel_gemm(int64_t rows, int64_t cols, int64_t depth, const T* a, int64_t lda, const T* panel, T* c,
                       int64_t ldc, bool accumulate) {
  constexpr int64_t MR = StepTile<T>::MR;
  for (int64_t s = 0, slivers = (rows + MR - 1) / MR; s < slivers; ++s) {
    int64_t r0;
    int n;
    sliver_rows<T>(rows, s, r0, n);
    step_tile(n, depth, a + r0 * lda, lda, panel, c + r0 * ldc, ldc, static_cast<int>(cols), accumulate);
  }
}

// C (+)= A * op(B) over the columns of range k (all groups): the per-thread part of a step.
template <typename T>
inline void range_gemm(const Partition& p, int64_t k, int64_t groups, int64_t gate_stride, int64_t rows, int64_t depth,
                       const T* a, int64_t lda, const T* packed, T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t NR = StepTile<T>::NR;
  const int64_t u0 = p.start[k], u1 = p.start[k + 1];
  const int64_t np = (p.panel0[k + 1] - p.panel0[k]) / groups;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t q = 0; q < np; ++q) {
      const int64_t j0 = u0 + q * NR;
      panel_gemm(rows, std::min(NR, u1 - j0), depth, a, lda, packed + (p.panel0[k] + g * np + q) * NR * depth,
                 c + g * gate_stride + j0, ldc, accumulate);
    }
}

// Threads for one step of a direction: all of them when the step is large enough.
int64_t step_chunks(const RnnLayer& l, const Dims& d) {
  const int64_t macs = d.B * d.G * d.H * d.P;
  return macs >= kStepGrain && !in_parallel_region() ? l.chunks : 1;
}

// Whether `chunks` threads each take a share of the batch rows for the whole sequence (at least
// one full register tile of rows each) instead of sharing out every step's hidden units.
template <typename T>
bool split_rows(const Dims& d, int64_t chunks) {
  return chunks >= 2 && d.B >= chunks * StepTile<T>::MR;
}

// Runs fn(c, b0, b1) for each of `chunks` threads, thread c taking batch rows [b0, b1).
template <typename F>
void for_row_shares(int64_t rows, int64_t chunks, const F& fn) {
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) fn(c, rows * c / chunks, rows * (c + 1) / chunks);
  });
}

// The step processed i-th going forward in time order of direction `dir`.
inline int64_t time_of(int64_t i, int64_t steps, bool reverse) { return reverse ? steps - 1 - i : i; }

template <typename T>
void copy_rows(T* dst, int64_t ld_dst, const T* src, int64_t ld_src, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * ld_dst, src + r * ld_src, cols * sizeof(T));
}

// ---- forward ---------------------------------------------------------------------------------
template <typename T>
void forward_recurrence(const RnnLayer& l, int dir, int64_t chunks) {
  const Dims d = dims_of(l);
  const RnnDirection& io = l.dir[dir];
  const bool reverse = dir == 1;
  const int64_t H = d.H, P = d.P, S = d.S, ldo = d.D * d.P;
  T* res = reinterpret_cast<T*>(io.reserve);
  T* out = reinterpret_cast<T*>(l.out) + dir * P;
  ForwardWork<T> w(d, chunks, reinterpret_cast<T*>(io.work));

  const T* b_ih = reinterpret_cast<const T*>(io.b_ih);
  const T* b_hh = reinterpret_cast<const T*>(io.b_hh);
  const T* bias = nullptr;
  if (b_ih) {
    // r and z (and every RNN / LSTM gate) add both biases; GRU's b_hn stays inside r * (.).
    const int64_t both = d.mode == kGru ? 2 * H : d.G * H;
    for (int64_t j = 0; j < d.G * H; ++j) w.bias[j] = j < both ? b_ih[j] + b_hh[j] : b_ih[j];
    if (d.mode == kGru) std::memcpy(w.bias_hn, b_hh + 2 * H, H * sizeof(T));
    bias = w.bias;
  }
  const T* h0 = reinterpret_cast<const T*>(io.h0);
  std::memcpy(w.h[0], h0, d.B * P * sizeof(T));
  std::memcpy(w.h[1], h0, d.B * P * sizeof(T));
  if (d.mode == kLstm) std::memcpy(w.c, io.c0, d.B * H * sizeof(T));

  const Partition part = partition<T>(H, chunks, d.G);
  pack_panels(reinterpret_cast<const T*>(io.w_hh), P, true, P, d.G, H, part, w.packed);
  const T* w_hr = reinterpret_cast<const T*>(io.w_hr);

  // Step i for batch rows [b0, b1) (those present at the step) and unit ranges [k0, k1).
  auto step_rows = [&](int64_t i, int64_t b0, int64_t b1, int64_t k0, int64_t k1) {
    const int64_t t = time_of(i, d.T, reverse);
    const int64_t off = l.offsets[t], e = std::min(b1, l.batch_sizes[t]), n = e - b0;
    if (n <= 0) return;
    T* gates = res + (off + b0) * S;
    T* orow = out + (off + b0) * ldo;
    const T* hcur = w.h[i & 1] + b0 * P;
    T* hnext = w.h[(i + 1) & 1] + b0 * P;
    T* cst = d.mode == kLstm ? w.c + b0 * H : nullptr;
    T* gh = d.mode == kGru ? w.gh + b0 * 3 * H : nullptr;
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t u0 = part.start[k], u1 = part.start[k + 1];
      if (d.mode == kGru)
        range_gemm(part, k, d.G, H, n, P, hcur, P, w.packed, gh, 3 * H, false);
      else if (i > 0 || !l.zero_h0)
        range_gemm(part, k, d.G, H, n, P, hcur, P, w.packed, gates, S, true);
      for (int64_t b = 0; b < n; ++b) {
        T* g = gates + b * S;
        if (d.mode == kLstm)
          lstm_forward_row(g, bias, cst + b * H, g + 4 * H, d.proj ? g + 5 * H : nullptr, orow + b * ldo,
                           hnext + b * P, H, u0, u1);
        else if (d.mode == kGru)
          gru_forward_row(g, gh + b * 3 * H, bias, bias ? w.bias_hn : nullptr, g + 3 * H, hcur + b * P,
                          orow + b * ldo, hnext + b * P, H, u0, u1);
        else
          rnn_forward_row(g, bias, d.mode == kRelu, orow + b * ldo, hnext + b * P, u0, u1);
      }
    }
  };
  // The rest of step i for rows [b0, b1): the projection, and (packed input, forward in time)
  // the final state kept by sequences that ended the step before.
  auto step_tail = [&](int64_t i, int64_t b0, int64_t b1) {
    const int64_t t = time_of(i, d.T, reverse);
    const int64_t rows = l.batch_sizes[t], off = l.offsets[t], e = std::min(b1, rows);
    const T* hcur = w.h[i & 1];
    T* hnext = w.h[(i + 1) & 1];
    if (d.proj && e > b0) {
      T* orow = out + (off + b0) * ldo;
      l.gemm(false, true, e - b0, P, H, res + (off + b0) * S + 5 * H, S, w_hr, H, orow, ldo, 0.0);
      copy_rows(hnext + b0 * P, P, orow, ldo, e - b0, P);
    }
    if (!reverse && t > 0) {
      const int64_t from = std::max(rows, b0), to = std::min(l.batch_sizes[t - 1], b1);
      if (to > from) copy_rows(hnext + from * P, P, hcur + from * P, P, to - from, P);
    }
  };
  if (split_rows<T>(d, chunks)) {
    for_row_shares(d.B, chunks, [&](int64_t, int64_t b0, int64_t b1) {
      for (int64_t i = 0; i < d.T; ++i) {
        step_rows(i, b0, b1, 0, part.n);
        step_tail(i, b0, b1);
      }
    });
  } else {
    for (int64_t i = 0; i < d.T; ++i) {
      parallel_for(0, part.n, 1, [&](int64_t k0, int64_t k1) { step_rows(i, 0, d.B, k0, k1); });
      step_tail(i, 0, d.B);
    }
  }
  std::memcpy(io.h_n, w.h[d.T & 1], d.B * P * sizeof(T));
  if (d.mode == kLstm) std::memcpy(io.c_n, w.c, d.B * H * sizeof(T));
}

template <typename T>
void rnn_forward(const RnnLayer& l) {
  const Dims d = dims_of(l);
  for (int dir = 0; dir < d.D; ++dir)
    l.gemm(false, true, d.rows, d.G * d.H, d.I, l.x, d.I, l.dir[dir].w_ih, d.I, l.dir[dir].reserve, d.S, 0.0);
  if (d.D == 2 && l.chunks >= 2 && !in_parallel_region()) {
    // The two directions are independent: one thread each, no per-step synchronisation.
    parallel_for(0, 2, 1, [&](int64_t a, int64_t b) {
      for (int64_t dir = a; dir < b; ++dir) forward_recurrence<T>(l, static_cast<int>(dir), 1);
    });
  } else {
    for (int dir = 0; dir < d.D; ++dir) forward_recurrence<T>(l, dir, step_chunks(l, d));
  }
}

// ---- backward --------------------------------------------------------------------------------
template <typename T>
void backward_recurrence(const RnnLayer& l, int dir, int64_t chunks) {
  const Dims d = dims_of(l);
  const RnnDirection& io = l.dir[dir];
  const bool reverse = dir == 1;
  const int64_t H = d.H, P = d.P, S = d.S, Gd = d.Gd, GH = d.G * d.H, ldo = d.D * d.P;
  const T* res = reinterpret_cast<const T*>(io.reserve);
  const T* out = reinterpret_cast<const T*>(l.out) + dir * P;
  const T* gout = l.grad_out ? reinterpret_cast<const T*>(l.grad_out) + dir * P : nullptr;
  const T* h0 = reinterpret_cast<const T*>(io.h0);
  const T* c0 = reinterpret_cast<const T*>(io.c0);
  BackwardWork<T> w(d, chunks, reinterpret_cast<T*>(io.work));

  if (io.grad_hn) std::memcpy(w.dh, io.grad_hn, d.B * P * sizeof(T));
  else std::fill(w.dh, w.dh + d.B * P, T(0));
  if (d.mode == kLstm) {
    if (io.grad_cn) std::memcpy(w.dc, io.grad_cn, d.B * H * sizeof(T));
    else std::fill(w.dc, w.dc + d.B * H, T(0));
  }
  T* db = io.grad_b_ih ? w.db : nullptr;
  if (db) std::fill(db, db + Gd, T(0));

  // The dh GEMM: dG W_hh (K = G*H, over P columns), or with a projection dm = dh_P W_hr (K = P,
  // over H columns; dG W_hh then goes through the table GEMM).
  const Partition part = partition<T>(d.proj ? H : P, chunks, 1);
  if (d.proj) pack_panels(reinterpret_cast<const T*>(io.w_hr), H, false, P, 1, 0, part, w.packed);
  else pack_panels(reinterpret_cast<const T*>(io.w_hh), P, false, GH, 1, 0, part, w.packed);

  // Step t's gate gradients for units [u0, u1) of its rows in [b0, b1); dsrc holds the gradient
  // of the step's m (LSTM) or h, dout the output gradient still to add (or null); the bias
  // gradient sums go to db_out (or nowhere when null).
  auto gate_rows = [&](int64_t t, int64_t b0, int64_t b1, int64_t u0, int64_t u1, const T* dsrc, int64_t ld_src,
                       const T* dout, T* db_out) {
    constexpr int64_t W = Vec<T>::size;
    const int64_t off = l.offsets[t], rows = std::min(b1, l.batch_sizes[t]) - b0;
    if (rows <= 0) return;
    const int64_t prev = reverse ? t + 1 : t - 1;
    const int64_t n_prev = prev >= 0 && prev < d.T ? l.batch_sizes[prev] : 0;
    const int64_t prev_off = n_prev ? l.offsets[prev] : 0, recent = std::max<int64_t>(0, n_prev - b0);
    const Rows<const T> gates{res + (off + b0) * S, S}, dh{dsrc + b0 * ld_src, ld_src};
    const Rows<const T> dgo{dout ? dout + (off + b0) * ldo : nullptr, ldo};
    const Rows<T> dg{w.dg + (off + b0) * Gd, Gd};
    for (int64_t u = u0; u < u1; u += W) {
      const int64_t n = std::min(W, u1 - u);
      if (d.mode == kLstm)
        lstm_backward_cols(rows, u, n, H, gates,
                           PrevRows<T>{res + (prev_off + b0) * S + 4 * H, S, recent, c0 + b0 * H, H}, dh, dgo,
                           Rows<T>{w.dc + b0 * H, H}, dg, db_out);
      else if (d.mode == kGru)
        gru_backward_cols(rows, u, n, H, gates, PrevRows<T>{out + (prev_off + b0) * ldo, ldo, recent, h0 + b0 * P, P},
                          Rows<T>{w.dh + b0 * P, P}, dgo, dg, db_out);
      else
        rnn_backward_cols(rows, u, n, gates, d.mode == kRelu, dh, dgo, dg, db_out);
    }
  };
  const T* w_hh = reinterpret_cast<const T*>(io.w_hh);
  if (!d.proj) {
    // Round i for rows [b0, b1), unit ranges [k0, k1): dh = dG(tp) W_hh (tp: the previous
    // round's step), then step t's gate gradients. The last round only forms dh0 (skipped when
    // nobody wants it).
    const int64_t rounds = io.grad_h0 ? d.T + 1 : d.T;
    auto step_of = [&](int64_t i) { return i < d.T ? time_of(d.T - 1 - i, d.T, reverse) : int64_t{-1}; };
    auto one_round = [&](int64_t i, int64_t b0, int64_t b1, int64_t k0, int64_t k1, T* db_out) {
      const int64_t t = step_of(i), tp = i > 0 ? step_of(i - 1) : -1;
      for (int64_t k = k0; k < k1; ++k) {
        if (tp >= 0) {
          const int64_t n = std::min(b1, l.batch_sizes[tp]) - b0;
          if (n > 0)
            range_gemm(part, k, 1, 0, n, GH, w.dg + (l.offsets[tp] + b0) * Gd, Gd, w.packed, w.dh + b0 * P, P,
                       d.mode == kGru);
        }
        if (t >= 0) gate_rows(t, b0, b1, part.start[k], part.start[k + 1], w.dh, P, gout, db_out);
      }
    };
    if (split_rows<T>(d, chunks)) {
      for_row_shares(d.B, chunks, [&](int64_t c, int64_t b0, int64_t b1) {
        T* db_part = db ? w.db_parts + c * Gd : nullptr;
        if (db_part) std::fill(db_part, db_part + Gd, T(0));
        for (int64_t i = 0; i < rounds; ++i) one_round(i, b0, b1, 0, part.n, db_part);
      });
      if (db)
        for (int64_t c = 0; c < chunks; ++c)
          for (int64_t j = 0; j < Gd; ++j) db[j] += w.db_parts[c * Gd + j];
    } else {
      for (int64_t i = 0; i < rounds; ++i)
        parallel_for(0, part.n, 1, [&](int64_t k0, int64_t k1) { one_round(i, 0, d.B, k0, k1, db); });
    }
  } else {
    int64_t t_prev = -1;  // the step processed before (its dG feeds this step's dh)
    for (int64_t i = 0; i < d.T; ++i) {
      const int64_t t = time_of(d.T - 1 - i, d.T, reverse);
      const int64_t rows = l.batch_sizes[t], off = l.offsets[t];
      if (t_prev >= 0)
        l.gemm(false, false, l.batch_sizes[t_prev], P, GH, w.dg + l.offsets[t_prev] * Gd, Gd, w_hh, P, w.dh, P, 0.0);
      T* dhp = w.dhp + off * P;
      for (int64_t b = 0; b < rows; ++b)
        for (int64_t j = 0; j < P; ++j) dhp[b * P + j] = w.dh[b * P + j] + (gout ? gout[(off + b) * ldo + j] : T(0));
      parallel_for(0, part.n, 1, [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k) {
          range_gemm(part, k, 1, 0, rows, P, dhp, P, w.packed, w.dm, H, false);
          gate_rows(t, 0, d.B, part.start[k], part.start[k + 1], w.dm, H, nullptr, db);
        }
      });
      t_prev = t;
    }
    l.gemm(false, false, l.batch_sizes[t_prev], P, GH, w.dg + l.offsets[t_prev] * Gd, Gd, w_hh, P, w.dh, P, 0.0);
  }
  if (io.grad_h0) std::memcpy(io.grad_h0, w.dh, d.B * P * sizeof(T));
  if (io.grad_c0 && d.mode == kLstm) std::memcpy(io.grad_c0, w.dc, d.B * H * sizeof(T));
}

// The weight, bias and input gradients of direction `dir` from its dG (large GEMMs).
template <typename T>
void backward_gemms(const RnnLayer& l, int dir) {
  const Dims d = dims_of(l);
  const RnnDirection& io = l.dir[dir];
  const bool reverse = dir == 1;
  const int64_t H = d.H, P = d.P, I = d.I, Gd = d.Gd, GH = d.G * d.H, ldo = d.D * d.P, rows = d.rows;
  BackwardWork<T> w(d, 1, reinterpret_cast<T*>(io.work));
  const T* x = reinterpret_cast<const T*>(l.x);
  const T* out = reinterpret_cast<const T*>(l.out) + dir * P;
  const T* h0 = reinterpret_cast<const T*>(io.h0);
  const T* w_ih = reinterpret_cast<const T*>(io.w_ih);
  const bool gru = d.mode == kGru;
  // One GEMM over [x | h_prev] gives dW_ih and dW_hh together (a wider GEMM runs faster than
  // two). GRU's n rows differ: W_in meets dn_x and W_hn meets dn_h.
  if (io.grad_w_ih) {
    const int64_t XP = I + P;
    parallel_for(0, d.T, std::max<int64_t>(1, kCopyGrain / (d.B * XP)), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t prev = reverse ? t + 1 : t - 1;
        const int64_t n_prev = prev >= 0 && prev < d.T ? l.batch_sizes[prev] : 0;
        const int64_t n = l.batch_sizes[t], from_prev = std::min(n, n_prev);
        T* dst = w.xh + l.offsets[t] * XP;
        copy_rows(dst, XP, x + l.offsets[t] * I, I, n, I);
        if (from_prev) copy_rows(dst + I, XP, out + l.offsets[prev] * ldo, ldo, from_prev, P);
        copy_rows(dst + from_prev * XP + I, XP, h0 + from_prev * P, P, n - from_prev, P);
      }
    });
    T* gw_ih = reinterpret_cast<T*>(io.grad_w_ih);
    T* gw_hh = reinterpret_cast<T*>(io.grad_w_hh);
    const int64_t shared = gru ? 2 * H : GH;
    // Formed transposed, dW^T = [x | h_prev]^T dG: dG (rows of G*H values, 4 KB apart for
    // hidden 256) is then read along its rows as op(B); read down its columns as op(A) those
    // rows alias in the caches (measured ~5% slower). The copy-out transposes back.
    l.gemm(true, false, XP, shared, rows, w.xh, XP, w.dg, Gd, w.dw, shared, 0.0);
    parallel_for(0, shared, std::max<int64_t>(1, kCopyGrain / XP), [&](int64_t r0, int64_t r1) {
      // Rows [r0, r1) of dst (width `cols`) from the columns of the dW^T rows starting at src.
      auto untranspose = [&](const T* src, int64_t cols, T* dst) {
        for (int64_t j = 0; j < cols; j += 64)
          gemm_detail::transpose_pack(src + j * shared + r0, shared, static_cast<int>(std::min<int64_t>(64, cols - j)),
                                      r1 - r0, dst + r0 * cols + j, cols);
      };
      untranspose(w.dw, I, gw_ih);
      untranspose(w.dw + I * shared, P, gw_hh);
    });
    if (gru) {
      l.gemm(true, false, H, I, rows, w.dg + 3 * H, Gd, w.xh, XP, gw_ih + 2 * H * I, I, 0.0);
      l.gemm(true, false, H, P, rows, w.dg + 2 * H, Gd, w.xh + I, XP, gw_hh + 2 * H * P, P, 0.0);
    }
  }
  if (io.grad_w_hr)
    l.gemm(true, false, P, H, rows, w.dhp, P, reinterpret_cast<const T*>(io.reserve) + 5 * H, d.S,
           reinterpret_cast<T*>(io.grad_w_hr), H, 0.0);
  if (io.grad_b_ih) {
    T* gb_ih = reinterpret_cast<T*>(io.grad_b_ih);
    T* gb_hh = reinterpret_cast<T*>(io.grad_b_hh);
    std::memcpy(gb_ih, w.db, (gru ? 2 * H : GH) * sizeof(T));
    std::memcpy(gb_hh, w.db, (gru ? 3 * H : GH) * sizeof(T));
    if (gru) std::memcpy(gb_ih + 2 * H, w.db + 3 * H, H * sizeof(T));
  }
  if (l.grad_x) {
    const double beta = dir > 0 ? 1.0 : 0.0;
    l.gemm(false, false, rows, I, gru ? 2 * H : GH, w.dg, Gd, w_ih, I, l.grad_x, I, beta);
    if (gru) l.gemm(false, false, rows, I, H, w.dg + 3 * H, Gd, w_ih + 2 * H * I, I, l.grad_x, I, 1.0);
  }
}

template <typename T>
void rnn_backward(const RnnLayer& l) {
  const Dims d = dims_of(l);
  if (d.D == 2 && l.chunks >= 2 && !in_parallel_region()) {
    parallel_for(0, 2, 1, [&](int64_t a, int64_t b) {
      for (int64_t dir = a; dir < b; ++dir) backward_recurrence<T>(l, static_cast<int>(dir), 1);
    });
  } else {
    for (int dir = 0; dir < d.D; ++dir) backward_recurrence<T>(l, dir, step_chunks(l, d));
  }
  for (int dir = 0; dir < d.D; ++dir) backward_gemms<T>(l, dir);
}

template <typename T>
RnnSizes rnn_sizes(const RnnLayer& l) {
  const Dims d = dims_of(l);
  return {d.S, ForwardWork<T>(d, l.chunks, nullptr).size, BackwardWork<T>(d, l.chunks, nullptr).size};
}

}  // namespace

void register_rnn(KernelTable& t) {
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    t.rnn_sizes[dtype_index<T>] = rnn_sizes<T>;
    t.rnn_forward[dtype_index<T>] = rnn_forward<T>;
    t.rnn_backward[dtype_index<T>] = rnn_backward<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
