"""Data-parallel training over MPI (``tensorforge.distributed``, shaped like ``torch.distributed``).

Launch one process per replica with Open MPI (``pip install 'tensorforge[distributed]'`` puts
``mpiexec`` in the environment)::

    mpiexec -n 2 python train.py        # as root: add --allow-run-as-root
                                        # more ranks than cores: add --oversubscribe

and in the script::

    import tensorforge.distributed as dist
    dist.init_process_group("mpi")      # required first, as in PyTorch
    model = tensorforge.nn.parallel.DistributedDataParallel(model)
    sampler = tensorforge.utils.data.DistributedSampler(dataset)

Collectives (``all_reduce``, ``broadcast``, ``reduce``, ``all_gather``, ``gather``, ``scatter``,
...) work on tensors in place through their numpy view; see ``collectives``. Only the default
group exists (no ``new_group``). Importing this package does not start MPI:
``init_process_group`` does.
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor, all_gather_object, all_reduce, barrier,
                          broadcast, broadcast_object_list, gather, gather_object, reduce, scatter)
from .process_group import (Backend, GroupMember, destroy_process_group, get_backend, get_rank, get_world_size, group,
                            init_process_group, is_available, is_gloo_available, is_initialized, is_mpi_available,
                            is_nccl_available, is_torchelastic_launched)
from .ddp import DistributedDataParallel

__all__ = ["Backend", "DistributedDataParallel", "GroupMember", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list",
           "destroy_process_group", "gather", "gather_object", "get_backend", "get_rank", "get_world_size", "group",
           "init_process_group", "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "is_torchelastic_launched", "reduce", "scatter"]
