"""Collectives on tensors, in place, over MPI (``torch.distributed``'s names and semantics).

A tensor reaches MPI through its numpy view (the buffer protocol): no copy for a contiguous
tensor, one packed copy (written back afterwards) for a non-contiguous one. Before each
collective the ranks compare what they were called with (collective, root, op, dtype, element
count, list length) in one small allreduce (about a microsecond), so mismatched calls raise a
RuntimeError on every rank instead of hanging or truncating inside MPI, and an argument error
on one rank raises on all of them. A rank that never makes the call still leaves the others
waiting, as in any MPI program. Ranks may mix async_op=True and False in one call.

``*_object`` collectives pickle, so use them only between ranks of the same job (as in PyTorch,
unpickling runs code: never feed them data from elsewhere).
"""
from __future__ import annotations

import enum

import numpy as np

from ..tensor import Tensor
from .process_group import _comm, _state

_CALLS = {name: code for code, name in enumerate(
    ("all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "gather", "scatter",
     "barrier", "all_gather_object", "broadcast_object_list", "gather_object"), start=1)}


class ReduceOp(enum.IntEnum):
    """How ``all_reduce`` / ``reduce`` combine tensors. AVG needs a floating-point tensor; on
    bool tensors SUM and MAX are logical or, PRODUCT and MIN logical and."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class Work:
    """The handle an ``async_op=True`` collective returns: ``wait()`` blocks until the tensors
    hold the result, ``is_completed()`` polls without blocking. Call one of them before reading
    the tensors; a call that the ranks disagree on raises from there.

    The ranks' agreement check runs first, non-blocking; the operation itself is posted once it
    has passed (MPI progresses both inside these calls)."""

    def __init__(self, agreement, post, after=()):
        self._agreement, self._post, self._after = agreement, post, after
        self._request, self._done = None, False

    def is_completed(self) -> bool:
        if self._done:
            return True
        if self._request is None:
            if not self._agreement.ready():
                return False
            self._start()
        if self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            if self._request is None:
                self._start()
            self._request.Wait()
            self._complete()
        return True

    def _start(self) -> None:
        self._agreement.result()
        self._request = self._post()

    def _complete(self) -> None:
        self._done = True
        for f in self._after:
            if f is not None:
                f()


def _array(tensor, op: str, what: str = "tensor") -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"[{op}] {what} must be a tensorforge.Tensor, got {type(tensor).__name__}")
    return tensor.detach().numpy()


def _packed(arr: np.ndarray):
    """A C-contiguous buffer for ``arr`` and the function that copies results back (or None)."""
    if arr.flags.c_contiguous:
        return arr, None
    buf = np.ascontiguousarray(arr)
    return buf, lambda: np.copyto(arr, buf)


_OPS: dict = {}  # (dtype kind, ReduceOp) -> MPI.Op, filled on first use


def _mpi_op(op, arr: np.ndarray, name: str):
    if not _OPS:
        from mpi4py import MPI

        R = ReduceOp
        for kind in "biuf":
            if kind == "b":
                table = {R.SUM: MPI.LOR, R.MAX: MPI.LOR, R.BOR: MPI.LOR, R.MIN: MPI.LAND, R.PRODUCT: MPI.LAND,
                         R.BAND: MPI.LAND, R.BXOR: MPI.LXOR}
            else:
                table = {R.SUM: MPI.SUM, R.PRODUCT: MPI.PROD, R.MIN: MPI.MIN, R.MAX: MPI.MAX}
                if kind == "f":
                    table[R.AVG] = MPI.SUM
                else:
                    table.update({R.BAND: MPI.BAND, R.BOR: MPI.BOR, R.BXOR: MPI.BXOR})
            _OPS.update({(kind, o): m for o, m in table.items()})
    if not isinstance(op, ReduceOp):
        raise TypeError(f"[{name}] op must be a ReduceOp, got {op!r}")
    mpi_op = _OPS.get((arr.dtype.kind, op))
    if mpi_op is None:
        raise TypeError(f"[{name}] ReduceOp.{op.name} is not supported for {arr.dtype} tensors")
    return mpi_op


_FIELDS = ("collective", "root", "op", "dtype", "numel", "list length")


class _Agreement:
    """Every rank's description of its call, compared in one non-blocking MAX-allreduce of
    (fields, -fields). ``result()`` raises on every rank unless all ranks made the same call
    with valid arguments, and returns whether any rank asked for async_op: then every rank uses
    MPI's non-blocking collective (a blocking and a non-blocking MPI call never match)."""

    def __init__(self, comm, name: str, root, op, arr, async_op: bool, length: int, error):
        from mpi4py import MPI

        self.name, self.root, self.op, self.arr, self.length, self.error = name, root, op, arr, length, error
        self.mine = [_CALLS[name], root, int(op), -1 if arr is None else arr.dtype.num,
                     -1 if arr is None else arr.size, length, int(bool(async_op)), int(error is not None)]
        self.buffer = np.array(self.mine + [-v for v in self.mine], np.int64)
        self.request = comm.Iallreduce(MPI.IN_PLACE, self.buffer, MPI.MAX)

    def ready(self) -> bool:
        return self.request.Test()

    def result(self) -> bool:
        self.request.Wait()
        n, both = len(self.mine), self.buffer.tolist()
        hi, lo = both[:n], [-v for v in both[n:]]
        if self.error is not None:
            raise self.error
        if hi[-1]:
            raise RuntimeError(f"[{self.name}] the arguments were invalid on another rank (see that rank's error)")
        differ = [f for f, a, b in zip(_FIELDS, hi, lo) if a != b] if hi != lo else ()  # (zip stops at async_op)
        if differ:
            arr, op = self.arr, self.op
            passed = {"collective": self.name, "root": self.root,
                      "op": ReduceOp(op).name if op in ReduceOp._value2member_map_ else None,
                      "dtype": None if arr is None else arr.dtype, "numel": None if arr is None else arr.size,
                      "list length": self.length}
            mine = ", ".join(f"{f}={passed[f]}" for f in differ)
            raise RuntimeError(f"[{self.name}] ranks disagree on {', '.join(differ)} (rank {_state['rank']} passed "
                               f"{mine}): every rank must make the same call, with tensors of the same size and dtype")
        return bool(hi[-2])


def _agree(comm, name: str, root=0, op=-1, arr=None, async_op=False, length=-1, error=None) -> _Agreement:
    """Starts the agreement check; a rank whose own arguments are invalid waits for it (so the
    others learn of the error) and raises here."""
    agreement = _Agreement(comm, name, root, op, arr, async_op, length, error)
    if error is not None:
        agreement.result()
    return agreement


def _check_root(root, size: int, name: str, what: str) -> int:
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or not 0 <= root < size:
        raise ValueError(f"[{name}] {what}={root!r} is not a rank of the group (world size {size})")
    return int(root)


def _run(agreement: _Agreement, async_op: bool, blocking, post, *after):
    """Finishes a collective once the ranks agree: ``blocking()`` makes the blocking MPI call,
    ``post()`` the non-blocking one (returning its request); ``after`` holds the write-backs.
    Returns a Work with async_op, else None once the tensors hold the result."""
    if async_op:
        return Work(agreement, post, after)
    if agreement.result():
        post().Wait()
    else:
        blocking()
    for f in after:
        if f is not None:
            f()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduces ``tensor`` across all ranks in place: every rank ends with the result.

    Example:
        >>> t = tensorforge.ones(3) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t)                 # on 2 ranks: [3., 3., 3.] everywhere
    """
    comm = _comm("all_reduce", group)
    arr = mpi_op = error = None
    try:
        arr = _array(tensor, "all_reduce")
        mpi_op = _mpi_op(op, arr, "all_reduce")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "all_reduce", op=op if error is None else -1, arr=arr, async_op=async_op,
                       error=error)
    buf, back = _packed(arr)
    from mpi4py import MPI

    size = comm.Get_size()
    scale = (lambda: np.divide(buf, size, out=buf)) if op == ReduceOp.AVG else None
    return _run(agreement, async_op, lambda: comm.Allreduce(MPI.IN_PLACE, buf, mpi_op),
                lambda: comm.Iallreduce(MPI.IN_PLACE, buf, mpi_op), scale, back)


def reduce(tensor: Tensor, dst: int = 0, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduces ``tensor`` across ranks into rank ``dst``'s tensor; the others keep theirs."""
    comm = _comm("reduce", group)
    arr = mpi_op = error = None
    try:
        arr = _array(tensor, "reduce")
        mpi_op = _mpi_op(op, arr, "reduce")
        dst = _check_root(dst, comm.Get_size(), "reduce", "dst")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "reduce", root=dst if error is None else -1, op=op if error is None else -1,
                       arr=arr, async_op=async_op, error=error)
    from mpi4py import MPI

    root = comm.Get_rank() == dst
    buf, back = _packed(arr) if root else (np.ascontiguousarray(arr), None)
    send, recv = (MPI.IN_PLACE, buf) if root else (buf, None)
    size = comm.Get_size()
    scale = (lambda: np.divide(buf, size, out=buf)) if op == ReduceOp.AVG and root else None
    return _run(agreement, async_op, lambda: comm.Reduce(send, recv, mpi_op, root=dst),
                lambda: comm.Ireduce(send, recv, mpi_op, root=dst), scale, back)


def broadcast(tensor: Tensor, src: int = 0, group=None, async_op: bool = False):
    """Copies rank ``src``'s tensor into ``tensor`` on every rank."""
    comm = _comm("broadcast", group)
    arr = error = None
    try:
        arr = _array(tensor, "broadcast")
        src = _check_root(src, comm.Get_size(), "broadcast", "src")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "broadcast", root=src if error is None else -1, arr=arr, async_op=async_op,
                       error=error)
    buf, back = _packed(arr)
    return _run(agreement, async_op, lambda: comm.Bcast(buf, root=src), lambda: comm.Ibcast(buf, root=src),
                back)


def _check_list(tensors, arr: np.ndarray, size: int, name: str, what: str) -> list:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != size:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"[{name}] {what} must be a list of world_size={size} tensors, got {got}")
    arrays = [_array(t, name, what) for t in tensors]
    for i, a in enumerate(arrays):
        if a.size != arr.size or a.dtype != arr.dtype:
            raise ValueError(f"[{name}] {what}[{i}] has {a.size} elements of {a.dtype}, but the tensor has "
                             f"{arr.size} of {arr.dtype}")
    return arrays


def _unstack(rows: np.ndarray, arrays: list):
    def copy():
        for row, a in zip(rows, arrays):
            np.copyto(a, row.reshape(a.shape))

    return copy


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fills ``tensor_list[r]`` with rank r's ``tensor`` on every rank (world_size tensors of
    the same size and dtype)."""
    comm = _comm("all_gather", group)
    arr = arrays = error = None
    try:
        arr = _array(tensor, "all_gather")
        arrays = _check_list(tensor_list, arr, comm.Get_size(), "all_gather", "tensor_list")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "all_gather", arr=arr, async_op=async_op, error=error)
    send = np.ascontiguousarray(arr).reshape(-1)
    rows = np.empty((comm.Get_size(), arr.size), arr.dtype)
    return _run(agreement, async_op, lambda: comm.Allgather(send, rows), lambda: comm.Iallgather(send, rows),
                _unstack(rows, arrays))


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None, async_op: bool = False):
    """Gathers every rank's ``input_tensor`` into ``output_tensor`` (world_size times as many
    elements: stacked along dim 0, or concatenated), with no intermediate copy."""
    comm = _comm("all_gather_into_tensor", group)
    arr = out = error = None
    try:
        arr = _array(input_tensor, "all_gather_into_tensor", "input_tensor")
        out = _array(output_tensor, "all_gather_into_tensor", "output_tensor")
        if out.size != arr.size * comm.Get_size() or out.dtype != arr.dtype:
            raise ValueError(f"[all_gather_into_tensor] output_tensor has {out.size} elements of {out.dtype}; "
                             f"expected world_size * {arr.size} = {arr.size * comm.Get_size()} of {arr.dtype}")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "all_gather_into_tensor", arr=arr, async_op=async_op, error=error)
    send = np.ascontiguousarray(arr)
    buf, back = _packed(out)
    return _run(agreement, async_op, lambda: comm.Allgather(send, buf), lambda: comm.Iallgather(send, buf),
                back)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int = 0, group=None, async_op: bool = False):
    """Rank ``dst`` receives every rank's ``tensor`` in ``gather_list`` (world_size tensors);
    the other ranks pass ``gather_list=None``."""
    comm = _comm("gather", group)
    arr = arrays = error = None
    try:
        arr = _array(tensor, "gather")
        dst = _check_root(dst, comm.Get_size(), "gather", "dst")
        if comm.Get_rank() == dst:
            arrays = _check_list(gather_list, arr, comm.Get_size(), "gather", "gather_list")
        elif gather_list is not None:
            raise ValueError("[gather] gather_list must be None on ranks other than dst")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "gather", root=dst if error is None else -1, arr=arr, async_op=async_op,
                       error=error)
    send = np.ascontiguousarray(arr).reshape(-1)
    root = comm.Get_rank() == dst
    rows = np.empty((comm.Get_size(), arr.size), arr.dtype) if root else None
    copy = _unstack(rows, arrays) if root else None
    return _run(agreement, async_op, lambda: comm.Gather(send, rows, root=dst),
                lambda: comm.Igather(send, rows, root=dst), copy)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int = 0, group=None, async_op: bool = False):
    """Rank r receives ``scatter_list[r]`` of rank ``src`` into ``tensor``; the other ranks
    pass ``scatter_list=None``."""
    comm = _comm("scatter", group)
    arr = arrays = error = None
    try:
        arr = _array(tensor, "scatter")
        src = _check_root(src, comm.Get_size(), "scatter", "src")
        if comm.Get_rank() == src:
            arrays = _check_list(scatter_list, arr, comm.Get_size(), "scatter", "scatter_list")
        elif scatter_list is not None:
            raise ValueError("[scatter] scatter_list must be None on ranks other than src")
    except (TypeError, ValueError) as e:
        error = e
    agreement = _agree(comm, "scatter", root=src if error is None else -1, arr=arr, async_op=async_op,
                       error=error)
    rows = np.stack([a.reshape(-1) for a in arrays]) if arrays is not None else None
    buf, back = _packed(arr)
    return _run(agreement, async_op, lambda: comm.Scatter(rows, buf, root=src),
                lambda: comm.Iscatter(rows, buf, root=src), back)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Returns once every rank has called it (or, with ``async_op``, a Work to wait on)."""
    comm = _comm("barrier", group)
    return _run(_agree(comm, "barrier", async_op=async_op), async_op, comm.Barrier, comm.Ibarrier)


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fills ``object_list[r]`` with rank r's picklable ``obj`` on every rank."""
    comm = _comm("all_gather_object", group)
    error = None
    if not isinstance(object_list, list) or len(object_list) != comm.Get_size():
        error = ValueError(f"[all_gather_object] object_list must be a list of world_size={comm.Get_size()} "
                           "entries")
    _agree(comm, "all_gather_object", error=error).result()
    object_list[:] = comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replaces the entries of ``object_list`` on every rank with rank ``src``'s (picklable)
    entries; the list must have the same length on every rank."""
    comm = _comm("broadcast_object_list", group)
    error = None
    try:
        src = _check_root(src, comm.Get_size(), "broadcast_object_list", "src")
        if not isinstance(object_list, list):
            raise TypeError(f"[broadcast_object_list] object_list must be a list, got {type(object_list).__name__}")
    except (TypeError, ValueError) as e:
        error = e
    n = len(object_list) if error is None else 0
    _agree(comm, "broadcast_object_list", root=src if error is None else -1, length=n, error=error).result()
    result = comm.bcast(object_list if comm.Get_rank() == src else None, root=src)
    object_list[:] = result


def gather_object(obj, object_gather_list: list | None = None, dst: int = 0, group=None) -> None:
    """Rank ``dst`` receives every rank's picklable ``obj`` in ``object_gather_list``."""
    comm = _comm("gather_object", group)
    error = None
    try:
        dst = _check_root(dst, comm.Get_size(), "gather_object", "dst")
        if comm.Get_rank() == dst and (not isinstance(object_gather_list, list)
                                       or len(object_gather_list) != comm.Get_size()):
            raise ValueError(f"[gather_object] object_gather_list must be a list of world_size={comm.Get_size()} "
                             "entries on dst")
    except (TypeError, ValueError) as e:
        error = e
    _agree(comm, "gather_object", root=dst if error is None else -1, error=error).result()
    result = comm.gather(obj, root=dst)
    if comm.Get_rank() == dst:
        object_gather_list[:] = result


def _broadcast_coalesced(comm, tensors: list, src: int = 0) -> None:
    """Broadcasts many tensors from ``src`` with one Bcast per dtype (DDP's parameter and buffer
    sync; the caller guarantees every rank passes matching tensors)."""
    if comm.Get_size() == 1:
        return
    by_dtype: dict = {}
    for t in tensors:
        a = t.detach().numpy()
        by_dtype.setdefault(a.dtype, []).append(a)
    root = comm.Get_rank() == src
    for dtype, arrays in by_dtype.items():
        if root:
            flat = np.concatenate([a.reshape(-1) for a in arrays]) if len(arrays) > 1 else \
                np.ascontiguousarray(arrays[0]).reshape(-1)
        else:
            flat = np.empty(sum(a.size for a in arrays), dtype)
        comm.Bcast(flat, root=src)
        if not root:
            off = 0
            for a in arrays:
                np.copyto(a, flat[off:off + a.size].reshape(a.shape))
                off += a.size
