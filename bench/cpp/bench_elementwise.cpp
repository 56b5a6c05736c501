// Elementwise and reduction kernels through the public C++ API, per ISA.
#include <benchmark/benchmark.h>
#include <tensorforge/tensorforge.h>

namespace tf = tensorforge;

namespace {

void set_isa_arg(benchmark::State& state) {
  const auto isas = tf::available_isas();
  const size_t i = static_cast<size_t>(state.range(1));
  if (i >= isas.size()) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  tf::set_isa(isas[i]);
  state.SetLabel(isas[i]);
}

void BM_add(benchmark::State& state) {
  set_isa_arg(state);
  const int64_t n = state.range(0);
  const tf::Tensor a = tf::randn({n}), b = tf::randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(tf::add(a, b));
  state.SetBytesProcessed(state.iterations() * n * 12);
}

void BM_exp(benchmark::State& state) {
  set_isa_arg(state);
  const int64_t n = state.range(0);
  const tf::Tensor a = tf::randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(tf::exp(a));
  state.SetBytesProcessed(state.iterations() * n * 8);
}

void BM_sum_rows(benchmark::State& state) {
  set_isa_arg(state);
  const tf::Tensor a = tf::randn({4096, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(tf::sum(a, {1}));
  state.SetBytesProcessed(state.iterations() * 4096 * 1024 * 4);
}

void BM_softmax_rows(benchmark::State& state) {
  set_isa_arg(state);
  const tf::Tensor a = tf::randn({4096, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(tf::softmax(a, 1));
  state.SetBytesProcessed(state.iterations() * 4096 * 1024 * 8);
}

}  // namespace

// Args: {elements, ISA index (0 = best available)}.
BENCHMARK(BM_add)->ArgsProduct({{1 << 10, 1 << 22}, {0, 1, 2}})->UseRealTime();
BENCHMARK(BM_exp)->ArgsProduct({{1 << 10, 1 << 22}, {0, 1, 2}})->UseRealTime();
BENCHMARK(BM_sum_rows)->ArgsProduct({{0}, {0, 1, 2}})->UseRealTime();
BENCHMARK(BM_softmax_rows)->ArgsProduct({{0}, {0, 1, 2}})->UseRealTime();
