"""Optimizers and learning-rate schedules (``tensorforge.optim``), shaped like ``torch.optim``.
Every update is one fused C++ kernel per parameter."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
