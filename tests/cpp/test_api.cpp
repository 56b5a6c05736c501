// The public C++ API as a native user sees it: results, views, errors, ISAs.
#include <tensorforge/tensorforge.h>

#include <Eigen/Core>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

namespace tf = tensorforge;

namespace {
int g_failed = 0;
int g_passed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

template <typename E>
void expect_throw(const std::function<void()>& fn, const std::string& what, const char* op) {
  try {
    fn();
    check(false, what + " (no exception)");
  } catch (const E& e) {
    check(std::string(e.what()).find(op) != std::string::npos, what + " message names the op: " + e.what());
  } catch (...) {
    check(false, what + " (wrong exception type)");
  }
}

float at(const tf::Tensor& t, int64_t i) { return tf::contiguous(t).data<float>()[i]; }

// Our GEMM against Eigen's product (the reference), for a shape and transposes.
bool gemm_matches_eigen(int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  tf::Tensor a = tf::randn(ta ? tf::Shape{k, m} : tf::Shape{m, k}, tf::DType::Float64);
  tf::Tensor b = tf::randn(tb ? tf::Shape{n, k} : tf::Shape{k, n}, tf::DType::Float64);
  tf::Tensor c = tf::matmul(ta ? tf::transpose(a, 0, 1) : a, tb ? tf::transpose(b, 0, 1) : b);
  Eigen::Map<const Mat> ea(a.data<double>(), a.shape()[0], a.shape()[1]);
  Eigen::Map<const Mat> eb(b.data<double>(), b.shape()[0], b.shape()[1]);
  Mat ref = (ta ? Mat(ea.transpose()) : Mat(ea)) * (tb ? Mat(eb.transpose()) : Mat(eb));
  Eigen::Map<const Mat> ec(tf::contiguous(c).data<double>(), m, n);
  return (ec - ref).cwiseAbs().maxCoeff() <= 1e-9 * std::max(1.0, ref.cwiseAbs().maxCoeff());
}

// Fused attention against a plain softmax(q k^T / sqrt(E)) v per row (causal: keys j <= i).
bool sdpa_matches_naive(int64_t L, int64_t S, int64_t E, bool causal) {
  tf::Tensor q = tf::randn({2, L, E}, tf::DType::Float64), k = tf::randn({2, S, E}, tf::DType::Float64);
  tf::Tensor v = tf::randn({2, S, E}, tf::DType::Float64);
  tf::Tensor out = tf::contiguous(tf::scaled_dot_product_attention(q, k, v, tf::Tensor(), causal, {}, false).first);
  const double* pq = q.data<double>();
  const double* pk = k.data<double>();
  const double* pv = v.data<double>();
  double worst = 0;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < L; ++i) {
      const int64_t n = causal ? std::min(S, i + 1) : S;
      std::vector<double> w(n);
      double mx = -1e300, sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        double d = 0;
        for (int64_t e = 0; e < E; ++e) d += pq[(b * L + i) * E + e] * pk[(b * S + j) * E + e];
        w[j] = d / std::sqrt(double(E));
        mx = std::max(mx, w[j]);
      }
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (int64_t e = 0; e < E; ++e) {
        double o = 0;
        for (int64_t j = 0; j < n; ++j) o += w[j] / sum * pv[(b * S + j) * E + e];
        worst = std::max(worst, std::fabs(o - out.data<double>()[(b * L + i) * E + e]));
      }
    }
  return worst < 1e-10;
}
}  // namespace

int main() {
  for (const std::string& isa : tf::available_isas()) {
    tf::set_isa(isa);
    // matmul against a hand-computed product
    tf::Tensor a = tf::arange(0, 6, 1, tf::DType::Float32);
    tf::Tensor m = tf::view(a, {2, 3});
    tf::Tensor p = tf::matmul(m, tf::transpose(m, 0, 1));  // [[5, 14], [14, 50]]
    check(p.shape() == tf::Shape({2, 2}), isa + ": matmul shape");
    check(at(p, 0) == 5.f && at(p, 1) == 14.f && at(p, 3) == 50.f, isa + ": matmul values");
    // broadcasting add and a reduction
    tf::Tensor s = tf::sum(tf::add(m, tf::ones({3})));
    check(*s.data<float>() == 21.f, isa + ": broadcast add + sum");
    // softmax rows sum to one
    tf::Tensor sm = tf::softmax(tf::randn({5, 7}), 1);
    tf::Tensor rows = tf::sum(sm, {1});
    bool ok = true;
    for (int i = 0; i < 5; ++i) ok = ok && std::fabs(at(rows, i) - 1.f) < 1e-5f;
    check(ok, isa + ": softmax rows sum to 1");
    // exp matches std::exp
    tf::Tensor e = tf::exp(tf::view(a, {6}));
    check(std::fabs(at(e, 5) - std::exp(5.f)) < 1e-3f, isa + ": exp");
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 5, 3}, {33, 65, 17}, {130, 97, 257}})
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          check(gemm_matches_eigen(m, n, k, ta, tb), isa + ": GEMM vs Eigen " + std::to_string(m) + "x" +
                                                         std::to_string(n) + "x" + std::to_string(k));
    for (bool causal : {false, true})
      check(sdpa_matches_naive(70, 150, 24, causal), isa + ": attention vs a naive softmax" + (causal ? " (causal)" : ""));
  }
  tf::set_isa(tf::available_isas().front());
  // views share storage
  tf::Tensor z = tf::zeros({3, 4});
  tf::fill_(tf::select(z, 0, 1), 7.0);
  check(at(z, 4) == 7.f && at(z, 3) == 0.f, "select view writes through");
  // image ops: a 90-degree turn of [[0, 1, 2], [3, 4, 5], [6, 7, 8]] is [[2, 5, 8], [1, 4, 7], [0, 3, 6]]
  tf::Tensor img = tf::view(tf::arange(0, 9, 1, tf::DType::Float32), {1, 3, 3});
  tf::Tensor turned = tf::rotate_images(img, tf::full({1}, 90.0, tf::DType::Float64), "bilinear", {});
  check(at(turned, 0) == 2.f && at(turned, 1) == 5.f && at(turned, 3) == 1.f && at(turned, 8) == 6.f,
        "rotate_images by 90 degrees");
  tf::Tensor flipped = tf::flip_images(img, tf::ones({1}, tf::DType::Bool), tf::zeros({1}, tf::DType::Bool));
  check(at(flipped, 0) == 2.f && at(flipped, 2) == 0.f, "flip_images left-right");
  expect_throw<tf::ShapeError>([] { tf::flip_images(tf::ones({3, 3}), tf::ones({1}), tf::ones({1})); }, "image rank",
                               "[flip_images]");
  // sorting, scans, scatter, sampling (sort_ops.h, scatter_ops.h, random_ops.h)
  {
    tf::Tensor v = tf::view(tf::arange(0, 6, 1, tf::DType::Float32), {6});
    auto [sv, si] = tf::sort(tf::flip(v, {0}), 0, false);
    check(at(sv, 0) == 0.f && si.data<int64_t>()[0] == 5, "sort of a flipped arange");
    auto [tv, ti] = tf::topk(v, 2);
    check(at(tv, 0) == 5.f && ti.data<int64_t>()[1] == 4, "topk");
    check(at(tf::cumsum(v, 0), 5) == 15.f, "cumsum");
    tf::Tensor out = tf::zeros({3});
    tf::scatter_(out, 0, tf::full({4}, 1.0, tf::DType::Int64), tf::ones({4}), tf::ScatterReduce::Sum);
    check(at(out, 1) == 4.f && at(out, 0) == 0.f, "scatter_ sum");
    tf::Generator gen(7);
    tf::Tensor probs = tf::zeros({3});
    tf::fill_(tf::select(probs, 0, 2), 1.0);
    tf::Tensor draw = tf::multinomial(probs, 3, true, &gen);
    check(draw.data<int64_t>()[0] == 2 && draw.data<int64_t>()[2] == 2, "multinomial with one positive weight");
    gen.manual_seed(7);
    tf::Tensor r1 = tf::rand({4}, tf::DType::Float32, &gen);
    gen.manual_seed(7);
    check(at(tf::rand({4}, tf::DType::Float32, &gen), 3) == at(r1, 3), "Generator reproducible");
    expect_throw<tf::IndexError>([] { tf::topk(tf::ones({3}), 4); }, "topk k", "[topk]");
  }
  // errors name the op
  expect_throw<tf::ShapeError>([] { tf::matmul(tf::ones({2, 3}), tf::ones({4, 5})); }, "matmul shapes", "[matmul]");
  expect_throw<tf::ShapeError>([] { tf::add(tf::ones({2, 3}), tf::ones({4})); }, "broadcast", "[add]");
  expect_throw<tf::IndexError>([] { tf::select(tf::ones({2}), 0, 5); }, "select range", "[select]");
  expect_throw<tf::DTypeError>([] { tf::softmax(tf::ones({2}, tf::DType::Int64), 0); }, "softmax dtype", "[softmax]");
  expect_throw<tf::ShapeError>(
      [] { tf::scaled_dot_product_attention(tf::ones({2, 3, 4}), tf::ones({2, 5, 3}), tf::ones({2, 5, 4}), tf::Tensor(),
                                            false, {}, false); },
      "attention shapes", "[scaled_dot_product_attention]");
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
