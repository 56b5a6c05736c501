// The one way kernels run in parallel: parallel_for over an index range, OpenMP underneath.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensorforge {

/// Threads used by kernels (defaults to the number of cores).
int get_num_threads();
/// Sets the thread count used by kernels; n >= 1.
void set_num_threads(int n);
/// True while running inside a parallel_for body (nested calls run serially).
bool in_parallel_region();

/// The instruction set the kernels run with: "avx512", "avx2" or "scalar" (the best this CPU
/// supports, unless forced).
const char* current_isa();
/// ISAs built into the library that this CPU can run, best first.
std::vector<std::string> available_isas();
/// Forces an ISA (for tests and comparisons). Throws ValueError for one not available.
void set_isa(const std::string& name);

namespace detail {
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
void parallel_run(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx);
}  // namespace detail

/// Calls fn(b, e) on disjoint chunks covering [begin, end). Runs on the calling thread when
/// the range is at most `grain` long, one thread is configured, or already in parallel.
/// Each chunk is at least `grain` long (except possibly the last).
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  if (end <= begin) return;
  if (end - begin <= grain || get_num_threads() == 1 || in_parallel_region()) {
    fn(begin, end);
    return;
  }
  detail::parallel_run(
      begin, end, grain,
      [](void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace tensorforge
