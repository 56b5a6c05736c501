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

# ---- convolution and pooling ----

# ---- normalisation and dropout ----

# ---- embedding and losses ----

# ---- other (pad, one_hot, normalize, interpolate) ----
