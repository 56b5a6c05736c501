// Reading and writing safetensors files (https://github.com/huggingface/safetensors format):
// an 8-byte little-endian header length, a JSON header mapping names to {dtype, shape,
// data_offsets}, then the raw little-endian data. Files written by PyTorch or the safetensors
// library load here and ours load there. Loading never executes anything from the file.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// Named tensors in file order, plus the free-form string metadata ("__metadata__").
struct TensorFile {
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::map<std::string, std::string> metadata;
};

/// Writes tensors (made contiguous) and metadata to `path` atomically: the data goes to a
/// temporary file in the same directory, is flushed to disk, then renamed over `path`, so an
/// interrupted save never leaves a partial file under the final name.
/// Throws IOError (missing directory, unwritable path), ValueError (duplicate or empty name).
void save_safetensors(const std::string& path, const TensorFile& file);

/// Reads a safetensors file. F32/F64/I32/I64/BOOL load as themselves; F16/BF16 are widened
/// to float32 and I8/U8/I16/U16 to int32. Throws IOError for a missing, truncated or
/// malformed file: header length beyond the file, invalid JSON, unknown dtype, negative or
/// overflowing shapes, data offsets out of range or not matching the shape.
TensorFile load_safetensors(const std::string& path);

}  // namespace tensorforge
