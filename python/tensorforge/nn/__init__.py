"""Neural-network layers, losses and helpers (``tensorforge.nn``), shaped like ``torch.nn``."""
from . import functional, init, utils
from .module import (Buffer, Flatten, Identity, Module, ModuleDict, ModuleList, Parameter, ParameterDict,
                     ParameterList, Sequential, Unflatten)
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from . import parallel  # noqa: E402  ---- distributed (DistributedDataParallel) ----
# ---- nn extras (nnx) ----
from .distance import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
