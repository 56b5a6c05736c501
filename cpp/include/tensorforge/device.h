// Where a tensor's storage lives.
#pragma once

#include <string>

namespace tensorforge {

/// Device kind. CUDA exists only in builds made with TENSORFORGE_CUDA=ON.
enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };

/// A device: its kind and an index (always 0 for the CPU).
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  /// "cpu" or "cuda:N".
  std::string str() const;
};

/// Parses "cpu", "cuda", "cuda:1". Throws ValueError for anything else, and DeviceError for
/// a CUDA device in a build without CUDA.
Device parse_device(const std::string& name);

/// Number of CUDA devices this build can use (0 in a CPU-only build or without a GPU).
int cuda_device_count();

}  // namespace tensorforge
