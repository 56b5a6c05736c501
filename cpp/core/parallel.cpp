#include "tensorforge/parallel.h"

#include <omp.h>

#include <algorithm>

#include "tensorforge/error.h"

namespace tensorforge {

namespace {
int g_num_threads = 0;  // 0 = not set yet: use the OpenMP default (cores).
}

int get_num_threads() {
  if (g_num_threads == 0) g_num_threads = std::max(1, omp_get_max_threads());
  return g_num_threads;
}

void set_num_threads(int n) {
  if (n < 1) fail<ValueError>("set_num_threads", "expected a positive thread count, got ", n);
  g_num_threads = n;
  omp_set_num_threads(n);
}

bool in_parallel_region() { return omp_in_parallel() != 0; }

namespace detail {

void parallel_run(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx) {
  const int64_t total = end - begin;
  const int64_t max_chunks = std::max<int64_t>(1, total / std::max<int64_t>(grain, 1));
  const int threads = static_cast<int>(std::min<int64_t>(get_num_threads(), max_chunks));
  if (threads <= 1) {
    fn(ctx, begin, end);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t tid = omp_get_thread_num();
    const int64_t nt = omp_get_num_threads();
    const int64_t chunk = (total + nt - 1) / nt;
    const int64_t b = begin + tid * chunk;
    const int64_t e = std::min(end, b + chunk);
    if (b < e) fn(ctx, b, e);
  }
}

}  // namespace detail
}  // namespace tensorforge
