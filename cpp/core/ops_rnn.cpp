// Recurrent layer and cell front ends: validation with PyTorch's messages, buffers, then the
// fused kernels of cpu/rnn.
#include <string>

#include "core/frontend.h"
#include "tensorforge/parallel.h"
#include "tensorforge/rnn_ops.h"

namespace tensorforge {

using namespace core;

namespace {

const char* layer_name(RnnMode m) {
  switch (m) {
    case RnnMode::Tanh: return "rnn_tanh";
    case RnnMode::Relu: return "rnn_relu";
    case RnnMode::Lstm: return "lstm";
    case RnnMode::Gru: return "gru";
  }
  return "rnn";
}

const char* cell_name(RnnMode m) {
  switch (m) {
    case RnnMode::Tanh: return "rnn_tanh_cell";
    case RnnMode::Relu: return "rnn_relu_cell";
    case RnnMode::Lstm: return "lstm_cell";
    case RnnMode::Gru: return "gru_cell";
  }
  return "rnn_cell";
}

int64_t gate_count(RnnMode m) { return m == RnnMode::Lstm ? 4 : (m == RnnMode::Gru ? 3 : 1); }

std::string tuple_str(int64_t a, int64_t b, int64_t c) {
  return "(" + std::to_string(a) + ", " + std::to_string(b) + ", " + std::to_string(c) + ")";
}

char* ptr(const Tensor& t) { return t.defined() ? static_cast<char*>(t.data_ptr()) : nullptr; }

// The sizes of one layer call, after validation.
struct Geometry {
  int64_t steps = 0, batch = 0, rows = 0, input = 0, hidden = 0, rec = 0, dirs = 1;
  bool proj = false, packed = false, bias = false;
  std::vector<int64_t> batch_sizes, offsets;
};

void check_dtype(const Tensor& t, DType dt, const char* op, const char* what) {
  if (t.defined() && t.dtype() != dt)
    fail<DTypeError>(op, "input dtype (", dtype_name(dt), ") does not match ", what, " dtype (", dtype_name(t.dtype()),
                     ")");
}

// Weight shapes of every direction: [G*H, I], [G*H, P], [G*H] x 2, [P, H]; equal across directions.
void check_weights(RnnMode mode, const std::vector<RnnWeights>& weights, DType dt, const char* op, Geometry& g) {
  if (weights.empty() || weights.size() > 2)
    fail<ValueError>(op, "expected the weights of 1 or 2 directions, got ", weights.size());
  const int64_t G = gate_count(mode);
  const RnnWeights& w0 = weights[0];
  check_defined(w0.w_ih, op, "weight_ih");
  check_defined(w0.w_hh, op, "weight_hh");
  if (w0.w_ih.ndim() != 2 || w0.w_ih.shape()[0] % G != 0 || w0.w_ih.shape()[0] == 0)
    fail<ShapeError>(op, "weight_ih must be 2-D [", G, " * hidden_size, input_size], got ", shape_str(w0.w_ih.shape()));
  g.hidden = w0.w_ih.shape()[0] / G;
  g.input = w0.w_ih.shape()[1];
  g.proj = w0.w_hr.defined();
  if (g.proj && mode != RnnMode::Lstm) fail<ValueError>(op, "a projection (weight_hr) is only supported by lstm");
  g.rec = g.proj ? w0.w_hr.shape()[0] : g.hidden;
  g.bias = w0.b_ih.defined();
  g.dirs = static_cast<int64_t>(weights.size());
  const Shape ih{G * g.hidden, g.input}, hh{G * g.hidden, g.rec}, b{G * g.hidden}, hr{g.rec, g.hidden};
  for (size_t d = 0; d < weights.size(); ++d) {
    const RnnWeights& w = weights[d];
    const char* sfx = d == 0 ? "" : "_reverse";
    auto expect = [&](const Tensor& t, const Shape& s, const char* name) {
      check_defined(t, op, name);
      if (t.shape() != s)
        fail<ShapeError>(op, "expected ", name, sfx, " of shape ", shape_str(s), ", got ", shape_str(t.shape()));
      if (!is_floating(t.dtype()))
        fail<DTypeError>(op, name, sfx, " must be float32 or float64, got ", dtype_name(t.dtype()));
      check_dtype(t, dt, op, "weight");
    };
    expect(w.w_ih, ih, "weight_ih");
    expect(w.w_hh, hh, "weight_hh");
    if (w.b_ih.defined() != g.bias || w.b_hh.defined() != g.bias)
      fail<ValueError>(op, "bias_ih and bias_hh must be given for every direction or for none");
    if (g.bias) {
      expect(w.b_ih, b, "bias_ih");
      expect(w.b_hh, b, "bias_hh");
    }
    if (w.w_hr.defined() != g.proj) fail<ValueError>(op, "weight_hr must be given for every direction or for none");
    if (g.proj) expect(w.w_hr, hr, "weight_hr");
  }
}

Geometry check_layer(RnnMode mode, const Tensor& input, const std::vector<int64_t>& batch_sizes, const Tensor& hx,
                     const Tensor& cx, const std::vector<RnnWeights>& weights, const char* op) {
  check_defined(input, op);
  const DType dt = input.dtype();
  if (!is_floating(dt)) fail<DTypeError>(op, "expected a float32 or float64 input, got ", dtype_name(dt));
  Geometry g;
  check_weights(mode, weights, dt, op, g);
  g.packed = !batch_sizes.empty();
  const int64_t want_dims = g.packed ? 2 : 3;
  if (input.ndim() != want_dims)
    fail<ShapeError>(op, "input must have ", want_dims, " dimensions, got ", input.ndim(), " (shape ",
                     shape_str(input.shape()), ")");
  if (input.shape().back() != g.input)
    fail<ShapeError>(op, "input.size(-1) must be equal to input_size. Expected ", g.input, ", got ",
                     input.shape().back());
  if (g.packed) {
    g.steps = static_cast<int64_t>(batch_sizes.size());
    g.batch = batch_sizes[0];
    int64_t sum = 0;
    for (int64_t t = 0; t < g.steps; ++t) {
      const int64_t n = batch_sizes[t];
      if (n <= 0 || (t > 0 && n > batch_sizes[t - 1]))
        fail<ValueError>(op, "batch_sizes must be positive and non-increasing, got ", shape_str(batch_sizes));
      sum += n;
    }
    if (sum != input.shape()[0])
      fail<ShapeError>(op, "batch_sizes sum to ", sum, " but the packed input has ", input.shape()[0], " rows");
    g.batch_sizes = batch_sizes;
  } else {
    g.steps = input.shape()[0];
    g.batch = input.shape()[1];
    g.batch_sizes.assign(g.steps, g.batch);
  }
  if (g.steps == 0) fail<ShapeError>(op, "Expected sequence length to be larger than 0 in RNN");
  g.offsets.resize(g.steps);
  for (int64_t t = 0, at = 0; t < g.steps; at += g.batch_sizes[t], ++t) g.offsets[t] = at;
  g.rows = g.offsets.back() + g.batch_sizes.back();

  const bool lstm = mode == RnnMode::Lstm;
  if (hx.defined()) {
    if (hx.shape() != Shape{g.dirs, g.batch, g.rec})
      fail<ShapeError>(op, lstm ? "Expected hidden[0] size " : "Expected hidden size ",
                       tuple_str(g.dirs, g.batch, g.rec), ", got ", shape_str(hx.shape()));
    check_dtype(hx, dt, op, "hidden state");
  }
  if (cx.defined()) {
    if (!lstm) fail<ValueError>(op, "a cell state is only used by lstm");
    if (cx.shape() != Shape{g.dirs, g.batch, g.hidden})
      fail<ShapeError>(op, "Expected hidden[1] size ", tuple_str(g.dirs, g.batch, g.hidden), ", got ",
                       shape_str(cx.shape()));
    check_dtype(cx, dt, op, "cell state");
  }
  return g;
}

Shape output_shape(const Geometry& g) {
  return g.packed ? Shape{g.rows, g.dirs * g.rec} : Shape{g.steps, g.batch, g.dirs * g.rec};
}

// The contiguous operands a kernel call reads (copies only where the caller's are not).
struct Operands {
  Tensor x, h0, c0;
  std::vector<RnnWeights> w;
};

Operands operands(RnnMode mode, const Geometry& g, const Tensor& input, const Tensor& hx, const Tensor& cx,
                  const std::vector<RnnWeights>& weights) {
  const DType dt = input.dtype();
  Operands o;
  o.x = as_contiguous(input, dt);
  o.h0 = hx.defined() ? as_contiguous(hx, dt) : zeros({g.dirs, g.batch, g.rec}, dt);
  if (mode == RnnMode::Lstm) o.c0 = cx.defined() ? as_contiguous(cx, dt) : zeros({g.dirs, g.batch, g.hidden}, dt);
  for (const RnnWeights& w : weights) {
    auto c = [&](const Tensor& t) { return t.defined() ? as_contiguous(t, dt) : t; };
    o.w.push_back({c(w.w_ih), c(w.w_hh), c(w.b_ih), c(w.b_hh), c(w.w_hr)});
  }
  return o;
}

// The kernel arguments shared by forward and backward (pointers into o's tensors).
kernels::RnnLayer layer_args(RnnMode mode, const Geometry& g, const Operands& o, const Tensor& out, bool zero_h0) {
  kernels::RnnLayer l;
  l.mode = static_cast<int>(mode);
  l.steps = g.steps;
  l.batch = g.batch;
  l.rows = g.rows;
  l.input_size = g.input;
  l.hidden = g.hidden;
  l.proj = g.proj ? g.rec : 0;
  l.dirs = g.dirs;
  l.chunks = get_num_threads();
  l.zero_h0 = zero_h0;
  l.batch_sizes = g.batch_sizes.data();
  l.offsets = g.offsets.data();
  l.x = ptr(o.x);
  l.out = ptr(out);
  l.gemm = K().gemm[static_cast<int>(o.x.dtype())];
  const int64_t isz = o.x.itemsize();
  for (int64_t d = 0; d < g.dirs; ++d) {
    kernels::RnnDirection& io = l.dir[d];
    const RnnWeights& w = o.w[d];
    io.w_ih = ptr(w.w_ih);
    io.w_hh = ptr(w.w_hh);
    io.b_ih = ptr(w.b_ih);
    io.b_hh = ptr(w.b_hh);
    io.w_hr = ptr(w.w_hr);
    io.h0 = ptr(o.h0) + d * g.batch * g.rec * isz;
    io.c0 = o.c0.defined() ? ptr(o.c0) + d * g.batch * g.hidden * isz : nullptr;
  }
  return l;
}

// Points each direction at its slice of a [dirs, ...] tensor.
void slices(const Tensor& t, int64_t dirs, char* kernels::RnnDirection::*field, kernels::RnnLayer& l) {
  if (!t.defined()) return;
  const int64_t step = t.numel() / dirs * t.itemsize();
  for (int64_t d = 0; d < dirs; ++d) l.dir[d].*field = ptr(t) + d * step;
}
void const_slices(const Tensor& t, int64_t dirs, const char* kernels::RnnDirection::*field, kernels::RnnLayer& l) {
  if (!t.defined()) return;
  const int64_t step = t.numel() / dirs * t.itemsize();
  for (int64_t d = 0; d < dirs; ++d) l.dir[d].*field = ptr(t) + d * step;
}

}  // namespace

RnnLayerOutput rnn_layer(RnnMode mode, const Tensor& input, const std::vector<int64_t>& batch_sizes, const Tensor& hx,
                         const Tensor& cx, const std::vector<RnnWeights>& weights) {
  const char* op = layer_name(mode);
  const Geometry g = check_layer(mode, input, batch_sizes, hx, cx, weights, op);
  const DType dt = input.dtype();
  const int i = static_cast<int>(dt);
  auto sizes_fn = need(K().rnn_sizes[i], op, dt);
  auto forward_fn = need(K().rnn_forward[i], op, dt);
  const Operands o = operands(mode, g, input, hx, cx, weights);
  RnnLayerOutput r;
  r.output = Tensor::empty(output_shape(g), dt);
  r.h_n = Tensor::empty({g.dirs, g.batch, g.rec}, dt);
  if (mode == RnnMode::Lstm) r.c_n = Tensor::empty({g.dirs, g.batch, g.hidden}, dt);
  kernels::RnnLayer l = layer_args(mode, g, o, r.output, !hx.defined());
  const kernels::RnnSizes s = sizes_fn(l);
  r.reserve = Tensor::empty({g.dirs, g.rows, s.reserve_width}, dt);
  const Tensor work = Tensor::empty({g.dirs, s.forward_work}, dt);
  slices(r.h_n, g.dirs, &kernels::RnnDirection::h_n, l);
  slices(r.c_n, g.dirs, &kernels::RnnDirection::c_n, l);
  slices(r.reserve, g.dirs, &kernels::RnnDirection::reserve, l);
  slices(work, g.dirs, &kernels::RnnDirection::work, l);
  forward_fn(l);
  return r;
}

RnnLayerGrads rnn_layer_backward(RnnMode mode, const Tensor& grad_output, const Tensor& grad_hn,
                                 const Tensor& grad_cn, const Tensor& input, const std::vector<int64_t>& batch_sizes,
                                 const Tensor& hx, const Tensor& cx, const std::vector<RnnWeights>& weights,
                                 const Tensor& output, const Tensor& reserve, bool need_input, bool need_hidden,
                                 bool need_weights) {
  const std::string name = std::string(layer_name(mode)) + "_backward";
  const char* op = name.c_str();
  const Geometry g = check_layer(mode, input, batch_sizes, hx, cx, weights, op);
  const DType dt = input.dtype();
  const int i = static_cast<int>(dt);
  auto sizes_fn = need(K().rnn_sizes[i], op, dt);
  auto backward_fn = need(K().rnn_backward[i], op, dt);
  const Shape out_shape = output_shape(g), h_shape{g.dirs, g.batch, g.rec}, c_shape{g.dirs, g.batch, g.hidden};
  check_defined(output, op, "output");
  check_defined(reserve, op, "reserve");
  if (output.shape() != out_shape || output.dtype() != dt)
    fail<ShapeError>(op, "output ", shape_str(output.shape()), " does not match the layer's ", shape_str(out_shape));
  auto check_grad = [&](const Tensor& t, const Shape& s, const char* what) {
    if (!t.defined()) return t;
    if (t.shape() != s)
      fail<ShapeError>(op, "expected ", what, " of shape ", shape_str(s), ", got ", shape_str(t.shape()));
    check_dtype(t, dt, op, what);
    return as_contiguous(t, dt);
  };
  const Tensor go = check_grad(grad_output, out_shape, "grad_output");
  const Tensor ghn = check_grad(grad_hn, h_shape, "grad_hn");
  const Tensor gcn = mode == RnnMode::Lstm ? check_grad(grad_cn, c_shape, "grad_cn") : Tensor();
  const Operands o = operands(mode, g, input, hx, cx, weights);
  const Tensor out = as_contiguous(output, dt);
  kernels::RnnLayer l = layer_args(mode, g, o, out, !hx.defined());
  const kernels::RnnSizes s = sizes_fn(l);
  if (reserve.shape() != Shape{g.dirs, g.rows, s.reserve_width} || reserve.dtype() != dt || !reserve.is_contiguous())
    fail<ShapeError>(op, "reserve ", shape_str(reserve.shape()), " was not made by this layer's forward");

  RnnLayerGrads r;
  if (need_input) r.input = Tensor::empty(input.shape(), dt);
  if (need_hidden) {
    r.hx = Tensor::empty(h_shape, dt);
    if (mode == RnnMode::Lstm) r.cx = Tensor::empty(c_shape, dt);
  }
  const Tensor work = Tensor::empty({g.dirs, s.backward_work}, dt);
  l.grad_out = ptr(go);
  l.grad_x = ptr(r.input);
  const_slices(ghn, g.dirs, &kernels::RnnDirection::grad_hn, l);
  const_slices(gcn, g.dirs, &kernels::RnnDirection::grad_cn, l);
  slices(reserve, g.dirs, &kernels::RnnDirection::reserve, l);
  slices(work, g.dirs, &kernels::RnnDirection::work, l);
  slices(r.hx, g.dirs, &kernels::RnnDirection::grad_h0, l);
  slices(r.cx, g.dirs, &kernels::RnnDirection::grad_c0, l);
  for (int64_t d = 0; d < g.dirs; ++d) {
    RnnWeights gw;
    if (need_weights) {
      const RnnWeights& w = o.w[d];
      gw.w_ih = Tensor::empty(w.w_ih.shape(), dt);
      gw.w_hh = Tensor::empty(w.w_hh.shape(), dt);
      if (g.bias) {
        gw.b_ih = Tensor::empty(w.b_ih.shape(), dt);
        gw.b_hh = Tensor::empty(w.b_hh.shape(), dt);
      }
      if (g.proj) gw.w_hr = Tensor::empty(w.w_hr.shape(), dt);
    }
    kernels::RnnDirection& io = l.dir[d];
    io.grad_w_ih = ptr(gw.w_ih);
    io.grad_w_hh = ptr(gw.w_hh);
    io.grad_b_ih = ptr(gw.b_ih);
    io.grad_b_hh = ptr(gw.b_hh);
    io.grad_w_hr = ptr(gw.w_hr);
    r.weights.push_back(gw);
  }
  backward_fn(l);
  return r;
}

namespace {

// Cell arguments as PyTorch checks them; returns the batch size.
int64_t check_cell(RnnMode mode, const Tensor& input, const Tensor& hx, const Tensor& cx, const RnnWeights& w,
                   const char* op) {
  check_defined(input, op);
  if (input.ndim() != 2)
    fail<ShapeError>(op, "expected input of 2 dims [batch, input_size], got ", shape_str(input.shape()));
  check_defined(w.w_ih, op, "weight_ih");
  check_defined(w.w_hh, op, "weight_hh");
  if (w.w_hr.defined()) fail<ValueError>(op, "cells have no projection (weight_hr)");
  const int64_t G = gate_count(mode);
  if (w.w_ih.ndim() != 2 || w.w_ih.shape()[0] % G != 0)
    fail<ShapeError>(op, "weight_ih must be 2-D [", G, " * hidden_size, input_size], got ", shape_str(w.w_ih.shape()));
  const int64_t I = w.w_ih.shape()[1], H = w.w_ih.shape()[0] / G, B = input.shape()[0];
  if (input.shape()[1] != I)
    fail<ShapeError>(op, "input has inconsistent input_size: got ", input.shape()[1], " expected ", I);
  auto check_state = [&](const Tensor& t, const char* what) {
    if (!t.defined()) return;
    if (t.ndim() != 2) fail<ShapeError>(op, "expected ", what, " of 2 dims [batch, hidden_size], got ", shape_str(t.shape()));
    if (t.shape()[0] != B) fail<ShapeError>(op, "Input batch size ", B, " doesn't match ", what, " batch size ", t.shape()[0]);
    if (t.shape()[1] != H)
      fail<ShapeError>(op, what, " has inconsistent hidden_size: got ", t.shape()[1], ", expected ", H);
  };
  check_state(hx, "hidden0");
  if (mode == RnnMode::Lstm) check_state(cx, "hidden1");
  else if (cx.defined()) fail<ValueError>(op, "a cell state is only used by lstm_cell");
  return B;
}

Tensor unsq(const Tensor& t) { return t.defined() ? unsqueeze(t, 0) : t; }
Tensor first(const Tensor& t) { return t.defined() ? select(t, 0, 0) : t; }

}  // namespace

std::tuple<Tensor, Tensor, Tensor> rnn_cell(RnnMode mode, const Tensor& input, const Tensor& hx, const Tensor& cx,
                                            const RnnWeights& weights) {
  check_cell(mode, input, hx, cx, weights, cell_name(mode));
  RnnLayerOutput r = rnn_layer(mode, unsqueeze(input, 0), {}, unsq(hx), unsq(cx), {weights});
  return {first(r.output), first(r.c_n), r.reserve};
}

RnnLayerGrads rnn_cell_backward(RnnMode mode, const Tensor& grad_h, const Tensor& grad_c, const Tensor& input,
                                const Tensor& hx, const Tensor& cx, const RnnWeights& weights, const Tensor& h,
                                const Tensor& reserve, bool need_input, bool need_hidden, bool need_weights) {
  check_cell(mode, input, hx, cx, weights, cell_name(mode));
  check_defined(h, cell_name(mode), "h");
  RnnLayerGrads r = rnn_layer_backward(mode, unsq(grad_h), Tensor(), unsq(grad_c), unsqueeze(input, 0), {}, unsq(hx),
                                       unsq(cx), {weights}, unsqueeze(h, 0), reserve, need_input, need_hidden,
                                       need_weights);
  r.input = first(r.input);
  r.hx = first(r.hx);
  r.cx = first(r.cx);
  return r;
}

}  // namespace tensorforge
