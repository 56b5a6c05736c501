"""Transfer learning on the digits: pretrain a CNN on the digits 0-4, then learn 5-9 from a
few labelled examples per class by training only a new head over the frozen pretrained body,
and compare with the same CNN trained from scratch on those examples.

    python -m tensorforge.examples.transfer_digits [--seeds 5] [--shots 3]

For each seed: pretrain the CNN on every image of 0-4 (with shifted/rotated copies drawn
per batch, early stopping on a validation split) and save its weights; load them into a fresh
model with ``load_pretrained``, swap its classifier for a new 5-way head with
``replace_head``, ``freeze`` the body and train the head on ``--shots`` images per class of 5-9.
Baselines on the same images: the same architecture trained from scratch (every layer), and a
control that trains the same head over a frozen *randomly initialised* body, which tells how
much the pretrained features themselves bring. All are tested on every other image of 5-9.

What it shows on these 8x8 digits (5 seeds, measured): with 3 labelled images per class the
fine-tuned head beats training from scratch on every seed (87.6% vs 84.0% mean); the random-body
control (86.7%) shows that most of the gain comes from training few parameters over a frozen
convolutional body, the pretrained features adding about a point. With 10 images per class
end-to-end training already reaches about 95% and the two are level.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import OrderedDict

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import Compose, RandomCrop, RandomRotation, load_digits
from tensorforge.train import EarlyStopping, Trainer, freeze, load_pretrained, replace_head, unfreeze
from tensorforge.utils.data import DataLoader, TensorDataset, default_collate


def build_cnn(num_classes: int) -> nn.Sequential:
    """The digits CNN as a convolutional body (``features``) and a ``classifier``."""
    features = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten())
    classifier = nn.Sequential(nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, num_classes))
    return nn.Sequential(OrderedDict(features=features, classifier=classifier))


def new_head(num_classes: int) -> nn.Module:
    return nn.Sequential(nn.Dropout(0.5), nn.Linear(64 * 4 * 4, num_classes))


def few_shot_split(y: np.ndarray, classes, shots: int, rng: np.random.Generator):
    """Indices of ``shots`` random images per class, and of every other image of those classes."""
    train, test = [], []
    for c in classes:
        idx = rng.permutation(np.flatnonzero(y == c))
        train.extend(idx[:shots])
        test.extend(idx[shots:])
    return np.array(train), np.array(test)


def _augmented(batch, augment):
    images, labels = batch
    return augment(images), labels


def run_seed(seed: int, x, y, args, weights_path: str) -> dict:
    y_np = y.numpy()
    rng = np.random.default_rng(seed)
    # Pretraining on all of 0-4: the last 15% (after a seeded shuffle) validates early stopping.
    base = tf.tensor(rng.permutation(np.flatnonzero(y_np < 5)))
    n_val = int(0.15 * len(base))
    train, val = base[:-n_val], base[-n_val:]
    tf.manual_seed(seed)
    pretrained = build_cnn(5)
    pre = Trainer(pretrained, nn.CrossEntropyLoss(), tf.optim.Adam(pretrained.parameters(), lr=2e-3),
                  metrics=["accuracy"], callbacks=[EarlyStopping(patience=4, restore_best_weights=True)])
    # Shifted and rotated copies (a fresh draw per batch) make the body learn features that
    # carry over to digits it never saw, rather than ones tuned to tell 0-4 apart.
    augment = Compose([RandomCrop(8, padding=1), RandomRotation(12)])
    loader = DataLoader(TensorDataset(x[train], y[train]), batch_size=32, shuffle=True,
                        collate_fn=lambda batch: _augmented(default_collate(batch), augment))
    hist = pre.fit(loader, epochs=40, validation_data=(x[val], y[val]), verbose=0)
    tf.save(pretrained.state_dict(), weights_path)

    shots, test = few_shot_split(y_np, range(5, 10), args.shots, rng)
    x_few, y_few = x[tf.tensor(shots)], y[tf.tensor(shots)] - 5
    x_test, y_test = x[tf.tensor(test)], y[tf.tensor(test)] - 5
    out = {"pretrain_val_accuracy": max(hist.history["val_accuracy"]), "n_test": len(test)}

    for name in ("fine_tuned", "random_body", "scratch"):
        tf.manual_seed(seed + 1)
        model = build_cnn(5)
        if name == "fine_tuned":
            out["report"] = load_pretrained(model, weights_path)
        if name == "scratch":
            params, lr = model.parameters(), 2e-3
        else:  # only the new head trains
            replace_head(model, new_head(5), name="classifier")
            freeze(model)
            unfreeze(model.classifier)
            params, lr = filter(lambda p: p.requires_grad, model.parameters()), 1e-2
        trainer = Trainer(model, nn.CrossEntropyLoss(), tf.optim.Adam(params, lr=lr), metrics=["accuracy"])
        trainer.fit((x_few, y_few), epochs=args.epochs, batch_size=10, verbose=0)
        out[name] = trainer.evaluate((x_test, y_test))["accuracy"]
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--shots", type=int, default=3, help="labelled images per class of 5-9")
    p.add_argument("--epochs", type=int, default=60, help="epochs over the few labelled images")
    args = p.parse_args(argv)

    x, y = load_digits()
    print(f"digits: {int((y < 5).sum())} images of 0-4 for pretraining; {args.shots} labelled images per class "
          "of 5-9 to learn them from, the other images of 5-9 for testing")
    start = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            r = run_seed(seed, x, y, args, os.path.join(tmp, "pretrained.safetensors"))
            if seed == 0:
                print(f"load_pretrained: {r['report']}")
            runs.append(r)
            print(f"seed {seed}: pretrained on 0-4 (val accuracy {100 * r['pretrain_val_accuracy']:.1f}%); "
                  f"test accuracy on {r['n_test']} images of 5-9: fine-tuned head {100 * r['fine_tuned']:.1f}%, "
                  f"from scratch {100 * r['scratch']:.1f}%, head over a random body {100 * r['random_body']:.1f}%")
    mean = {k: float(np.mean([r[k] for r in runs])) for k in ("fine_tuned", "scratch", "random_body")}
    std = {k: float(np.std([r[k] for r in runs])) for k in mean}
    wins = sum(r["fine_tuned"] > r["scratch"] for r in runs)
    print(f"mean over {args.seeds} seeds ({args.shots} shots): fine-tuned head {100 * mean['fine_tuned']:.1f}% "
          f"(+/- {100 * std['fine_tuned']:.1f}) vs from scratch {100 * mean['scratch']:.1f}% "
          f"(+/- {100 * std['scratch']:.1f}); control, head over a random body: {100 * mean['random_body']:.1f}%; "
          f"fine-tuning wins {wins}/{args.seeds} seeds [{time.perf_counter() - start:.1f}s]")
    return {"mean": mean, "wins": wins}


if __name__ == "__main__":
    main()
