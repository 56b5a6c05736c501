// matmul / mm / bmm front end: shape rules and batch broadcasting over the GEMM kernel.
#include "core/frontend.h"

namespace tensorforge {

using namespace core;

namespace {

// How a 2-D operand reaches the GEMM: its data, whether it is read transposed, its leading dim.
struct MatrixArg {
  const char* data;
  bool trans;
  int64_t ld;
};

// A [rows, cols] matrix with element strides (s0, s1) reaches the GEMM without a copy when it
// is row-major (s1 == 1) or column-major (s0 == 1, read transposed) with a valid leading dim.
bool direct_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1, bool* trans, int64_t* ld) {
  if ((s1 == 1 || cols == 1) && (rows == 1 || s0 >= std::max<int64_t>(cols, 1))) {
    *trans = false;
    *ld = rows == 1 ? std::max<int64_t>(cols, 1) : s0;
    return true;
  }
  if ((s0 == 1 || rows == 1) && (cols == 1 || s1 >= std::max<int64_t>(rows, 1))) {
    *trans = true;
    *ld = cols == 1 ? std::max<int64_t>(rows, 1) : s1;
    return true;
  }
  return false;
}

void check_matmul_dtypes(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype())
    fail<DTypeError>(op, "expected both operands to have the same dtype, got ", dtype_name(a.dtype()),
                     " and ", dtype_name(b.dtype()));
  if (a.dtype() == DType::Bool) fail<DTypeError>(op, "not implemented for dtype bool");
}

}  // namespace

// Batched GEMM over [batch, m, k] x [batch, k, n] views (any strides); writes out [batch, m, n].
static void batched_gemm(const Tensor& a3, const Tensor& b3, const Tensor& out3, const char* op) {
  const int64_t batch = a3.shape()[0], m = a3.shape()[1], k = a3.shape()[2], n = b3.shape()[2];
  auto fn = need(K().gemm[static_cast<int>(a3.dtype())], op, a3.dtype());
  auto prepare = [&](const Tensor& t, int64_t rows, int64_t cols, Tensor* holder) {
    bool tr = false;
    int64_t ld = 0;
    if (!direct_layout(rows, cols, t.strides()[1], t.strides()[2], &tr, &ld)) {
      *holder = contiguous(t);
      return std::make_tuple(*holder, false, std::max<int64_t>(cols, 1));
    }
    return std::make_tuple(t, tr, ld);
  };
  Tensor ha, hb;
  auto [A, ta, lda] = prepare(a3, m, k, &ha);
  auto [B, tb, ldb] = prepare(b3, k, n, &hb);
  const int64_t isz = a3.itemsize();
  const char* pa = static_cast<const char*>(A.data_ptr());
  const char* pb = static_cast<const char*>(B.data_ptr());
  char* pc = static_cast<char*>(out3.data_ptr());
  const int64_t sa = A.strides()[0] * isz, sb = B.strides()[0] * isz, sc = out3.strides()[0] * isz;
  const int64_t ldc = std::max<int64_t>(n, 1);
  // Many small products: one thread per product; large ones: the GEMM splits itself.
  const int64_t work = m * n * k;
  const int64_t grain = work >= (int64_t{1} << 21) ? batch : std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(work, 1));
  parallel_for(0, batch, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i)
      fn(ta, tb, m, n, k, pa + i * sa, lda, pb + i * sb, ldb, pc + i * sc, ldc, 0.0);
  });
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_defined(a, "mm");
  check_defined(b, "mm");
  if (a.ndim() != 2 || b.ndim() != 2)
    fail<ShapeError>("mm", "expected 2-D tensors, got shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()));
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_defined(a, "bmm");
  check_defined(b, "bmm");
  if (a.ndim() != 3 || b.ndim() != 3)
    fail<ShapeError>("bmm", "expected 3-D tensors, got shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()));
  if (a.shape()[0] != b.shape()[0])
    fail<ShapeError>("bmm", "batch sizes differ: ", shape_str(a.shape()), " and ", shape_str(b.shape()));
  return matmul(a, b);
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  check_defined(a_in, "matmul");
  check_defined(b_in, "matmul");
  check_matmul_dtypes(a_in, b_in, "matmul");
  if (a_in.ndim() == 0 || b_in.ndim() == 0)
    fail<ShapeError>("matmul", "both arguments need at least 1 dim, got shapes ", shape_str(a_in.shape()), " and ",
                     shape_str(b_in.shape()));
  const bool a_vec = a_in.ndim() == 1, b_vec = b_in.ndim() == 1;
  const Tensor a = a_vec ? unsqueeze(a_in, 0) : a_in;
  const Tensor b = b_vec ? unsqueeze(b_in, 1) : b_in;
  const int64_t m = a.shape()[a.ndim() - 2], k = a.shape()[a.ndim() - 1];
  const int64_t k2 = b.shape()[b.ndim() - 2], n = b.shape()[b.ndim() - 1];
  if (k != k2)
    fail<ShapeError>("matmul", "shapes ", shape_str(a_in.shape()), " and ", shape_str(b_in.shape()),
                     " cannot be multiplied (", m, "x", k, " and ", k2, "x", n, ")");
  const Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = broadcast_shapes(ba, bb, "matmul");
  const int64_t nbatch = shape_numel(batch);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  if (out.numel() > 0) {
    if (k == 0) {
      fill_(out, 0.0);
    } else if (bb.empty() && a.is_contiguous() && !ba.empty()) {
      // [..., m, k] x [k, n]: fold the batch into the rows.
      batched_gemm(reshape(a, {1, nbatch * m, k}), unsqueeze(b, 0), reshape(out, {1, nbatch * m, n}), "matmul");
    } else {
      Shape ea = batch, eb = batch;
      ea.insert(ea.end(), {m, k});
      eb.insert(eb.end(), {k, n});
      batched_gemm(reshape(expand(a, ea), {nbatch, m, k}), reshape(expand(b, eb), {nbatch, k, n}),
                   reshape(out, {nbatch, m, n}), "matmul");
    }
  }
  Tensor result = out;
  if (a_vec) result = squeeze(result, {-2});
  if (b_vec) result = squeeze(result, {-1});
  return result;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_defined(x, "linear");
  check_defined(weight, "linear", "weight");
  if (weight.ndim() != 2)
    fail<ShapeError>("linear", "weight must be 2-D [out_features, in_features], got ", shape_str(weight.shape()));
  if (x.ndim() == 0 || x.shape().back() != weight.shape()[1])
    fail<ShapeError>("linear", "input ", shape_str(x.shape()), " and weight ", shape_str(weight.shape()),
                     " cannot be multiplied (expected input of shape [..., ", weight.shape()[1], "])");
  check_matmul_dtypes(x, weight, "linear");
  const int64_t in = weight.shape()[1], out_f = weight.shape()[0];
  if (bias.defined()) {
    if (bias.ndim() != 1 || bias.shape()[0] != out_f)
      fail<ShapeError>("linear", "bias must have shape [", out_f, "], got ", shape_str(bias.shape()));
    if (bias.dtype() != x.dtype())
      fail<DTypeError>("linear", "bias dtype ", dtype_name(bias.dtype()), " differs from input dtype ",
                       dtype_name(x.dtype()));
  }
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  Tensor out = Tensor::empty(out_shape, x.dtype());
  const int64_t rows = x.numel() / std::max<int64_t>(in, 1);
  if (out.numel() == 0) return out;
  if (bias.defined()) copy_(out, bias);
  else fill_(out, 0.0);
  if (in == 0 || rows == 0) return out;
  const Tensor x2 = x.is_contiguous() ? x : contiguous(x);
  auto fn = need(K().gemm[static_cast<int>(x.dtype())], "linear", x.dtype());
  bool tw = false;
  int64_t ldw = 0;
  Tensor w = weight;
  // weight [out, in] is read transposed: as a [in, out] matrix it has strides (s1, s0).
  if (!direct_layout(in, out_f, weight.strides()[1], weight.strides()[0], &tw, &ldw)) {
    w = contiguous(weight);
    direct_layout(in, out_f, w.strides()[1], w.strides()[0], &tw, &ldw);
  }
  fn(false, tw, rows, out_f, in, x2.data_ptr(), in, w.data_ptr(), ldw, out.data_ptr(), out_f, 1.0);
  return out;
}

}  // namespace tensorforge
