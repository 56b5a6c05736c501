// The whole public C++ API of tensorforge.
#pragma once

#include "tensorforge/device.h"
#include "tensorforge/dtype.h"
#include "tensorforge/error.h"
#include "tensorforge/nn_ops.h"
#include "tensorforge/op_kinds.h"
#include "tensorforge/ops.h"
#include "tensorforge/parallel.h"
#include "tensorforge/rnn_ops.h"
#include "tensorforge/serialize.h"
#include "tensorforge/tensor.h"

