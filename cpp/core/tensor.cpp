// Storage from a size-bucketed caching allocator, and the Tensor handle.
#include "tensorforge/tensor.h"

#include <cstdlib>
#include <mutex>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <unordered_map>
#include <vector>

#include "tensorforge/error.h"

namespace tensorforge {
namespace {

constexpr int64_t kAlign = 64;
constexpr int64_t kMaxCachedBytes = int64_t{2} << 30;
// Blocks from 4 MiB up are 2 MiB aligned and asked to be backed by transparent huge pages:
// streaming kernels over large tensors then take far fewer TLB misses.
constexpr int64_t kHugePage = int64_t{2} << 20;
constexpr int64_t kHugeFrom = int64_t{4} << 20;

void* system_alloc(int64_t size) {
  if (size < kHugeFrom) return std::aligned_alloc(kAlign, static_cast<size_t>(size));
  const int64_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, static_cast<size_t>(rounded));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p) madvise(p, static_cast<size_t>(rounded), MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
  return p;
}

// Rounds a request up to a bucket: multiples of 64 bytes below 4 KiB, then four buckets per
// power of two, so a reused block wastes at most 25%.
int64_t bucket_size(int64_t nbytes) {
  if (nbytes <= 4096) return (nbytes + kAlign - 1) / kAlign * kAlign;
  int64_t p = 4096;
  while (p * 2 < nbytes) p *= 2;
  const int64_t step = p / 4;
  return (nbytes + step - 1) / step * step;
}

class CachingAllocator {
 public:
  void* allocate(int64_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        return p;
      }
    }
    void* p = system_alloc(size);
    if (!p) {
      empty_cache();
      p = system_alloc(size);
    }
    if (!p) fail<Error>("alloc", "out of memory allocating ", size, " bytes");
    return p;
  }
  void release(void* p, int64_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + size <= kMaxCachedBytes) {
        free_[size].push_back(p);
        cached_ += size;
        return;
      }
    }
    std::free(p);
  }
  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& kv : free_)
      for (void* p : kv.second) std::free(p);
    free_.clear();
    cached_ = 0;
  }
  int64_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<int64_t, std::vector<void*>> free_;
  int64_t cached_ = 0;
};

CachingAllocator& allocator() {
  static CachingAllocator* a = new CachingAllocator();  // never destroyed: storages may outlive statics
  return *a;
}

}  // namespace

Storage::Storage(int64_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (nbytes > 0) {
    const int64_t size = bucket_size(nbytes);
    data_ = allocator().allocate(size);
    deleter_ = [size](void* p) { allocator().release(p, size); };
  }
}

Storage::Storage(void* data, int64_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_) deleter_(data_);
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)),
      offset_(offset), numel_(shape_numel(shape_)), dtype_(dtype) {}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  if (shape.size() > 64) fail<ShapeError>("empty", "tensors have at most 64 dims, got ", shape.size());
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) fail<ValueError>("empty", "negative dimension in shape ", shape_str(shape));
    if (s != 0 && n > (int64_t{1} << 46) / s)
      fail<ValueError>("empty", "shape ", shape_str(shape), " is too large to allocate");
    n *= s;
  }
  if (device.type != DeviceType::CPU) fail<DeviceError>("empty", "device ", device.str(), " is not available");
  auto storage = std::make_shared<Storage>(n * tensorforge::itemsize(dtype), device);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

int64_t Tensor::size(int64_t dim) const {
  const int64_t nd = ndim();
  if (dim < -nd || dim >= nd || nd == 0)
    fail<IndexError>("size", "dim ", dim, " out of range for a tensor of ", nd, " dims");
  return shape_[dim < 0 ? dim + nd : dim];
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = ndim() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  if (shape.size() != strides.size())
    fail<ShapeError>("as_strided", "shape ", shape_str(shape), " and strides ", shape_str(strides),
                     " differ in length");
  int64_t lo = offset, hi = offset;
  bool empty = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) fail<ValueError>("as_strided", "negative size in ", shape_str(shape));
    if (shape[i] == 0) empty = true;
    const int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  const int64_t capacity = storage_ ? storage_->nbytes() / tensorforge::itemsize(dtype_) : 0;
  if (!empty && (lo < 0 || hi >= capacity))
    fail<IndexError>("as_strided", "view of size ", shape_str(shape), " with strides ",
                     shape_str(strides), " at offset ", offset,
                     " reaches outside a storage of ", capacity, " elements");
  return Tensor(storage_, shape, strides, offset, dtype_);
}

int64_t allocator_cached_bytes() { return allocator().cached(); }
void allocator_empty_cache() { allocator().empty_cache(); }

}  // namespace tensorforge
