// GEMM through the public C++ API: square, transposed (backward-pass) and skinny products,
// and the batched products of attention, with 1 and 2 threads.
#include <benchmark/benchmark.h>
#include <tensorforge/tensorforge.h>

namespace tf = tensorforge;

namespace {

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["FLOPS"] =
      benchmark::Counter(flops_per_iter * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Args: m, n, k, threads. C[m,n] = A[m,k] @ B[k,n], all contiguous.
void BM_matmul_nn(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  tf::set_num_threads(static_cast<int>(state.range(3)));
  const tf::Tensor a = tf::randn({m, k}), b = tf::randn({k, n});
  for (auto _ : state) benchmark::DoNotOptimize(tf::matmul(a, b));
  set_flops(state, 2.0 * m * n * k);
}

// dX = dY @ W^T: B is stored [n, k] and read transposed (a view, no copy).
void BM_matmul_nt(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  tf::set_num_threads(static_cast<int>(state.range(3)));
  const tf::Tensor a = tf::randn({m, k}), bt = tf::transpose(tf::randn({n, k}), 0, 1);
  for (auto _ : state) benchmark::DoNotOptimize(tf::matmul(a, bt));
  set_flops(state, 2.0 * m * n * k);
}

// dW = X^T @ dY: A is stored [k, m] and read transposed.
void BM_matmul_tn(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  tf::set_num_threads(static_cast<int>(state.range(3)));
  const tf::Tensor at = tf::transpose(tf::randn({k, m}), 0, 1), b = tf::randn({k, n});
  for (auto _ : state) benchmark::DoNotOptimize(tf::matmul(at, b));
  set_flops(state, 2.0 * m * n * k);
}

// Args: batch, m, n, k, threads (attention scores: [b, m, k] @ [b, k, n]).
void BM_bmm(benchmark::State& state) {
  const int64_t bs = state.range(0), m = state.range(1), n = state.range(2), k = state.range(3);
  tf::set_num_threads(static_cast<int>(state.range(4)));
  const tf::Tensor a = tf::randn({bs, m, k}), b = tf::randn({bs, k, n});
  for (auto _ : state) benchmark::DoNotOptimize(tf::matmul(a, b));
  set_flops(state, 2.0 * bs * m * n * k);
}

void square_and_skinny(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k", "threads"});
  for (int t : {1, 2}) {
    for (int64_t s : {256, 1024, 2048}) b->Args({s, s, s, t});
    b->Args({64, 256, 256, t});
    b->Args({64, 1024, 1024, t});
    b->Args({512, 1024, 1024, t});
    b->Args({4096, 64, 256, t});
  }
  b->Unit(benchmark::kMicrosecond);
}

void transposed(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k", "threads"});
  for (int t : {1, 2}) {
    b->Args({1024, 1024, 1024, t});
    b->Args({512, 1024, 1024, t});
    b->Args({64, 1024, 1024, t});
  }
  b->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_matmul_nn)->Apply(square_and_skinny);
BENCHMARK(BM_matmul_nt)->Apply(transposed);
BENCHMARK(BM_matmul_tn)->Apply(transposed);
BENCHMARK(BM_bmm)
    ->ArgNames({"batch", "m", "n", "k", "threads"})
    ->Args({32, 128, 128, 64, 1})
    ->Args({32, 128, 128, 64, 2})
    ->Unit(benchmark::kMicrosecond);
