"""Layers and training steps: conv2d, a small CNN step and an MLP step, against PyTorch."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def conv_fwd_bwd():
    x = np.random.randn(8, 64, 56, 56).astype(np.float32)
    w = (np.random.randn(64, 64, 3, 3) * 0.05).astype(np.float32)
    tx, tw = tf.tensor(x, requires_grad=True), tf.tensor(w, requires_grad=True)
    px, pw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)

    def ours():
        tf.nn.functional.conv2d(tx, tw, padding=1).sum().backward()

    def theirs():
        torch.nn.functional.conv2d(px, pw, padding=1).sum().backward()

    compare("conv2d fwd+bwd 8x64x56x56, 64->64, 3x3, pad 1", ours, theirs, target=0.8, repeats=6)
    compare("conv2d fwd 8x64x56x56, 64->64, 3x3, pad 1", lambda: tf.nn.functional.conv2d(tx.detach(), tw.detach(), padding=1),
            lambda: torch.nn.functional.conv2d(px.detach(), pw.detach(), padding=1), repeats=6)


def make_cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def make_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def training_step(name, make, x_shape, target):
    x = np.random.randn(*x_shape).astype(np.float32)
    y = np.random.randint(0, 10, x_shape[0]).astype(np.int64)
    tm, pm = make(tf), make(torch)
    tm.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in pm.state_dict().items()})
    to, po = tf.optim.Adam(tm.parameters(), 1e-3), torch.optim.Adam(pm.parameters(), 1e-3)
    tx, ty, px, py = tf.tensor(x), tf.tensor(y), torch.tensor(x), torch.tensor(y)
    tl, pl = tf.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def ours():
        to.zero_grad()
        tl(tm(tx), ty).backward()
        to.step()

    def theirs():
        po.zero_grad()
        pl(pm(px), py).backward()
        po.step()

    compare(name, ours, theirs, target=target, repeats=12)


def run():
    setup_threads()
    header("nn layers and training steps")
    conv_fwd_bwd()
    training_step("CNN training step (2 conv+pool, linear; batch 64 of 1x28x28; Adam)", make_cnn, (64, 1, 28, 28), 1.0)
    training_step("MLP training step (64-256-256-10, batch 64, Adam)", make_mlp, (64, 64), 1.0)


if __name__ == "__main__":
    run()
