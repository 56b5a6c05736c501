// Sorting and selection along the last axis of contiguous [rows, n] tensors: stable sort, top-k,
// k-th value / median, mode, and binary search into sorted rows.
//
// Every element becomes an item ordered by (key, index): the key maps the value to an unsigned
// integer whose order is PyTorch's (NaN above +inf, -0 equal to +0; complemented for descending
// order), and the index breaks ties, so every order below is total and "stable". 32-bit keys and
// the index share one uint64; 64-bit keys travel with the index in a pair.
// Long rows sort by LSD radix (8-bit digits, trivial passes skipped), short rows by std::sort.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu/register.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kGrain = 16384;     // elements per parallel task, at least
constexpr int64_t kRadixMin = 96;     // shorter rows: std::sort on the items
constexpr int64_t kSampleRatio = 16;  // top-k with k * ratio <= n filters by a sampled bar

// ---- keys ----------------------------------------------------------------------------------
template <typename T> struct Key;
// Written with selects rather than branches (they compile to conditional moves).
template <typename F, typename U>
inline U float_key(F x) {
  constexpr int kTop = sizeof(U) * 8 - 1;
  U b;
  std::memcpy(&b, &x, sizeof b);
  const U sign_fill = U(0) - (b >> kTop);
  U key = b ^ (sign_fill | (U(1) << kTop));
  key = (b << 1) == 0 ? (U(1) << kTop) : key;  // -0 == +0
  return x != x ? ~U(0) : key;
}
template <> struct Key<float> {
  using U = uint32_t;
  static U of(float x) { return float_key<float, U>(x); }
};
template <> struct Key<double> {
  using U = uint64_t;
  static U of(double x) { return float_key<double, U>(x); }
};
template <> struct Key<int32_t> {
  using U = uint32_t;
  static U of(int32_t x) { return static_cast<U>(x) ^ (U(1) << 31); }
};
template <> struct Key<int64_t> {
  using U = uint64_t;
  static U of(int64_t x) { return static_cast<U>(x) ^ (U(1) << 63); }
};
template <> struct Key<bool> {
  using U = uint32_t;
  static U of(bool x) { return x ? 1u : 0u; }
};

// ---- items: (key, index) in one comparable value -------------------------------------------
struct WideItem {
  uint64_t key;
  uint32_t index;
  bool operator<(const WideItem& o) const { return key < o.key || (key == o.key && index < o.index); }
};

template <typename U> struct ItemOf;
template <> struct ItemOf<uint32_t> {
  using Item = uint64_t;
  static constexpr int kPasses = 4;
  static Item make(uint32_t key, uint32_t i) { return (static_cast<uint64_t>(key) << 32) | i; }
  static uint32_t index(Item it) { return static_cast<uint32_t>(it); }
  static uint64_t key(Item it) { return it >> 32; }
  static unsigned digit(Item it, int pass) { return static_cast<unsigned>(it >> (32 + 8 * pass)) & 0xFF; }
};
template <> struct ItemOf<uint64_t> {
  using Item = WideItem;
  static constexpr int kPasses = 8;
  static Item make(uint64_t key, uint32_t i) { return {key, i}; }
  static uint32_t index(const Item& it) { return it.index; }
  static uint64_t key(const Item& it) { return it.key; }
  static unsigned digit(const Item& it, int pass) { return static_cast<unsigned>(it.key >> (8 * pass)) & 0xFF; }
};

template <typename T> using Items = ItemOf<typename Key<T>::U>;
template <typename T> using ItemT = typename Items<T>::Item;

// Items of one row; `flip` complements the keys (descending order / largest first).
template <typename T>
void make_items(const T* x, int64_t n, bool flip, ItemT<T>* items) {
  using U = typename Key<T>::U;
  const U mask = flip ? ~U(0) : U(0);
  for (int64_t i = 0; i < n; ++i) items[i] = Items<T>::make(Key<T>::of(x[i]) ^ mask, static_cast<uint32_t>(i));
}

// LSD radix sort on the key digits; a pass where every item has the same digit is skipped.
template <typename IO>
void radix_sort(typename IO::Item* a, typename IO::Item* tmp, int64_t n) {
  using Item = typename IO::Item;
  constexpr int P = IO::kPasses;
  uint32_t hist[P][256];
  std::memset(hist, 0, sizeof hist);
  for (int64_t i = 0; i < n; ++i)
    for (int p = 0; p < P; ++p) ++hist[p][IO::digit(a[i], p)];
  Item* src = a;
  Item* dst = tmp;
  for (int p = 0; p < P; ++p) {
    uint32_t* h = hist[p];
    if (h[IO::digit(src[0], p)] == static_cast<uint32_t>(n)) continue;
    uint32_t sum = 0;
    for (int d = 0; d < 256; ++d) {
      const uint32_t c = h[d];
      h[d] = sum;
      sum += c;
    }
    for (int64_t i = 0; i < n; ++i) dst[h[IO::digit(src[i], p)]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a) std::memcpy(a, src, sizeof(Item) * n);
}

template <typename T>
void sort_items(ItemT<T>* items, ItemT<T>* tmp, int64_t n) {
  if (n < kRadixMin) std::sort(items, items + n);
  else radix_sort<Items<T>>(items, tmp, n);
}

template <typename T>
void write_items(const T* x, const ItemT<T>* items, int64_t k, T* values, int64_t* indices) {
  for (int64_t j = 0; j < k; ++j) {
    const uint32_t i = Items<T>::index(items[j]);
    if (values) values[j] = x[i];
    if (indices) indices[j] = i;
  }
}

// Per-task scratch: items and the radix ping-pong buffer for one row.
template <typename T>
struct Scratch {
  std::vector<ItemT<T>> items, tmp;
  explicit Scratch(int64_t n) : items(std::max<int64_t>(n, 1)), tmp(std::max<int64_t>(n, 1)) {}
};

// Calls fn(r, row, scratch) for every row r of a contiguous [rows, n] input, rows in parallel,
// one scratch per task.
template <typename T, typename F>
void for_rows(const char* in, int64_t rows, int64_t n, const F& fn) {
  const T* x = reinterpret_cast<const T*>(in);
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t r0, int64_t r1) {
    Scratch<T> s(n);
    for (int64_t r = r0; r < r1; ++r) fn(r, x + r * n, s);
  });
}

// ---- sort ------------------------------------------------------------------------------------
template <typename T>
void sort_kernel(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n, bool descending) {
  T* v = reinterpret_cast<T*>(values);
  for_rows<T>(in, rows, n, [&](int64_t r, const T* row, Scratch<T>& s) {
    make_items(row, n, descending, s.items.data());
    sort_items<T>(s.items.data(), s.tmp.data(), n);
    write_items(row, s.items.data(), n, v ? v + r * n : nullptr, indices ? indices + r * n : nullptr);
  });
}

// ---- top-k -----------------------------------------------------------------------------------
// The lanes of a block of x at least as good as the value `bar` (NaN counts as the largest), as
// bits: a SIMD pre-filter that never drops an element that belongs.
template <typename T>
struct Prefilter {
  static constexpr bool kVector = std::is_floating_point_v<T> && Vec<T>::size > 1;
  static uint32_t passing(const T* x, T bar, bool largest) {
    const Vec<T> v = Vec<T>::load(x), t(bar);
    return bits(largest ? cmp_ge(v, t) | visnan(v) : cmp_le(v, t));
  }
};

// The k best items (smallest under the flipped keys) of a long row without sorting it: a key bar
// from a strided sample (its rank chosen so that a few times k elements pass), then one pass
// appending every element whose key is at or below the bar: the lanes a SIMD test passes, or
// (other dtypes) every element, written unconditionally and kept by advancing the count. If
// fewer than k passed, every element is a candidate. The k best end up sorted at buf's front.
template <typename T>
void topk_sampled(const T* x, int64_t n, int64_t k, bool largest, ItemT<T>* buf, ItemT<T>* tmp) {
  using IO = Items<T>;
  using U = typename Key<T>::U;
  const U mask = largest ? ~U(0) : U(0);
  const int64_t samples = std::min<int64_t>(n, std::max<int64_t>(64, 8 * k));
  const int64_t stride = n / samples;
  const int64_t rank = std::min<int64_t>(samples - 1, (k * samples + n - 1) / n + 2);
  if (rank < 8) {
    // the rank + 1 best samples by insertion: most samples fail the first compare
    int64_t held = 0;
    for (int64_t j = 0; j < samples; ++j) {
      const ItemT<T> it = IO::make(Key<T>::of(x[j * stride]) ^ mask, static_cast<uint32_t>(j * stride));
      if (held == rank + 1 && !(it < tmp[rank])) continue;
      int64_t p = held < rank + 1 ? held++ : rank;
      for (; p > 0 && it < tmp[p - 1]; --p) tmp[p] = tmp[p - 1];
      tmp[p] = it;
    }
  } else {
    for (int64_t j = 0; j < samples; ++j)
      tmp[j] = IO::make(Key<T>::of(x[j * stride]) ^ mask, static_cast<uint32_t>(j * stride));
    std::nth_element(tmp, tmp + rank, tmp + samples);
  }
  const U bar = static_cast<U>(IO::key(tmp[rank]));
  const T bar_value = x[IO::index(tmp[rank])];
  int64_t count = 0;
  auto append = [&](int64_t i) {
    const U key = Key<T>::of(x[i]) ^ mask;
    buf[count] = IO::make(key, static_cast<uint32_t>(i));
    count += key <= bar;
  };
  int64_t i = 0;
  if constexpr (Prefilter<T>::kVector) {
    constexpr int W = Vec<T>::size;
    const bool open = !largest && bar_value != bar_value;  // every number is at or below a NaN bar
    for (; i + W <= n; i += W) {
      uint32_t lanes = open ? (W == 32 ? ~0u : (1u << W) - 1) : Prefilter<T>::passing(x + i, bar_value, largest);
      for (; lanes; lanes &= lanes - 1) append(i + __builtin_ctz(lanes));
    }
  }
  for (; i < n; ++i) append(i);
  if (count < k) {
    make_items(x, n, largest, buf);
    count = n;
  }
  std::nth_element(buf, buf + k - 1, buf + count);
  std::sort(buf, buf + k);
}

template <typename T>
void topk_kernel(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n, int64_t k,
                 bool largest) {
  T* v = reinterpret_cast<T*>(values);
  for_rows<T>(in, rows, n, [&](int64_t r, const T* row, Scratch<T>& s) {
    if (k * kSampleRatio <= n) {
      topk_sampled(row, n, k, largest, s.items.data(), s.tmp.data());
    } else {
      make_items(row, n, largest, s.items.data());
      if (k < n / 2) {
        std::nth_element(s.items.begin(), s.items.begin() + k, s.items.begin() + n);
        std::sort(s.items.begin(), s.items.begin() + k);
      } else {
        sort_items<T>(s.items.data(), s.tmp.data(), n);
      }
    }
    write_items(row, s.items.data(), k, v + r * k, indices + r * k);
  });
}

// ---- k-th value / median ----------------------------------------------------------------------
// mode 0: the k-th smallest (0-based, stable order, NaN largest). mode 1 (median): k is ignored,
// the lower median, or the first NaN of a row holding one. mode 2 (nanmedian): the lower median
// of the numbers, NaN (the first one) for a row of NaNs only.
template <typename T>
void kth_kernel(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n, int64_t k, int mode) {
  T* v = reinterpret_cast<T*>(values);
  using IO = Items<T>;
  for_rows<T>(in, rows, n, [&](int64_t r, const T* row, Scratch<T>& s) {
    int64_t numbers = n, first_nan = -1;
    if constexpr (std::is_floating_point_v<T>) {
      if (mode != 0) {
        numbers = 0;
        for (int64_t i = 0; i < n; ++i) {
          if (row[i] == row[i]) ++numbers;
          else if (first_nan < 0) first_nan = i;
        }
      }
    }
    int64_t pick;
    if (mode == 1 && first_nan >= 0) {
      pick = first_nan;
    } else if (mode == 2 && numbers == 0) {
      pick = first_nan;
    } else {
      const int64_t kk = mode == 0 ? k : (numbers - 1) / 2;
      make_items(row, n, false, s.items.data());
      std::nth_element(s.items.begin(), s.items.begin() + kk, s.items.begin() + n);
      pick = IO::index(s.items[kk]);
    }
    v[r] = row[pick];
    indices[r] = pick;
  });
}

// ---- mode ----------------------------------------------------------------------------------------
// The most frequent value of each row (the smallest of equally frequent ones) and the last index
// holding it.
template <typename T>
void mode_kernel(const char* in, char* values, int64_t* indices, int64_t rows, int64_t n) {
  T* v = reinterpret_cast<T*>(values);
  using IO = Items<T>;
  for_rows<T>(in, rows, n, [&](int64_t r, const T* row, Scratch<T>& s) {
    make_items(row, n, false, s.items.data());
    sort_items<T>(s.items.data(), s.tmp.data(), n);
    int64_t best_count = 0, best_end = 0;
    for (int64_t i = 0; i < n;) {
      int64_t j = i + 1;
      while (j < n && IO::key(s.items[j]) == IO::key(s.items[i])) ++j;
      if (j - i > best_count) {
        best_count = j - i;
        best_end = j - 1;
      }
      i = j;
    }
    const uint32_t pick = IO::index(s.items[best_end]);
    v[r] = row[pick];
    indices[r] = pick;
  });
}

// ---- binary search -----------------------------------------------------------------------------
// PyTorch's bounds: lower moves right while !(s >= v), upper while !(s > v) (NaN-tolerant).
template <typename T>
int64_t search(const T* s, const int64_t* sorter, int64_t n, T val, bool right) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + ((hi - lo) >> 1);
    const T m = sorter ? s[sorter[mid]] : s[mid];
    if (right ? !(m > val) : !(m >= val)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

template <typename T>
void searchsorted_kernel(const char* sorted, const int64_t* sorter, int64_t sorted_row_stride, const char* vals,
                         char* out, bool out_int32, int64_t rows, int64_t n, int64_t m, bool right) {
  const T* s = reinterpret_cast<const T*>(sorted);
  const T* v = reinterpret_cast<const T*>(vals);
  parallel_for(0, rows * m, kGrain / 16, [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) {
      const int64_t r = e / m;
      const int64_t pos = search(s + r * sorted_row_stride, sorter ? sorter + r * sorted_row_stride : nullptr, n,
                                 v[e], right);
      if (out_int32) reinterpret_cast<int32_t*>(out)[e] = static_cast<int32_t>(pos);
      else reinterpret_cast<int64_t*>(out)[e] = pos;
    }
  });
}

}  // namespace

void register_sort(KernelTable& t) {
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    t.sort[d] = sort_kernel<T>;
    t.topk[d] = topk_kernel<T>;
    t.kthvalue[d] = kth_kernel<T>;
    t.mode[d] = mode_kernel<T>;
    t.searchsorted[d] = searchsorted_kernel<T>;
  });
}

}  // namespace tensorforge::cpu::TF_ISA_NS
