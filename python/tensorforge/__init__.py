"""tensorforge: a deep-learning framework with a SIMD/OpenMP C++ core and PyTorch's API.

``import tensorforge as torch`` runs most small PyTorch scripts.
"""
from __future__ import annotations

from . import _C
from ._dtype import (bool_ as bool, device, dtype, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)
from ._dtype import float32 as float  # noqa: A001
from ._dtype import float64 as double
from ._dtype import int32 as int  # noqa: A001
from ._dtype import int64 as long
from .tensor import (Generator, Size, Tensor, arange, as_tensor, empty, empty_like, eye, from_dlpack, from_numpy, full,
                     full_like, linspace, manual_seed, ones, ones_like, rand, rand_like, randint, randint_like,
                     randn, randn_like, randperm, seed, tensor, zeros, zeros_like)
from .tensor import default_generator, get_rng_state, initial_seed, set_rng_state
from . import autograd
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import no_grad as inference_mode
from .autograd.ops import *  # noqa: F401,F403  (the math: add, exp, sum, matmul, cat, ...)
from .autograd.ops import (abs, all, any, max, min, pow, round, sum)  # noqa: A004  (shadow builtins as torch does)
from .autograd.ops import to_dtype_op as _to_dtype_op
from .autograd.sort_ops import *  # noqa: F401,F403  (sort, topk, median, unique, cumsum, ...)
from .autograd.shape_ops import *  # noqa: F401,F403  (flip, roll, repeat, tril, diagonal, meshgrid, ...)
from .autograd.scatter_ops import *  # noqa: F401,F403  (scatter, scatter_reduce, index_copy, bincount, ...)
from .autograd.math_ops import *  # noqa: F401,F403  (einsum, tensordot, cdist, sinh, erfinv, bitwise_*, ...)
from .autograd.random_ops import *  # noqa: F401,F403  (multinomial, bernoulli, normal, poisson, ...)
from . import linalg, special
from . import return_types
from . import cuda, backends

__version__ = "0.1.0"

ShapeError = _C.ShapeError
DTypeError = _C.DTypeError


def set_num_threads(n: int) -> None:
    """Threads used by the C++ kernels."""
    _C.set_num_threads(n)


def get_num_threads() -> int:
    return _C.get_num_threads()


def is_floating_point(x: Tensor) -> bool:
    return x.dtype.is_floating_point


def typename(x) -> str:
    return f"tensorforge.{type(x).__name__}"
from . import nn  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import data  # noqa: E402
from . import optim, utils  # noqa: E402
from . import train, tune  # noqa: E402
from . import distributed  # noqa: E402  ---- distributed (MPI data parallelism) ----
