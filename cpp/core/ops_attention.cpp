// Scaled dot-product attention front end: shape and dtype rules, broadcasting of the batch
// dims and of grouped key/value heads, the mask made additive, then the fused kernels.
// Broadcast operands are read in place (per-(batch, head) offsets); their gradients are
// computed per unit and summed back to the operand's shape.
#include <cmath>
#include <limits>

#include "core/frontend.h"
#include "tensorforge/attention_ops.h"

namespace tensorforge {

using namespace core;

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";
constexpr const char* kBackOp = "scaled_dot_product_attention_backward";

// The last dim made contiguous (the kernels read rows with one stride between them).
Tensor rows_contiguous(const Tensor& x) {
  if (x.shape().back() <= 1 || x.strides().back() == 1) return x;
  return contiguous(x);
}

Shape leading(const Tensor& x, int64_t trailing) { return Shape(x.shape().begin(), x.shape().end() - trailing); }

// Element offset of each (batch, head) unit of `batch` into x, whose first `nb` dims broadcast
// to `batch`; with group > 1 the last batch dim (heads) of x is shared by `group` query heads.
std::vector<int64_t> unit_offsets(const Tensor& x, int64_t nb, const Shape& batch, int64_t group) {
  const int64_t nd = static_cast<int64_t>(batch.size());
  Shape st(nd, 0);
  for (int64_t i = 0; i < nb; ++i) {
    const int64_t d = nd - nb + i;
    st[d] = x.shape()[i] == 1 && batch[d] != 1 ? 0 : x.strides()[i];
  }
  const int64_t units = shape_numel(batch);
  std::vector<int64_t> off(static_cast<size_t>(units));
  Shape idx(nd, 0);
  for (int64_t u = 0; u < units; ++u) {
    int64_t o = 0;
    for (int64_t d = 0; d < nd; ++d) o += (d == nd - 1 ? idx[d] / group : idx[d]) * st[d];
    off[u] = o;
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return off;
}

// Sums x (shaped like the broadcast of `target` with more leading dims) back to `target`.
Tensor sum_to_shape(const Tensor& x, const Shape& target) {
  if (x.shape() == target) return x;
  const int64_t lead = x.ndim() - static_cast<int64_t>(target.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (d < lead || (target[d - lead] == 1 && x.shape()[d] != 1)) dims.push_back(d);
  return reshape(dims.empty() ? x : reduce(ReduceOp::Sum, x, dims, true), target);
}

// Everything the kernels need, derived once from the operands.
struct Plan {
  DType dt;
  int64_t L, S, E, Ev;
  Shape batch;  // broadcast batch dims of the output (the last one is the heads)
  int64_t units;
  Tensor q, k, v, mask;  // rows contiguous; mask additive in dt, columns contiguous
  int64_t group_k = 1, group_v = 1;
  std::vector<int64_t> q_off, k_off, v_off, mask_off;
  int64_t mask_rs = 0;
  double scale;
  bool float_mask = false;
};

Plan make_plan(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask, bool is_causal,
               std::optional<double> scale, bool enable_gqa, const char* op) {
  check_defined(query, op, "query");
  check_defined(key, op, "key");
  check_defined(value, op, "value");
  if (query.ndim() < 2 || key.ndim() < 2 || value.ndim() < 2)
    fail<ShapeError>(op, "expected query, key and value of at least 2 dims, got ", shape_str(query.shape()), ", ",
                     shape_str(key.shape()), " and ", shape_str(value.shape()));
  const DType dt = query.dtype();
  if (key.dtype() != dt || value.dtype() != dt)
    fail<DTypeError>(op, "expected query, key and value of one dtype, got ", dtype_name(dt), ", ",
                     dtype_name(key.dtype()), " and ", dtype_name(value.dtype()));
  if (dt != DType::Float32 && dt != DType::Float64)
    fail<DTypeError>(op, "expected float32 or float64 query, key and value, got ", dtype_name(dt));
  Plan p;
  p.dt = dt;
  p.L = query.shape()[query.ndim() - 2];
  p.E = query.shape().back();
  p.S = key.shape()[key.ndim() - 2];
  p.Ev = value.shape().back();
  if (key.shape().back() != p.E)
    fail<ShapeError>(op, "query ", shape_str(query.shape()), " and key ", shape_str(key.shape()),
                     " must share the last dim (the embedding size E)");
  if (value.shape()[value.ndim() - 2] != p.S)
    fail<ShapeError>(op, "key ", shape_str(key.shape()), " and value ", shape_str(value.shape()),
                     " must share dim -2 (the source length S)");
  if (attn_mask.defined() && is_causal)
    fail<ValueError>(op, "explicit attn_mask should not be set when is_causal=True");

  Shape qb = leading(query, 2), kb = leading(key, 2), vb = leading(value, 2);
  // Grouped heads: key / value heads (dim -3) each serve a group of query heads.
  if (enable_gqa && !qb.empty() && !kb.empty() && !vb.empty()) {
    const int64_t hq = qb.back();
    for (auto [hb, g] : {std::pair<Shape*, int64_t*>{&kb, &p.group_k}, {&vb, &p.group_v}}) {
      const int64_t h = hb->back();
      if (h == hq) continue;
      if (h == 0 || hq % h != 0)
        fail<ShapeError>(op, "number of heads in key ", shape_str(key.shape()), " and value ",
                         shape_str(value.shape()), " must divide the number of heads in query ",
                         shape_str(query.shape()), " (dim -3)");
      *g = hq / h;
      hb->back() = hq;
    }
  }
  const size_t nd = std::max({qb.size(), kb.size(), vb.size()});
  p.batch.assign(nd, 1);
  for (const Shape* s : {&qb, &kb, &vb}) {
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t& b = p.batch[nd - s->size() + i];
      const int64_t x = (*s)[i];
      if (x == b || x == 1) continue;
      if (b != 1)
        fail<ShapeError>(op, "the batch dims of query ", shape_str(query.shape()), ", key ", shape_str(key.shape()),
                         " and value ", shape_str(value.shape()), " do not broadcast");
      b = x;
    }
  }
  p.units = shape_numel(p.batch);
  p.q = rows_contiguous(query);
  p.k = rows_contiguous(key);
  p.v = rows_contiguous(value);
  p.q_off = unit_offsets(p.q, query.ndim() - 2, p.batch, 1);
  p.k_off = unit_offsets(p.k, key.ndim() - 2, p.batch, p.group_k);
  p.v_off = unit_offsets(p.v, value.ndim() - 2, p.batch, p.group_v);

  if (attn_mask.defined()) {
    if (attn_mask.dtype() != DType::Bool && attn_mask.dtype() != dt)
      fail<DTypeError>(op, "expected attn_mask of dtype bool or the query's dtype ", dtype_name(dt), ", got ",
                       dtype_name(attn_mask.dtype()));
    Shape full = p.batch;
    full.push_back(p.L);
    full.push_back(p.S);
    bool fits = attn_mask.ndim() <= static_cast<int64_t>(full.size());
    for (int64_t i = 0; fits && i < attn_mask.ndim(); ++i) {
      const int64_t x = attn_mask.shape()[i], f = full[full.size() - attn_mask.ndim() + i];
      fits = x == f || x == 1;
    }
    if (!fits)
      fail<ShapeError>(op, "attn_mask of shape ", shape_str(attn_mask.shape()),
                       " does not broadcast to the attention shape ", shape_str(full));
    p.float_mask = attn_mask.dtype() != DType::Bool;
    Tensor m = p.float_mask ? attn_mask
                            : where(attn_mask, scalar_tensor(0.0, dt),
                                    scalar_tensor(-std::numeric_limits<double>::infinity(), dt));
    while (m.ndim() < 2) m = unsqueeze(m, 0);
    if (m.shape().back() != p.S || (p.S > 1 && m.strides().back() != 1)) {
      Shape ms = m.shape();
      ms.back() = p.S;
      m = contiguous(expand(m, ms));
    }
    p.mask_rs = m.shape()[m.ndim() - 2] == 1 ? 0 : m.strides()[m.ndim() - 2];
    p.mask_off = unit_offsets(m, m.ndim() - 2, p.batch, 1);
    p.mask = m;
  }
  p.scale = scale ? *scale : (p.E > 0 ? 1.0 / std::sqrt(static_cast<double>(p.E)) : 1.0);
  return p;
}

kernels::SdpaGeom geometry(const Plan& p, bool is_causal) {
  kernels::SdpaGeom g{};
  g.units = p.units;
  g.q_len = p.L;
  g.kv_len = p.S;
  g.head_dim = p.E;
  g.v_dim = p.Ev;
  g.q_off = p.q_off.data();
  g.k_off = p.k_off.data();
  g.v_off = p.v_off.data();
  g.mask_off = p.mask.defined() ? p.mask_off.data() : nullptr;
  g.q_rs = p.q.strides()[p.q.ndim() - 2];
  g.k_rs = p.k.strides()[p.k.ndim() - 2];
  g.v_rs = p.v.strides()[p.v.ndim() - 2];
  g.mask_rs = p.mask_rs;
  g.scale = p.scale;
  g.causal = is_causal;
  g.grad_heads = 1;
  return g;
}

char* data(const Tensor& t) { return t.defined() ? static_cast<char*>(t.data_ptr()) : nullptr; }

// An uninitialised [*batch, rows, dim] tensor whose memory is laid out [*batch[:-1], rows, heads,
// dim] (heads = batch[-1]): a head-merging transpose of it is contiguous.
Tensor heads_inner(const Shape& batch, int64_t rows, int64_t dim, DType dt) {
  const int64_t nb = static_cast<int64_t>(batch.size());
  if (nb == 0) return Tensor::empty({rows, dim}, dt);
  Shape ms(batch.begin(), batch.end() - 1);
  ms.insert(ms.end(), {rows, batch.back(), dim});
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < nb - 1; ++d) perm.push_back(d);
  perm.insert(perm.end(), {nb, nb - 1, nb + 1});
  return permute(Tensor::empty(ms, dt), perm);
}

Shape with_tail(const Shape& batch, std::initializer_list<int64_t> tail) {
  Shape s = batch;
  s.insert(s.end(), tail);
  return s;
}

}  // namespace

std::pair<Tensor, Tensor> scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                                       const Tensor& attn_mask, bool is_causal,
                                                       std::optional<double> scale, bool enable_gqa) {
  const Plan p = make_plan(query, key, value, attn_mask, is_causal, scale, enable_gqa, kOp);
  auto fn = need(K().sdpa_forward[static_cast<int>(p.dt)], kOp, p.dt);
  // Output rows laid out [*outer, L, heads, Ev] (as PyTorch's CPU kernel does), so that merging
  // the heads back into the embedding after a transpose costs no copy.
  const int64_t heads = p.batch.empty() ? 1 : p.batch.back();
  Tensor out = heads_inner(p.batch, p.L, p.Ev, p.dt);
  std::vector<int64_t> o_off(static_cast<size_t>(p.units));
  for (int64_t u = 0; u < p.units; ++u) o_off[u] = (u / heads) * p.L * heads * p.Ev + (u % heads) * p.Ev;
  Tensor lse = Tensor::empty(with_tail(p.batch, {p.L}), p.dt);
  kernels::SdpaGeom g = geometry(p, is_causal);
  g.o_off = o_off.data();
  g.o_rs = heads * p.Ev;
  fn(data(p.q), data(p.k), data(p.v), data(p.mask), data(out), data(lse), g);
  return {out, lse};
}

std::tuple<Tensor, Tensor, Tensor, Tensor> scaled_dot_product_attention_backward(
    const Tensor& grad, const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask,
    const Tensor& out, const Tensor& logsumexp, bool is_causal, std::optional<double> scale, bool enable_gqa,
    bool need_query, bool need_key, bool need_value, bool need_mask) {
  const Plan p = make_plan(query, key, value, attn_mask, is_causal, scale, enable_gqa, kBackOp);
  check_defined(grad, kBackOp, "grad");
  check_defined(out, kBackOp, "out");
  check_defined(logsumexp, kBackOp, "logsumexp");
  const Shape out_shape = with_tail(p.batch, {p.L, p.Ev});
  if (grad.shape() != out_shape || out.shape() != out_shape)
    fail<ShapeError>(kBackOp, "grad ", shape_str(grad.shape()), " and out ", shape_str(out.shape()),
                     " must have the output shape ", shape_str(out_shape));
  if (logsumexp.shape() != with_tail(p.batch, {p.L}))
    fail<ShapeError>(kBackOp, "logsumexp ", shape_str(logsumexp.shape()), " does not match the output ",
                     shape_str(out_shape));
  if (grad.dtype() != p.dt || out.dtype() != p.dt || logsumexp.dtype() != p.dt)
    fail<DTypeError>(kBackOp, "grad, out and logsumexp must have the query's dtype ", dtype_name(p.dt));
  auto fn = need(K().sdpa_backward[static_cast<int>(p.dt)], kBackOp, p.dt);
  const Tensor go = rows_contiguous(grad), o = rows_contiguous(out), lse = contiguous(logsumexp);
  const std::vector<int64_t> go_off = unit_offsets(go, static_cast<int64_t>(p.batch.size()), p.batch, 1);
  const std::vector<int64_t> o_off = unit_offsets(o, static_cast<int64_t>(p.batch.size()), p.batch, 1);
  const bool mask_grad = need_mask && p.float_mask;
  // Gradients in the query's layout: heads inside rows when the query is a view of a projection
  // [*, L, heads, E] (multi-head attention), plainly contiguous otherwise.
  const int64_t nd = query.ndim();
  const bool inner = nd >= 3 && p.batch.size() >= 1 && query.shape()[nd - 3] > 1 && query.shape()[nd - 2] > 1 &&
                     query.strides()[nd - 3] < query.strides()[nd - 2];
  auto grad_buffer = [&](int64_t rows, int64_t dim) {
    return inner ? heads_inner(p.batch, rows, dim, p.dt) : Tensor::empty(with_tail(p.batch, {rows, dim}), p.dt);
  };
  Tensor gq = grad_buffer(p.L, p.E), gk = grad_buffer(p.S, p.E), gv = grad_buffer(p.S, p.Ev);
  Tensor gm = mask_grad ? Tensor::empty(with_tail(p.batch, {p.L, p.S}), p.dt) : Tensor();
  kernels::SdpaGeom g = geometry(p, is_causal);
  g.grad_heads = inner ? p.batch.back() : 1;
  g.o_off = o_off.data();
  g.go_off = go_off.data();
  g.o_rs = o.strides()[o.ndim() - 2];
  g.go_rs = go.strides()[go.ndim() - 2];
  fn(data(go), data(p.q), data(p.k), data(p.v), data(p.mask), data(o), data(lse), data(gq), data(gk), data(gv),
     data(gm), g);

  // Grouped heads: sum each group of query heads into its key / value head, then broadcast dims.
  auto ungroup = [&](Tensor t, int64_t group, const Tensor& like) {
    if (group > 1) {
      Shape s = t.shape();
      const int64_t h = static_cast<int64_t>(p.batch.size()) - 1;
      s[h] /= group;
      s.insert(s.begin() + h + 1, group);
      t = reduce(ReduceOp::Sum, reshape(t, s), {h + 1}, false);
    }
    return sum_to_shape(t, like.shape());
  };
  return {need_query ? sum_to_shape(gq, query.shape()) : Tensor(), need_key ? ungroup(gk, p.group_k, key) : Tensor(),
          need_value ? ungroup(gv, p.group_v, value) : Tensor(),
          mask_grad ? sum_to_shape(gm, attn_mask.shape()) : Tensor()};
}

}  // namespace tensorforge
