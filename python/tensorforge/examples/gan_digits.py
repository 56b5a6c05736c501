"""A GAN that learns to draw 8x8 handwritten digits (scikit-learn's bundled digits).

    python -m tensorforge.examples.gan_digits [--epochs 600] [--seed 0] [--out gan_digits.png] [--quick]

Generator and discriminator are MLPs trained with the non-saturating loss (BCE with logits,
one-sided label smoothing) and Adam(2e-4, betas=(0.5, 0.999)), in plain training loops. Prints
the losses per epoch; at the end it saves a PNG grid of 64 samples and prints two quality
figures for the generated digits against real held-out digits and uniform noise:
- a digits classifier's mean confidence (max softmax) and how many classes it sees;
- the mean distance to the nearest training digit.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge.data import load_digits, train_val_test_split
from tensorforge.utils.data import DataLoader, TensorDataset

LATENT = 32


def generator() -> nn.Module:
    return nn.Sequential(nn.Linear(LATENT, 128), nn.LeakyReLU(0.2), nn.Linear(128, 256), nn.LeakyReLU(0.2),
                         nn.Linear(256, 64), nn.Tanh())


def discriminator() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(256, 128),
                         nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(128, 1))


def classifier(x: tf.Tensor, y: tf.Tensor, epochs: int) -> nn.Module:
    """A quick MLP digits classifier on [-1, 1] images (the judge of the samples)."""
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = tf.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    for _ in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def quality(judge: nn.Module, samples: np.ndarray, train: np.ndarray) -> tuple:
    """(mean max-softmax confidence, classes predicted for >= 3% of samples, mean nearest-
    training-digit distance) of flat [-1, 1] samples."""
    with tf.no_grad():
        probs = judge(tf.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))).softmax(-1).numpy()
    counts = np.bincount(probs.argmax(1), minlength=10)
    d2 = (samples ** 2).sum(1)[:, None] + (train ** 2).sum(1)[None] - 2 * samples @ train.T
    nearest = np.sqrt(np.maximum(d2.min(1), 0)).mean()
    return float(probs.max(1).mean()), int((counts >= 0.03 * len(samples)).sum()), float(nearest)


def save_grid(images: np.ndarray, path: str) -> str | None:
    """64 images (8x8, in [-1, 1]) as an 8x8 grid PNG; None when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    tiles = images.reshape(8, 8, 8, 8)
    canvas = np.ones((8 * 9 + 1, 8 * 9 + 1))
    for r in range(8):
        for c in range(8):
            canvas[1 + 9 * r:9 + 9 * r, 1 + 9 * c:9 + 9 * c] = (1 - tiles[r, c]) / 2  # ink dark on white
    fig = Figure(figsize=(4, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    fig.savefig(path, format="png")
    return path


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=600)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="gan_digits.png")
    p.add_argument("--quick", action="store_true", help="one epoch (smoke test)")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs = 1

    tf.manual_seed(args.seed)
    x, y = load_digits(flatten=True)
    x = x * 2 - 1  # [-1, 1], the generator's tanh range
    x_tr, _, x_te, y_tr, _, y_te = train_val_test_split(x, y, val_size=0, test_size=0.2, stratify=y, seed=args.seed)
    loader = DataLoader(TensorDataset(x_tr), batch_size=args.batch_size, shuffle=True, drop_last=True)
    gen, disc = generator(), discriminator()
    opt_g = tf.optim.Adam(gen.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = tf.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    b = args.batch_size
    real_label, fake_label = tf.full((b, 1), 0.9), tf.zeros(b, 1)
    print(f"gan_digits: {len(x_tr)} training digits, G {sum(q.numel() for q in gen.parameters()):,} / "
          f"D {sum(q.numel() for q in disc.parameters()):,} parameters, kernels: "
          f"{tf.backends.cpu.get_cpu_capability()}")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        d_total = g_total = d_real = 0.0
        steps = 0
        for (xb,) in loader:
            fake = gen(tf.randn(b, LATENT))
            logits_real = disc(xb)
            loss_d = bce(logits_real, real_label) + bce(disc(fake.detach()), fake_label)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = bce(disc(fake), tf.ones(b, 1))  # non-saturating: make D call the fakes real
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            d_total += float(loss_d)
            g_total += float(loss_g)
            d_real += float(logits_real.detach().sigmoid().mean())
            steps += 1
        if epoch == 1 or epoch % 25 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:4d}/{args.epochs}  loss D {d_total / steps:.3f}  loss G {g_total / steps:.3f}  "
                  f"D(real) {d_real / steps:.2f}  [{time.perf_counter() - start:5.1f}s]", flush=True)
    train_time = time.perf_counter() - start

    gen.eval()
    with tf.no_grad():
        samples = gen(tf.randn(500, LATENT)).numpy().astype(np.float64)
    path = save_grid(samples[:64], args.out)
    judge = classifier(x_tr, y_tr, epochs=2 if args.quick else 30)
    train_np = x_tr.numpy().astype(np.float64)
    noise = np.random.default_rng(args.seed).uniform(-1, 1, samples.shape)
    rows = {"generated": quality(judge, samples, train_np),
            "real (held out)": quality(judge, x_te.numpy().astype(np.float64), train_np),
            "uniform noise": quality(judge, noise, train_np)}
    print(f"trained in {train_time:.1f}s; sample grid: {path or 'not saved (matplotlib missing)'}")
    print(f"{'':18s} classifier confidence  classes seen  nearest-train distance")
    for name, (conf, classes, dist) in rows.items():
        print(f"{name:18s} {conf:21.3f}  {classes:12d}  {dist:22.2f}")
    return {"confidence": rows["generated"][0], "classes": rows["generated"][1], "nearest": rows["generated"][2],
            "real_nearest": rows["real (held out)"][2], "noise_nearest": rows["uniform noise"][2], "path": path}


if __name__ == "__main__":
    main()
