"""``DistributedDataParallel``: data-parallel training, one model replica per MPI rank.

Construction checks that every rank holds the same parameter shapes, then broadcasts rank 0's
parameters and buffers. Each parameter carries a gradient hook; the first one to fire in a
backward pass queues a callback (``autograd.graph.queue_callback``) that runs once every leaf
gradient is accumulated. It flattens the gradients into buckets of ``bucket_cap_mb``, divides
by the world size and all-reduces each bucket (one MPI Allreduce per bucket), together with a
count of the ranks that used each parameter, then copies the averages back into ``.grad``.

The engine accumulates leaf gradients only at the end of backward, so there is nothing for a
non-blocking all-reduce to overlap with; blocking Allreduce measured twice as fast as
Iallreduce + Wait for 16 MB on this machine, so buckets are reduced with it.
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..autograd.graph import accumulates_grad, is_grad_enabled, queue_callback
from ..nn.module import Module
from ..tensor import zeros_like
from .collectives import _broadcast_coalesced
from .process_group import _check_group, _comm


# Further torch arguments: accepted at their defaults (None / False), refused otherwise.
_UNSUPPORTED = {"delay_all_reduce_named_params", "param_to_hook_all_reduce", "mixed_precision", "device_mesh",
                "skip_all_reduce_unused_params", "bucket_cap_mb_list", "batched_grad_copy"}


class _Bucket:
    """Parameters of one dtype whose gradients travel in one flat buffer."""

    __slots__ = ("indices", "params", "offsets", "buffer")

    def __init__(self, indices, params, dtype):
        self.indices, self.params = indices, params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.buffer = np.empty(self.offsets[-1], dtype)


class DistributedDataParallel(Module):
    """Wraps ``module`` for data-parallel training across the ranks of the default group
    (``torch.nn.parallel.DistributedDataParallel``).

    Every rank builds the same model, wraps it, and feeds it its own shard of each batch (see
    ``DistributedSampler``); after ``loss.backward()`` each parameter's ``.grad`` holds the
    average of the ranks' gradients, so the optimizer steps keep the replicas identical.

    Args:
        module: the model; its parameters and buffers are replaced by rank 0's here.
        device_ids, output_device: must be None (CPU modules).
        broadcast_buffers: copy rank 0's buffers (batch-norm running statistics) into every
            replica at the start of each forward that follows a forward recording gradients
            (default True); False also skips the buffers at construction.
        forward_sync_buffers: PyTorch 2.13's name for the per-forward part of broadcast_buffers.
        process_group: None or ``group.WORLD``.
        bucket_cap_mb: bucket size in MiB (default 25).
        find_unused_parameters: allow parameters that take no part in the loss on some or all
            ranks: they contribute zeros; one that no rank used keeps its ``.grad`` untouched.
            With False (the default), such a parameter raises a RuntimeError on every rank.
        init_sync: verify shapes and broadcast rank 0's state at construction (default True).
        dim, check_reduction, gradient_as_bucket_view, static_graph: accepted, no effect.

    The reduction happens in the first ``backward()`` after a forward run with gradients
    enabled outside ``no_sync()``; ``autograd.grad`` calls (e.g. a gradient penalty) neither
    trigger nor receive it, as in PyTorch.

    Example:
        >>> dist.init_process_group("mpi")
        >>> model = DistributedDataParallel(Net())
        >>> loss_fn(model(x_shard), y_shard).backward()   # .grad averaged over the ranks
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 forward_sync_buffers: bool | None = None, **kwargs):
        super().__init__()
        for key, value in kwargs.items():
            if key not in _UNSUPPORTED:
                raise TypeError(f"[DistributedDataParallel] unexpected keyword argument '{key}'")
            if value is not None and value is not False:
                raise ValueError(f"[DistributedDataParallel] {key}={value!r} is not supported (CPU data parallelism "
                                 "over MPI only)")
        if not isinstance(module, Module):
            raise TypeError(f"[DistributedDataParallel] module must be a tensorforge.nn.Module, got "
                            f"{type(module).__name__}")
        if device_ids not in (None, []) or output_device is not None:
            raise ValueError("[DistributedDataParallel] device_ids and output_device must be None for CPU modules, "
                             f"got device_ids={device_ids}, output_device={output_device}")
        _check_group(process_group, "DistributedDataParallel")
        comm = _comm("DistributedDataParallel")
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if not cap > 0:
            raise ValueError(f"[DistributedDataParallel] bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.dim = dim
        init_buffers = broadcast_buffers is None or forward_sync_buffers is not None or bool(broadcast_buffers)
        self.broadcast_buffers = bool(forward_sync_buffers if forward_sync_buffers is not None else init_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.static_graph = bool(static_graph)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self._comm = comm
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        if init_sync:
            self._verify_shapes(comm)
            state = list(module.parameters()) + (list(module.buffers()) if init_buffers else [])
            _broadcast_coalesced(comm, state, 0)
        self._buckets = self._make_buckets()
        self._used = np.zeros(len(self._params), np.int32)
        self._expect_backward = False
        self._reduction_queued = False
        self._hook_handles = [p.register_hook(self._grad_hook(i)) for i, p in enumerate(self._params)]

    # ---- construction --------------------------------------------------------------------
    def _verify_shapes(self, comm) -> None:
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in zip(self._param_names, self._params)]
        everyone = comm.allgather(mine)
        for r, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                if len(theirs) != len(everyone[0]):
                    detail = f"rank {r} has {len(theirs)} params, while rank 0 has {len(everyone[0])}"
                else:
                    a, b = next((a, b) for a, b in zip(theirs, everyone[0]) if a != b)
                    detail = f"rank {r} has parameter {a[0]} of shape {list(a[1])} ({a[2]}), rank 0 has {b[0]} " \
                             f"of shape {list(b[1])} ({b[2]})"
                raise RuntimeError(f"[DistributedDataParallel] expects the same model on all ranks, but {detail}")

    def _make_buckets(self) -> list:
        """Parameters in reverse order (roughly the order backward produces their gradients),
        grouped by dtype, cut into buckets of at most bucket_bytes_cap."""
        buckets, open_ = [], {}
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            key = str(p.dtype)
            idx, params, nbytes = open_.get(key, ([], [], 0))
            size = p.numel() * p.element_size()
            if params and nbytes + size > self.bucket_bytes_cap:
                buckets.append(_Bucket(idx, params, p.detach().numpy().dtype))
                idx, params, nbytes = [], [], 0
            idx.append(i)
            params.append(p)
            open_[key] = (idx, params, nbytes + size)
        for idx, params, _ in open_.values():
            buckets.append(_Bucket(idx, params, params[0].detach().numpy().dtype))
        return buckets

    # ---- forward ---------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self.require_forward_param_sync and self.broadcast_buffers and self._comm.Get_size() > 1:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(self._comm, buffers, 0)
        out = self.module(*inputs, **kwargs)
        sync = is_grad_enabled() and self.require_backward_grad_sync
        self.require_forward_param_sync = sync
        if sync:
            self._expect_backward = True
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients of forward/backward passes inside the block accumulate locally; the first
        synchronised backward after it all-reduces the accumulated sums.

        Example:
            >>> with ddp.no_sync():
            ...     ddp(x1).sum().backward()      # local accumulation only
            >>> ddp(x2).sum().backward()          # averages the sum of both over the ranks
        """
        prev = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = prev

    # ---- backward ----------------------------------------------------------------------------
    def _grad_hook(self, i: int):
        def hook(grad):
            if not accumulates_grad():  # autograd.grad leaves .grad alone, and so does DDP
                return None
            self._used[i] = 1
            if self._expect_backward and not self._reduction_queued:
                self._reduction_queued = True
                queue_callback(self._reduce_gradients)
            return None

        return hook

    def _reduce_gradients(self) -> None:
        """Averages every parameter's .grad across the ranks (runs at the end of backward)."""
        from mpi4py import MPI

        self._expect_backward = self._reduction_queued = False
        comm, world = self._comm, self._comm.Get_size()
        for b in self._buckets:
            buf = b.buffer
            for p, lo, hi in zip(b.params, b.offsets, b.offsets[1:]):
                g = p.grad
                if g is None:
                    buf[lo:hi] = 0
                else:
                    buf[lo:hi] = g.detach().numpy().reshape(-1)
            if world > 1:
                np.divide(buf, world, out=buf)
                comm.Allreduce(MPI.IN_PLACE, buf, MPI.SUM)
        used = self._used
        if world > 1:
            comm.Allreduce(MPI.IN_PLACE, used, MPI.SUM)
        if not self.find_unused_parameters and (used < world).any():
            missing = [self._param_names[i] for i in np.flatnonzero(used < world)]
            used[:] = 0
            raise RuntimeError(
                "[DistributedDataParallel] Expected to have finished reduction in the prior iteration before "
                "starting a new one. This error indicates that your module has parameters that were not used in "
                "producing loss on every rank: " + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
                + ". You can enable unused parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `DistributedDataParallel`.")
        for b in self._buckets:
            for i, p, lo, hi in zip(b.indices, b.params, b.offsets, b.offsets[1:]):
                if used[i] == 0:
                    continue
                if p.grad is None:
                    p.grad = zeros_like(p)
                np.copyto(p.grad.detach().numpy(), b.buffer[lo:hi].reshape(p.shape))
        used[:] = 0

