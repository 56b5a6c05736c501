"""Training workflow (``tensorforge.train``): ``Trainer`` with fit/evaluate/predict, callbacks,
streaming metrics, ``History`` and transfer-learning helpers."""
from . import metrics
from .callbacks import (Callback, CallbackList, CSVLogger, EarlyStopping, GradientMonitor, LearningRateScheduler,
                        ModelCheckpoint, ProgressBar)
from .history import History
from .metrics import Accuracy, F1Score, MeanAbsoluteError, MeanSquaredError, Metric, TopKAccuracy, get_metric
from .trainer import Trainer
from .transfer import LoadReport, freeze, load_pretrained, replace_head, trainable_parameters, unfreeze

__all__ = ["Trainer", "History", "Callback", "CallbackList", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "ProgressBar", "CSVLogger", "GradientMonitor", "Metric", "Accuracy",
           "TopKAccuracy", "MeanAbsoluteError", "MeanSquaredError", "F1Score", "get_metric", "metrics", "freeze",
           "unfreeze", "replace_head", "load_pretrained", "trainable_parameters", "LoadReport"]
