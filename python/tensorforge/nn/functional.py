"""The functional form of every layer: ``tensorforge.nn.functional`` (``F``)."""
from __future__ import annotations

import builtins
import math

from .. import _C
from ..autograd import rules as R
from ..autograd.graph import _grad_enabled, record
from ..autograd import ops as O
from ..tensor import Tensor, _wrap

# ---- activations ----

# ---- linear ----
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b as one GEMM. Shapes: input (*, in), weight (out, in), bias (out)."""
    out = _wrap(_C.linear(input._c, weight._c, None if bias is None else bias._c))
    if _grad_enabled[0] and (input._requires_grad or weight._requires_grad or
                             (bias is not None and bias._requires_grad)):
        record(out, R.linear, (input, weight, bias),
               (input if weight._requires_grad else None, weight if input._requires_grad else None))
    return out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k. Shapes: (*, in1), (*, in2), weight (out, in1, in2)."""
    left = O.matmul(O.unsqueeze(O.unsqueeze(input1, -2), -3), weight)  # (*, out, 1, in2)
    out = O.sum(O.mul(O.squeeze(left, -2), O.unsqueeze(input2, -2)), -1)
    return out + bias if bias is not None else out


# ---- convolution and pooling ----

# ---- normalisation and dropout ----

# ---- embedding and losses ----

# ---- other (pad, one_hot, normalize, interpolate) ----
