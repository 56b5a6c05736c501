"""tensorforge.train: Trainer, callbacks, metrics, History, checkpoints and transfer helpers."""
import csv
import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_digits
from tensorforge.train import (CSVLogger, EarlyStopping, GradientMonitor, LearningRateScheduler, ModelCheckpoint,
                               ProgressBar, Trainer, freeze, load_pretrained, metrics, replace_head, unfreeze)
from tensorforge.utils.data import DataLoader, TensorDataset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(flatten=True)
    return x[:600], y[:600]


def mlp(seed, dropout=0.2, width=32):
    tf.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, 10))


def state_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


# ---- fit, early stopping, checkpoints, exact resume ---------------------------------------
def test_early_stopping_restores_checkpointed_best_and_resume_is_exact(digits, tmp_path):
    x, y = digits
    model = mlp(0)
    # lr 0.05 is too high for this net: the validation loss bottoms out within a few epochs.
    opt = tf.optim.Adam(model.parameters(), lr=0.05)
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    ckpt = tmp_path / "best.safetensors"
    mc = ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy"], callbacks=[es, mc])
    epochs = 40
    hist = trainer.fit((x, y), epochs=epochs, validation_split=0.25, verbose=0)

    val = hist.history["val_loss"]
    best = int(np.argmin(val))
    assert trainer.stop_training and 0 < es.stopped_epoch < epochs - 1
    assert hist.epoch == list(range(es.stopped_epoch + 1))
    assert es.best_epoch == best and es.stopped_epoch == best + 2
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}

    saved = tf.load(ckpt)
    assert saved["epoch"] == best + 1 and mc.best == val[best]
    assert state_equal(model.state_dict(), saved["model"])  # restored weights == checkpoint's, bit for bit
    assert np.isclose(trainer.evaluate((x[450:], y[450:]))["loss"], val[best], rtol=1e-6)

    # A fresh process-like start (another seed) resumed from the checkpoint replays the rest.
    model2 = mlp(1234)
    trainer2 = Trainer(model2, nn.CrossEntropyLoss(), tf.optim.Adam(model2.parameters(), lr=0.05),
                       metrics=["accuracy"])
    with pytest.warns(RuntimeWarning, match="that this fit does not use") as rec:
        start = trainer2.load_checkpoint(ckpt)
        resumed = trainer2.fit((x, y), epochs=len(hist.epoch), validation_split=0.25, verbose=0,
                               initial_epoch=start)
    assert sorted(str(w.message).split("'")[1] for w in rec) == ["EarlyStopping", "ModelCheckpoint"]
    assert start == best + 1 and resumed.epoch == hist.epoch[start:]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(resumed.history[key], hist.history[key][start:], rtol=0, atol=1e-6)


def test_resume_restores_schedulers_and_callback_state(digits, tmp_path):
    x, y = digits

    def run(seed, resume_from=None, epochs=6):
        model = mlp(seed)
        opt = tf.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        step = tf.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        plateau = tf.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.7)
        cbs = [LearningRateScheduler(plateau, monitor="val_loss"), EarlyStopping(patience=50),
               ModelCheckpoint(tmp_path / "e{epoch}.safetensors")]
        trainer = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=cbs, scheduler=step)
        start = trainer.load_checkpoint(resume_from) if resume_from else 0
        return trainer.fit((x, y), epochs=epochs, batch_size=50, validation_split=0.2, verbose=0,
                           initial_epoch=start), cbs

    full, _ = run(0)
    resumed, cbs = run(99, resume_from=tmp_path / "e3.safetensors")
    assert resumed.epoch == [3, 4, 5]
    assert resumed.history["lr"] == full.history["lr"][3:]
    assert len(set(full.history["lr"])) > 2  # both schedules moved the rate
    assert resumed.history["loss"] == full.history["loss"][3:]
    assert cbs[1].best == min(full.history["val_loss"])  # EarlyStopping's best survived the restart


def test_same_seed_same_run_and_multi_input(digits):
    x, y = digits

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(32, 16), nn.Linear(32, 16)
            self.drop, self.out = nn.Dropout(0.3), nn.Linear(16, 10)

        def forward(self, u, v):
            return self.out(self.drop(tf.relu(self.a(u) + self.b(v))))

    runs = []
    for _ in range(2):
        tf.manual_seed(7)
        model = TwoInputs()
        trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), 1e-2))
        runs.append(trainer.fit((x[:, :32], x[:, 32:], y), epochs=3, verbose=0).history["loss"])
    assert runs[0] == runs[1] and runs[0][-1] < runs[0][0]
    pred = trainer.predict((x[:10, :32], x[:10, 32:]), batch_size=3)
    model.eval()
    np.testing.assert_allclose(pred.numpy(), model(x[:10, :32], x[:10, 32:]).detach().numpy(), rtol=1e-6)


def test_validation_split_is_the_last_fraction_before_shuffling(digits):
    x, y = digits
    model = mlp(0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), 1e-2), metrics=["accuracy"])
    hist = trainer.fit(TensorDataset(x, y), epochs=2, validation_split=0.3, verbose=0)
    tail = trainer.evaluate((x[420:], y[420:]), batch_size=7)
    assert np.isclose(tail["loss"], hist.history["val_loss"][-1], rtol=1e-6)
    assert np.isclose(tail["accuracy"], hist.history["val_accuracy"][-1])
    # the same from numpy arrays (float64 becomes float32) and from a DataLoader + validation_data
    trainer.fit((x.numpy().astype(np.float64), y.numpy()), epochs=1, validation_split=0.3, verbose=0)
    loader = DataLoader(TensorDataset(x[:420], y[:420]), batch_size=64, shuffle=True)
    h = trainer.fit(loader, epochs=1, validation_data=(x[420:], y[420:]), verbose=0)
    assert "val_loss" in h.history


def test_l2_penalty_and_gradient_clipping_match_a_manual_step():
    tf.manual_seed(0)
    x, y = tf.randn(16, 3), tf.randn(16, 1)
    for kw in ({"l2": 0.1}, {"l1": 0.05}, {"grad_clip_value": 0.01}, {"grad_clip_norm": 0.02}):
        model = nn.Linear(3, 1)
        w0, b0 = model.weight.detach().clone(), model.bias.detach().clone()
        trainer = Trainer(model, nn.MSELoss(), tf.optim.SGD(model.parameters(), lr=1.0), **kw)
        h = trainer.fit((x, y), epochs=1, batch_size=16, shuffle=False, verbose=0)
        ref = nn.Linear(3, 1)
        with tf.no_grad():
            ref.weight.copy_(w0)
            ref.bias.copy_(b0)
        loss = nn.functional.mse_loss(ref(x), y)
        if "l2" in kw:
            loss = loss + kw["l2"] * (ref.weight * ref.weight).sum()  # the bias is not penalised
            assert np.isclose(h.history["reg_loss"][0], kw["l2"] * float((w0 * w0).sum()), rtol=1e-5)
        if "l1" in kw:
            loss = loss + kw["l1"] * ref.weight.abs().sum()
        loss.backward()
        if "grad_clip_value" in kw:
            nn.utils.clip_grad_value_(ref.parameters(), kw["grad_clip_value"])
        if "grad_clip_norm" in kw:
            nn.utils.clip_grad_norm_(ref.parameters(), kw["grad_clip_norm"])
        np.testing.assert_allclose(model.weight.detach().numpy(), (w0 - ref.weight.grad).numpy(), rtol=1e-6)
        np.testing.assert_allclose(model.bias.detach().numpy(), (b0 - ref.bias.grad).numpy(), rtol=1e-6)
        assert np.isclose(h.history["loss"][0], float(nn.functional.mse_loss(ref(x), y)), rtol=1e-6)


# ---- progress display ---------------------------------------------------------------------
_SCRIPT = textwrap.dedent("""
    import tensorforge as tf, tensorforge.nn as nn
    from tensorforge.train import Trainer
    tf.manual_seed(0)
    x = tf.randn(512, 8)
    y = (x.sum(1) > 0).long()
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.SGD(model.parameters(), 0.1), metrics=["accuracy"])
    trainer.fit((x, y), epochs=3, batch_size=8, validation_split=0.25)
    print("DONE")
""")


def _run_in_pty(script: str) -> str:
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 160, 0, 0))
    proc = subprocess.Popen([sys.executable, script], stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                            close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO once the child has exited and the pty is drained
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_bar_in_a_terminal_and_plain_lines_when_redirected(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(_SCRIPT)
    out = _run_in_pty(str(script))
    assert "DONE" in out
    for epoch in (1, 2, 3):
        assert f"Epoch {epoch}/3" in out
    assert "\r" in out and "100%" in out and "48/48" in out          # a tqdm bar over the 48 batches
    assert "batch/s" in out or "s/batch" in out                      # its rate
    assert any(f"<{m}:" in out for m in ("00", "01", "02", "?"))     # and its ETA (elapsed<remaining)
    assert "loss=" in out and "val_accuracy=" in out                # per-batch and final values

    log = tmp_path / "fit.log"
    with open(log, "w") as f:
        subprocess.run([sys.executable, str(script)], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, check=True,
                       timeout=120)
    text = log.read_text()
    assert "\r" not in text and "DONE" in text
    lines = [line for line in text.splitlines() if line.startswith("Epoch ")]
    assert len(lines) == 3 and all("val_loss: " in line for line in lines)


def test_progress_bar_modes_write_to_the_given_file(tmp_path):
    import io

    x, y = tf.randn(64, 4), tf.randint(0, 2, (64,))
    model = nn.Linear(4, 2)
    buf = io.StringIO()
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.SGD(model.parameters(), 0.1))
    trainer.fit((x, y), epochs=2, batch_size=16, callbacks=[ProgressBar("bar", file=buf)])
    assert "\r" in buf.getvalue() and "4/4" in buf.getvalue()
    buf = io.StringIO()
    trainer.fit((x, y), epochs=2, batch_size=16, callbacks=[ProgressBar(file=buf)])  # StringIO: not a terminal
    assert "\r" not in buf.getvalue() and buf.getvalue().count("\n") == 2
    with pytest.raises(ValueError, match="mode"):
        ProgressBar("fancy")


# ---- History.plot, CSVLogger, GradientMonitor, LearningRateScheduler ----------------------
def test_history_plot_writes_a_png_with_train_and_validation_curves(digits, tmp_path):
    pytest.importorskip("matplotlib")
    x, y = digits
    model = mlp(0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), 1e-2), metrics=["accuracy"])
    hist = trainer.fit((x, y), epochs=3, validation_split=0.2, verbose=0)
    path = tmp_path / "history.png"
    fig = hist.plot(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, key in zip(fig.axes, ("loss", "accuracy")):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["train", "validation"]
        np.testing.assert_allclose(lines[0].get_ydata(), hist.history[key])
        np.testing.assert_allclose(lines[1].get_ydata(), hist.history["val_" + key])
        assert list(lines[0].get_xdata()) == [1, 2, 3]
    no_val = trainer.fit((x, y), epochs=2, verbose=0).plot()
    assert [len(ax.get_lines()) for ax in no_val.axes] == [1, 1]
    with pytest.raises(ValueError, match="unknown key"):
        hist.plot(keys=["f1"])


def test_csv_logger_writes_and_appends(digits, tmp_path):
    x, _ = digits
    y = x.mean(1, keepdim=True)
    tf.manual_seed(0)
    model = nn.Linear(64, 1)
    path = tmp_path / "log.csv"
    trainer = Trainer(model, nn.MSELoss(), tf.optim.Adam(model.parameters(), 1e-2), metrics=["mae"])
    hist = trainer.fit((x, y), epochs=2, validation_split=0.2, verbose=0, callbacks=[CSVLogger(path)])
    trainer.fit((x, y), epochs=3, initial_epoch=2, validation_split=0.2, verbose=0,
                callbacks=[CSVLogger(path, append=True)])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss", "lr", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert float(rows[1][1]) == hist.history["loss"][0]


def test_gradient_monitor_records_norms_and_warns():
    tf.manual_seed(0)
    x, y = tf.randn(32, 4), tf.randn(32, 1)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    mon = GradientMonitor()
    trainer = Trainer(model, nn.MSELoss(), tf.optim.SGD(model.parameters(), 1e-3), callbacks=[mon])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # healthy gradients: no warning
        hist = trainer.fit((x, y), epochs=2, batch_size=8, verbose=0)
    assert len(mon.norms) == 8 and {"grad_norm", "grad_norm/0", "grad_norm/2"} <= set(hist.history)
    _, _, first = mon.norms[0]
    assert np.isclose(first["grad_norm"], math.hypot(first["grad_norm/0"], first["grad_norm/2"]))

    big = Trainer(model, lambda out, t: 1e6 * nn.functional.mse_loss(out, t), tf.optim.SGD(model.parameters(), 0.0),
                  callbacks=[GradientMonitor(exploding_threshold=100)])
    with pytest.warns(RuntimeWarning, match="exploding gradients") as rec:
        big.fit((x, y), epochs=2, batch_size=8, verbose=0)
    assert len([w for w in rec if "exploding" in str(w.message)]) == 2  # once per epoch, not per batch
    tiny = Trainer(model, lambda out, t: 1e-12 * nn.functional.mse_loss(out, t),
                   tf.optim.SGD(model.parameters(), 0.0), callbacks=[GradientMonitor(vanishing_threshold=1e-8)])
    with pytest.warns(RuntimeWarning, match="vanishing gradients"):
        tiny.fit((x, y), epochs=1, batch_size=8, verbose=0)
    nan = Trainer(model, lambda out, t: (out * float("nan")).mean(), tf.optim.SGD(model.parameters(), 0.0),
                  callbacks=[GradientMonitor()])
    with pytest.warns(RuntimeWarning, match="exploding gradients at epoch 1, batch 0: global norm nan"):
        nan.fit((x, y), epochs=1, batch_size=32, verbose=0)


def test_learning_rate_scheduler_forms():
    tf.manual_seed(0)
    x, y = tf.randn(40, 4), tf.randn(40, 1)
    model = nn.Linear(4, 1)
    opt = tf.optim.SGD(model.parameters(), lr=0.1)
    sched = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    h = Trainer(model, nn.MSELoss(), opt, callbacks=[sched]).fit((x, y), epochs=4, verbose=0)
    assert h.history["lr"] == [0.1, 0.05, 0.025, 0.0125]
    h = Trainer(model, nn.MSELoss(), opt, callbacks=[LearningRateScheduler(lambda e: 1e-3 * (e + 1))]).fit(
        (x, y), epochs=2, verbose=0)
    assert h.history["lr"] == [1e-3, 2e-3]

    opt = tf.optim.SGD(model.parameters(), lr=1e-4)  # the loss cannot improve by 10%: a plateau
    plateau = tf.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=0.1)
    h = Trainer(model, nn.MSELoss(), opt, scheduler=plateau).fit((x, y), epochs=4, verbose=0)
    assert h.history["lr"] == [1e-4, 1e-4, 5e-5, 2.5e-5]  # without validation it watches "loss"

    opt = tf.optim.SGD(model.parameters(), lr=0.1)
    onecycle = tf.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    Trainer(model, nn.MSELoss(), opt, callbacks=[LearningRateScheduler(onecycle, interval="batch")]).fit(
        (x, y), epochs=2, batch_size=8, verbose=0)
    assert onecycle.last_epoch == 10

    other = tf.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        Trainer(model, nn.MSELoss(), opt, scheduler=tf.optim.lr_scheduler.StepLR(other, 1)).fit((x, y), verbose=0)
    with pytest.raises(ValueError, match="invalid learning rate"):
        Trainer(model, nn.MSELoss(), opt, callbacks=[LearningRateScheduler(lambda e, lr: -1.0)]).fit(
            (x, y), verbose=0)
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(3)


# ---- metrics against scikit-learn ---------------------------------------------------------
def test_metrics_match_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((300, 6)).astype(np.float32)
    target = rng.integers(0, 6, 300)
    target[:150] = logits[:150].argmax(1)  # half right: a non-trivial score
    pred = logits.argmax(1)
    out, tgt = tf.from_numpy(logits), tf.from_numpy(target)

    def streamed(metric, o, t, sizes=(1, 17, 82, 200)):
        metric.reset()
        edges = np.cumsum((0,) + sizes)
        for a, b in zip(edges[:-1], edges[1:]):
            metric.update(o[int(a):int(b)], t[int(a):int(b)])
        return metric.compute()

    assert np.isclose(streamed(metrics.Accuracy(), out, tgt), skm.accuracy_score(target, pred))
    for k in (1, 2, 3, 5):
        ref = skm.top_k_accuracy_score(target, logits, k=k, labels=range(6))
        assert np.isclose(streamed(metrics.get_metric(f"top_{k}_accuracy"), out, tgt), ref)
    f1 = streamed(metrics.F1Score(), out, tgt)
    assert np.isclose(f1, skm.f1_score(target, pred, average="macro"))
    batch_mean = np.mean([skm.f1_score(target[a:b], pred[a:b], average="macro") for a, b in ((0, 1), (1, 18))])
    assert not np.isclose(f1, batch_mean)  # whole-epoch counts, not a mean of batch scores
    assert np.isclose(streamed(metrics.F1Score("micro"), out, tgt), skm.f1_score(target, pred, average="micro"))
    onehot = np.eye(6, dtype=np.float32)[target]
    assert np.isclose(streamed(metrics.Accuracy(), out, tf.from_numpy(onehot)), skm.accuracy_score(target, pred))

    # binary: one probability per sample, classes absent from some batches
    prob = rng.random(300).astype(np.float32)
    label = (rng.random(300) < prob).astype(np.int64)
    p, lbl = tf.from_numpy(prob[:, None]), tf.from_numpy(label)
    hard = (prob > 0.5).astype(np.int64)
    assert np.isclose(streamed(metrics.Accuracy(), p, lbl), skm.accuracy_score(label, hard))
    assert np.isclose(streamed(metrics.F1Score(), p, lbl), skm.f1_score(label, hard, average="macro"))
    assert np.isclose(streamed(metrics.F1Score("binary"), p, lbl), skm.f1_score(label, hard))
    logit = tf.from_numpy(np.log(prob / (1 - prob)))
    assert np.isclose(streamed(metrics.F1Score("binary", threshold=0.0), logit, lbl), skm.f1_score(label, hard))

    reg_out, reg_t = rng.standard_normal((300, 2)), rng.standard_normal((300, 2))
    o, t = tf.from_numpy(reg_out.astype(np.float32)), tf.from_numpy(reg_t.astype(np.float32))
    assert np.isclose(streamed(metrics.get_metric("mae"), o, t), skm.mean_absolute_error(reg_t, reg_out), rtol=1e-5)
    assert np.isclose(streamed(metrics.get_metric("mse"), o, t), skm.mean_squared_error(reg_t, reg_out), rtol=1e-5)
    assert np.isclose(metrics.get_metric("mse")(o[:, :1], t[:, 0]),
                      skm.mean_squared_error(reg_t[:, 0], reg_out[:, 0]), rtol=1e-5)  # (N, 1) vs (N,)

    with pytest.raises(ValueError, match="unknown metric"):
        metrics.get_metric("precision@5")
    with pytest.raises(ValueError, match="k must be"):
        metrics.TopKAccuracy(0)
    with pytest.raises(ValueError, match="predictions but"):
        metrics.Accuracy().update(out, tgt[:10])


def test_trainer_metrics_equal_sklearn_on_its_predictions(digits):
    skm = pytest.importorskip("sklearn.metrics")
    x, y = digits
    model = mlp(0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), 1e-2),
                      metrics=["accuracy", "f1", "top_3_accuracy"])
    trainer.fit((x, y), epochs=2, verbose=0)
    res = trainer.evaluate((x, y), batch_size=50)
    scores = trainer.predict(x, batch_size=64).numpy()
    pred = scores.argmax(1)
    assert np.isclose(res["accuracy"], skm.accuracy_score(y.numpy(), pred))
    assert np.isclose(res["f1"], skm.f1_score(y.numpy(), pred, average="macro"))
    assert np.isclose(res["top_3_accuracy"], skm.top_k_accuracy_score(y.numpy(), scores, k=3, labels=range(10)))
    assert np.isclose(res["loss"], float(nn.functional.cross_entropy(tf.from_numpy(scores), y)), rtol=1e-5)


# ---- argument errors ------------------------------------------------------------------------
def test_bad_arguments_raise_clear_errors(digits):
    x, y = digits
    model = mlp(0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.SGD(model.parameters(), 0.1), metrics=["accuracy"])
    fit = trainer.fit
    for split in (0, 0.0, 1, 1.0, -0.2, 1.5, "0.2"):
        with pytest.raises(ValueError, match="validation_split must be a fraction in"):
            fit((x, y), validation_split=split, verbose=0)
    with pytest.raises(ValueError, match="validation_split or validation_data, not both"):
        fit((x, y), validation_split=0.2, validation_data=(x, y), verbose=0)
    with pytest.raises(ValueError, match=r"x and y have different lengths \(600, 599 samples\)"):
        fit((x, y[:-1]), verbose=0)
    with pytest.raises(ValueError, match="different lengths"):
        fit((x, y), validation_data=(x[:5], y[:4]), verbose=0)
    with pytest.raises(ValueError, match="empty"):
        fit((x[:0], y[:0]), verbose=0)
    with pytest.raises(ValueError, match="empty"):
        fit(TensorDataset(x[:0], y[:0]), verbose=0)
    with pytest.raises(ValueError, match="leaves 0 for training and 3 for validation"):
        fit((x[:3], y[:3]), validation_split=0.9, verbose=0)
    for epochs in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
            fit((x, y), epochs=epochs, verbose=0)
    with pytest.raises(ValueError, match="initial_epoch"):
        fit((x, y), epochs=2, initial_epoch=3, verbose=0)
    for bs in (0, -4, 2.5, True, "32"):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            fit((x, y), batch_size=bs, verbose=0)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    with pytest.raises(ValueError, match="batch_size is set by the DataLoader"):
        fit(loader, batch_size=64, verbose=0)
    with pytest.raises(ValueError, match="not a DataLoader"):
        fit(loader, validation_split=0.2, verbose=0)
    with pytest.raises(TypeError, match=r"fit\(\(x, y\)"):
        fit(x, y)
    with pytest.raises(TypeError, match="must be \\(x, y\\) tensors"):
        fit({"x": x}, verbose=0)
    with pytest.raises(ValueError, match="inputs..., target"):
        fit((x,), verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        fit((x, y), verbose=3)

    # Unknown monitor names fail at the end of the first epoch, naming the available keys.
    for cb in (EarlyStopping(monitor="val_acc"), ModelCheckpoint("unused.st", monitor="val_acc", save_best_only=True)):
        hist_before = trainer.history
        with pytest.raises(ValueError, match=r"monitor 'val_acc' is not in the logs; available keys: accuracy, "
                                             r"loss, lr, val_accuracy, val_loss"):
            fit((x, y), epochs=5, validation_split=0.2, verbose=0, callbacks=[cb])
        assert trainer.epoch == 1 and trainer.history is not hist_before
    with pytest.raises(ValueError, match="there is no validation data"):
        fit((x, y), epochs=2, verbose=0, callbacks=[EarlyStopping()])
    assert not os.path.exists("unused.st")

    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="l2 must be"):
        Trainer(model, nn.CrossEntropyLoss(), tf.optim.SGD(model.parameters(), 0.1), l2=-1)
    with pytest.raises(ValueError, match="grad_clip_norm"):
        Trainer(model, nn.CrossEntropyLoss(), tf.optim.SGD(model.parameters(), 0.1), grad_clip_norm=0)
    with pytest.raises(TypeError, match="optimizer"):
        Trainer(model, nn.CrossEntropyLoss(), None)
    with pytest.raises(ValueError, match="unique"):
        Trainer(model, nn.CrossEntropyLoss(), tf.optim.SGD(model.parameters(), 0.1), metrics=["acc", "accuracy"])
    with pytest.raises(TypeError, match="Callback"):
        fit((x, y), callbacks=[print], verbose=0)


def test_early_stopping_modes_baseline_and_checkpoint_formatting(digits, tmp_path):
    x, y = digits
    model = mlp(0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(model.parameters(), 1e-2), metrics=["accuracy"])
    # "auto" -> max for accuracy. The baseline is never beaten, so the wait is never reset (Keras's
    # rule): training stops at the first epoch that does not improve on the best.
    es = EarlyStopping(monitor="val_accuracy", baseline=1.01, patience=1)
    mc = ModelCheckpoint(tmp_path / "w{epoch:02d}-{val_accuracy:.2f}.st", save_weights_only=True)
    hist = trainer.fit((x, y), epochs=30, validation_split=0.2, verbose=0, callbacks=[es, mc])
    val = hist.history["val_accuracy"]
    first_stall = next(e for e in range(1, len(val)) if val[e] <= max(val[:e]))
    assert es.stopped_epoch == first_stall and len(hist.epoch) == first_stall + 1
    names = sorted(os.listdir(tmp_path))
    assert names == [f"w{e + 1:02d}-{val[e]:.2f}.st" for e in hist.epoch]
    weights = tf.load(tmp_path / names[-1])
    assert state_equal(weights, model.state_dict())
    with pytest.raises(ValueError, match="not a Trainer checkpoint"):
        trainer.load_checkpoint(tmp_path / names[-1])
    bad = ModelCheckpoint(tmp_path / "{val_f1}.st")
    with pytest.raises(ValueError, match="val_f1"):
        trainer.fit((x, y), epochs=1, validation_split=0.2, verbose=0, callbacks=[bad])


# ---- transfer learning --------------------------------------------------------------------
def test_freeze_unfreeze_and_replace_head(digits):
    x, y = digits
    model = mlp(0)
    old = replace_head(model, nn.Linear(32, 3))
    assert isinstance(old, nn.Linear) and old.out_features == 10 and model[3].out_features == 3
    assert freeze(model) == 4 and not any(p.requires_grad for p in model.parameters())
    assert unfreeze(model[3]) == 2
    body = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("3.")}
    head = model[3].weight.detach().clone()
    opt = tf.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), 1e-2)
    yy = y % 3
    Trainer(model, nn.CrossEntropyLoss(), opt).fit((x, yy), epochs=1, verbose=0)
    assert state_equal(body, {k: v for k, v in model.state_dict().items() if not k.startswith("3.")})
    assert not np.array_equal(head.numpy(), model[3].weight.detach().numpy())
    assert model[0].weight.grad is None
    freeze([model[3].weight, model[3].bias])
    assert not any(p.requires_grad for p in model.parameters())

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
            self.classifier = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))

        def forward(self, v):
            return self.classifier(self.body(v))

    net = Net()
    last = net.classifier[2]
    assert replace_head(net, nn.Linear(8, 5)) is last and net.classifier[2].out_features == 5
    replace_head(net, nn.Identity(), name="classifier.1")
    assert isinstance(net.classifier[1], nn.Identity)
    replace_head(net, nn.Sequential(nn.Linear(8, 8)), name="body")
    assert net(tf.randn(2, 8)).shape == (2, 5)
    with pytest.raises(ValueError, match="no submodule 'head'"):
        replace_head(net, nn.Linear(8, 2), name="head")
    with pytest.raises(ValueError, match="no nn.Linear"):
        replace_head(nn.Sequential(nn.ReLU()), nn.Linear(1, 1))
    with pytest.raises(TypeError, match="new_head"):
        replace_head(net, lambda v: v)


def test_load_pretrained_reports_keys_and_reads_pytorch_safetensors(tmp_path):
    src = mlp(0)
    tf.save(src.state_dict(), tmp_path / "ours.safetensors")
    dst = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 5), nn.Linear(5, 5))
    report = load_pretrained(dst, tmp_path / "ours.safetensors")
    assert report.loaded == ["0.weight", "0.bias"]
    assert report.mismatched_keys == ["3.weight", "3.bias"] and report.missing_keys == ["4.weight", "4.bias"]
    assert report.unexpected_keys == [] and "shape mismatch" in str(report)
    assert np.array_equal(dst[0].weight.detach().numpy(), src[0].weight.detach().numpy())
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_pretrained(dst, src.state_dict(), skip_mismatched=False)
    with pytest.raises(RuntimeError, match="Missing key"):
        load_pretrained(dst, src.state_dict(), strict=True)

    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                               torch.nn.Linear(32, 10))
    st.save_file({"module." + k: v.contiguous() for k, v in tnet.state_dict().items()}, str(tmp_path / "pt.st"))
    ours = mlp(1)
    report = load_pretrained(ours, tmp_path / "pt.st", prefix="module.")
    assert len(report.loaded) == 4 and not (report.missing_keys or report.unexpected_keys or report.mismatched_keys)
    ours.eval()
    tnet.eval()
    inp = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    np.testing.assert_allclose(ours(tf.from_numpy(inp)).detach().numpy(),
                               tnet(torch.from_numpy(inp)).detach().numpy(), rtol=1e-4, atol=1e-5)
