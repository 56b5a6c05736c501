// The dispatch table: every kernel entry point, per dtype, for one ISA. Each ISA build of
// cpu/ fills one table (cpu/<family>/*.cpp each provide register_<family>); the core picks
// the table for the best ISA the CPU supports at run time (or one forced for tests).
// A null entry means "not implemented for this dtype"; the front end reports it.
//
// Conventions: element strides in the loops are in BYTES; loops never allocate and never
// validate (the op front end already did). Reduce/softmax/gemm/random kernels parallelise
// internally with parallel_for; elementwise loops are called on chunks by the core.
#pragma once

#include <cstdint>

#include "tensorforge/dtype.h"
#include "tensorforge/op_kinds.h"

namespace tensorforge::kernels {

// out[i] = f(in[i]) for i < n. Output dtype = input dtype, or bool for unary_outputs_bool ops.
using UnaryLoop = void (*)(char* out, const char* in, int64_t n, int64_t s_out, int64_t s_in,
                           double alpha, double beta);
// out[i] = f(a[i], b[i]); a and b share one dtype; output as for BinaryOp (bool for compares).
using BinaryLoop = void (*)(char* out, const char* a, const char* b, int64_t n, int64_t s_out,
                            int64_t s_a, int64_t s_b, double alpha, double beta);
// out[i] = cond[i] ? a[i] : b[i]; cond is bool.
using WhereLoop = void (*)(char* out, const char* cond, const char* a, const char* b, int64_t n,
                           int64_t s_out, int64_t s_cond, int64_t s_a, int64_t s_b);
// out[i] = (OutT) in[i]; table indexed [dst][src].
using CastLoop = void (*)(char* out, const char* in, int64_t n, int64_t s_out, int64_t s_in);

// Contiguous input viewed as [outer, r, inner]; writes out[outer, inner].
// Sum/Prod of bool/int32 inputs write int64. Var uses param as the correction.
using ReduceKernel = void (*)(const char* in, char* out, int64_t outer, int64_t r, int64_t inner,
                              double param);
// Max/min along r with the first index of the extreme value (NaN counts as the extreme,
// as in PyTorch). Either output may be null.
using ArgReduceKernel = void (*)(const char* in, char* out_val, int64_t* out_idx, int64_t outer,
                                 int64_t r, int64_t inner);
// Softmax (or log_softmax) along n of a contiguous [outer, n, inner] tensor.
using SoftmaxKernel = void (*)(const char* in, char* out, int64_t outer, int64_t n, int64_t inner,
                               bool log);
// Input gradient of softmax/log_softmax from grad_out and the forward output.
using SoftmaxBackwardKernel = void (*)(const char* grad, const char* out, char* grad_in,
                                       int64_t outer, int64_t n, int64_t inner, bool log);

// C[M,N] = op(A)[M,K] * op(B)[K,N] + beta * C, row-major with leading dims; op = transpose
// when the flag is set. beta is 0 (C may hold garbage) or 1.
using GemmKernel = void (*)(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                            const void* a, int64_t lda, const void* b, int64_t ldb, void* c,
                            int64_t ldc, double beta);

// Fills n elements (contiguous) from a counter-based generator: stream (seed, offset) gives
// the same numbers whatever the thread count. offset counts 32-bit words and is block aligned
// (a multiple of 4); float reads one word per element, double two.
using UniformKernel = void (*)(char* out, int64_t n, uint64_t seed, uint64_t offset, double low,
                               double high);
using NormalKernel = void (*)(char* out, int64_t n, uint64_t seed, uint64_t offset, double mean,
                              double std);

// Advanced-indexing gather: for each b < nb, copies the strided block (rest_shape /
// rest_strides, in elements) that starts at element offsets[b] of src into out, contiguously.
using IndexGatherKernel = void (*)(char* out, const char* src, const int64_t* offsets, int64_t nb,
                                   const int64_t* rest_shape, const int64_t* rest_strides,
                                   int rest_ndim, int64_t itemsize);
// The scatter of the same blocks: dst block b = (or +=) values block b (values contiguous).
// With accumulate, repeated offsets all add up.
using IndexPutKernel = void (*)(char* dst, const char* values, const int64_t* offsets, int64_t nb,
                                const int64_t* rest_shape, const int64_t* rest_strides,
                                int rest_ndim, bool accumulate);

// Convolution lowering for one image. 3-D convolutions add a depth axis (depth, kd, sd, pd,
// dd, out_d); 2-D ones keep its defaults. Output rows are r = od * out_h + oh. im2col writes the
// rows [r0, r1) of the columns, cols[((c*kd + a)*kh + i)*kw + j][(r - r0)*out_w + ow] from
// x[c][d][h][w] (zero outside the image); col2im adds all the columns back into x (for grad
// input, fold and the transposed convolutions).
struct ConvGeom {
  int64_t channels, height, width, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w;
  int64_t depth = 1, kd = 1, sd = 1, pd = 0, dd = 1, out_d = 1;
};
using Im2colKernel = void (*)(const char* x, char* cols, const ConvGeom& g, int64_t r0, int64_t r1);
using Col2imKernel = void (*)(const char* cols, char* x, const ConvGeom& g);
// Fused forward of one image (one group): out[co][p] = sum_k w[co][k] * im2col(x)[k][p] for
// co < cout and output positions p in [p0, p1), with K = channels * kd * kh * kw and out's rows
// out_d * out_h * out_w apart (added to out when accumulate). The columns go straight into the GEMM's
// packed panels; runs on the calling thread.
using ConvForwardKernel = void (*)(const char* w, const char* x, char* out, int64_t cout, const ConvGeom& g,
                                   int64_t p0, int64_t p1, bool accumulate);
// Forward of one image (one group) from its phase-split zero-padded copy xp: with Dp = depth +
// 2 pd (likewise Hp, Wp), padded element (z, y, x) of channel c is at xp[c][phase][z / sd][y / sh]
// [x / sw], phase = ((z % sd) * sh + y % sh) * sw + x % sw, each phase ceil(Dp / sd) x ceil(Hp / sh)
// x ceil(Wp / sw) (zeros where no element falls; 64 elements readable past the end). (Stride 1:
// the padded image.) out[co][r * out_w + ow] (+)= the convolution for output rows r in [r0, r1),
// out's rows out_d * out_h * out_w apart. Every tap row of the GEMM is then a contiguous run of
// xp, read in place (no column packing); padding columns are computed in a scratch and dropped.
using ConvPaddedForwardKernel = void (*)(const char* w, const char* xp, char* out, int64_t cout, const ConvGeom& g,
                                         int64_t r0, int64_t r1, bool accumulate);
// Writes that phase-split zero-padded copy of x [planes][depth][height][width] (planes = images
// x channels) into xp ([planes][phases][phase volume]), every element once; runs in parallel.
using ConvPadKernel = void (*)(const char* x, char* xp, int64_t planes, const ConvGeom& g);
// Weight gradient of the same convolution of one image (one group): dw[co][k] +=
// sum over the output positions p of rows [r0, r1) of grad[co][p] * (tap k of p, read from xp);
// grad [cout][out_d * out_h * out_w], dw [cout][channels * kd * kh * kw].
using ConvPaddedWeightGradKernel = void (*)(const char* xp, const char* grad, char* dw, int64_t cout,
                                            const ConvGeom& g, int64_t r0, int64_t r1);

// Depthwise convolution (groups == input channels g.channels, `mult` output channels each):
// x [n, C, H, W], out / grad [n, C * mult, out_h, out_w] (output channel oc reads input channel
// oc / mult), weight [C * mult, kh, kw]. Forward adds to out when accumulate; the input
// gradient overwrites grad_x; the weight gradient overwrites grad_w with the sum over images.
using DepthwiseForwardKernel = void (*)(const char* x, const char* w, char* out, int64_t n, int64_t mult,
                                        const ConvGeom& g, bool accumulate);
using DepthwiseInputGradKernel = void (*)(const char* grad, const char* w, char* grad_x, int64_t n, int64_t mult,
                                          const ConvGeom& g);
using DepthwiseWeightGradKernel = void (*)(const char* x, const char* grad, char* grad_w, int64_t n, int64_t mult,
                                           const ConvGeom& g);

// Pooling over planes (N*C of them) of height x width. max pooling records the flat index of
// each window's maximum (first one; NaN wins) for the backward scatter.
struct PoolGeom {
  int64_t planes, height, width, out_h, out_w, kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad;
  int64_t divisor;  // 0: window size
};
using MaxPoolKernel = void (*)(const char* x, char* out, int64_t* indices, const PoolGeom& g);
using MaxPoolBackwardKernel = void (*)(const char* grad, const int64_t* indices, char* grad_in, const PoolGeom& g);
using AvgPoolKernel = void (*)(const char* x, char* out, const PoolGeom& g);
using AvgPoolBackwardKernel = void (*)(const char* grad, char* grad_in, const PoolGeom& g);
// Adaptive average pooling: window i spans [floor(i*H/OH), ceil((i+1)*H/OH)).
using AdaptiveAvgPoolKernel = void (*)(const char* x, char* out, const PoolGeom& g);
using AdaptiveAvgPoolBackwardKernel = void (*)(const char* grad, char* grad_in, const PoolGeom& g);
// Adaptive max pooling (windows as for the average) with the flat index of each maximum, as
// max pooling records it; the backward is max pooling's scatter.
using AdaptiveMaxPoolKernel = void (*)(const char* x, char* out, int64_t* indices, const PoolGeom& g);
// 3-D max pooling finishes along depth after the 2-D pass over every depth slice: x [planes,
// depth, inner] holds each slice's window maxima and x_idx their flat in-slice indices. Window
// od takes the slices first[od] + t * step for t < count[od] (count >= 1); out [planes, out_d,
// inner] gets the max (first one; NaN wins) and idx its index d * slice + x_idx in the volume.
struct DepthPoolGeom {
  int64_t planes, depth, out_d, inner, slice, step;
  const int64_t* first;
  const int64_t* count;
};
using MaxPoolDepthKernel = void (*)(const char* x, const int64_t* x_idx, char* out, int64_t* idx,
                                    const DepthPoolGeom& g);
// Resampling planes through per-axis source maps (pad modes, nearest resize):
// out[p][i][j] = x[p][rows[i]][cols[j]], or `fill` where rows[i] or cols[j] is -1. The backward
// zeroes grad_in and adds each grad element back at its source. Volumes (3-D pads) add a depth
// map: out[p][k][i][j] = x[p][depths[k]][rows[i]][cols[j]] (depths null: depth 1).
struct RemapGeom {
  int64_t planes, height, width, out_h, out_w;
  const int64_t* rows;
  const int64_t* cols;
  int64_t depth = 1, out_d = 1;
  const int64_t* depths = nullptr;
};
using Remap2dKernel = void (*)(const char* x, char* out, const RemapGeom& g, double fill);
using Remap2dBackwardKernel = void (*)(const char* grad, char* grad_in, const RemapGeom& g);
// Bilinear resize of planes, source coordinates as PyTorch's upsample_bilinear2d computes them:
// scale_h/scale_w are the user's scale factors (0: derive from the sizes).
struct ResizeGeom {
  int64_t planes, height, width, out_h, out_w;
  double scale_h, scale_w;
  bool align_corners;
};
using BilinearKernel = void (*)(const char* x, char* out, const ResizeGeom& g);
using BilinearBackwardKernel = void (*)(const char* grad, char* grad_in, const ResizeGeom& g);

// Fused optimizer updates over n contiguous elements, in place on param and the state
// buffers (optional ones may be null). Hyper-parameters as in torch.optim.
using SgdKernel = void (*)(char* param, const char* grad, char* momentum_buf, int64_t n, double lr,
                           double momentum, double dampening, double weight_decay, bool nesterov,
                           bool maximize, bool first_step);
using AdamKernel = void (*)(char* param, const char* grad, char* exp_avg, char* exp_avg_sq,
                            char* max_exp_avg_sq, int64_t n, double lr, double beta1, double beta2,
                            double eps, double weight_decay, double bias_correction1,
                            double bias_correction2, bool decoupled_decay, bool maximize);
using RmspropKernel = void (*)(char* param, const char* grad, char* square_avg, char* grad_avg,
                               char* momentum_buf, int64_t n, double lr, double alpha, double eps,
                               double weight_decay, double momentum, bool maximize);
using AdagradKernel = void (*)(char* param, const char* grad, char* state_sum, int64_t n, double clr,
                               double weight_decay, double eps, bool maximize);

// Batch norm over a contiguous [n, c, s] tensor (channels in the middle), per channel.
// Training: batch mean and biased var -> save_mean / save_invstd, and running stats (if not
// null) updated as running = (1 - momentum) * running + momentum * stat (unbiased var).
// Eval: normalises with the running stats (save_* receive them as mean / invstd).
// weight / bias may be null (no affine).
using BatchNormKernel = void (*)(const char* x, const char* weight, const char* bias, char* running_mean,
                                 char* running_var, char* out, char* save_mean, char* save_invstd, int64_t n,
                                 int64_t c, int64_t s, bool training, double momentum, double eps);
// Gradients of batch norm from the saved mean / invstd; a null output is not computed.
// Training includes the terms through the batch statistics; eval treats them as constants.
using BatchNormBackwardKernel = void (*)(const char* grad, const char* x, const char* weight,
                                         const char* save_mean, const char* save_invstd, char* grad_in,
                                         char* grad_weight, char* grad_bias, int64_t n, int64_t c, int64_t s,
                                         bool training);
// Layer norm over the last `cols` elements of each of `rows` contiguous rows; writes each row's
// mean and rstd. weight / bias ([cols]) may be null.
using LayerNormKernel = void (*)(const char* x, const char* weight, const char* bias, char* out, char* mean,
                                 char* rstd, int64_t rows, int64_t cols, double eps);
using LayerNormBackwardKernel = void (*)(const char* grad, const char* x, const char* weight, const char* mean,
                                         const char* rstd, char* grad_in, char* grad_weight, char* grad_bias,
                                         int64_t rows, int64_t cols);
// Dropout: `out` holds n uniforms in [0, 1) on entry; on return out[i] = x[i] * scale and
// mask[i] = true where the uniform was < keep, else 0 / false.
using DropoutKernel = void (*)(const char* x, char* out, bool* mask, int64_t n, double keep, double scale);
// grad_in[i] = mask[i] ? grad[i] * scale : 0.
using DropoutBackwardKernel = void (*)(const char* grad, const bool* mask, char* grad_in, int64_t n, double scale);
// Embedding: out row i = weight row index[i]; the backward zeroes grad_weight [rows, dim] and adds
// grad row i into row index[i] (skipping padding_idx; -1 for none). Indices are in range.
using EmbeddingKernel = void (*)(const char* weight, const int64_t* index, char* out, int64_t n, int64_t dim);
using EmbeddingBackwardKernel = void (*)(const char* grad, const int64_t* index, char* grad_weight, int64_t n,
                                         int64_t rows, int64_t dim, int64_t padding_idx);

// Softmax cross-entropy over logits viewed as contiguous [outer, c, inner] (classes in the
// middle); one sample per (outer, inner). Targets: class indices (int64 [outer * inner]) or
// probabilities (same layout as the logits). Writes per-sample loss, logsumexp and weight
// (w[target], 0 for ignore_index; 1 for probability targets). weight ([c]) may be null.
struct CrossEntropyGeom {
  int64_t outer, classes, inner;
  int64_t ignore_index;
  double label_smoothing;
  bool prob_target;
  bool from_logits;  // false: nll_loss on log-probabilities (no softmax, no smoothing)
};
using CrossEntropyKernel = void (*)(const char* logits, const char* target, const char* weight, char* loss,
                                    char* lse, char* sample_weight, const CrossEntropyGeom& g);
// Gradient w.r.t. the logits (and the probability target when grad_target is not null):
// sample i's upstream gradient is grad[i * grad_stride] * scale (grad_stride 0: one scalar).
using CrossEntropyBackwardKernel = void (*)(const char* grad, int64_t grad_stride, double scale, const char* logits,
                                            const char* target, const char* weight, const char* lse,
                                            char* grad_logits, char* grad_target, const CrossEntropyGeom& g);
// Elementwise losses over n contiguous elements; input, target and the optional weight and
// pos_weight (bce_with_logits) all hold n elements. param = beta (smooth_l1) / delta (huber).
// The backward writes grad_input / grad_target (either may be null) from the upstream
// gradient grad[i * grad_stride] * scale. kind is a tensorforge::PointwiseLoss (nn_ops.h).
struct PointwiseLossGeom {
  int64_t n;
  int kind;
  double param;
  const char* weight;
  const char* pos_weight;
};
using PointwiseLossKernel = void (*)(const char* input, const char* target, char* loss, const PointwiseLossGeom& g);
using PointwiseLossBackwardKernel = void (*)(const char* grad, int64_t grad_stride, double scale, const char* input,
                                             const char* target, char* grad_input, char* grad_target,
                                             const PointwiseLossGeom& g);

// ---- ctc (cpu/loss/ctc.cpp) ----
// Connectionist temporal classification over log_probs [T, N, C] (contiguous): item b has
// input_lengths[b] <= T frames and target_lengths[b] labels at targets + target_offsets[b]
// (validated: in [0, C), none equal to blank). log_alpha [N, T, 2 * max_target + 1] receives the
// forward variables (log space) and nll [N] the negative log-likelihood (inf when no alignment).
struct CtcGeom {
  int64_t T, N, C, max_target, blank;
  const int64_t* input_lengths;
  const int64_t* target_lengths;
  const int64_t* target_offsets;
  const int64_t* targets;
};
using CtcLossKernel = void (*)(const char* log_probs, char* nll, char* log_alpha, const CtcGeom& g);
// grad [T, N, C] = (exp(lp) - exp(log(sum of alpha * beta over the label's positions) + nll - lp))
// * grad_out[b] for t < input_lengths[b] (PyTorch's formula: the gradient of the logits when
// log_probs is a log_softmax), zero after; zero for the whole item when zero_infinity and nll is inf.
using CtcLossBackwardKernel = void (*)(const char* grad_out, const char* log_probs, const char* nll,
                                       const char* log_alpha, char* grad, const CtcGeom& g, bool zero_infinity);

// ---- image (cpu/image) ----
// A batch of images [images, channels, height, width] resampled into [images, channels, out_h,
// out_w], each image with its own parameters; fill[c] (channels values) is read outside the image.
struct ImageGeom {
  int64_t images, channels, height, width, out_h, out_w;
};
// Separable per-image remap (flips, crops with padding): out[n][c][i][j] =
// x[n][c][rows[n * out_h + i]][cols[n * out_w + j]], or fill[c] where either index is -1.
using ImageRemapKernel = void (*)(const char* x, char* out, const ImageGeom& g, const int64_t* rows,
                                  const int64_t* cols, const double* fill);
// Per-image affine warp: matrices (6 per image) map output pixel (j, i) to source coordinates
// (m0 j + m1 i + m2, m3 j + m4 i + m5), sampled nearest (round half even) or bilinear. fill may be
// null: outside taps read 0; else nearest reads fill outside and bilinear blends as torchvision,
// m * S + (1 - m) * fill with m the weight of the inside taps.
using ImageAffineKernel = void (*)(const char* x, char* out, const ImageGeom& g, const double* matrices,
                                   const double* fill, bool bilinear);
// ---- attention (cpu/attention) ----
// Scaled dot-product attention over `units` independent (batch, head) problems. Unit u reads
// Q [L, E], K [S, E], V [S, Ev] and an optional additive mask [L, S] starting at element offsets
// q_off[u], k_off[u], v_off[u], mask_off[u] (mask_off null: no mask); rows are `*_rs` elements
// apart and each row is contiguous (the mask's row stride may be 0 to broadcast over rows).
// Causal masking is top-left aligned (key j is visible to query i iff j <= i).
struct SdpaGeom {
  int64_t units, q_len, kv_len, head_dim, v_dim;
  const int64_t* q_off;
  const int64_t* k_off;
  const int64_t* v_off;
  const int64_t* mask_off;
  const int64_t* o_off;   // output / saved output rows
  const int64_t* go_off;  // backward: the output gradient's rows
  int64_t q_rs, k_rs, v_rs, mask_rs, o_rs, go_rs;
  double scale;
  bool causal;
  int64_t grad_heads;
};
// Flash-style forward: out rows (at o_off / o_rs) = softmax(Q K^T * scale + mask) V, computed
// block by block with an online softmax; lse [units, L] gets each row's logsumexp (+inf for a
// row with no visible key, whose output is 0).
using SdpaForwardKernel = void (*)(const char* q, const char* k, const char* v, const char* mask, char* out,
                                   char* lse, const SdpaGeom& g);
// Tiled backward from the saved output and logsumexp: writes grad_q [units, L, E], grad_k
// [units, S, E] and grad_v [units, S, Ev], each laid out [units / grad_heads, rows, grad_heads,
// dim] (grad_heads = 1: contiguous per unit), and (when not null) grad_mask [units, L, S].
using SdpaBackwardKernel = void (*)(const char* grad_out, const char* q, const char* k, const char* v,
                                    const char* mask, const char* out, const char* lse, char* grad_q, char* grad_k,
                                    char* grad_v, char* grad_mask, const SdpaGeom& g);

// ---- sort (cpu/sort) ----
// Along the last axis of a contiguous [rows, n] tensor, in PyTorch's order (NaN above +inf, -0 equal
// to +0) with ties kept in index order (a stable sort; descending keeps ties in index order too).
// Rows hold fewer than 2^32 elements. sort writes values / int64 indices (either may be null).
// The sort kernels (and multinomial without replacement) keep a per-task scratch row of
// (key, index) items: the one exception to "kernels never allocate".
using SortKernel = void (*)(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n,
                            bool descending);
// The k largest (or smallest) of each row, best first (ties: lower index first): [rows, k] outputs.
using TopkKernel = void (*)(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n,
                            int64_t k, bool largest);
// One element per row: mode 0 the k-th smallest (0-based); 1 the lower median (a NaN row gives its
// first NaN); 2 the lower median of the non-NaN values (a row of NaN only gives its first NaN).
using KthKernel = void (*)(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n,
                           int64_t k, int mode);
// The most frequent value per row (the smallest of equally frequent ones) and its last index.
using ModeKernel = void (*)(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n);
// For each of m values per row, the insertion point into that row's sorted n boundaries (row r's
// boundaries start r * sorted_row_stride elements in; stride 0 shares one row). sorter (may be
// null) holds the ascending order of each boundary row. right: after equal boundaries.
using SearchSortedKernel = void (*)(const char* sorted, const int64_t* sorter, int64_t sorted_row_stride,
                                    const char* values, char* out, bool out_int32, int64_t rows, int64_t n,
                                    int64_t m, bool right);

// ---- scan (cpu/scan) ----
// Inclusive scans along the middle axis of a contiguous [outer, n, inner] tensor into out of the
// same layout, from the end when reverse. cumsum / cumprod of bool / int32 / int64 write int64;
// float inputs accumulate in double (as PyTorch's CPU kernels).
using ScanKernel = void (*)(const char* in, char* out, int64_t outer, int64_t n, int64_t inner, bool reverse);
// Running max / min with the index that set it (the latest among equals; a NaN sticks).
using CumExtremeKernel = void (*)(const char* in, char* values, int64_t* indices, int64_t outer, int64_t n,
                                  int64_t inner);
// Gradient of cumprod from grad_out, the input and the output (zeros in the input handled exactly).
using CumprodBackwardKernel = void (*)(const char* grad, const char* in, const char* out, char* grad_in,
                                       int64_t outer, int64_t n, int64_t inner);

// ---- scatter (cpu/index/scatter.cpp) ----
// out[p with p[dim] replaced by index[p]] (op)= src[p] for every position p of the index tensor
// (contiguous int64 of `ndim` dims, values in [0, out_size)); strides in elements, src strides all
// 0 broadcast one value. Updates of one line (all coordinates but dim fixed) apply in index order.
// When base is not null, out (then contiguous, base_numel elements) is first filled from base by
// the threads that go on to scatter into it (out-of-place scatters: one pass, cache-local).
enum class ScatterOp : uint8_t { Assign, Sum, Prod, Amax, Amin };  // Amax / Amin: NaN wins
struct ScatterGeom {
  int ndim;
  int dim;
  const int64_t* shape;  // of the index tensor
  const int64_t* out_strides;
  const int64_t* src_strides;
  int64_t out_size;      // out's size along dim
  const char* base;      // may be null
  int64_t base_numel;
};
using ScatterKernel = void (*)(char* out, const int64_t* index, const char* src, const ScatterGeom& g, ScatterOp op);
// Histogram of n contiguous values into `bins` equal bins over [lo, hi] (out: bins elements of the
// input's dtype); values outside [lo, hi] and NaN are skipped.
using HistcKernel = void (*)(const char* in, int64_t n, char* out, int64_t bins, double lo, double hi);

// ---- sampling (cpu/random/sampling.cpp) ----
// Like the fills above, each reads its own words of the stream (seed, offset): the word count
// each needs is given so the front end can claim them.
// Categorical draws: k per row of contiguous [rows, n] weights (non-negative, positive row sums),
// with replacement or not (then k <= n). Words: rows * 4 * ceil(2 * (replacement || k == 1 ? k : n) / 4).
using MultinomialKernel = void (*)(const char* weights, int64_t* out, int64_t rows, int64_t n, int64_t k,
                                   bool replacement, uint64_t seed, uint64_t offset);
// 0/1 with probability p, or probs[i] (n contiguous doubles) when probs is not null. Words: 2n.
using BernoulliKernel = void (*)(char* out, const double* probs, double p, int64_t n, uint64_t seed,
                                 uint64_t offset);
// Exponential(lambda) / geometric(p) on {1, 2, ...}. Words: 2n.
using ExponentialKernel = void (*)(char* out, int64_t n, double lambda, uint64_t seed, uint64_t offset);
using GeometricKernel = void (*)(char* out, int64_t n, double p, uint64_t seed, uint64_t offset);
// Integers uniform on [low, low + span), span >= 1. Words: 2n.
using RandomIntKernel = void (*)(char* out, int64_t n, int64_t low, uint64_t span, uint64_t seed, uint64_t offset);
// Poisson(rates[i]) for n contiguous rates. Words: 4n (element i owns block offset / 4 + i and its
// sub-streams).
using PoissonKernel = void (*)(const char* rates, char* out, int64_t n, uint64_t seed, uint64_t offset);
// ---- rnn (cpu/rnn) ----
// One recurrent layer (mode: tensorforge::RnnMode) for 1 or 2 directions over time-major rows:
// step t holds batch_sizes[t] rows (non-increasing over t) starting at row offsets[t] of x and
// out. G gates, H hidden, P = proj or H, all weights contiguous in PyTorch's layout. Direction 1
// runs in reverse time. The forward fills out [rows, dirs * P], h_n, c_n and the reserve
// [rows, reserve width] that the backward reads; `work` is scratch. h0 / c0 are always given.
// Backward: grad_out / grad_hn / grad_cn may be null (zero); each null gradient output is not
// computed. `gemm` is the table's GEMM for the dtype; `chunks` bounds the threads one step uses.
struct RnnDirection {
  const char* w_ih = nullptr;
  const char* w_hh = nullptr;
  const char* b_ih = nullptr;  // b_ih / b_hh / w_hr may be null
  const char* b_hh = nullptr;
  const char* w_hr = nullptr;
  const char* h0 = nullptr;  // [batch, P]
  const char* c0 = nullptr;  // [batch, H] (LSTM)
  char* h_n = nullptr;
  char* c_n = nullptr;
  char* reserve = nullptr;
  char* work = nullptr;
  const char* grad_hn = nullptr;
  const char* grad_cn = nullptr;
  char* grad_w_ih = nullptr;
  char* grad_w_hh = nullptr;
  char* grad_b_ih = nullptr;
  char* grad_b_hh = nullptr;
  char* grad_w_hr = nullptr;
  char* grad_h0 = nullptr;
  char* grad_c0 = nullptr;
};
struct RnnLayer {
  int mode = 0;
  int64_t steps = 0, batch = 0, rows = 0, input_size = 0, hidden = 0, proj = 0, dirs = 1;
  int64_t chunks = 1;
  bool zero_h0 = false;                  // h0 is all zeros (its step-0 product can be skipped)
  const int64_t* batch_sizes = nullptr;  // [steps]
  const int64_t* offsets = nullptr;      // [steps]
  const char* x = nullptr;               // [rows, input_size]
  char* out = nullptr;                   // [rows, dirs * P]
  const char* grad_out = nullptr;
  char* grad_x = nullptr;
  GemmKernel gemm = nullptr;
  RnnDirection dir[2];
};
// Element counts (of the layer's dtype) the kernels need per direction: the reserve row width,
// and the forward / backward scratch.
struct RnnSizes {
  int64_t reserve_width, forward_work, backward_work;
};
using RnnSizesKernel = RnnSizes (*)(const RnnLayer& l);
using RnnKernel = void (*)(const RnnLayer& l);

struct KernelTable {
  const char* isa = "none";
  UnaryLoop unary[static_cast<int>(UnaryOp::Count)][kNumDTypes] = {};
  BinaryLoop binary[static_cast<int>(BinaryOp::Count)][kNumDTypes] = {};
  WhereLoop where[kNumDTypes] = {};
  CastLoop cast[kNumDTypes][kNumDTypes] = {};
  ReduceKernel reduce[static_cast<int>(ReduceOp::Count)][kNumDTypes] = {};
  ArgReduceKernel argmax[kNumDTypes] = {};
  ArgReduceKernel argmin[kNumDTypes] = {};
  SoftmaxKernel softmax[kNumDTypes] = {};
  SoftmaxBackwardKernel softmax_backward[kNumDTypes] = {};
  GemmKernel gemm[kNumDTypes] = {};
  UniformKernel uniform[kNumDTypes] = {};
  NormalKernel normal[kNumDTypes] = {};
  IndexGatherKernel index_gather = nullptr;
  IndexPutKernel index_put[kNumDTypes] = {};
  // ---- conv (cpu/conv) ----
  Im2colKernel im2col[kNumDTypes] = {};
  Col2imKernel col2im[kNumDTypes] = {};
  ConvForwardKernel conv2d_forward[kNumDTypes] = {};
  ConvPaddedForwardKernel conv_padded_forward[kNumDTypes] = {};
  ConvPaddedWeightGradKernel conv_padded_weight_grad[kNumDTypes] = {};
  ConvPadKernel conv_pad[kNumDTypes] = {};
  DepthwiseForwardKernel depthwise_forward[kNumDTypes] = {};
  DepthwiseInputGradKernel depthwise_input_grad[kNumDTypes] = {};
  DepthwiseWeightGradKernel depthwise_weight_grad[kNumDTypes] = {};
  // ---- pool (cpu/pool) ----
  MaxPoolKernel max_pool2d[kNumDTypes] = {};
  MaxPoolBackwardKernel max_pool2d_backward[kNumDTypes] = {};
  AvgPoolKernel avg_pool2d[kNumDTypes] = {};
  AvgPoolBackwardKernel avg_pool2d_backward[kNumDTypes] = {};
  AdaptiveAvgPoolKernel adaptive_avg_pool2d[kNumDTypes] = {};
  AdaptiveAvgPoolBackwardKernel adaptive_avg_pool2d_backward[kNumDTypes] = {};
  AdaptiveMaxPoolKernel adaptive_max_pool2d[kNumDTypes] = {};
  MaxPoolDepthKernel max_pool_depth[kNumDTypes] = {};
  Remap2dKernel remap2d[kNumDTypes] = {};
  Remap2dBackwardKernel remap2d_backward[kNumDTypes] = {};
  BilinearKernel upsample_bilinear2d[kNumDTypes] = {};
  BilinearBackwardKernel upsample_bilinear2d_backward[kNumDTypes] = {};
  // ---- norm (cpu/norm) ----
  BatchNormKernel batch_norm[kNumDTypes] = {};
  BatchNormBackwardKernel batch_norm_backward[kNumDTypes] = {};
  LayerNormKernel layer_norm[kNumDTypes] = {};
  LayerNormBackwardKernel layer_norm_backward[kNumDTypes] = {};
  DropoutKernel dropout[kNumDTypes] = {};
  DropoutBackwardKernel dropout_backward[kNumDTypes] = {};
  EmbeddingKernel embedding[kNumDTypes] = {};
  EmbeddingBackwardKernel embedding_backward[kNumDTypes] = {};
  // ---- loss (cpu/loss) ----
  CrossEntropyKernel cross_entropy[kNumDTypes] = {};
  CrossEntropyBackwardKernel cross_entropy_backward[kNumDTypes] = {};
  PointwiseLossKernel pointwise_loss[kNumDTypes] = {};
  PointwiseLossBackwardKernel pointwise_loss_backward[kNumDTypes] = {};
  // ---- optim (cpu/optim) ----
  SgdKernel sgd[kNumDTypes] = {};
  AdamKernel adam[kNumDTypes] = {};
  RmspropKernel rmsprop[kNumDTypes] = {};
  AdagradKernel adagrad[kNumDTypes] = {};
  // ---- ctc (cpu/loss/ctc.cpp) ----
  CtcLossKernel ctc_loss[kNumDTypes] = {};
  CtcLossBackwardKernel ctc_loss_backward[kNumDTypes] = {};
  // ---- image (cpu/image) ----
  ImageRemapKernel image_remap[kNumDTypes] = {};
  ImageAffineKernel image_affine[kNumDTypes] = {};
  // ---- attention (cpu/attention) ----
  SdpaForwardKernel sdpa_forward[kNumDTypes] = {};
  SdpaBackwardKernel sdpa_backward[kNumDTypes] = {};
  // ---- sort (cpu/sort) ----
  SortKernel sort[kNumDTypes] = {};
  TopkKernel topk[kNumDTypes] = {};
  KthKernel kthvalue[kNumDTypes] = {};
  ModeKernel mode[kNumDTypes] = {};
  SearchSortedKernel searchsorted[kNumDTypes] = {};
  // ---- scan (cpu/scan) ----
  ScanKernel cumsum[kNumDTypes] = {};
  ScanKernel cumprod[kNumDTypes] = {};
  ScanKernel logcumsumexp[kNumDTypes] = {};
  CumExtremeKernel cummax[kNumDTypes] = {};
  CumExtremeKernel cummin[kNumDTypes] = {};
  CumprodBackwardKernel cumprod_backward[kNumDTypes] = {};
  // ---- scatter (cpu/index/scatter.cpp) ----
  ScatterKernel scatter[kNumDTypes] = {};
  HistcKernel histc[kNumDTypes] = {};
  // ---- sampling (cpu/random/sampling.cpp) ----
  MultinomialKernel multinomial[kNumDTypes] = {};
  BernoulliKernel bernoulli[kNumDTypes] = {};
  ExponentialKernel exponential[kNumDTypes] = {};
  GeometricKernel geometric[kNumDTypes] = {};
  RandomIntKernel random_int[kNumDTypes] = {};
  PoissonKernel poisson[kNumDTypes] = {};
  // ---- rnn (cpu/rnn) ----
  RnnSizesKernel rnn_sizes[kNumDTypes] = {};
  RnnKernel rnn_forward[kNumDTypes] = {};
  RnnKernel rnn_backward[kNumDTypes] = {};
};

/// The active table (chosen once from CPUID; see set_isa).
const KernelTable& table();

/// Names of the ISAs built into this library that this CPU can run, best first.
const char* const* available_isas(int* count);
/// The active ISA's name: "avx512", "avx2" or "scalar".
const char* current_isa();
/// Forces an ISA (for tests). Throws ValueError for an unknown name or one the CPU lacks.
void set_isa(const char* name);

}  // namespace tensorforge::kernels

// Each ISA build defines these (namespace tensorforge::cpu::<isa>).
#define TF_DECLARE_ISA_TABLE(ns) \
  namespace tensorforge::cpu::ns { void fill_table(::tensorforge::kernels::KernelTable& t); }
TF_DECLARE_ISA_TABLE(scalar)
TF_DECLARE_ISA_TABLE(avx2)
TF_DECLARE_ISA_TABLE(avx512)
#undef TF_DECLARE_ISA_TABLE
