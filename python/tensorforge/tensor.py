"""The Python Tensor: a handle on a C++ tensor (``_c``) plus its place in the autograd graph.

Math lives in ``autograd/ops.py`` (one C++ call per op, and a graph node when gradients are
needed); this file holds the class, its attributes, operators and printing, and creation.
"""
from __future__ import annotations

import builtins
import math
from typing import Sequence

import numpy as np

from . import _C
from ._dtype import (BY_CODE, CPU, bool_, device, dtype, float32, float64, from_numpy_dtype,
                     get_default_dtype, int32, int64, to_dtype)
from .autograd import graph as _graph

_new = object.__new__


def _wrap(c, cls=None) -> "Tensor":
    """A new Python tensor (of class cls, default Tensor) around the C++ tensor c."""
    t = _new(cls or Tensor)
    t._c = c
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._hooks = None
    t._retains_grad = False
    return t


def _shape_arg(size) -> list:
    """Accepts f(2, 3), f((2, 3)), f([2, 3]) and torch.Size."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = size[0]
    try:
        return [int(s) for s in size]
    except TypeError:
        raise TypeError(f"expected a sequence of ints as a shape, got {size!r}") from None


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"tensorforge.Size({list(self)})"


class Tensor:
    """An n-dimensional array with autograd, shaped like ``torch.Tensor``."""

    __slots__ = ("_c", "_requires_grad", "grad", "grad_fn", "_hooks", "_retains_grad", "__weakref__")

    __array_priority__ = 1000  # numpy defers binary operators to us

    def __init__(self, *args, **kwargs):
        if args and isinstance(args[0], (list, tuple, np.ndarray, Tensor)):
            src = tensor(args[0], dtype=kwargs.get("dtype"))
        else:
            src = empty(*args, dtype=kwargs.get("dtype"))
        self._c = src._c
        self._requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self._retains_grad = False

    # ---- attributes ------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._c.shape)

    @property
    def dtype(self) -> dtype:
        return BY_CODE[self._c.dtype]

    @property
    def device(self) -> device:
        return CPU

    @property
    def ndim(self) -> int:
        return self._c.ndim

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> "Tensor":
        return self.detach()

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._c = value._c

    @property
    def T(self) -> "Tensor":
        return _ops.permute(self, list(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        return _ops.transpose(self, -2, -1)

    @property
    def is_cuda(self) -> bool:
        return False

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._c.shape)
        return self._c.shape[_wrap_dim(dim, self.ndim, "size")]

    def stride(self, dim: int | None = None):
        if dim is None:
            return self._c.strides
        return self._c.strides[_wrap_dim(dim, self.ndim, "stride")]

    def dim(self) -> int:
        return self._c.ndim

    def numel(self) -> int:
        return self._c.numel

    nelement = numel

    def element_size(self) -> int:
        return self._c.itemsize

    def data_ptr(self) -> int:
        return self._c.data_ptr

    def storage_offset(self) -> int:
        return self._c.offset

    def is_contiguous(self) -> bool:
        return self._c.is_contiguous()

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def item(self):
        return self._c.item()

    def tolist(self):
        return self._c.numpy().tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """A numpy array sharing memory with this tensor (a copy for a non-contiguous one is
        never made implicitly: the array has the same strides)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "[numpy] Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._c.numpy()

    def __array__(self, dtype=None, copy=None):
        arr = self._c.numpy()
        if dtype is not None:
            arr = arr.astype(dtype)
        return arr

    def __dlpack__(self, *args, **kwargs):
        return self.detach()._c.numpy().__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._c.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._c.shape[0]))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"[bool] Boolean value of Tensor with {self.numel()} elements is ambiguous")
        return builtins.bool(self._c.item())

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return _format(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.detach().numpy().copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        out = self.detach().clone()
        out.requires_grad_(self._requires_grad)
        if self.grad is not None:
            out.grad = self.grad.clone()
        memo[id(self)] = out
        return out

    # ---- autograd --------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "[requires_grad_] you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"[requires_grad_] only Tensors of floating point dtype can require gradients, got {self.dtype}")
        self._requires_grad = builtins.bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        return _wrap(self._c)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            return
        self._retains_grad = True
        _graph.output_ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Calls hook(grad) when this tensor's gradient is computed; a non-None return
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("[register_hook] cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            _graph.output_ref(self)
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        from .autograd import backward as _backward

        _backward([self], [gradient] if gradient is not None else None, retain_graph=retain_graph,
                  create_graph=create_graph, inputs=inputs)

    # ---- conversion ------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; ``copy=``."""
        dt = kwargs.get("dtype")
        dev = kwargs.get("device")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, Tensor):
                dt = a.dtype
            elif isinstance(a, (device, str)) and not (isinstance(a, str) and a in ("float32", "float64", "int64", "int32", "bool")):
                dev = a
            else:
                dt = a
        if dev is not None:
            _check_device(dev, "to")
        if dt is None:
            return self.clone() if copy else self
        return _ops.to_dtype_op(self, to_dtype(dt), copy)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device=None) -> "Tensor":
        _check_device("cuda", "cuda")
        return self

    def type(self, dtype=None):
        if dtype is None:
            return f"tensorforge.{self.dtype.name}"
        return self.to(dtype)

    def float(self) -> "Tensor":
        return _ops.to_dtype_op(self, float32)

    def double(self) -> "Tensor":
        return _ops.to_dtype_op(self, float64)

    def long(self) -> "Tensor":
        return _ops.to_dtype_op(self, int64)

    def int(self) -> "Tensor":
        return _ops.to_dtype_op(self, int32)

    def bool(self) -> "Tensor":
        return _ops.to_dtype_op(self, bool_)

    # ---- operators -------------------------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(self, other)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(_ops.as_operand(other, self), self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(self, other)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(_ops.as_operand(other, self), self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(_ops.as_operand(other, self), self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(_ops.as_operand(other, self), self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(_ops.as_operand(other, self), self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(_ops.as_operand(other, self), self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        if self.dtype is not bool_:
            raise TypeError(f"[bitwise_not] only supported for bool tensors here, got {self.dtype}")
        return _ops.logical_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.logical_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.logical_xor(self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __iadd__(self, other):
        return _ops.add_(self, other)

    def __isub__(self, other):
        return _ops.sub_(self, other)

    def __imul__(self, other):
        return _ops.mul_(self, other)

    def __itruediv__(self, other):
        return _ops.div_(self, other)

    def __getitem__(self, key):
        return _ops.getitem(self, key)

    def __setitem__(self, key, value):
        _ops.setitem(self, key, value)


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _rebuild(array, requires_grad):
    t = from_numpy(array)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"[{op}] dim {dim} out of range for a tensor of {ndim} dims (expected in [{-n}, {n - 1}])")
    return dim + n if dim < 0 else dim


def _check_device(dev, op: str) -> None:
    d = device(dev) if not isinstance(dev, device) else dev
    if d.type != "cpu":
        raise RuntimeError(f"[{op}] device '{d}' is not available: this build has no CUDA support "
                           "(tensorforge.cuda.is_available() is False)")


# ---- printing ------------------------------------------------------------------------------
def _format(t: Tensor) -> str:
    arr = t.detach()._c.numpy()
    suffix = []
    dt = t.dtype
    if dt not in (float32, int64, bool_) or (t.numel() == 0 and dt is not float32):
        suffix.append(f"dtype=tensorforge.{dt.name}")
    if t.numel() == 0 and t.ndim > 1:
        suffix.insert(0, f"size={tuple(t.shape)}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    body = _format_array(arr, dt)
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"


def _format_array(arr: np.ndarray, dt: dtype) -> str:
    if arr.size == 0:
        return "[]"
    if dt is bool_:
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    elif not dt.is_floating_point:
        fmt = str
    else:
        finite = arr[np.isfinite(arr)]
        absf = np.abs(finite)
        ints = finite.size == 0 or np.all(finite == np.round(finite))
        big = absf.size and (absf.max() >= 1e8 or (absf.max() / builtins.max(absf[absf > 0].min(), 1e-300) > 1000
                                                   if (absf > 0).any() else False))
        small = absf.size and (absf > 0).any() and absf[absf > 0].min() < 1e-4
        if ints and not (absf.size and absf.max() >= 1e8):
            fmt = lambda v: ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf") if np.isinf(v)  # noqa: E731
                             else f"{v:.0f}.")
        elif big or small:
            fmt = lambda v: f"{v:.4e}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:.4f}"  # noqa: E731
    flat = arr.reshape(-1)[:1000]
    if dt.is_floating_point and np.isfinite(flat).any():
        flat = flat[np.isfinite(flat)]
    width = builtins.max(len(fmt(v)) for v in flat)
    return np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                           formatter={"all": lambda v: fmt(v).rjust(width)}, max_line_width=80)


# ---- creation ------------------------------------------------------------------------------
def _infer_dtype(data) -> dtype:
    arr = np.asarray(data)
    if arr.dtype == np.bool_:
        return bool_
    if np.issubdtype(arr.dtype, np.integer):
        return int64
    return get_default_dtype()


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, numpy arrays, tensors)."""
    if device is not None:
        _check_device(device, "tensor")
    if isinstance(data, Tensor):
        out = _ops.to_dtype_op(data.detach(), to_dtype(dtype) if dtype is not None else data.dtype, True)
    else:
        dt = to_dtype(dtype) if dtype is not None else None
        if isinstance(data, np.ndarray) and dt is None:
            dt = from_numpy_dtype(data.dtype)
            if dt is None and data.dtype.kind in "biuf":
                dt = _infer_dtype(data)
            if dt is None:
                raise TypeError(f"[tensor] can't convert np.ndarray of type {data.dtype}")
        elif dt is None and _has_tensor(data):
            data = _tensors_to_numpy(data)
        try:
            dt = dt or _infer_dtype(data)
            arr = np.array(data, dtype=dt.np, copy=True)
        except (ValueError, TypeError) as e:
            raise TypeError(f"[tensor] could not convert data of type {type(data).__name__}: {e}") from None
        out = _wrap(_C.from_numpy(arr))
    if requires_grad:
        out.requires_grad_(True)
    return out


def _has_tensor(data) -> bool:
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_tensor(data[0])
    return False


def _tensors_to_numpy(data):
    if isinstance(data, Tensor):
        return data.detach().numpy()
    return [_tensors_to_numpy(d) for d in data]


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Shares memory with ``data`` when it is a numpy array or tensor of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None or to_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or to_dtype(dtype).np == data.dtype):
        if from_numpy_dtype(data.dtype) is not None:
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (writes show through both ways)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"[from_numpy] expected np.ndarray (got {type(array).__name__})")
    if from_numpy_dtype(array.dtype) is None:
        raise TypeError(f"[from_numpy] can't convert np.ndarray of type {array.dtype}. The only supported types "
                        "are: float64, float32, int64, int32, and bool.")
    if not array.flags.writeable:
        array = array.copy()
    if any(s % array.itemsize for s in array.strides):
        array = np.ascontiguousarray(array)
    return _wrap(_C.from_numpy(array))


def from_dlpack(ext) -> Tensor:
    if isinstance(ext, Tensor):
        return ext
    return from_numpy(np.from_dlpack(ext))


def _creation_dtype(dtype, default=None) -> dtype:
    if dtype is None:
        return default or get_default_dtype()
    return to_dtype(dtype)


def _finish(t: Tensor, requires_grad: bool, device=None) -> Tensor:
    if device is not None:
        _check_device(device, "factory")
    return t.requires_grad_(True) if requires_grad else t


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.empty(_shape_arg(size), _creation_dtype(dtype).code)), requires_grad, device)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.full(_shape_arg(size), 0.0, _creation_dtype(dtype).code)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.full(_shape_arg(size), 1.0, _creation_dtype(dtype).code)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = bool_ if isinstance(fill_value, builtins.bool) else (
            int64 if isinstance(fill_value, (builtins.int, np.integer)) else get_default_dtype())
    return _finish(_wrap(_C.full(_shape_arg((size,)), builtins.float(fill_value), to_dtype(dtype).code)),
                   requires_grad, device)


def _like(fn, x: Tensor, dtype, requires_grad, **kw) -> Tensor:
    return fn(list(x.shape), dtype=dtype or x.dtype, requires_grad=requires_grad, **kw)


def zeros_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(zeros, x, dtype, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(ones, x, dtype, requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(empty, x, dtype, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(list(x.shape), fill_value, dtype=dtype or x.dtype, requires_grad=requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(rand, x, dtype, requires_grad)


def randn_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(randn, x, dtype, requires_grad)


def randint_like(x, low=0, high=None, dtype=None, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, list(x.shape), dtype=dtype or x.dtype)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    vals = (start, end, step)
    if dtype is None:
        dtype = int64 if all(isinstance(v, (builtins.int, np.integer)) for v in vals) else get_default_dtype()
    return _finish(_wrap(_C.arange(builtins.float(start), builtins.float(end), builtins.float(step), to_dtype(dtype).code)),
                   requires_grad, device)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.linspace(builtins.float(start), builtins.float(end), builtins.int(steps),
                                     _creation_dtype(dtype).code)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.eye(n, -1 if m is None else m, _creation_dtype(dtype).code)), requires_grad, device)


_SEED_MASK = 0xFFFFFFFFFFFFFFFF


class Generator:
    """A seedable random stream (``torch.Generator``): a counter-based Philox stream in C++ that
    every random op with ``generator=`` draws from (same seed, same numbers, whatever the thread
    count), plus a numpy Generator seeded alike for the samplers and splits of ``utils.data``."""

    def __init__(self, device="cpu"):
        _check_device(device, "Generator")
        self._c = _C.Generator()
        self._seed = 67280421310721
        self._rng = np.random.default_rng(self._seed)

    @classmethod
    def _around(cls, c) -> "Generator":
        g = cls.__new__(cls)
        g._c = c
        g._seed = c.seed()
        g._rng = np.random.default_rng(g._seed)
        return g

    @property
    def device(self):
        return CPU

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = builtins.int(seed)
        self._c.manual_seed(self._seed & _SEED_MASK)
        self._rng = np.random.default_rng(self._seed & _SEED_MASK)
        return self

    def seed(self) -> int:
        return self.manual_seed(np.random.SeedSequence().entropy & _SEED_MASK)._seed

    def initial_seed(self) -> int:
        return self._seed

    def permutation(self, n: int):
        return self._rng.permutation(n)

    def get_state(self) -> "Tensor":
        """The generator's state as an int64 tensor (PyTorch's is a byte tensor): the Philox
        stream's seed and offset, then the numpy sampler stream's seed and PCG64 words;
        ``set_state`` of it replays the same draws from both."""
        words = (self._c.seed(), self._c.offset(), self._seed, *_pcg64_words(self._rng))
        return tensor([_to_int64(w) for w in words], dtype=int64)

    def set_state(self, new_state: "Tensor") -> "Generator":
        """Restores a state returned by ``get_state``."""
        words = _state_words(new_state, _GENERATOR_STATE_LEN, "Generator.set_state")
        self._c.set_state(words[0], words[1])
        self._seed = words[2]
        self._rng = np.random.Generator(np.random.PCG64())
        self._rng.bit_generator.state = _pcg64_state(words[3:])
        return self


_GENERATOR_STATE_LEN = 8  # Philox seed and offset; numpy seed, PCG64 state and increment (two words each), cached uint32


def _pcg64_words(rng: np.random.Generator) -> list:
    st = rng.bit_generator.state
    if st["bit_generator"] != "PCG64":
        raise RuntimeError(f"Generator.get_state: unsupported bit generator {st['bit_generator']}")
    mask = (1 << 64) - 1
    s, inc = st["state"]["state"], st["state"]["inc"]
    return [s >> 64, s & mask, inc >> 64, inc & mask, (st["has_uint32"] << 32) | st["uinteger"]]


def _pcg64_state(words: list) -> dict:
    return {"bit_generator": "PCG64", "state": {"state": (words[0] << 64) | words[1], "inc": (words[2] << 64) | words[3]},
            "has_uint32": words[4] >> 32, "uinteger": words[4] & 0xFFFFFFFF}


def _to_int64(u: int) -> int:
    """An unsigned 64-bit word stored in an int64 slot (two's complement)."""
    u &= 0xFFFFFFFFFFFFFFFF
    return u - (1 << 64) if u >= 1 << 63 else u


def _state_words(state, n: int, op: str) -> list:
    if not isinstance(state, Tensor) or state.dtype != int64 or tuple(state.shape) != (n,):
        got = f"{state.dtype} tensor of shape {list(state.shape)}" if isinstance(state, Tensor) else type(state).__name__
        raise ValueError(f"[{op}] expected the int64 tensor of shape [{n}] that get_state/get_rng_state returns, "
                         f"got {got}")
    return [w & 0xFFFFFFFFFFFFFFFF for w in state.tolist()]


def _gen(generator):
    """The C++ generator behind ``generator=`` (None: the global one)."""
    if generator is None:
        return None
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tensorforge.Generator, got {type(generator).__name__}")
    return generator._c


default_generator = Generator._around(_C.default_generator())
_default_generator = default_generator


def manual_seed(seed: int) -> Generator:
    """Seeds the global generator: the same seed gives the same random numbers."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> "Tensor":
    """The global random state (the generator behind rand/randn/randperm/dropout and the default
    samplers) as an int64 tensor; ``set_rng_state`` of it replays the same numbers."""
    return default_generator.get_state()


def set_rng_state(new_state: "Tensor") -> None:
    """Restores the global random state returned by ``get_rng_state``."""
    _state_words(new_state, _GENERATOR_STATE_LEN, "set_rng_state")
    default_generator.set_state(new_state)


def rand(*size, dtype=None, device=None, generator=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.rand(_shape_arg(size), _creation_dtype(dtype).code, _gen(generator))), requires_grad, device)


def randn(*size, dtype=None, device=None, generator=None, requires_grad: bool = False) -> Tensor:
    return _finish(_wrap(_C.randn(_shape_arg(size), _creation_dtype(dtype).code, _gen(generator))), requires_grad,
                   device)


def randint(low, high=None, size=None, dtype=None, device=None, generator=None) -> Tensor:
    if size is None:
        if high is None or not isinstance(high, (tuple, list, Size)):
            raise TypeError("[randint] missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _wrap(_C.randint(builtins.int(low), builtins.int(high), _shape_arg((size,)),
                            _creation_dtype(dtype, int64).code, _gen(generator)))


def randperm(n: int, dtype=None, device=None, generator=None) -> Tensor:
    return _wrap(_C.randperm(builtins.int(n), _creation_dtype(dtype, int64).code, _gen(generator)))


from .autograd import ops as _ops  # noqa: E402  (ops use Tensor; imported once the class exists)
