// Recurrent layers (Elman RNN with tanh / relu, LSTM with optional projection, GRU) as fused
// kernels: per layer and direction, one GEMM projects the whole input sequence, then each time
// step runs one recurrent GEMM fused with the gate nonlinearities; the backward runs the
// recurrence in reverse the same way and forms the weight gradients as large GEMMs at the end.
// Same conventions as ops.h: validated front ends that throw typed errors naming the op
// ("[lstm] ...", "[gru_cell] ..."). float32 and float64.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// The cell type; the gate count G is 1, 1, 4 and 3. Gate order as in PyTorch: LSTM i, f, g, o;
/// GRU r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
enum class RnnMode : int { Tanh = 0, Relu = 1, Lstm = 2, Gru = 3 };

/// The weights of one direction of one layer, in PyTorch's layout: w_ih [G*H, I], w_hh [G*H, P],
/// b_ih and b_hh [G*H] (both or neither), w_hr [P, H] (LSTM proj_size) or undefined; P is the
/// projection size when w_hr is defined, else H. Gradients come back in the same struct.
struct RnnWeights {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
};

/// What rnn_layer returns. output: [T, B, D*P] (or [N, D*P] for packed input); h_n [D, B, P];
/// c_n [D, B, H] (LSTM; undefined otherwise); reserve: what the backward needs (gates, cell
/// states), opaque, [D, rows, width].
struct RnnLayerOutput {
  Tensor output, h_n, c_n, reserve;
};

/// One layer, one or two directions (weights.size() is D; the second runs in reverse time).
/// input: time-major [T, B, I] with batch_sizes empty, or a packed sequence [N, I] with
/// batch_sizes [T] (positive, non-increasing, summing to N; step t holds the first
/// batch_sizes[t] sequences, as torch.nn.utils.rnn.PackedSequence). hx [D, B, P] and cx
/// [D, B, H] (LSTM only) may be undefined for zeros. Throws ShapeError for a wrong input
/// feature size ("[lstm] input.size(-1) must be equal to input_size. Expected 128, got 64"),
/// wrong dims, hidden shapes or weight shapes, empty sequences or bad batch_sizes; DTypeError
/// for non-floating input or a dtype that differs between input, states and weights.
RnnLayerOutput rnn_layer(RnnMode mode, const Tensor& input, const std::vector<int64_t>& batch_sizes,
                         const Tensor& hx, const Tensor& cx, const std::vector<RnnWeights>& weights);

/// Gradients of rnn_layer, which the arguments repeat (output and reserve are its results).
struct RnnLayerGrads {
  Tensor input, hx, cx;
  std::vector<RnnWeights> weights;
};

/// Backward through time of rnn_layer. grad_output / grad_hn / grad_cn may each be undefined
/// (no gradient flows from there). The input gradient is computed when need_input, the hidden
/// and cell ones when need_hidden, the weight gradients when need_weights (undefined otherwise;
/// biases and w_hr only where the layer has them).
RnnLayerGrads rnn_layer_backward(RnnMode mode, const Tensor& grad_output, const Tensor& grad_hn,
                                 const Tensor& grad_cn, const Tensor& input, const std::vector<int64_t>& batch_sizes,
                                 const Tensor& hx, const Tensor& cx, const std::vector<RnnWeights>& weights,
                                 const Tensor& output, const Tensor& reserve, bool need_input, bool need_hidden,
                                 bool need_weights);

/// One time step (RNNCell / LSTMCell / GRUCell): input [B, I], hx [B, H] and cx [B, H] (LSTM)
/// or undefined for zeros; weights without w_hr. Returns {h', c' (LSTM), reserve}. Throws
/// ShapeError with PyTorch's cell messages ("[lstm_cell] input has inconsistent input_size: got
/// 3 expected 10", "Input batch size 3 doesn't match hidden0 batch size 4", ...), DTypeError
/// as rnn_layer.
std::tuple<Tensor, Tensor, Tensor> rnn_cell(RnnMode mode, const Tensor& input, const Tensor& hx, const Tensor& cx,
                                            const RnnWeights& weights);

/// Gradients of rnn_cell from the gradients of h' and c' (either may be undefined).
RnnLayerGrads rnn_cell_backward(RnnMode mode, const Tensor& grad_h, const Tensor& grad_c, const Tensor& input,
                                const Tensor& hx, const Tensor& cx, const RnnWeights& weights, const Tensor& h,
                                const Tensor& reserve, bool need_input, bool need_hidden, bool need_weights);

}  // namespace tensorforge
