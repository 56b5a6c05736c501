"""Callbacks: code that ``Trainer.fit`` runs at fixed points of training (Keras's hooks).

Every hook receives a ``logs`` dict. Epoch logs hold ``loss``, each metric, their ``val_``
versions when there is validation data, and ``lr``; batch logs hold ``batch``, ``size`` and the
running ``loss`` and metrics of the epoch so far. Callbacks may add entries. A callback reaches
the trainer as ``self.trainer`` (``trainer.model``, ``trainer.optimizer``; set
``trainer.stop_training = True`` to end training after the current epoch).

Callbacks run in ascending ``order`` (stable): user callbacks (0) first, then the loggers
(``ProgressBar``, ``CSVLogger``, ``History``: 50-60) so that they see every entry, then
``ModelCheckpoint`` (100) so that a checkpoint holds every callback's updated state.

A callback with state that must survive a restart implements ``state_dict()`` /
``load_state_dict()``: ``Trainer.save_checkpoint`` stores it and ``Trainer.load_checkpoint``
restores it at the start of the next ``fit`` (after ``on_train_begin``).
"""
from __future__ import annotations

import csv
import inspect
import math
import os
import sys
import time
import warnings

from ..autograd.graph import no_grad
from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from ..serialization import save

__all__ = ["Callback", "CallbackList", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "ProgressBar",
           "CSVLogger", "GradientMonitor"]

_MAXIMISED = ("acc", "f1", "auc", "precision", "recall")


class Callback:
    """Base class: override the hooks you need (all are no-ops here)."""

    order: int = 0
    trainer = None

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs=None) -> None:
        pass

    def on_train_end(self, logs=None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        pass

    def on_batch_begin(self, batch: int, logs=None) -> None:
        pass

    def on_batch_end(self, batch: int, logs=None) -> None:
        pass

    def on_after_backward(self, batch: int, logs=None) -> None:
        """After ``loss.backward()``, before gradient clipping and ``optimizer.step()``."""

    def on_exception(self, exception: BaseException) -> None:
        """When ``fit`` is interrupted by an exception (release files, close displays)."""

    def state_dict(self) -> dict | None:
        """State to keep in a training checkpoint (None: nothing)."""
        return None

    def load_state_dict(self, state: dict) -> None:
        pass


class CallbackList:
    """Calls each hook on every callback, in ascending ``order``."""

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
              "on_after_backward")

    def __init__(self, callbacks, trainer):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback objects, got {type(cb).__name__}")
        self.callbacks = sorted(callbacks, key=lambda cb: cb.order)
        for cb in self.callbacks:
            cb.set_trainer(trainer)
        # Only the hooks some callback overrides are dispatched (the batch hooks run per batch).
        for hook in self._HOOKS:
            active = [getattr(cb, hook) for cb in self.callbacks
                      if getattr(type(cb), hook) is not getattr(Callback, hook)]
            setattr(self, hook, _dispatch(active))

    def __iter__(self):
        return iter(self.callbacks)


def _dispatch(methods):
    def call(*args):
        for m in methods:
            m(*args)
    call.active = bool(methods)
    return call


def state_key_map(callbacks) -> dict:
    """{key: callback} for the callbacks that keep state; keys are the class name and, from the
    second callback of a class on, its index among them (``EarlyStopping``, ``EarlyStopping_1``)."""
    out, seen = {}, {}
    for cb in callbacks:
        if type(cb).state_dict is Callback.state_dict:
            continue
        name = type(cb).__name__
        k = seen.get(name, 0)
        seen[name] = k + 1
        out[name if k == 0 else f"{name}_{k}"] = cb
    return out


def _monitored(logs: dict, monitor: str, who: str) -> float:
    if monitor not in logs:
        hint = ""
        if monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
            hint = " (there is no validation data: pass validation_split or validation_data to fit)"
        raise ValueError(f"{who}: monitor '{monitor}' is not in the logs{hint}; available keys: "
                         f"{', '.join(sorted(logs))}")
    return float(logs[monitor])


def _resolve_mode(mode: str, monitor: str, trainer, who: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    base = monitor.removeprefix("val_")
    for m in getattr(trainer, "metrics", ()):
        if m.name == base:
            return "max" if m.higher_is_better else "min"
    return "max" if any(s in base for s in _MAXIMISED) else "min"


class _Monitor:
    """The best value of a monitored quantity and the improvement test (shared by
    EarlyStopping and ModelCheckpoint)."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a non-empty log key, got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        self.monitor, self.mode, self.min_delta = monitor, mode, float(min_delta)
        self._resolved = None

    def resolve(self, trainer, who: str) -> None:
        self._resolved = _resolve_mode(self.mode, self.monitor, trainer, who)

    @property
    def worst(self) -> float:
        return math.inf if self._resolved == "min" else -math.inf

    def improves(self, value: float, reference: float) -> bool:
        if math.isnan(value):
            return False
        if self._resolved == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving (Keras's EarlyStopping).

    Args:
        monitor: the log key to watch (``"val_loss"``, ``"val_accuracy"``, ``"loss"``, ...).
        min_delta: an improvement must beat the best value by more than this.
        patience: epochs without improvement after which training stops.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the metric: max for accuracy/F1, min for
            losses and errors).
        baseline: training stops after ``patience`` epochs unless the value beats this.
        restore_best_weights: at the end of training, load the weights of the best epoch.
        start_from_epoch: epochs to wait before watching (warm-up).
        verbose: print a line when stopping and when restoring.

    After training, ``stopped_epoch`` is the (0-based) epoch at which it stopped (0 if it did
    not), ``best``/``best_epoch`` the best value and its epoch.

    Raises:
        ValueError: at the end of the first epoch, if ``monitor`` is not a logged key.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 baseline: float | None = None, restore_best_weights: bool = False, start_from_epoch: int = 0,
                 verbose: int = 0):
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative integer, got {patience!r}")
        self._mon = _Monitor(monitor, mode, min_delta)
        self.monitor, self.patience, self.baseline = monitor, patience, baseline
        self.restore_best_weights, self.start_from_epoch, self.verbose = restore_best_weights, start_from_epoch, verbose
        self._reset()

    def _reset(self) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.nan
        self.best_weights = None

    def on_train_begin(self, logs=None) -> None:
        self._mon.resolve(self.trainer, "EarlyStopping")
        self._reset()
        self.best = self._mon.worst

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        current = _monitored(logs or {}, self.monitor, "EarlyStopping")
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _copy_state(self.trainer.model)
        self.wait += 1
        if self._mon.improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.trainer.model)
            if self.baseline is None or self._mon.improves(current, float(self.baseline)):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping ({self.monitor} has not improved on "
                      f"{self.best:.6g} for {self.wait} epochs)")

    def on_train_end(self, logs=None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.best_weights = state.get("best_weights")


def _copy_state(model) -> dict:
    with no_grad():
        return {k: v.clone() for k, v in model.state_dict().items()}


class ModelCheckpoint(Callback):
    """Saves the training state at the end of epochs (atomically: temporary file + rename).

    Args:
        filepath: the file to write; may hold ``{epoch}`` (1-based) and log keys, formatted as
            in Keras: ``"ckpt/epoch{epoch:02d}-{val_loss:.3f}.safetensors"``.
        monitor: the log key compared when ``save_best_only``.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (as in EarlyStopping).
        save_weights_only: write only ``model.state_dict()`` (load it with
            ``model.load_state_dict(tensorforge.load(path))``) instead of the full training
            state (model, optimizer, schedulers and callbacks, epoch, RNG and shuffle state)
            that ``Trainer.load_checkpoint`` resumes from exactly.
        verbose: print a line per save.

    ``best`` is the best monitored value, ``last_saved`` the path of the last file written.

    Raises:
        ValueError: at the end of the first epoch, if ``save_best_only`` and ``monitor`` is not
        a logged key.
    """

    order = 100

    def __init__(self, filepath, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto",
                 save_weights_only: bool = False, verbose: int = 0):
        self.filepath = os.fspath(filepath)
        self._mon = _Monitor(monitor, mode)
        self.monitor, self.save_best_only, self.save_weights_only = monitor, save_best_only, save_weights_only
        self.verbose = verbose
        self.best = math.nan
        self.last_saved = None

    def on_train_begin(self, logs=None) -> None:
        self._mon.resolve(self.trainer, "ModelCheckpoint")
        self.best = self._mon.worst

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if not self._mon.improves(current, self.best):
                return
            previous, self.best = self.best, current
        path = self._format(epoch, logs)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            save(self.trainer.model.state_dict(), path)
        else:
            self.trainer.save_checkpoint(path)
        self.last_saved = path
        if self.verbose:
            why = f" ({self.monitor} improved from {previous:.6g} to {self.best:.6g})" if self.save_best_only else ""
            print(f"Epoch {epoch + 1}: saved {path}{why}")

    def _format(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise ValueError(f"ModelCheckpoint: filepath '{self.filepath}' names {e}, which is not in the logs; "
                             f"available keys: epoch, {', '.join(sorted(logs))}") from None

    def state_dict(self) -> dict:
        return {"best": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])


class LearningRateScheduler(Callback):
    """Changes the learning rate during training.

    Args:
        schedule: one of
            - a function ``schedule(epoch, lr) -> new_lr`` (or ``schedule(epoch)``), called at
              the start of every epoch (0-based) as in Keras; the result is set in every
              parameter group;
            - an ``optim.lr_scheduler`` object over the trainer's optimizer, stepped after every
              epoch (or every batch with ``interval="batch"``, e.g. for OneCycleLR);
            - a ``ReduceLROnPlateau``, stepped after every epoch with the value of ``monitor``.
        monitor: the log key ReduceLROnPlateau watches (default: ``"val_loss"`` when there is
            validation data, else ``"loss"``).
        interval: ``"epoch"`` or ``"batch"`` (scheduler objects only).
        verbose: print the learning rate when it changes.

    A scheduler object's state goes into training checkpoints and is restored on resume.

    Raises:
        TypeError: ``schedule`` is none of the above. ValueError: a scheduler over another
        optimizer than the trainer's, an unknown ``monitor``, or a schedule returning a
        negative or non-finite rate.
    """

    def __init__(self, schedule, monitor: str | None = None, interval: str = "epoch", verbose: int = 0):
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LearningRateScheduler: interval must be 'epoch' or 'batch', got {interval!r}")
        self.is_object = isinstance(schedule, (LRScheduler, ReduceLROnPlateau))
        if not self.is_object and not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be a function (epoch, lr) -> lr or an "
                            f"optim.lr_scheduler object, got {type(schedule).__name__}")
        if isinstance(schedule, ReduceLROnPlateau) and interval != "epoch":
            raise ValueError("LearningRateScheduler: ReduceLROnPlateau steps once per epoch (interval='epoch')")
        if not self.is_object and interval != "epoch":
            raise ValueError("LearningRateScheduler: a schedule function is applied per epoch (interval='epoch')")
        self.schedule, self.monitor, self.interval, self.verbose = schedule, monitor, interval, verbose
        self._takes_lr = not self.is_object and _arity(schedule) >= 2

    def on_train_begin(self, logs=None) -> None:
        if self.is_object and self.schedule.optimizer is not self.trainer.optimizer:
            raise ValueError("LearningRateScheduler: the scheduler was built over another optimizer than the "
                             "trainer's")

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if self.is_object:
            return
        groups = self.trainer.optimizer.param_groups
        lr = self.schedule(epoch, float(groups[0]["lr"])) if self._takes_lr else self.schedule(epoch)
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r}, not a number") from None
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"LearningRateScheduler: the schedule returned an invalid learning rate {lr}")
        self._set(groups, lr, epoch)

    def on_batch_end(self, batch: int, logs=None) -> None:
        if self.is_object and self.interval == "batch":
            self.schedule.step()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if not self.is_object or self.interval != "epoch":
            return
        before = float(self.trainer.optimizer.param_groups[0]["lr"])
        if isinstance(self.schedule, ReduceLROnPlateau):
            logs = logs or {}
            monitor = self.monitor or ("val_loss" if "val_loss" in logs else "loss")
            self.schedule.step(_monitored(logs, monitor, "LearningRateScheduler"))
        else:
            self.schedule.step()
        after = float(self.trainer.optimizer.param_groups[0]["lr"])
        if self.verbose and after != before:
            print(f"Epoch {epoch + 1}: learning rate {before:.6g} -> {after:.6g}")

    def _set(self, groups, lr: float, epoch: int) -> None:
        if self.verbose and lr != float(groups[0]["lr"]):
            print(f"Epoch {epoch + 1}: learning rate set to {lr:.6g}")
        for g in groups:
            g["lr"] = lr

    def state_dict(self) -> dict | None:
        return {"scheduler": self.schedule.state_dict()} if self.is_object else {}

    def load_state_dict(self, state: dict) -> None:
        if self.is_object and "scheduler" in state:
            self.schedule.load_state_dict(state["scheduler"])


def _arity(fn) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def _shown(logs: dict) -> dict:
    """The log entries a progress display shows: numbers, without per-layer breakdowns."""
    return {k: v for k, v in logs.items() if "/" not in k and k not in ("batch", "size")
            and isinstance(v, (int, float))}


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class ProgressBar(Callback):
    """Shows training progress: a tqdm bar per epoch with the running loss and metrics and an
    ETA in a terminal; otherwise (output redirected to a file or a pipe) one plain line per
    epoch and nothing per batch, so logs never fill with carriage returns.

    Args:
        mode: ``"auto"`` (a bar when ``file`` is a terminal, else lines), ``"bar"`` or ``"epoch"``
            (one line per epoch).
        file: where to write (default: ``sys.stdout`` at the start of training).

    ``Trainer.fit(verbose="auto")`` adds one unless the callbacks already hold one.
    """

    order = 50

    def __init__(self, mode: str = "auto", file=None):
        if mode not in ("auto", "bar", "epoch"):
            raise ValueError(f"ProgressBar: mode must be 'auto', 'bar' or 'epoch', got {mode!r}")
        self.mode, self.file = mode, file
        self._bar = None

    def on_train_begin(self, logs=None) -> None:
        self._out = self.file if self.file is not None else sys.stdout
        isatty = getattr(self._out, "isatty", None)
        self._use_bar = self.mode == "bar" or (self.mode == "auto" and bool(isatty and isatty()))
        if self._use_bar:
            try:
                from tqdm.auto import tqdm
            except ImportError as e:  # pragma: no cover - tqdm is a dependency
                raise ImportError("ProgressBar needs tqdm (pip install tqdm)") from e
            self._tqdm = tqdm

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._start = time.perf_counter()
        desc = f"Epoch {epoch + 1}/{self.trainer.epochs}"
        if self._use_bar:
            self._bar = self._tqdm(total=self.trainer.num_batches, desc=desc, unit="batch", file=self._out,
                                   leave=True, dynamic_ncols=True)

    def on_batch_end(self, batch: int, logs=None) -> None:
        if self._bar is not None:
            self._bar.set_postfix({k: _fmt(v) for k, v in _shown(logs or {}).items()}, refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        shown = _shown(logs or {})
        if self._bar is not None:
            self._bar.set_postfix({k: _fmt(v) for k, v in shown.items()}, refresh=False)
            self._bar.close()
            self._bar = None
            return
        parts = [f"Epoch {epoch + 1}/{self.trainer.epochs}", f"{time.perf_counter() - self._start:.2f}s"]
        parts += [f"{k}: {_fmt(v)}" for k, v in shown.items()]
        print(" - ".join(parts), file=self._out, flush=True)

    def on_train_end(self, logs=None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    on_exception = on_train_end


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file, one row per epoch (``epoch`` first, 0-based, then
    the keys of the first epoch, sorted; a key missing later is written as ``NA``).

    Args:
        filename: the CSV file. separator: the field separator.
        append: add rows to an existing file (its header is kept) instead of overwriting it.
    """

    order = 50

    def __init__(self, filename, separator: str = ",", append: bool = False):
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self._file = None
        self._keys = None

    def on_train_begin(self, logs=None) -> None:
        has_rows = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._keys = None
        if has_rows:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self._keys = header[1:] if header and header[0] == "epoch" else None
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.separator)
        self._need_header = not has_rows

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
        if self._need_header:
            self._writer.writerow(["epoch"] + self._keys)
            self._need_header = False
        self._writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self._keys])
        self._file.flush()

    def on_train_end(self, logs=None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    on_exception = on_train_end


def _csv_value(v):
    return repr(v) if isinstance(v, float) else v


class GradientMonitor(Callback):
    """Measures gradient norms after every backward pass and warns about vanishing or exploding
    gradients.

    Args:
        vanishing_threshold: warn when a layer's gradient norm is below this.
        exploding_threshold: warn when the global gradient norm is above this, or not finite.
        per_layer: also record each layer's norm (the parameters of one module together) as
            ``grad_norm/<layer name>``.
        every_n_batches: measure every n-th batch only.

    Batch logs get ``grad_norm`` (the global 2-norm over all gradients) and the per-layer
    norms; epoch logs get the mean of each over the measured batches. ``norms`` keeps every
    measurement as ``(epoch, batch, {name: norm})``. At most one warning of each kind per epoch.
    """

    def __init__(self, vanishing_threshold: float = 1e-7, exploding_threshold: float = 1e3, per_layer: bool = True,
                 every_n_batches: int = 1):
        if not (vanishing_threshold >= 0 and exploding_threshold > vanishing_threshold):
            raise ValueError("GradientMonitor: need 0 <= vanishing_threshold < exploding_threshold, got "
                             f"{vanishing_threshold} and {exploding_threshold}")
        if not isinstance(every_n_batches, int) or every_n_batches < 1:
            raise ValueError(f"GradientMonitor: every_n_batches must be a positive integer, got {every_n_batches!r}")
        self.vanishing_threshold, self.exploding_threshold = float(vanishing_threshold), float(exploding_threshold)
        self.per_layer, self.every_n_batches = per_layer, every_n_batches
        self.norms: list = []

    def on_train_begin(self, logs=None) -> None:
        self.norms = []
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch, self._sums, self._count = epoch, {}, 0
        self._warned = set()

    def on_after_backward(self, batch: int, logs=None) -> None:
        if batch % self.every_n_batches:
            return
        norms = self._measure()
        if not norms:
            return
        self.norms.append((self._epoch, batch, norms))
        self._count += 1
        for k, v in norms.items():
            self._sums[k] = self._sums.get(k, 0.0) + v
        if logs is not None:
            logs.update(norms if self.per_layer else {"grad_norm": norms["grad_norm"]})
        self._check(batch, norms)

    def _measure(self) -> dict:
        import numpy as np

        layers: dict = {}
        for name, p in self.trainer.model.named_parameters():
            if p.grad is None:
                continue
            g = p.grad.detach().numpy().reshape(-1)
            layer = name.rsplit(".", 1)[0] if "." in name else name
            layers[layer] = layers.get(layer, 0.0) + float(np.dot(g, g))
        if not layers:
            return {}
        out = {"grad_norm": math.sqrt(sum(layers.values()))}
        out.update({f"grad_norm/{k}": math.sqrt(v) for k, v in layers.items()})
        return out

    def _check(self, batch: int, norms: dict) -> None:
        total = norms["grad_norm"]
        where = f"epoch {self._epoch + 1}, batch {batch}"
        if "exploding" not in self._warned and (not math.isfinite(total) or total > self.exploding_threshold):
            self._warned.add("exploding")
            worst = sorted(((v, k[10:]) for k, v in norms.items() if k != "grad_norm"),
                           key=lambda t: -t[0] if math.isfinite(t[0]) else -math.inf)[:3]
            warnings.warn(f"GradientMonitor: exploding gradients at {where}: global norm {total:.3g} "
                          f"(threshold {self.exploding_threshold:g}); largest layers: "
                          + ", ".join(f"{k} {v:.3g}" for v, k in worst), RuntimeWarning, stacklevel=2)
        small = [(k[10:], v) for k, v in norms.items() if k != "grad_norm" and v < self.vanishing_threshold]
        if "vanishing" not in self._warned and small:
            self._warned.add("vanishing")
            warnings.warn(f"GradientMonitor: vanishing gradients at {where}: "
                          + ", ".join(f"{k} {v:.3g}" for k, v in small[:5])
                          + f" below {self.vanishing_threshold:g}", RuntimeWarning, stacklevel=2)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is None or not self._count:
            return
        keys = self._sums if self.per_layer else ("grad_norm",)
        logs.update({k: self._sums[k] / self._count for k in keys})
