// The gate passes of one recurrent time step, for one batch row over hidden units [u0, u1),
// SIMD over Vec<T>. A gate row holds G blocks of H values (PyTorch's gate order). Forward
// passes read the pre-activations (input projection + recurrent product) and write the
// activations back in place for the backward; backward passes write the gradients of the
// pre-activations (dG) and add them to the bias-gradient sums `db` (when not null).
// Included only by rnn.cpp (compiled once per ISA).
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/simd/vec.h"
#include "cpu/simd/vmath.h"

namespace tensorforge::cpu::TF_ISA_NS::rnn_detail {

template <typename T>
inline Vec<T> load_n(const T* p, int64_t n) {
  return n >= Vec<T>::size ? Vec<T>::load(p) : Vec<T>::load_partial(p, n);
}
template <typename T>
inline void store_n(Vec<T> v, T* p, int64_t n) {
  if (n >= Vec<T>::size) v.store(p);
  else v.store_partial(p, n);
}
template <typename T>
inline void add_n(Vec<T> v, T* p, int64_t n) {
  store_n(load_n(p, n) + v, p, n);
}

// Forward passes loop over vectors [u, u + n) of the units [u0, u1), n = W but for the tail.
// (Plain loops, not a lambda per vector: captured pointers would be reloaded after every store.)

// The gate nonlinearities. float: tanh(x) = x P(x^2) / Q(x^2) on |x| <= 9 (a least-squares fit
// of the relative error, below 4e-7; x clamped beyond, where tanh rounds to +-1), and
// sigmoid(x) = (1 + tanh(x / 2)) / 2, absolute error below 2e-7: about half the work of the
// exp-based vtanh / vsigmoid. double keeps those. NaN propagates (the clamp keeps it).
template <typename T>
inline Vec<T> gate_tanh(Vec<T> x) {
  if constexpr (sizeof(T) == 4 && Vec<T>::size > 1) {
    const Vec<T> xc = vmin(Vec<T>(9.0f), vmax(Vec<T>(-9.0f), x));
    const Vec<T> u = xc * xc;
    const Vec<T> p = vpoly(u, 1.0, 0.130840808, 0.00310403528, 1.11551335e-05, -2.0228569e-08, 5.27955422e-11,
                           -8.49282057e-14);
    const Vec<T> q = vpoly(u, 1.0, 0.464174092, 0.0244954936, 0.000254626008);
    return xc * p / q;
  } else {
    return vtanh(x);
  }
}
template <typename T>
inline Vec<T> gate_sigmoid(Vec<T> x) {
  if constexpr (sizeof(T) == 4 && Vec<T>::size > 1) {
    const Vec<T> half(0.5f);
    return fmadd(half, gate_tanh(half * x), half);
  } else {
    return vsigmoid(x);
  }
}

// One step's operand: row b at p + b * ld (p null: absent).
template <typename T>
struct Rows {
  T* p;
  int64_t ld;
  T* operator[](int64_t b) const { return p + b * ld; }
};
// The state before each row's step: row b of the previous step for b < n_recent (a shorter
// previous step, in reverse time over packed sequences, has fewer), else the initial state.
template <typename T>
struct PrevRows {
  const T* recent;
  int64_t ld_recent, n_recent;
  const T* init;
  int64_t ld_init;
  const T* operator[](int64_t b) const { return b < n_recent ? recent + b * ld_recent : init + b * ld_init; }
};

// ---- Elman RNN: h = act(a), a = W_ih x + b_ih + W_hh h_prev + b_hh ----------------------------
template <typename T>
inline void rnn_forward_row(T* gates, const T* bias, bool relu, T* h_out, T* h_next, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  for (int64_t u = u0; u < u1; u += W) {
    const int64_t n = std::min(W, u1 - u);
    V a = load_n(gates + u, n);
    if (bias) a = a + load_n(bias + u, n);
    const V h = relu ? vmax(a, V(T(0))) : gate_tanh(a);
    store_n(h, gates + u, n);
    store_n(h, h_out + u, n);
    store_n(h, h_next + u, n);
  }
}

// Backward passes run one vector of units [u, u + n) down the step's rows, so each bias
// gradient is summed in a register and added to db (when not null) once.
template <typename T>
inline void rnn_backward_cols(int64_t rows, int64_t u, int64_t n, Rows<const T> h, bool relu, Rows<const T> dh,
                              Rows<const T> dout, Rows<T> dg, T* db) {
  using V = Vec<T>;
  const V zero(T(0)), one(T(1));
  V sum(T(0));
  for (int64_t b = 0; b < rows; ++b) {
    V g = load_n(dh[b] + u, n);
    if (dout.p) g = g + load_n(dout[b] + u, n);
    const V hv = load_n(h[b] + u, n);
    const V da = relu ? select(cmp_gt(hv, zero), g, zero) : g * (one - hv * hv);
    store_n(da, dg[b] + u, n);
    sum = sum + da;
  }
  if (db) add_n(sum, db + u, n);
}

// ---- LSTM: gates i, f, g, o; c = f c_prev + i g; m = o tanh(c) (h = m, or W_hr m) ------------
// c_state holds c_prev on entry and c on return; c_save is the reserve's copy. With m_save the
// layer projects (m is stored there), otherwise h = m goes to h_out and h_next.
template <typename T>
inline void lstm_forward_row(T* gates, const T* bias, T* c_state, T* c_save, T* m_save, T* h_out, T* h_next,
                             int64_t H, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  for (int64_t u = u0; u < u1; u += W) {
    const int64_t n = std::min(W, u1 - u);
    V ai = load_n(gates + u, n), af = load_n(gates + H + u, n);
    V ag = load_n(gates + 2 * H + u, n), ao = load_n(gates + 3 * H + u, n);
    if (bias) {
      ai = ai + load_n(bias + u, n);
      af = af + load_n(bias + H + u, n);
      ag = ag + load_n(bias + 2 * H + u, n);
      ao = ao + load_n(bias + 3 * H + u, n);
    }
    const V i = gate_sigmoid(ai), f = gate_sigmoid(af), g = gate_tanh(ag), o = gate_sigmoid(ao);
    const V c = fmadd(f, load_n(c_state + u, n), i * g);
    const V m = o * gate_tanh(c);
    store_n(i, gates + u, n);
    store_n(f, gates + H + u, n);
    store_n(g, gates + 2 * H + u, n);
    store_n(o, gates + 3 * H + u, n);
    store_n(c, c_state + u, n);
    store_n(c, c_save + u, n);
    if (m_save) {
      store_n(m, m_save + u, n);
    } else {
      store_n(m, h_out + u, n);
      store_n(m, h_next + u, n);
    }
  }
}

// gates: the reserve rows [i f g o | c]; c_prev: the previous cell state; dh: gradient w.r.t.
// m (plus dout when given); dc_state: gradient w.r.t. c flowing back from the next step on
// entry, w.r.t. c_prev on return.
template <typename T>
inline void lstm_backward_cols(int64_t rows, int64_t u, int64_t n, int64_t H, Rows<const T> gates, PrevRows<T> c_prev,
                               Rows<const T> dh, Rows<const T> dout, Rows<T> dc_state, Rows<T> dg, T* db) {
  using V = Vec<T>;
  const V one(T(1));
  V s_i(T(0)), s_f(T(0)), s_g(T(0)), s_o(T(0));
  for (int64_t b = 0; b < rows; ++b) {
    const T* gr = gates[b];
    V dm = load_n(dh[b] + u, n);
    if (dout.p) dm = dm + load_n(dout[b] + u, n);
    const V i = load_n(gr + u, n), f = load_n(gr + H + u, n);
    const V g = load_n(gr + 2 * H + u, n), o = load_n(gr + 3 * H + u, n);
    const V tc = gate_tanh(load_n(gr + 4 * H + u, n));
    T* dcs = dc_state[b] + u;
    const V dc = fmadd(dm * o, one - tc * tc, load_n(dcs, n));
    const V d_o = dm * tc * o * (one - o);
    const V d_i = dc * g * i * (one - i);
    const V d_g = dc * i * (one - g * g);
    const V d_f = dc * load_n(c_prev[b] + u, n) * f * (one - f);
    store_n(dc * f, dcs, n);
    T* d = dg[b];
    store_n(d_i, d + u, n);
    store_n(d_f, d + H + u, n);
    store_n(d_g, d + 2 * H + u, n);
    store_n(d_o, d + 3 * H + u, n);
    s_i = s_i + d_i;
    s_f = s_f + d_f;
    s_g = s_g + d_g;
    s_o = s_o + d_o;
  }
  if (db) {
    add_n(s_i, db + u, n);
    add_n(s_f, db + H + u, n);
    add_n(s_g, db + 2 * H + u, n);
    add_n(s_o, db + 3 * H + u, n);
  }
}

// ---- GRU: r, z from the summed projections; hn = W_hn h_prev + b_hn (kept apart in gh);
// n = tanh(W_in x + b_in + r hn); h = (1 - z) n + z h_prev -------------------------------------
// gates: the input projections [r, z, n] in, activations out; gh: the recurrent products;
// bias: [b_ir + b_hr, b_iz + b_hz, b_in] and bias_hn = b_hn (both null without bias).
template <typename T>
inline void gru_forward_row(T* gates, const T* gh, const T* bias, const T* bias_hn, T* hn_save, const T* h_prev,
                            T* h_out, T* h_next, int64_t H, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  constexpr int64_t W = V::size;
  for (int64_t u = u0; u < u1; u += W) {
    const int64_t n = std::min(W, u1 - u);
    V ar = load_n(gates + u, n) + load_n(gh + u, n);
    V az = load_n(gates + H + u, n) + load_n(gh + H + u, n);
    V an = load_n(gates + 2 * H + u, n);
    V hn = load_n(gh + 2 * H + u, n);
    if (bias) {
      ar = ar + load_n(bias + u, n);
      az = az + load_n(bias + H + u, n);
      an = an + load_n(bias + 2 * H + u, n);
      hn = hn + load_n(bias_hn + u, n);
    }
    const V r = gate_sigmoid(ar), z = gate_sigmoid(az);
    const V nv = gate_tanh(fmadd(r, hn, an));
    const V h = fmadd(z, load_n(h_prev + u, n) - nv, nv);
    store_n(r, gates + u, n);
    store_n(z, gates + H + u, n);
    store_n(nv, gates + 2 * H + u, n);
    store_n(hn, hn_save + u, n);
    store_n(h, h_out + u, n);
    store_n(h, h_next + u, n);
  }
}

// gates: the reserve rows [r z n | hn]; dh_state: gradient w.r.t. h on entry (plus dout when
// given); on return the part of the gradient w.r.t. h_prev that bypasses the GEMM (dh z). dg
// row: [dr, dz, dn_h, dn_x]: the gradients of the r and z pre-activations, of W_hn h + b_hn and
// of W_in x + b_in.
template <typename T>
inline void gru_backward_cols(int64_t rows, int64_t u, int64_t n, int64_t H, Rows<const T> gates, PrevRows<T> h_prev,
                              Rows<T> dh_state, Rows<const T> dout, Rows<T> dg, T* db) {
  using V = Vec<T>;
  const V one(T(1));
  V s_r(T(0)), s_z(T(0)), s_nh(T(0)), s_nx(T(0));
  for (int64_t b = 0; b < rows; ++b) {
    const T* gr = gates[b];
    T* dhs = dh_state[b] + u;
    V dh = load_n(dhs, n);
    if (dout.p) dh = dh + load_n(dout[b] + u, n);
    const V r = load_n(gr + u, n), z = load_n(gr + H + u, n), nv = load_n(gr + 2 * H + u, n);
    const V dnx = dh * (one - z) * (one - nv * nv);
    const V dz = dh * (load_n(h_prev[b] + u, n) - nv) * z * (one - z);
    const V dnh = dnx * r;
    const V dr = dnx * load_n(gr + 3 * H + u, n) * r * (one - r);
    store_n(dh * z, dhs, n);
    T* d = dg[b];
    store_n(dr, d + u, n);
    store_n(dz, d + H + u, n);
    store_n(dnh, d + 2 * H + u, n);
    store_n(dnx, d + 3 * H + u, n);
    s_r = s_r + dr;
    s_z = s_z + dz;
    s_nh = s_nh + dnh;
    s_nx = s_nx + dnx;
  }
  if (db) {
    add_n(s_r, db + u, n);
    add_n(s_z, db + H + u, n);
    add_n(s_nh, db + 2 * H + u, n);
    add_n(s_nx, db + 3 * H + u, n);
  }
}

}  // namespace tensorforge::cpu::TF_ISA_NS::rnn_detail
