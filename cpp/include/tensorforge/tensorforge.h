// The whole public C++ API of tensorforge.
#pragma once

#include "tensorforge/attention_ops.h"
#include "tensorforge/device.h"
#include "tensorforge/dtype.h"
#include "tensorforge/error.h"
#include "tensorforge/image_ops.h"
#include "tensorforge/nn_ops.h"
#include "tensorforge/op_kinds.h"
#include "tensorforge/ops.h"
#include "tensorforge/parallel.h"
#include "tensorforge/random_ops.h"
#include "tensorforge/rnn_ops.h"
#include "tensorforge/serialize.h"
#include "tensorforge/scatter_ops.h"
#include "tensorforge/shape_ops.h"
#include "tensorforge/sort_ops.h"
#include "tensorforge/tensor.h"

