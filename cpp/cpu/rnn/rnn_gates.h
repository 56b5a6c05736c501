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

// Calls f(u, n) for each vector [u, u + n) of the units [u0, u1).
template <typename T, typename F>
inline void for_units(int64_t u0, int64_t u1, F&& f) {
  constexpr int64_t W = Vec<T>::size;
  for (int64_t u = u0; u < u1; u += W) f(u, std::min(W, u1 - u));
}

// ---- Elman RNN: h = act(a), a = W_ih x + b_ih + W_hh h_prev + b_hh ----------------------------
template <typename T>
inline void rnn_forward_row(T* gates, const T* bias, bool relu, T* h_out, T* h_next, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  for_units<T>(u0, u1, [&](int64_t u, int64_t n) {
    V a = load_n(gates + u, n);
    if (bias) a = a + load_n(bias + u, n);
    const V h = relu ? vmax(a, V(T(0))) : vtanh(a);
    store_n(h, gates + u, n);
    store_n(h, h_out + u, n);
    store_n(h, h_next + u, n);
  });
}

// h: the saved activations; dh: gradient w.r.t. h (plus dout when not null).
template <typename T>
inline void rnn_backward_row(const T* h, bool relu, const T* dh, const T* dout, T* dg, T* db, int64_t u0,
                             int64_t u1) {
  using V = Vec<T>;
  const V zero(T(0)), one(T(1));
  for_units<T>(u0, u1, [&](int64_t u, int64_t n) {
    V g = load_n(dh + u, n);
    if (dout) g = g + load_n(dout + u, n);
    const V hv = load_n(h + u, n);
    const V da = relu ? select(cmp_gt(hv, zero), g, zero) : g * (one - hv * hv);
    store_n(da, dg + u, n);
    if (db) add_n(da, db + u, n);
  });
}

// ---- LSTM: gates i, f, g, o; c = f c_prev + i g; m = o tanh(c) (h = m, or W_hr m) ------------
// c_state holds c_prev on entry and c on return; c_save is the reserve's copy. With m_save the
// layer projects (m is stored there), otherwise h = m goes to h_out and h_next.
template <typename T>
inline void lstm_forward_row(T* gates, const T* bias, T* c_state, T* c_save, T* m_save, T* h_out, T* h_next,
                             int64_t H, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  for_units<T>(u0, u1, [&](int64_t u, int64_t n) {
    V ai = load_n(gates + u, n), af = load_n(gates + H + u, n);
    V ag = load_n(gates + 2 * H + u, n), ao = load_n(gates + 3 * H + u, n);
    if (bias) {
      ai = ai + load_n(bias + u, n);
      af = af + load_n(bias + H + u, n);
      ag = ag + load_n(bias + 2 * H + u, n);
      ao = ao + load_n(bias + 3 * H + u, n);
    }
    const V i = vsigmoid(ai), f = vsigmoid(af), g = vtanh(ag), o = vsigmoid(ao);
    const V c = fmadd(f, load_n(c_state + u, n), i * g);
    const V m = o * vtanh(c);
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
  });
}

// gates: saved activations; c, c_prev: this and the previous cell state; dh: gradient w.r.t.
// m (plus dout when not null); dc_state: gradient w.r.t. c flowing back from the next step on
// entry, w.r.t. c_prev on return.
template <typename T>
inline void lstm_backward_row(const T* gates, const T* c, const T* c_prev, const T* dh, const T* dout,
                              T* dc_state, T* dg, T* db, int64_t H, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  const V one(T(1));
  for_units<T>(u0, u1, [&](int64_t u, int64_t n) {
    V dm = load_n(dh + u, n);
    if (dout) dm = dm + load_n(dout + u, n);
    const V i = load_n(gates + u, n), f = load_n(gates + H + u, n);
    const V g = load_n(gates + 2 * H + u, n), o = load_n(gates + 3 * H + u, n);
    const V tc = vtanh(load_n(c + u, n));
    const V dc = fmadd(dm * o, one - tc * tc, load_n(dc_state + u, n));
    const V d_o = dm * tc * o * (one - o);
    const V d_i = dc * g * i * (one - i);
    const V d_g = dc * i * (one - g * g);
    const V d_f = dc * load_n(c_prev + u, n) * f * (one - f);
    store_n(dc * f, dc_state + u, n);
    store_n(d_i, dg + u, n);
    store_n(d_f, dg + H + u, n);
    store_n(d_g, dg + 2 * H + u, n);
    store_n(d_o, dg + 3 * H + u, n);
    if (db) {
      add_n(d_i, db + u, n);
      add_n(d_f, db + H + u, n);
      add_n(d_g, db + 2 * H + u, n);
      add_n(d_o, db + 3 * H + u, n);
    }
  });
}

// ---- GRU: r, z from the summed projections; hn = W_hn h_prev + b_hn (kept apart in gh);
// n = tanh(W_in x + b_in + r hn); h = (1 - z) n + z h_prev -------------------------------------
// gates: the input projections [r, z, n] in, activations out; gh: the recurrent products;
// bias: [b_ir + b_hr, b_iz + b_hz, b_in] and bias_hn = b_hn (both null without bias).
template <typename T>
inline void gru_forward_row(T* gates, const T* gh, const T* bias, const T* bias_hn, T* hn_save, const T* h_prev,
                            T* h_out, T* h_next, int64_t H, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  for_units<T>(u0, u1, [&](int64_t u, int64_t n) {
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
    const V r = vsigmoid(ar), z = vsigmoid(az);
    const V nv = vtanh(fmadd(r, hn, an));
    const V h = fmadd(z, load_n(h_prev + u, n) - nv, nv);
    store_n(r, gates + u, n);
    store_n(z, gates + H + u, n);
    store_n(nv, gates + 2 * H + u, n);
    store_n(hn, hn_save + u, n);
    store_n(h, h_out + u, n);
    store_n(h, h_next + u, n);
  });
}

// dh_state: gradient w.r.t. h on entry (plus dout when not null); on return the part of the
// gradient w.r.t. h_prev that bypasses the GEMM (dh z). dg row: [dr, dz, dn_h, dn_x]: the
// gradients of the r and z pre-activations, of W_hn h + b_hn and of W_in x + b_in.
template <typename T>
inline void gru_backward_row(const T* gates, const T* hn, const T* h_prev, T* dh_state, const T* dout, T* dg, T* db,
                             int64_t H, int64_t u0, int64_t u1) {
  using V = Vec<T>;
  const V one(T(1));
  for_units<T>(u0, u1, [&](int64_t u, int64_t n) {
    V dh = load_n(dh_state + u, n);
    if (dout) dh = dh + load_n(dout + u, n);
    const V r = load_n(gates + u, n), z = load_n(gates + H + u, n), nv = load_n(gates + 2 * H + u, n);
    const V dnx = dh * (one - z) * (one - nv * nv);
    const V dz = dh * (load_n(h_prev + u, n) - nv) * z * (one - z);
    const V dnh = dnx * r;
    const V dr = dnx * load_n(hn + u, n) * r * (one - r);
    store_n(dh * z, dh_state + u, n);
    store_n(dr, dg + u, n);
    store_n(dz, dg + H + u, n);
    store_n(dnh, dg + 2 * H + u, n);
    store_n(dnx, dg + 3 * H + u, n);
    if (db) {
      add_n(dr, db + u, n);
      add_n(dz, db + H + u, n);
      add_n(dnh, db + 2 * H + u, n);
      add_n(dnx, db + 3 * H + u, n);
    }
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS::rnn_detail
