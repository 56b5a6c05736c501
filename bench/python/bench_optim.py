"""Optimizer steps (fused C++ updates) against torch.optim (foreach default), and DataLoader
batching over a TensorDataset."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def _mlp_params():
    sizes = [(256, 64), (256,), (256, 256), (256,), (10, 256), (10,)]
    arrays = [np.random.randn(*s).astype(np.float32) * 0.05 for s in sizes]
    grads = [np.random.randn(*s).astype(np.float32) * 0.01 for s in sizes]
    return arrays, grads


def _pair(arrays, grads):
    ours = [tf.nn.Parameter(tf.tensor(a)) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    for p, g in zip(ours, grads):
        p.grad = tf.tensor(g)
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    return ours, theirs


def optimizer_step(name, arrays, grads, make_ours, make_theirs, target, repeats=15):
    ours, theirs = _pair(arrays, grads)
    o, t = make_ours(ours), make_theirs(theirs)
    compare(name, o.step, t.step, target=target, repeats=repeats)


def run():
    setup_threads()
    header("optimizers")
    mlp = _mlp_params()
    big = ([np.random.randn(4 << 20).astype(np.float32)], [np.random.randn(4 << 20).astype(np.float32)])
    optimizer_step("Adam step, MLP 64-256-256-10 (6 params)", *mlp,
                   lambda ps: tf.optim.Adam(ps, 1e-3), lambda ps: torch.optim.Adam(ps, 1e-3), target=1.0)
    optimizer_step("Adam step, one 4M-element param", *big,
                   lambda ps: tf.optim.Adam(ps, 1e-3), lambda ps: torch.optim.Adam(ps, 1e-3), target=1.0, repeats=9)
    optimizer_step("AdamW amsgrad step, one 4M-element param", *big,
                   lambda ps: tf.optim.AdamW(ps, 1e-3, amsgrad=True),
                   lambda ps: torch.optim.AdamW(ps, 1e-3, amsgrad=True), target=1.0, repeats=9)
    optimizer_step("SGD momentum+nesterov step, MLP (6 params)", *mlp,
                   lambda ps: tf.optim.SGD(ps, 0.1, momentum=0.9, nesterov=True),
                   lambda ps: torch.optim.SGD(ps, 0.1, momentum=0.9, nesterov=True), target=1.0)
    optimizer_step("SGD momentum step, one 4M-element param", *big,
                   lambda ps: tf.optim.SGD(ps, 0.1, momentum=0.9),
                   lambda ps: torch.optim.SGD(ps, 0.1, momentum=0.9), target=1.0, repeats=9)
    optimizer_step("RMSprop centered+momentum step, one 4M-element param", *big,
                   lambda ps: tf.optim.RMSprop(ps, 1e-3, momentum=0.9, centered=True),
                   lambda ps: torch.optim.RMSprop(ps, 1e-3, momentum=0.9, centered=True), target=1.0, repeats=9)
    optimizer_step("Adagrad step, one 4M-element param", *big,
                   lambda ps: tf.optim.Adagrad(ps, 1e-2), lambda ps: torch.optim.Adagrad(ps, 1e-2), target=1.0,
                   repeats=9)

    x = np.random.randn(60000, 784).astype(np.float32)
    y = np.random.randint(0, 10, 60000).astype(np.int64)
    ours_ds = tf.utils.data.TensorDataset(tf.tensor(x), tf.tensor(y))
    theirs_ds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))

    def epoch(loader):
        return lambda: [None for _ in loader]

    compare("DataLoader epoch, TensorDataset 60000x784, batch 256, shuffle",
            epoch(tf.utils.data.DataLoader(ours_ds, batch_size=256, shuffle=True)),
            epoch(torch.utils.data.DataLoader(theirs_ds, batch_size=256, shuffle=True)), target=1.0, repeats=3)


if __name__ == "__main__":
    run()
