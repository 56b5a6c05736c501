"""``Trainer``: fit / evaluate / predict over tensorforge models, with callbacks and metrics."""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Callable, Iterable

import numpy as np

from ..autograd import ops as O
from ..autograd.graph import no_grad
from ..nn.module import Module
from ..nn.utils import clip_grad_norm_, clip_grad_value_
from ..optim.optimizer import Optimizer
from ..serialization import load, save
from ..tensor import Generator, Tensor, _default_generator, from_numpy, get_rng_state, set_rng_state, zeros
from ..utils.data import DataLoader, Dataset, IterableDataset, Subset, TensorDataset
from .callbacks import Callback, CallbackList, LearningRateScheduler, ProgressBar, state_key_map
from .history import History
from .metrics import Metric, get_metric

__all__ = ["Trainer"]

CHECKPOINT_FORMAT = "tensorforge.train.Trainer"
_VERBOSE = ("auto", 0, 1, 2)


class Trainer:
    """Trains a model the Keras way: ``fit`` runs epochs over the data with validation,
    metrics and callbacks; ``evaluate`` and ``predict`` run the model without gradients.

    Args:
        model: the ``nn.Module`` to train; it is called as ``model(*inputs)``.
        loss_fn: ``loss_fn(output, target) -> scalar tensor``, the mean over the batch (e.g.
            ``nn.CrossEntropyLoss()``).
        optimizer: an ``optim.Optimizer`` over the model's trainable parameters.
        metrics: names (``"accuracy"``, ``"top_5_accuracy"``, ``"mae"``, ``"mse"``, ``"f1"``)
            or ``train.metrics.Metric`` objects, computed over each whole epoch.
        callbacks: ``Callback`` objects used by every ``fit`` (``fit(callbacks=...)`` adds more
            for one call).
        scheduler: an ``optim.lr_scheduler`` object stepped after every epoch
            (``ReduceLROnPlateau`` with ``val_loss``, or ``loss`` without validation data); for
            per-batch steps or a schedule function use ``LearningRateScheduler``.
        l1, l2: penalties ``l1 * sum|w|`` and ``l2 * sum w^2`` added to the loss over the
            weights (trainable parameters of 2 or more dims: Linear/Conv/RNN weight matrices and
            kernels, not biases or norm scales). Unlike the optimizer's ``weight_decay`` they are
            part of the objective; their value is logged as ``reg_loss``.
        grad_clip_norm: clip the joint 2-norm of the gradients to this (``nn.utils.clip_grad_norm_``).
        grad_clip_value: clip every gradient element into ``[-v, v]`` (``clip_grad_value_``).
        device: move the model and each batch there (default: leave them where they are).
        generator: the ``tensorforge.Generator`` that shuffles the training data (default: a
            new one seeded from the global ``tensorforge.Generator``, so ``tensorforge.manual_seed``
            makes training reproducible without moving the stream that rand/dropout draw from).

    Logged ``loss``/``val_loss`` are the data loss (``loss_fn``), averaged over the samples
    of the epoch.

    Example:
        >>> tf.manual_seed(0)
        >>> trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), 1e-3),
        ...                   metrics=["accuracy"], callbacks=[EarlyStopping(patience=3)])
        >>> history = trainer.fit((x, y), epochs=20, batch_size=64, validation_split=0.2)
        >>> history.history["val_accuracy"][-1], trainer.evaluate((x_test, y_test))["accuracy"]
    """

    def __init__(self, model: Module, loss_fn: Callable, optimizer: Optimizer, metrics: Iterable | None = None,
                 callbacks: Iterable[Callback] | None = None, scheduler=None, l1: float = 0.0, l2: float = 0.0,
                 grad_clip_norm: float | None = None, grad_clip_value: float | None = None, device=None,
                 generator: Generator | None = None):
        if not isinstance(model, Module):
            raise TypeError(f"Trainer: model must be an nn.Module, got {type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be callable, got {type(loss_fn).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Trainer: optimizer must be an optim.Optimizer, got {type(optimizer).__name__}")
        for name, v in (("l1", l1), ("l2", l2)):
            if not (isinstance(v, numbers.Real) and math.isfinite(v) and v >= 0):
                raise ValueError(f"Trainer: {name} must be a finite number >= 0, got {v!r}")
        for name, v in (("grad_clip_norm", grad_clip_norm), ("grad_clip_value", grad_clip_value)):
            if v is not None and not (isinstance(v, numbers.Real) and v > 0):
                raise ValueError(f"Trainer: {name} must be a positive number or None, got {v!r}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"Trainer: generator must be a tensorforge.Generator, got {type(generator).__name__}")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metrics: list[Metric] = [get_metric(m) for m in (metrics or [])]
        names = [m.name for m in self.metrics]
        dupes = sorted({n for n in names if names.count(n) > 1} | ({"loss", "lr", "reg_loss"} & set(names)))
        if dupes:
            raise ValueError(f"Trainer: metric names must be unique and not loss/lr/reg_loss, got {names}")
        self.callbacks: list[Callback] = list(callbacks or [])
        if scheduler is not None:
            self.callbacks.append(LearningRateScheduler(scheduler))
        self.l1, self.l2 = float(l1), float(l2)
        self.grad_clip_norm, self.grad_clip_value = grad_clip_norm, grad_clip_value
        self.device = device
        if device is not None:
            self.model.to(device)
        if generator is None:  # drawn from the global Python-side generator: the tensor stream is untouched
            generator = Generator().manual_seed(int(_default_generator._rng.integers(2 ** 62)))
        self.generator = generator
        self.stop_training = False
        self.epoch = 0          # epochs completed (what fit(initial_epoch=...) resumes from)
        self.epochs = None      # the current fit's total epochs
        self.num_batches = None  # batches per training epoch (None when unknown)
        self.history: History | None = None
        self._active: list = []
        self._pending_states: dict | None = None

    # ---- fit ------------------------------------------------------------------------------
    def fit(self, train_data, epochs: int = 1, batch_size: int | None = None, shuffle: bool = True,
            validation_split: float | None = None, validation_data=None, initial_epoch: int = 0,
            verbose="auto", callbacks: Iterable[Callback] | None = None, drop_last: bool = False) -> History:
        """Trains for ``epochs - initial_epoch`` epochs.

        Args:
            train_data: ``(x, y)`` tensors or numpy arrays (``(x1, x2, ..., y)`` for several
                inputs), a map-style ``Dataset`` of ``(inputs..., target)`` samples, or a
                ``DataLoader`` (which then sets batching and shuffling). float64 numpy arrays
                become float32 tensors, as in Keras.
            epochs: the index of the last epoch + 1 (as in Keras: with ``initial_epoch=3,
                epochs=10`` it trains epochs 3..9).
            batch_size: samples per batch (default 32); not with a DataLoader.
            shuffle: reshuffle the training data every epoch (from ``self.generator``).
            validation_split: a fraction in (0, 1): the LAST part of the data, taken before any
                shuffling, is held out for validation (Keras's rule); not with a DataLoader.
            validation_data: validation data in any form ``train_data`` takes.
            initial_epoch: the epoch to start at, e.g. the value ``load_checkpoint`` returns.
            verbose: ``"auto"``/1 (a ProgressBar: a bar in a terminal, one line per epoch
                otherwise), 2 (one line per epoch), 0 (silent).
            callbacks: more callbacks for this call only.
            drop_last: drop the last incomplete training batch.

        Returns:
            The ``History`` of this call (also kept as ``self.history``).

        Raises:
            ValueError: epochs < 1, initial_epoch outside [0, epochs], a bad batch_size,
                validation_split outside (0, 1) or with validation_data or a DataLoader,
                x and y of different lengths, empty data; at the end of the first epoch, a
                callback monitoring a key that is not logged.
            TypeError: data of an unsupported type.
        """
        if isinstance(epochs, (Tensor, np.ndarray)):
            raise TypeError("Trainer.fit takes the training data as one argument: fit((x, y), epochs=...)")
        _check_int("epochs", epochs, 1)
        _check_int("initial_epoch", initial_epoch, 0)
        if initial_epoch > epochs:
            raise ValueError(f"Trainer.fit: initial_epoch ({initial_epoch}) is past epochs ({epochs})")
        if verbose is True or verbose is False:
            verbose = int(verbose)
        if verbose not in _VERBOSE:
            raise ValueError(f"Trainer.fit: verbose must be one of {_VERBOSE}, got {verbose!r}")
        if validation_split is not None and validation_data is not None:
            raise ValueError("Trainer.fit: pass validation_split or validation_data, not both")
        if validation_split is not None and not (isinstance(validation_split, numbers.Real)
                                                 and 0.0 < validation_split < 1.0):
            raise ValueError(f"Trainer.fit: validation_split must be a fraction in (0, 1), got {validation_split!r}")
        train_loader, val_loader = self._fit_loaders(train_data, batch_size, shuffle, validation_split,
                                                     validation_data, drop_last)

        extra = list(callbacks or [])
        history = History()
        all_cbs = self.callbacks + extra
        if verbose != 0 and not any(isinstance(cb, ProgressBar) for cb in all_cbs):
            all_cbs.append(ProgressBar("epoch" if verbose == 2 else "auto"))
        cbs = CallbackList(all_cbs + [history], self)
        self._active = cbs.callbacks
        self.history = history
        self.stop_training = False
        self.epochs = epochs
        try:
            self.num_batches = len(train_loader)
        except TypeError:
            self.num_batches = None
        self._weights = [p for p in self.model.parameters() if p.requires_grad and p.ndim >= 2]
        self._params = [p for p in self.model.parameters() if p.requires_grad]

        logs: dict = {}
        try:
            cbs.on_train_begin({"initial_epoch": initial_epoch, "epochs": epochs})
            self._restore_callback_states()
            for epoch in range(initial_epoch, epochs):
                logs = {}
                cbs.on_epoch_begin(epoch, logs)
                lr = self.optimizer.param_groups[0]["lr"]
                logs.update(self._train_epoch(train_loader, cbs))
                if val_loader is not None:
                    logs.update({"val_" + k: v for k, v in self._run_eval(val_loader, "validation").items()})
                logs["lr"] = float(lr)
                self.epoch = epoch + 1
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            cbs.on_train_end(logs)
        except BaseException as exc:
            for cb in cbs:
                cb.on_exception(exc)
            raise
        finally:
            self._active = []
        return history

    def _train_epoch(self, loader, cbs: CallbackList) -> dict:
        self.model.train()
        for m in self.metrics:
            m.reset()
        total = reg_total = 0.0
        count = 0
        batch_logs_needed = cbs.on_batch_end.active
        for i, batch in enumerate(loader):
            inputs, target = self._split(batch, "training")
            n = _batch_len(target)
            logs = {"batch": i, "size": n}
            cbs.on_batch_begin(i, logs)
            out = self.model(*inputs)
            loss = self.loss_fn(out, target)
            objective = loss
            if self.l1 or self.l2:
                reg = self._penalty()
                objective = loss + reg
                reg_total += float(reg) * n
            self.optimizer.zero_grad()
            objective.backward()
            cbs.on_after_backward(i, logs)
            if self.grad_clip_value is not None:
                clip_grad_value_(self._params, self.grad_clip_value)
            if self.grad_clip_norm is not None:
                clip_grad_norm_(self._params, self.grad_clip_norm)
            self.optimizer.step()
            total += float(loss) * n
            count += n
            out = _detach(out)
            for m in self.metrics:
                m.update(out, target)
            if batch_logs_needed:
                logs["loss"] = total / count
                logs.update({m.name: m.compute() for m in self.metrics})
                cbs.on_batch_end(i, logs)
            if self.stop_training:
                break
        if count == 0:
            raise ValueError("Trainer.fit: the training data yielded no batches")
        logs = {"loss": total / count}
        logs.update({m.name: m.compute() for m in self.metrics})
        if self.l1 or self.l2:
            logs["reg_loss"] = reg_total / count
        return logs

    def _penalty(self) -> Tensor:
        reg = None
        for w in self._weights:
            if self.l1:
                term = O.sum(O.abs(w)) * self.l1
                reg = term if reg is None else reg + term
            if self.l2:
                term = O.sum(w * w) * self.l2
                reg = term if reg is None else reg + term
        return reg if reg is not None else zeros(())

    # ---- evaluate / predict ---------------------------------------------------------------
    def evaluate(self, data, batch_size: int | None = None) -> dict:
        """The loss and metrics over ``data`` (any form ``fit`` takes), without gradients and
        with the model in eval mode: ``{"loss": ..., "accuracy": ...}``."""
        loader = self._loader(data, batch_size, shuffle=False, what="evaluate data")
        return self._run_eval(loader, "evaluate")

    def _run_eval(self, loader, what: str) -> dict:
        was_training = self.model.training
        self.model.eval()
        for m in self.metrics:
            m.reset()
        total, count = 0.0, 0
        try:
            with no_grad():
                for batch in loader:
                    inputs, target = self._split(batch, what)
                    out = self.model(*inputs)
                    n = _batch_len(target)
                    total += float(self.loss_fn(out, target)) * n
                    count += n
                    out = _detach(out)
                    for m in self.metrics:
                        m.update(out, target)
        finally:
            self.model.train(was_training)
        if count == 0:
            raise ValueError(f"Trainer: the {what} data yielded no batches")
        logs = {"loss": total / count}
        logs.update({m.name: m.compute() for m in self.metrics})
        return logs

    def predict(self, x, batch_size: int | None = None):
        """The model's outputs for ``x``, batch by batch in eval mode without gradients,
        concatenated along dim 0.

        Args:
            x: a tensor or array of inputs; a tuple of them for a model with several inputs; a
                Dataset or DataLoader (a sample/batch of 2+ elements is ``(inputs..., target)``
                and its target is ignored, as in Keras).
            batch_size: samples per batch (default 32).

        Returns:
            A tensor (a tuple of tensors when the model returns a tuple).
        """
        if isinstance(x, (Tensor, np.ndarray)):
            x = (x,)
        if isinstance(x, (tuple, list)):
            tensors = _tensors(x, "predict")
            loader = DataLoader(TensorDataset(*tensors), batch_size=_batch_size(batch_size))
            split = False
        else:
            loader = self._loader(x, batch_size, shuffle=False, what="predict data")
            split = True
        was_training = self.model.training
        self.model.eval()
        outs = []
        try:
            with no_grad():
                for batch in loader:
                    batch = self._move(batch)
                    if isinstance(batch, Tensor):
                        inputs = [batch]
                    elif split and len(batch) >= 2:
                        inputs = list(batch[:-1])
                    else:
                        inputs = list(batch)
                    outs.append(self.model(*inputs))
        finally:
            self.model.train(was_training)
        if not outs:
            raise ValueError("Trainer.predict: the data is empty")
        if isinstance(outs[0], (tuple, list)):
            return tuple(O.cat([o[i] for o in outs], 0) for i in range(len(outs[0])))
        return O.cat(outs, 0)

    # ---- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to resume training exactly: the epoch count, the model, optimizer
        and stateful callbacks (schedulers, early stopping, checkpoint bests), the global RNG
        state (dropout) and the shuffling generator's state."""
        callbacks = self._active or sorted(self.callbacks, key=lambda cb: cb.order)
        return {"format": CHECKPOINT_FORMAT, "version": 1, "epoch": self.epoch,
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "callbacks": {k: cb.state_dict() for k, cb in state_key_map(callbacks).items()},
                "rng_state": get_rng_state(), "generator_state": self.generator.get_state()}

    def save_checkpoint(self, path) -> None:
        """Writes ``state_dict()`` to ``path`` (a safetensors file, written atomically)."""
        save(self.state_dict(), path)

    def load_checkpoint(self, path, strict: bool = True) -> int:
        """Restores a checkpoint written by ``save_checkpoint``/``ModelCheckpoint``: the model,
        optimizer, RNG and shuffle states now, the callbacks' states at the start of the next
        ``fit``. Returns the number of completed epochs: resume with
        ``fit(..., initial_epoch=trainer.load_checkpoint(path))``.

        Raises:
            ValueError: the file is not a Trainer checkpoint (e.g. a weights-only file).
        """
        ckpt = load(path)
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"Trainer.load_checkpoint: '{path}' is not a Trainer checkpoint (a weights-only file "
                             "loads with model.load_state_dict(tensorforge.load(path)))")
        self.model.load_state_dict(ckpt["model"], strict=strict)
        self.optimizer.load_state_dict(ckpt["optimizer"])
        set_rng_state(ckpt["rng_state"])
        self.generator.set_state(ckpt["generator_state"])
        self._pending_states = dict(ckpt["callbacks"])
        self.epoch = int(ckpt["epoch"])
        return self.epoch

    def _restore_callback_states(self) -> None:
        states, self._pending_states = self._pending_states, None
        if not states:
            return
        by_key = state_key_map(self._active)
        for key, state in states.items():
            if key in by_key:
                by_key[key].load_state_dict(state)
            else:
                warnings.warn(f"Trainer.load_checkpoint: the checkpoint holds the state of a callback '{key}' that "
                              "this fit does not use; it is ignored", RuntimeWarning, stacklevel=3)

    # ---- data -----------------------------------------------------------------------------
    def _fit_loaders(self, train_data, batch_size, shuffle, validation_split, validation_data, drop_last):
        if validation_split is not None:
            if isinstance(train_data, DataLoader):
                raise ValueError("Trainer.fit: validation_split needs (x, y) data or a Dataset, not a DataLoader; "
                                 "pass validation_data instead")
            dataset = self._dataset(train_data, "training data")
            n = _dataset_len(dataset, "training data")
            split_at = int(math.floor(n * (1.0 - validation_split)))
            if split_at == 0 or split_at == n:
                raise ValueError(f"Trainer.fit: validation_split={validation_split} of {n} samples leaves "
                                 f"{split_at} for training and {n - split_at} for validation; both must be non-empty")
            train_data, validation_data = _split_dataset(dataset, split_at, n)
        train_loader = self._loader(train_data, batch_size, shuffle, "training data", drop_last)
        val_loader = None
        if validation_data is not None:
            val_loader = self._loader(validation_data, batch_size, False, "validation data")
        return train_loader, val_loader

    def _dataset(self, data, what: str):
        if isinstance(data, Dataset):
            return data
        if isinstance(data, (tuple, list)):
            tensors = _tensors(data, what)
            if len(tensors) < 2:
                raise ValueError(f"Trainer: {what} must be (inputs..., target), got a sequence of {len(tensors)}")
            return TensorDataset(*tensors)
        raise TypeError(f"Trainer: {what} must be (x, y) tensors or arrays, a Dataset or a DataLoader, got "
                        f"{type(data).__name__}")

    def _loader(self, data, batch_size, shuffle: bool, what: str, drop_last: bool = False):
        if isinstance(data, DataLoader):
            if batch_size is not None:
                raise ValueError(f"Trainer: batch_size is set by the DataLoader given as {what}; leave it None")
            try:
                if len(data) == 0:
                    raise ValueError(f"Trainer: the {what} is empty")
            except TypeError:
                pass
            return data
        dataset = self._dataset(data, what)
        if isinstance(dataset, IterableDataset):
            return DataLoader(dataset, batch_size=_batch_size(batch_size), drop_last=drop_last)
        _dataset_len(dataset, what)
        return DataLoader(dataset, batch_size=_batch_size(batch_size), shuffle=shuffle, drop_last=drop_last,
                          generator=self.generator if shuffle else None)

    def _split(self, batch, what: str):
        batch = self._move(batch)
        if isinstance(batch, (tuple, list)) and len(batch) >= 2:
            return list(batch[:-1]), batch[-1]
        raise ValueError(f"Trainer: each {what} batch must be (inputs..., target); got "
                         + (f"a sequence of {len(batch)}" if isinstance(batch, (tuple, list)) else type(batch).__name__))

    def _move(self, batch):
        if self.device is None:
            return batch
        if isinstance(batch, Tensor):
            return batch.to(self.device)
        if isinstance(batch, (tuple, list)):
            return [b.to(self.device) if isinstance(b, Tensor) else b for b in batch]
        return batch


def _check_int(name: str, value, minimum: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"Trainer.fit: {name} must be an integer >= {minimum}, got {value!r}")


def _batch_size(batch_size) -> int:
    if batch_size is None:
        return 32
    if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"Trainer: batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _tensors(data, what: str) -> list:
    out = []
    for a in data:
        if isinstance(a, Tensor):
            t = a
        elif isinstance(a, (np.ndarray, list)):
            arr = np.asarray(a)
            if arr.dtype == np.float64:
                arr = arr.astype(np.float32)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
            elif arr.dtype.kind not in "fb":
                raise TypeError(f"Trainer: {what} arrays must be numeric, got dtype {arr.dtype}")
            t = from_numpy(np.ascontiguousarray(arr))
        else:
            raise TypeError(f"Trainer: {what} must hold tensors or numpy arrays, got {type(a).__name__}")
        if t.ndim == 0:
            raise ValueError(f"Trainer: {what} must have a batch dimension, got a 0-dim tensor")
        out.append(t)
    lengths = [t.shape[0] for t in out]
    if len(set(lengths)) > 1:
        names = ["x", "y"] if len(out) == 2 else [f"#{i}" for i in range(len(out))]
        raise ValueError(f"Trainer: {what}: " + " and ".join(names) + " have different lengths ("
                         + ", ".join(map(str, lengths)) + " samples)")
    if lengths and lengths[0] == 0:
        raise ValueError(f"Trainer: the {what} is empty (0 samples)")
    return out


def _dataset_len(dataset, what: str) -> int:
    try:
        n = len(dataset)
    except TypeError:
        raise TypeError(f"Trainer: the {what} Dataset must implement __len__") from None
    if n == 0:
        raise ValueError(f"Trainer: the {what} is empty (0 samples)")
    return n


def _split_dataset(dataset, split_at: int, n: int):
    if type(dataset) is TensorDataset:
        return (tuple(t[:split_at] for t in dataset.tensors), tuple(t[split_at:] for t in dataset.tensors))
    return Subset(dataset, range(split_at)), Subset(dataset, range(split_at, n))


def _batch_len(target) -> int:
    if isinstance(target, Tensor):
        return target.shape[0] if target.ndim else 1
    try:
        return len(target)
    except TypeError:
        return 1


def _detach(out):
    if isinstance(out, Tensor):
        return out.detach()
    if isinstance(out, (tuple, list)):
        return type(out)(_detach(o) for o in out)
    return out
