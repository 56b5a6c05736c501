"""``tensorforge.nn.parallel``: where PyTorch users look for DistributedDataParallel (it lives in
``tensorforge.distributed.ddp``)."""
from ...distributed.ddp import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
