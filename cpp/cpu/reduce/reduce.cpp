// Reductions and arg-reductions along the middle axis of a contiguous [outer, r, inner] tensor.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "cpu/reduce/reduce.h"
#include "cpu/simd/ctype.h"
#include "cpu/simd/vec.h"
#include "cpu/simd/vmath.h"
#include "tensorforge/parallel.h"

namespace tensorforge::cpu::TF_ISA_NS {
namespace {

constexpr int64_t kRowBlock = 2048;   // contiguous elements summed linearly before halving
constexpr int64_t kShortRow = 512;    // rows up to this long are reduced four at a time
constexpr int64_t kColBlock = 128;    // rows summed linearly (column path) before halving
constexpr int64_t kTileLanes = 512;   // output columns per task in the column path
constexpr int64_t kGrain = 32768;     // input elements per parallel task, at least
constexpr int64_t kMinUnits = 16;     // fewer independent tasks than this: split r too
constexpr int64_t kMaxSegments = 64;
constexpr int64_t kPartialBytes = 32768;
constexpr int64_t kTinyElements = 64;  // below this the reference loop is used

// Loads lanes of type L from elements of type In (one-lane Vec when the types differ).
template <typename L, typename In>
inline Vec<L> load_lanes(const In* p) {
  if constexpr (std::is_same_v<L, In>) {
    return Vec<L>::load(p);
  } else {
    static_assert(Vec<L>::size == 1, "converting loads are one lane wide");
    return Vec<L>(static_cast<L>(*p));
  }
}
template <typename L, typename In>
inline Vec<L> stream_lanes(const In* p) {
  if constexpr (std::is_same_v<L, In>) return Vec<L>::load_stream(p);
  else return load_lanes<L>(p);
}
template <typename L, typename In>
inline Vec<L> load_lanes_partial(const In* p, int64_t n) {
  if constexpr (std::is_same_v<L, In>) {
    return Vec<L>::load_partial(p, n);
  } else {
    return Vec<L>(static_cast<L>(*p));
  }
}

// ---- reduction functors -------------------------------------------------------------------
// Each gives: In (element), L (lane / accumulator scalar), Out; A and VA, the scalar and vector
// accumulators; init/vinit, step/vstep (add one element), merge/vmerge (combine two partial
// results, the earlier one first), extract (VA lanes -> A[]), finalize(A, r, param, center).
// Centered ops (var, logsumexp) see a per-output center computed by an earlier pass.

template <typename In_, typename L_, typename Out_>
struct LaneOp {
  using In = In_;
  using L = L_;
  using Out = Out_;
  using A = L_;
  using VA = Vec<L_>;
  static constexpr bool kCentered = false;
  static void extract(VA v, A* dst) { v.store(dst); }
};

template <typename In, typename L, typename Out>
struct SumOp : LaneOp<In, L, Out> {
  using VA = Vec<L>;
  static L init() { return L(0); }
  static VA vinit() { return VA(L(0)); }
  static VA vstep(VA a, VA x, VA) { return a + x; }
  static L step(L a, L x, L) { return a + x; }
  static VA vmerge(VA a, VA b) { return a + b; }
  static L merge(L a, L b) { return a + b; }
  static L vfold(VA a) { return a.reduce_add(); }
  static Out finalize(L a, int64_t, double, L) { return static_cast<Out>(a); }
};

template <typename T>
struct MeanOp : SumOp<T, T, T> {
  static T finalize(T a, int64_t r, double, T) { return a / static_cast<T>(r); }
};

template <typename In, typename L, typename Out>
struct ProdOp : LaneOp<In, L, Out> {
  using VA = Vec<L>;
  static L init() { return L(1); }
  static VA vinit() { return VA(L(1)); }
  static VA vstep(VA a, VA x, VA) { return a * x; }
  static L step(L a, L x, L) { return a * x; }
  static VA vmerge(VA a, VA b) { return a * b; }
  static L merge(L a, L b) { return a * b; }
  static Out finalize(L a, int64_t, double, L) { return static_cast<Out>(a); }
};

// max/min keep the first NaN they meet (vmax(x, a) keeps a NaN in a; select_nan adds x's).
template <typename T, bool IsMax>
struct ExtremeOp : LaneOp<T, T, T> {
  using VA = Vec<T>;
  static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity)
      return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else
      return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  static VA vinit() { return VA(init()); }
  static VA vstep(VA a, VA x, VA) {
    if constexpr (IsMax) return select_nan(x, x, vmax(x, a));
    else return select_nan(x, x, vmin(x, a));
  }
  static T step(T a, T x, T) {
    if constexpr (IsMax) return (x > a || x != x) ? x : a;
    else return (x < a || x != x) ? x : a;
  }
  static VA vmerge(VA a, VA b) { return vstep(a, b, b); }
  static T merge(T a, T b) { return step(a, b, b); }
  static T vfold(VA a) {
    if (any(visnan(a))) return std::numeric_limits<T>::quiet_NaN();
    return IsMax ? a.reduce_max() : a.reduce_min();
  }
  static T finalize(T a, int64_t, double, T) { return a; }
};
template <typename T> using MaxOp = ExtremeOp<T, true>;
template <typename T> using MinOp = ExtremeOp<T, false>;

template <typename In, bool IsAll>
struct LogicalOp : LaneOp<In, bool, bool> {
  using VA = Vec<bool>;
  static bool init() { return IsAll; }
  static VA vinit() { return VA(IsAll); }
  static bool step(bool a, bool x, bool) { return IsAll ? (a && x) : (a || x); }
  static VA vstep(VA a, VA x, VA) { return VA(step(a.v, x.v, false)); }
  static VA vmerge(VA a, VA b) { return vstep(a, b, b); }
  static bool merge(bool a, bool b) { return step(a, b, false); }
  static bool finalize(bool a, int64_t, double, bool) { return a; }
};

// Sum of d = x - center and of d^2 around a center close to the mean (the rounded mean);
// M2 = S2 - S1^2 / n removes the first-order error of the center (corrected two-pass).
template <typename T>
struct VarOp {
  using In = T;
  using L = T;
  using Out = T;
  struct A { T s1, s2; };
  struct VA { Vec<T> s1, s2; };
  static constexpr bool kCentered = true;
  static A init() { return {T(0), T(0)}; }
  static VA vinit() { return {Vec<T>(T(0)), Vec<T>(T(0))}; }
  static VA vstep(VA a, Vec<T> x, Vec<T> c) {
    Vec<T> d = x - c;
    return {a.s1 + d, fmadd(d, d, a.s2)};
  }
  static A step(A a, T x, T c) {
    T d = x - c;
    return {a.s1 + d, a.s2 + d * d};
  }
  static VA vmerge(VA a, VA b) { return {a.s1 + b.s1, a.s2 + b.s2}; }
  static A merge(A a, A b) { return {a.s1 + b.s1, a.s2 + b.s2}; }
  static void extract(VA v, A* dst) {
    T s1[Vec<T>::size], s2[Vec<T>::size];
    v.s1.store(s1);
    v.s2.store(s2);
    for (int k = 0; k < Vec<T>::size; ++k) dst[k] = {s1[k], s2[k]};
  }
  static T finalize(A a, int64_t r, double correction, T) {
    const double n = static_cast<double>(r);
    double m2 = static_cast<double>(a.s2) - static_cast<double>(a.s1) * a.s1 / n;
    if (m2 < 0) m2 = 0;
    return static_cast<T>(m2 / std::max(0.0, n - correction));
  }
};

// Sum of exp(x - max); the center is the NaN-propagating max, so a non-finite center
// (all -inf, any +inf, NaN) is already the answer.
template <typename T>
struct LogSumExpOp : LaneOp<T, T, T> {
  using VA = Vec<T>;
  static constexpr bool kCentered = true;
  static T init() { return T(0); }
  static VA vinit() { return VA(T(0)); }
  static VA vstep(VA a, VA x, VA c) { return a + vexp(x - c); }
  static T step(T a, T x, T c) { return a + std::exp(x - c); }
  static VA vmerge(VA a, VA b) { return a + b; }
  static T merge(T a, T b) { return a + b; }
  static T vfold(VA a) { return a.reduce_add(); }
  static T finalize(T a, int64_t, double, T c) { return std::isfinite(c) ? c + std::log(a) : c; }
};

// Whether F has a horizontal in-register fold of its vector accumulator.
template <typename F, typename = void>
struct HasVFold : std::false_type {};
template <typename F>
struct HasVFold<F, std::void_t<decltype(F::vfold(std::declval<typename F::VA>()))>> : std::true_type {};

// ---- the one reduction driver -------------------------------------------------------------
template <typename F>
struct Reducer {
  using In = typename F::In;
  using L = typename F::L;
  using Out = typename F::Out;
  using A = typename F::A;
  using VA = typename F::VA;
  using V = Vec<L>;
  static constexpr int64_t W = V::size;
  static constexpr int64_t kTileVecs = (kTileLanes + W - 1) / W;
  static constexpr int64_t kMaxPartials = kPartialBytes / static_cast<int64_t>(sizeof(A));

  static L center_at(const In* center, int64_t i) {
    if constexpr (F::kCentered) return static_cast<L>(center[i]);
    else return L(0);
  }

  // The lanes of a vector accumulator merged into one: in registers where the op has a
  // horizontal form (vfold), otherwise through memory, in lane order.
  static A fold(VA v) {
    if constexpr (HasVFold<F>::value) {
      return F::vfold(v);
    } else {
      A lanes[W];
      F::extract(v, lanes);
      A s = lanes[0];
      for (int64_t k = 1; k < W; ++k) s = F::merge(s, lanes[k]);
      return s;
    }
  }

  // Contiguous p[0, n): halves recursively, four vector accumulators inside a block.
  static A row(const In* p, int64_t n, L cs) {
    if (n > kRowBlock) {
      const int64_t h = n / 2 / (4 * W) * (4 * W);
      A first = row(p, h, cs);
      return F::merge(first, row(p + h, n - h, cs));
    }
    const V c(cs);
    VA a0 = F::vinit(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
      a0 = F::vstep(a0, stream_lanes<L>(p + i), c);
      a1 = F::vstep(a1, stream_lanes<L>(p + i + W), c);
      a2 = F::vstep(a2, stream_lanes<L>(p + i + 2 * W), c);
      a3 = F::vstep(a3, stream_lanes<L>(p + i + 3 * W), c);
    }
    for (; i + W <= n; i += W) a0 = F::vstep(a0, load_lanes<L>(p + i), c);
    A s = fold(F::vmerge(F::vmerge(a0, a1), F::vmerge(a2, a3)));
    for (; i < n; ++i) s = F::step(s, static_cast<L>(p[i]), cs);
    return s;
  }

  // Four short contiguous rows p + k * n (k < 4) side by side, one vector accumulator each:
  // four independent streams keep more loads in flight than one row at a time.
  static void rows4(const In* p, int64_t n, const In* center, int64_t o, A* dst) {
    const V c0(center_at(center, o)), c1(center_at(center, o + 1)), c2(center_at(center, o + 2)),
        c3(center_at(center, o + 3));
    VA a0 = F::vinit(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + W <= n; i += W) {
      a0 = F::vstep(a0, load_lanes<L>(p + i), c0);
      a1 = F::vstep(a1, load_lanes<L>(p + n + i), c1);
      a2 = F::vstep(a2, load_lanes<L>(p + 2 * n + i), c2);
      a3 = F::vstep(a3, load_lanes<L>(p + 3 * n + i), c3);
    }
    const VA acc[4] = {a0, a1, a2, a3};
    for (int64_t k = 0; k < 4; ++k) {
      const L ck = center_at(center, o + k);
      A s = fold(acc[k]);
      for (int64_t j = i; j < n; ++j) s = F::step(s, static_cast<L>(p[k * n + j]), ck);
      dst[k] = s;
    }
  }

  // `rows` rows (stride `inner`) of columns [0, width) into acc[], halving rows recursively.
  static void cols(const In* p, int64_t rows, int64_t inner, int64_t width, const V* c, VA* acc) {
    const int64_t full = width / W, rem = width - full * W;
    if (rows > kColBlock) {
      const int64_t h = rows / 2;
      cols(p, h, inner, width, c, acc);
      VA tmp[kTileVecs];
      for (int64_t v = 0; v < full + (rem > 0); ++v) tmp[v] = F::vinit();
      cols(p + h * inner, rows - h, inner, width, c, tmp);
      for (int64_t v = 0; v < full + (rem > 0); ++v) acc[v] = F::vmerge(acc[v], tmp[v]);
      return;
    }
    // Four columns' accumulators at a time stay in registers down the rows (each lane still
    // sees the rows in order); a leftover vector alternates two accumulators over even and odd
    // rows, merged at the end (one dependency chain would bound it by the add latency).
    int64_t v = 0;
    for (; v + 4 <= full; v += 4) {
      VA a0 = acc[v], a1 = acc[v + 1], a2 = acc[v + 2], a3 = acc[v + 3];
      const In* q = p + v * W;
      for (int64_t k = 0; k < rows; ++k, q += inner) {
        a0 = F::vstep(a0, load_lanes<L>(q), c[v]);
        a1 = F::vstep(a1, load_lanes<L>(q + W), c[v + 1]);
        a2 = F::vstep(a2, load_lanes<L>(q + 2 * W), c[v + 2]);
        a3 = F::vstep(a3, load_lanes<L>(q + 3 * W), c[v + 3]);
      }
      acc[v] = a0;
      acc[v + 1] = a1;
      acc[v + 2] = a2;
      acc[v + 3] = a3;
    }
    for (; v < full; ++v) {
      VA a = acc[v], b = F::vinit();
      const In* q = p + v * W;
      int64_t k = 0;
      for (; k + 2 <= rows; k += 2, q += 2 * inner) {
        a = F::vstep(a, load_lanes<L>(q), c[v]);
        b = F::vstep(b, load_lanes<L>(q + inner), c[v]);
      }
      if (k < rows) a = F::vstep(a, load_lanes<L>(q), c[v]);
      acc[v] = F::vmerge(a, b);
    }
    if (rem) {
      VA a = acc[full];
      const In* q = p + full * W;
      for (int64_t k = 0; k < rows; ++k, q += inner) a = F::vstep(a, load_lanes_partial<L>(q, rem), c[full]);
      acc[full] = a;
    }
  }

  // Rows [r0, r1) of outputs (o, j0 .. j0 + width): one partial A per output into dst.
  static void partial(const In* in, const In* center, int64_t o, int64_t j0, int64_t width,
                      int64_t r0, int64_t r1, int64_t r, int64_t inner, A* dst) {
    const In* base = in + (o * r + r0) * inner + j0;
    if (inner == 1) {
      dst[0] = row(base, r1 - r0, center_at(center, o));
      return;
    }
    const int64_t nv = (width + W - 1) / W;
    V c[kTileVecs] = {};
    VA acc[kTileVecs];
    for (int64_t v = 0; v < nv; ++v) {
      acc[v] = F::vinit();
      if constexpr (F::kCentered) {
        const In* cp = center + o * inner + j0 + v * W;
        const int64_t n = std::min(W, width - v * W);
        c[v] = n == W ? load_lanes<L>(cp) : load_lanes_partial<L>(cp, n);
      } else {
        c[v] = V(L(0));
      }
    }
    cols(base, r1 - r0, inner, width, c, acc);
    for (int64_t v = 0; v < nv; ++v) {
      const int64_t n = std::min(W, width - v * W);
      if (n == W) {
        F::extract(acc[v], dst + v * W);
      } else {
        A lanes[W];
        F::extract(acc[v], lanes);
        std::copy(lanes, lanes + n, dst + v * W);
      }
    }
  }

  static A fold_segments(const A* part, int64_t stride, int64_t s0, int64_t s1) {
    if (s1 - s0 == 1) return part[s0 * stride];
    const int64_t m = (s0 + s1) / 2;
    A first = fold_segments(part, stride, s0, m);
    return F::merge(first, fold_segments(part, stride, m, s1));
  }

  // Work is split into units (an outer slice times a tile of <= kTileLanes columns); with
  // few units, r is also cut into segments whose partials are merged pairwise in order. The
  // plan depends only on the shape, so results do not depend on the thread count.
  static void run(const In* in, Out* out, int64_t outer, int64_t r, int64_t inner, double param,
                  const In* center) {
    if (outer <= 0 || inner <= 0) return;
    const int64_t tw = std::min(inner, kTileLanes);
    const int64_t ntiles = (inner + tw - 1) / tw;
    const int64_t units = outer * ntiles;
    const int64_t unit_work = std::max<int64_t>(r * tw, 1);
    const int64_t outputs = outer * inner;
    int64_t segs = 1;
    if (units < kMinUnits) segs = std::min({kMaxSegments, unit_work / kGrain, kMaxPartials / outputs});
    if (segs < 2 && inner == 1 && r <= kShortRow && outer >= 4) {
      // rows in groups of four (a plan fixed by the shape: groups never straddle threads)
      const int64_t groups = outer / 4;
      parallel_for(0, groups, std::max<int64_t>(1, kGrain / (4 * r)), [&](int64_t b, int64_t e) {
        A buf[4];
        for (int64_t q = b; q < e; ++q) {
          rows4(in + q * 4 * r, r, center, q * 4, buf);
          for (int64_t k = 0; k < 4; ++k) out[q * 4 + k] = F::finalize(buf[k], r, param, center_at(center, q * 4 + k));
        }
      });
      for (int64_t o = groups * 4; o < outer; ++o)
        out[o] = F::finalize(row(in + o * r, r, center_at(center, o)), r, param, center_at(center, o));
      return;
    }
    if (segs < 2) {
      parallel_for(0, units, std::max<int64_t>(1, kGrain / unit_work), [&](int64_t b, int64_t e) {
        A buf[kTileLanes];
        for (int64_t u = b; u < e; ++u) {
          const int64_t o = u / ntiles, j0 = (u % ntiles) * tw, width = std::min(tw, inner - j0);
          partial(in, center, o, j0, width, 0, r, r, inner, buf);
          for (int64_t j = 0; j < width; ++j) {
            const int64_t i = o * inner + j0 + j;
            out[i] = F::finalize(buf[j], r, param, center_at(center, i));
          }
        }
      });
      return;
    }
    int64_t seg = (r + segs - 1) / segs;
    seg = (seg + 63) / 64 * 64;
    segs = (r + seg - 1) / seg;
    A part[kMaxPartials];
    parallel_for(0, outer * segs * ntiles, 1, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t t = u % ntiles, s = (u / ntiles) % segs, o = u / ntiles / segs;
        const int64_t j0 = t * tw, width = std::min(tw, inner - j0);
        partial(in, center, o, j0, width, s * seg, std::min(r, (s + 1) * seg), r, inner,
                part + s * outputs + o * inner + j0);
      }
    });
    for (int64_t i = 0; i < outputs; ++i)
      out[i] = F::finalize(fold_segments(part + i, outputs, 0, segs), r, param, center_at(center, i));
  }

  // Plain reference: one output at a time, elements in order.
  static void reference(const In* in, Out* out, int64_t outer, int64_t r, int64_t inner,
                        double param, const In* center) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < inner; ++j) {
        const L c = center_at(center, o * inner + j);
        A a = F::init();
        for (int64_t k = 0; k < r; ++k) a = F::step(a, static_cast<L>(in[(o * r + k) * inner + j]), c);
        out[o * inner + j] = F::finalize(a, r, param, c);
      }
    }
  }

  static void apply(const In* in, Out* out, int64_t outer, int64_t r, int64_t inner, double param,
                    const In* center) {
    if (outer * r * inner <= kTinyElements)
      reference(in, out, outer, r, inner, param, center);
    else
      run(in, out, outer, r, inner, param, center);
  }
};

template <typename F>
void reduce_kernel(const char* in, char* out, int64_t outer, int64_t r, int64_t inner, double param) {
  Reducer<F>::apply(reinterpret_cast<const typename F::In*>(in), reinterpret_cast<typename F::Out*>(out),
                    outer, r, inner, param, nullptr);
}

// Two passes: the first writes the center (mean / max) into out, the second reads it back.
template <typename CenterOp, typename F>
void centered_kernel(const char* in, char* out, int64_t outer, int64_t r, int64_t inner, double param) {
  using T = typename F::In;
  const T* x = reinterpret_cast<const T*>(in);
  T* y = reinterpret_cast<T*>(out);
  Reducer<CenterOp>::apply(x, y, outer, r, inner, param, nullptr);
  Reducer<F>::apply(x, y, outer, r, inner, param, y);
}

// ---- arg-reductions -------------------------------------------------------------------------
template <typename T, bool IsMax>
inline bool better(T x, T best) {
  if constexpr (IsMax) return x > best || (x != x && best == best);
  else return x < best || (x != x && best == best);
}

// First index of the extreme of p[0, n), n >= 1: the vector max/min, then a scan for it.
template <typename T, bool IsMax>
inline void arg_row(const T* p, int64_t n, T& val, int64_t& idx) {
  const T m = Reducer<ExtremeOp<T, IsMax>>::row(p, n, T(0));
  int64_t i = 0;
  if (m != m) {
    while (p[i] == p[i]) ++i;
  } else {
    while (p[i] != m) ++i;
  }
  val = p[i];
  idx = i;
}

template <typename T, bool IsMax>
void arg_reference(const T* in, T* out_val, int64_t* out_idx, int64_t outer, int64_t r, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      const T* p = in + o * r * inner + j;
      T best = p[0];
      int64_t bi = 0;
      for (int64_t k = 1; k < r; ++k) {
        if (better<T, IsMax>(p[k * inner], best)) {
          best = p[k * inner];
          bi = k;
        }
      }
      if (out_val) out_val[o * inner + j] = best;
      if (out_idx) out_idx[o * inner + j] = bi;
    }
  }
}

template <typename T, bool IsMax>
void arg_kernel(const char* in_bytes, char* out_val_bytes, int64_t* out_idx, int64_t outer, int64_t r,
                int64_t inner) {
  if (outer <= 0 || inner <= 0 || r <= 0) return;
  const T* in = reinterpret_cast<const T*>(in_bytes);
  T* out_val = reinterpret_cast<T*>(out_val_bytes);
  auto emit = [&](int64_t i, T v, int64_t k) {
    if (out_val) out_val[i] = v;
    if (out_idx) out_idx[i] = k;
  };
  if (outer * r * inner <= kTinyElements) {
    arg_reference<T, IsMax>(in, out_val, out_idx, outer, r, inner);
  } else if (inner == 1 && outer < kMinUnits && r >= 2 * kGrain) {
    // Few long rows: per-segment extremes, then the earliest segment holding the best wins.
    const int64_t segs = std::min(kMaxSegments, r / kGrain);
    const int64_t seg = (r + segs - 1) / segs;
    T vals[kMinUnits * kMaxSegments];
    int64_t idxs[kMinUnits * kMaxSegments];
    parallel_for(0, outer * segs, 1, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t o = u / segs, s = u % segs, k0 = s * seg;
        arg_row<T, IsMax>(in + o * r + k0, std::min(r, k0 + seg) - k0, vals[u], idxs[u]);
        idxs[u] += k0;
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      int64_t bu = o * segs;
      for (int64_t u = bu + 1; u < (o + 1) * segs; ++u)
        if (better<T, IsMax>(vals[u], vals[bu])) bu = u;
      emit(o, vals[bu], idxs[bu]);
    }
  } else if (inner == 1) {
    parallel_for(0, outer, std::max<int64_t>(1, kGrain / r), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        T v;
        int64_t k;
        arg_row<T, IsMax>(in + o * r, r, v, k);
        emit(o, v, k);
      }
    });
  } else {
    const int64_t tw = std::min(inner, kTileLanes);
    const int64_t ntiles = (inner + tw - 1) / tw;
    parallel_for(0, outer * ntiles, std::max<int64_t>(1, kGrain / (r * tw)), [&](int64_t b, int64_t e) {
      T best[kTileLanes];
      int64_t bi[kTileLanes];
      for (int64_t u = b; u < e; ++u) {
        const int64_t o = u / ntiles, j0 = (u % ntiles) * tw, width = std::min(tw, inner - j0);
        const T* p = in + o * r * inner + j0;
        std::copy(p, p + width, best);
        std::fill(bi, bi + width, int64_t(0));
        for (int64_t k = 1; k < r; ++k) {
          const T* q = p + k * inner;
          for (int64_t j = 0; j < width; ++j) {
            const bool take = better<T, IsMax>(q[j], best[j]);
            best[j] = take ? q[j] : best[j];
            bi[j] = take ? k : bi[j];
          }
        }
        for (int64_t j = 0; j < width; ++j) emit(o * inner + j0 + j, best[j], bi[j]);
      }
    });
  }
}

}  // namespace

void register_reduce(KernelTable& t) {
  auto at = [&](ReduceOp op, int d) -> kernels::ReduceKernel& { return t.reduce[static_cast<int>(op)][d]; };
  for_each_type<float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    at(ReduceOp::Sum, d) = reduce_kernel<SumOp<T, T, T>>;
    at(ReduceOp::Mean, d) = reduce_kernel<MeanOp<T>>;
    at(ReduceOp::Prod, d) = reduce_kernel<ProdOp<T, T, T>>;
    at(ReduceOp::Var, d) = centered_kernel<MeanOp<T>, VarOp<T>>;
    at(ReduceOp::LogSumExp, d) = centered_kernel<MaxOp<T>, LogSumExpOp<T>>;
  });
  for_each_type<bool, int32_t, int64_t>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    at(ReduceOp::Sum, d) = reduce_kernel<SumOp<T, int64_t, int64_t>>;
    at(ReduceOp::Prod, d) = reduce_kernel<ProdOp<T, int64_t, int64_t>>;
  });
  for_each_type<bool, int32_t, int64_t, float, double>([&](auto tag) {
    using T = decltype(tag);
    constexpr int d = dtype_index<T>;
    at(ReduceOp::Max, d) = reduce_kernel<MaxOp<T>>;
    at(ReduceOp::Min, d) = reduce_kernel<MinOp<T>>;
    at(ReduceOp::All, d) = reduce_kernel<LogicalOp<T, true>>;
    at(ReduceOp::Any, d) = reduce_kernel<LogicalOp<T, false>>;
    t.argmax[d] = arg_kernel<T, true>;
    t.argmin[d] = arg_kernel<T, false>;
  });
  register_softmax(t);
}

}  // namespace tensorforge::cpu::TF_ISA_NS
