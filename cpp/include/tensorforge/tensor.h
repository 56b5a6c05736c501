// Tensor: a strided view of shared, 64-byte aligned storage.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "tensorforge/device.h"
#include "tensorforge/dtype.h"

namespace tensorforge {

using Shape = std::vector<int64_t>;

/// A block of memory shared by a tensor and all its views. Allocated from the caching
/// allocator, or wrapping external memory (a numpy array) that `deleter` releases.
/// `version` counts in-place writes; autograd uses it to detect a modified saved tensor.
class Storage {
 public:
  /// Allocates nbytes (64-byte aligned, from the caching allocator). Memory is uninitialised.
  Storage(int64_t nbytes, Device device);
  /// Wraps external memory; `deleter(data)` runs when the last view goes away.
  Storage(void* data, int64_t nbytes, Device device, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  int64_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_ = nullptr;
  int64_t nbytes_ = 0;
  Device device_;
  uint64_t version_ = 0;
  std::function<void(void*)> deleter_;
};

/// An n-dimensional array. Copying a Tensor copies the handle, not the data; views made by
/// view/permute/slice share storage. Strides and offset are in elements.
class Tensor {
 public:
  /// An undefined tensor (defined() == false).
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype);

  /// Uninitialised contiguous tensor. Throws ValueError for a negative size.
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = {});

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device{}; }
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const { return numel_; }
  int64_t itemsize() const { return tensorforge::itemsize(dtype_); }
  /// Size of `dim`; negative dims count from the end. Throws IndexError when out of range.
  int64_t size(int64_t dim) const;
  /// True when the elements are laid out densely in row-major order.
  bool is_contiguous() const;

  const std::shared_ptr<Storage>& storage() const { return storage_; }
  /// Address of the first element.
  void* data_ptr() const {
    return static_cast<char*>(storage_->data()) + offset_ * tensorforge::itemsize(dtype_);
  }
  template <typename T>
  T* data() const { return static_cast<T*>(data_ptr()); }

  /// In-place write counter shared with all views.
  uint64_t version() const { return storage_ ? storage_->version() : 0; }
  void bump_version() const { if (storage_) storage_->bump_version(); }

  /// A view with the given geometry on the same storage. Throws IndexError when the view
  /// would reach outside the storage.
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
  DType dtype_ = DType::Float32;
};

/// Row-major strides for `shape`.
Shape contiguous_strides(const Shape& shape);
/// Product of the sizes (1 for a 0-dim shape).
int64_t shape_numel(const Shape& shape);

/// Bytes the caching allocator holds in its free lists; and a way to return them to the OS.
int64_t allocator_cached_bytes();
void allocator_empty_cache();

}  // namespace tensorforge
