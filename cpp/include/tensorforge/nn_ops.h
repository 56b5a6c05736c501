// Neural-network ops: convolution, pooling, normalisation, losses and fused optimizer updates.
// Same conventions as ops.h: validated front ends that throw typed errors naming the op.
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "tensorforge/tensor.h"

namespace tensorforge {

// ---- convolution ----

// ---- pooling ----

// ---- normalisation and dropout ----

// ---- losses ----

// ---- optimizer updates ----

}  // namespace tensorforge
