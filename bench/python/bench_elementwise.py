"""Elementwise kernels over 4M floats, and reductions / softmax over 4096x1024."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch

N = 4 * 1024 * 1024


def run():
    setup_threads()
    header("elementwise fp32, 4M elements")
    a, b = np.random.randn(N).astype(np.float32), np.random.randn(N).astype(np.float32)
    ta, tb, pa, pb = tf.tensor(a), tf.tensor(b), torch.tensor(a), torch.tensor(b)
    compare("add", lambda: ta + tb, lambda: pa + pb, target=1.0)
    compare("mul", lambda: ta * tb, lambda: pa * pb, target=1.0)
    compare("exp", lambda: ta.exp(), lambda: pa.exp(), target=1.0)
    compare("tanh", lambda: ta.tanh(), lambda: pa.tanh())
    compare("sigmoid", lambda: ta.sigmoid(), lambda: pa.sigmoid())
    compare("relu", lambda: ta.relu(), lambda: pa.relu())
    compare("add scalar", lambda: ta + 1.5, lambda: pa + 1.5)
    x = np.random.randn(4096, 1024).astype(np.float32)
    tx, px = tf.tensor(x), torch.tensor(x)
    rb = np.random.randn(1024).astype(np.float32)
    trb, prb = tf.tensor(rb), torch.tensor(rb)
    compare("broadcast add 4096x1024 + 1024", lambda: tx + trb, lambda: px + prb)

    header("reductions / softmax fp32, 4096x1024")
    compare("sum (all)", lambda: tx.sum(), lambda: px.sum(), target=1.0)
    compare("sum dim=-1", lambda: tx.sum(-1), lambda: px.sum(-1), target=1.0)
    compare("sum dim=0", lambda: tx.sum(0), lambda: px.sum(0), target=1.0)
    compare("mean dim=-1", lambda: tx.mean(-1), lambda: px.mean(-1))
    compare("amax dim=-1", lambda: tx.amax(-1), lambda: px.amax(-1))
    compare("var dim=-1", lambda: tx.var(-1), lambda: px.var(-1))
    compare("softmax dim=-1", lambda: tx.softmax(-1), lambda: px.softmax(-1), target=1.0)
    compare("log_softmax dim=-1", lambda: tx.log_softmax(-1), lambda: px.log_softmax(-1))
    compare("softmax dim=0", lambda: tx.softmax(0), lambda: px.softmax(0))


if __name__ == "__main__":
    run()
