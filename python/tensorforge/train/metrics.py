"""Streaming metrics for ``Trainer``: each one accumulates over a whole epoch and computes once.

A metric has a ``name`` (its key in the logs; ``val_`` is prefixed for validation), ``reset()``,
``update(output, target)`` for every batch and ``compute() -> float``. Outputs are the model's
raw outputs: class scores ``(N, C)`` for multiclass problems, or one value per sample ``(N,)`` /
``(N, 1)`` for binary problems and regression. Targets are class indices ``(N,)``, one-hot or
probability rows ``(N, C)``, or values shaped like the output.

By name: ``"accuracy"`` (``"acc"``), ``"top_k_accuracy"`` with k in the name
(``"top_5_accuracy"``), ``"mae"``, ``"mse"``, ``"f1"`` (macro average).

Example:
    >>> trainer = Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy", TopKAccuracy(3), "f1"])
"""
from __future__ import annotations

import re

import numpy as np

from ..tensor import Tensor

__all__ = ["Metric", "Accuracy", "TopKAccuracy", "MeanAbsoluteError", "MeanSquaredError", "F1Score", "get_metric"]


def _as_numpy(t) -> np.ndarray:
    if isinstance(t, Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def _class_scores(output: np.ndarray) -> bool:
    """True when output rows are per-class scores (N, C) with C > 1."""
    return output.ndim >= 2 and output.shape[-1] > 1


def _labels(output: np.ndarray, target: np.ndarray, threshold: float) -> tuple:
    """(predicted labels, true labels) as int64 vectors."""
    if _class_scores(output):
        pred = output.reshape(-1, output.shape[-1]).argmax(1)
        if target.ndim == output.ndim and target.shape[-1] == output.shape[-1]:
            true = target.reshape(-1, target.shape[-1]).argmax(1)  # one-hot or probabilities
        else:
            true = target.reshape(-1)
    else:
        pred = (output.reshape(-1) > threshold)
        true = target.reshape(-1)
        if true.dtype.kind == "f":
            true = true > 0.5
    if pred.shape != true.shape:
        raise ValueError(f"[metrics] {pred.shape[0]} predictions but {true.shape[0]} targets (output shape "
                         f"{list(output.shape)}, target shape {list(target.shape)})")
    return pred.astype(np.int64), true.astype(np.int64)


class Metric:
    """Base class: subclasses set ``name`` and implement ``reset``, ``update`` and ``compute``.

    ``higher_is_better`` tells ``EarlyStopping``/``ModelCheckpoint`` in mode ``"auto"`` (and the
    tuner) which way is better.
    """

    name: str = "metric"
    higher_is_better: bool = True

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output, target) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError

    def __call__(self, output, target) -> float:
        """The metric of one batch on its own (the running state is left untouched)."""
        saved = dict(self.__dict__)
        self.reset()
        self.update(output, target)
        value = self.compute()
        self.__dict__.update(saved)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class _CountingMetric(Metric):
    """Keeps a running sum and count; the value is sum / count (nan before any update)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self._sum, self._count = 0.0, 0

    def compute(self) -> float:
        return self._sum / self._count if self._count else float("nan")


class Accuracy(_CountingMetric):
    """Fraction of correct predictions: argmax of class scores, or ``output > threshold`` for
    one value per sample (use ``threshold=0.0`` when the outputs are logits)."""

    name = "accuracy"

    def __init__(self, threshold: float = 0.5):
        self.threshold = float(threshold)
        super().__init__()

    def update(self, output, target) -> None:
        pred, true = _labels(_as_numpy(output), _as_numpy(target), self.threshold)
        self._sum += float(np.count_nonzero(pred == true))
        self._count += pred.shape[0]


class TopKAccuracy(_CountingMetric):
    """Fraction of samples whose true class is among the k highest scores (ties broken
    towards the lower class index)."""

    def __init__(self, k: int = 5):
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"TopKAccuracy: k must be a positive integer, got {k!r}")
        self.k = k
        self.name = f"top_{k}_accuracy"
        super().__init__()

    def update(self, output, target) -> None:
        out, tgt = _as_numpy(output), _as_numpy(target)
        if not _class_scores(out):
            raise ValueError(f"[{self.name}] needs class scores of shape (N, C), got output shape {list(out.shape)}")
        out = out.reshape(-1, out.shape[-1])
        true = _labels(out, tgt, 0.5)[1]
        k = min(self.k, out.shape[1])
        # Rank of the true class: the number of classes scoring strictly higher (or equal, at a lower index).
        true_score = out[np.arange(out.shape[0]), true][:, None]
        cols = np.arange(out.shape[1])[None, :]
        rank = np.count_nonzero((out > true_score) | ((out == true_score) & (cols < true[:, None])), axis=1)
        self._sum += float(np.count_nonzero(rank < k))
        self._count += out.shape[0]


class _PointwiseError(_CountingMetric):
    higher_is_better = False

    def _errors(self, output, target) -> np.ndarray:
        out, tgt = _as_numpy(output).astype(np.float64), _as_numpy(target).astype(np.float64)
        if out.shape != tgt.shape:
            if out.size != tgt.size:
                raise ValueError(f"[{self.name}] output shape {list(out.shape)} and target shape {list(tgt.shape)} "
                                 "hold different numbers of values")
            tgt = tgt.reshape(out.shape)
        return out - tgt

    def update(self, output, target) -> None:
        err = self._errors(output, target)
        self._sum += float(self._reduce(err))
        self._count += err.size


class MeanAbsoluteError(_PointwiseError):
    """Mean of |output - target| over every element."""

    name = "mae"

    @staticmethod
    def _reduce(err: np.ndarray) -> float:
        return np.abs(err).sum()


class MeanSquaredError(_PointwiseError):
    """Mean of (output - target)^2 over every element."""

    name = "mse"

    @staticmethod
    def _reduce(err: np.ndarray) -> float:
        return np.square(err).sum()


class F1Score(Metric):
    """F1 score from the confusion counts of the whole epoch (not a mean of batch scores).

    Args:
        average: ``"macro"`` (default: the unweighted mean over the classes that occur in the
            targets or predictions, as scikit-learn's ``f1_score(average="macro")``),
            ``"micro"`` (from the pooled counts), or ``"binary"`` (class ``pos_label`` only).
        threshold: for one output per sample, a sample is predicted positive when
            ``output > threshold`` (0.0 for logits).
        pos_label: the positive class for ``average="binary"``.
    """

    name = "f1"

    def __init__(self, average: str = "macro", threshold: float = 0.5, pos_label: int = 1):
        if average not in ("macro", "micro", "binary"):
            raise ValueError(f"F1Score: average must be 'macro', 'micro' or 'binary', got {average!r}")
        self.average, self.threshold, self.pos_label = average, float(threshold), int(pos_label)
        self.reset()

    def reset(self) -> None:
        self._tp, self._fp, self._fn = (np.zeros(0, dtype=np.int64) for _ in range(3))

    def _grow(self, n: int) -> None:
        if n > self._tp.shape[0]:
            pad = n - self._tp.shape[0]
            self._tp, self._fp, self._fn = (np.pad(a, (0, pad)) for a in (self._tp, self._fp, self._fn))

    def update(self, output, target) -> None:
        pred, true = _labels(_as_numpy(output), _as_numpy(target), self.threshold)
        if pred.size == 0:
            return
        if min(pred.min(), true.min()) < 0:
            raise ValueError(f"[{self.name}] class labels must be non-negative")
        n = int(max(pred.max(), true.max(), self.pos_label)) + 1
        self._grow(n)
        hit = pred == true
        self._tp += np.bincount(true[hit], minlength=self._tp.shape[0])
        self._fp += np.bincount(pred[~hit], minlength=self._tp.shape[0])
        self._fn += np.bincount(true[~hit], minlength=self._tp.shape[0])

    def compute(self) -> float:
        tp, fp, fn = self._tp, self._fp, self._fn
        if tp.size == 0:
            return float("nan")
        if self.average == "micro":
            tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)
        elif self.average == "binary":
            c = self.pos_label
            tp, fp, fn = tp[c:c + 1], fp[c:c + 1], fn[c:c + 1]
        else:
            seen = (tp + fp + fn) > 0
            tp, fp, fn = tp[seen], fp[seen], fn[seen]
        denom = 2 * tp + fp + fn
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
        return float(f1.mean())


_BY_NAME = {"accuracy": Accuracy, "acc": Accuracy, "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
            "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError, "f1": F1Score, "f1_score": F1Score}
_TOP_K = re.compile(r"^top_(\d+)_(?:categorical_)?accuracy$")


def get_metric(metric) -> Metric:
    """A ``Metric`` from a name (see the module docstring) or a ``Metric`` object (returned as is).

    Raises:
        ValueError: an unknown name. TypeError: neither a string nor a Metric.
    """
    if isinstance(metric, Metric):
        return metric
    if not isinstance(metric, str):
        raise TypeError(f"metrics must be names or Metric objects, got {type(metric).__name__}")
    key = metric.lower()
    if key in _BY_NAME:
        return _BY_NAME[key]()
    m = _TOP_K.match(key)
    if m:
        return TopKAccuracy(int(m.group(1)))
    raise ValueError(f"unknown metric {metric!r}; known names: {', '.join(sorted(_BY_NAME))}, top_<k>_accuracy")
