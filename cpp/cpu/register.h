// Per-ISA registration: each kernel family fills its entries of the dispatch table.
// Compiled once per ISA inside namespace tensorforge::cpu::TF_ISA_NS.
#pragma once

#include "core/dispatch.h"

#ifndef TF_ISA_NS
#error "TF_ISA_NS must be defined when compiling kernels"
#endif

namespace tensorforge::cpu::TF_ISA_NS {
using kernels::KernelTable;
void register_elementwise(KernelTable& t);  // cpu/elementwise: unary, binary, where, cast
void register_reduce(KernelTable& t);       // cpu/reduce: reductions, arg-reductions, softmax
void register_gemm(KernelTable& t);         // cpu/gemm
void register_random(KernelTable& t);       // cpu/random
void register_index(KernelTable& t);        // cpu/index: advanced-indexing gather / put
void register_conv(KernelTable& t);         // cpu/conv: im2col/col2im and convolution helpers
void register_conv_depthwise(KernelTable& t);  // cpu/conv/depthwise.cpp (called by register_conv)
void register_pool(KernelTable& t);         // cpu/pool: max / avg / adaptive pooling
void register_norm(KernelTable& t);         // cpu/norm: batch norm, layer norm, dropout
void register_loss(KernelTable& t);         // cpu/loss: fused softmax cross-entropy and other losses
void register_optim(KernelTable& t);        // cpu/optim: fused optimizer updates
void register_image(KernelTable& t);        // cpu/image: per-image remap and affine warp (augmentation)
void register_attention(KernelTable& t);    // cpu/attention: fused scaled dot-product attention
void register_sort(KernelTable& t);         // cpu/sort: sort, top-k, k-th value, mode, binary search
void register_scan(KernelTable& t);         // cpu/scan: cumsum, cumprod, logcumsumexp, cummax / cummin
void register_scatter(KernelTable& t);      // cpu/index/scatter.cpp: scatter along a dim, histc
void register_sampling(KernelTable& t);     // cpu/random/sampling.cpp: multinomial, bernoulli, poisson, ...
void register_rnn(KernelTable& t);          // cpu/rnn: fused RNN / LSTM / GRU layers
void register_ctc(KernelTable& t);          // cpu/loss/ctc.cpp: CTC loss forward / backward
}  // namespace tensorforge::cpu::TF_ISA_NS
