"""Sorting, scans, sampling, scatter and einsum, side by side with PyTorch (2 threads)."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def run():
    setup_threads()
    rng = np.random.default_rng(0)
    header("sort / top-k / scans fp32, 4096x1024")
    x = rng.standard_normal((4096, 1024)).astype(np.float32)
    tx, px = tf.tensor(x), torch.tensor(x)
    compare("sort dim=-1", lambda: tx.sort(-1), lambda: px.sort(-1), target=1.0)
    compare("topk k=10 dim=-1", lambda: tx.topk(10), lambda: px.topk(10), target=1.0)
    compare("cumsum dim=-1", lambda: tx.cumsum(-1), lambda: px.cumsum(-1), target=1.0)
    compare("cumsum dim=0", lambda: tx.cumsum(0), lambda: px.cumsum(0), target=1.0)
    v = rng.standard_normal(1 << 20).astype(np.float32)
    tv, pv = tf.tensor(v), torch.tensor(v)
    compare("argsort 1M floats", lambda: tv.argsort(), lambda: pv.argsort(), target=1.0)

    header("sampling and scatter")
    p = rng.random((1000, 10000)).astype(np.float32)
    tp, pp = tf.tensor(p), torch.tensor(p)
    compare("multinomial 1000 rows x 10000, 1 sample", lambda: tf.multinomial(tp, 1), lambda: torch.multinomial(pp, 1),
            target=1.0)
    n = 1 << 20
    idx = rng.integers(0, n, n)
    src = rng.standard_normal(n).astype(np.float32)
    ti, ts, tz = tf.tensor(idx), tf.tensor(src), tf.zeros(n)
    pi, ps, pz = torch.tensor(idx), torch.tensor(src), torch.zeros(n)
    compare("scatter_add 1M into 1M", lambda: tz.scatter_add(0, ti, ts), lambda: pz.scatter_add(0, pi, ps), target=1.0)

    header("einsum fp32")
    a, b = rng.standard_normal((32, 128, 64)).astype(np.float32), rng.standard_normal((32, 64, 128)).astype(np.float32)
    ta, tb, pa, pb = tf.tensor(a), tf.tensor(b), torch.tensor(a), torch.tensor(b)
    compare("einsum bij,bjk->bik 32x128x64 @ 32x64x128", lambda: tf.einsum("bij,bjk->bik", ta, tb),
            lambda: torch.einsum("bij,bjk->bik", pa, pb), target=1.0)
    q, k = rng.standard_normal((8, 8, 128, 64)).astype(np.float32), rng.standard_normal((8, 8, 128, 64)).astype(np.float32)
    tq, tk, pq, pk = tf.tensor(q), tf.tensor(k), torch.tensor(q), torch.tensor(k)
    compare("einsum bhqd,bhkd->bhqk 8x8x128x64", lambda: tf.einsum("bhqd,bhkd->bhqk", tq, tk),
            lambda: torch.einsum("bhqd,bhkd->bhqk", pq, pk), target=1.0)


if __name__ == "__main__":
    run()
