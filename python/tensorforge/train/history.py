"""``History``: the per-epoch logs of one ``fit`` call, and their plot."""
from __future__ import annotations

import math
import os

from .callbacks import Callback

__all__ = ["History"]

# Keys logged every epoch that are not curves worth a panel of their own by default.
_NOT_PLOTTED_PREFIXES = ("lr", "grad_norm")


class History(Callback):
    """Records the epoch logs, as Keras does: ``history[key]`` is the list of per-epoch values
    (``loss``, each metric, and ``val_`` versions when there is validation data), ``epoch`` the
    list of epoch indices (0-based; they start at ``initial_epoch`` when resuming).

    ``Trainer.fit`` returns one, and keeps the last one as ``trainer.history``.
    """

    order = 60  # after the callbacks that add entries to the logs

    def __init__(self):
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None) -> None:
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, [math.nan] * (len(self.epoch) - 1)).append(v)
        for k, vals in self.history.items():
            if len(vals) < len(self.epoch):
                vals.append(math.nan)

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def plot(self, path=None, keys=None, title: str | None = None):
        """Draws one panel per quantity (``loss`` and each metric) with its training curve and,
        when present, its validation curve (``val_<key>``) against the epoch (1-based).

        Args:
            path: where to write the figure as a PNG (None: only return the figure).
            keys: the quantities to draw (default: every logged key except the validation
                twins, the learning rate and gradient norms).
            title: a title over the panels.

        Returns:
            The ``matplotlib.figure.Figure`` (drawn with the Agg canvas; pyplot and the
            global backend are left alone).

        Raises:
            ImportError: matplotlib is not installed. ValueError: no epochs recorded, or an
            unknown key.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as e:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib "
                              "(or tensorforge[examples])") from e
        if not self.epoch:
            raise ValueError("History.plot: no epochs recorded")
        if keys is None:
            keys = [k for k in self.history if not k.startswith("val_") and not k.startswith(_NOT_PLOTTED_PREFIXES)]
            keys += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in self.history]
        else:
            keys = [keys] if isinstance(keys, str) else list(keys)
            unknown = [k for k in keys if k not in self.history and "val_" + k not in self.history]
            if unknown:
                raise ValueError(f"History.plot: unknown key(s) {unknown}; recorded: {sorted(self.history)}")
        if not keys:
            raise ValueError(f"History.plot: nothing to plot among {sorted(self.history)}")
        from matplotlib.ticker import MaxNLocator

        cols = min(3, len(keys))
        rows = -(-len(keys) // cols)
        fig = Figure(figsize=(4.5 * cols, 3.4 * rows), layout="constrained")
        FigureCanvasAgg(fig)
        epochs = [e + 1 for e in self.epoch]
        for i, key in enumerate(keys):
            ax = fig.add_subplot(rows, cols, i + 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if key in self.history:
                ax.plot(epochs, self.history[key], marker="o", markersize=3, label="train")
            if "val_" + key in self.history:
                ax.plot(epochs, self.history["val_" + key], marker="o", markersize=3, label="validation")
            ax.set_xlabel("epoch")
            ax.set_ylabel(key)
            ax.set_title(key)
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        if path is not None:
            path = os.fspath(path)
            tmp = path + ".tmp.png"
            fig.savefig(tmp, format="png", dpi=100)
            os.replace(tmp, path)
        return fig
