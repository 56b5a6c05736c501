"""Per-op Python overhead on tiny tensors: eager dispatch and autograd bookkeeping."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def chain(lib, a, b):
    x = a
    for _ in range(5):
        x = ((x * b + a).tanh() - b).sigmoid()
    return x.sum()


def run():
    setup_threads()
    header("per-op overhead, 32-element tensors")
    a, b = np.random.randn(32).astype(np.float32), np.random.randn(32).astype(np.float32)
    ta, tb, pa, pb = tf.tensor(a), tf.tensor(b), torch.tensor(a), torch.tensor(b)
    compare("a + b", lambda: ta + tb, lambda: pa + pb, target=1.0, repeats=30)
    compare("a * 2.0", lambda: ta * 2.0, lambda: pa * 2.0, repeats=30)
    compare("a.exp()", lambda: ta.exp(), lambda: pa.exp(), repeats=30)
    compare("a.sum()", lambda: ta.sum(), lambda: pa.sum(), repeats=30)
    compare("a[3:9]", lambda: ta[3:9], lambda: pa[3:9], repeats=30)
    ga, gb = tf.tensor(a, requires_grad=True), tf.tensor(b, requires_grad=True)
    qa, qb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    compare("a + b (requires_grad)", lambda: ga + gb, lambda: qa + qb, repeats=30)

    def ours():
        ga.grad = gb.grad = None
        chain(tf, ga, gb).backward()

    def theirs():
        qa.grad = qb.grad = None
        chain(torch, qa, qb).backward()

    compare("20-op chain forward+backward (requires_grad)", ours, theirs, target=1.0, repeats=30)


if __name__ == "__main__":
    run()
