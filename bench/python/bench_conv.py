"""Convolution and pooling against PyTorch: the 3x3 conv layer (forward, backward), strided,
depthwise and pointwise convs, pooling, and a small CNN forward."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def _pair(shape, scale=1.0, grad=False):
    a = (np.random.randn(*shape) * scale).astype(np.float32)
    return tf.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def conv_layer(name, x_shape, w_shape, target=None, repeats=6, **kw):
    (tx, px), (tw, pw) = _pair(x_shape, grad=True), _pair(w_shape, 0.05, grad=True)
    out_shape = tuple(torch.nn.functional.conv2d(px.detach(), pw.detach(), **kw).shape)
    tg, pg = _pair(out_shape)
    tF, pF = tf.nn.functional, torch.nn.functional

    def ours_fwd():
        with tf.no_grad():
            tF.conv2d(tx, tw, **kw)

    def theirs_fwd():
        with torch.no_grad():
            pF.conv2d(px, pw, **kw)

    def ours_step():
        tx.grad = tw.grad = None
        tF.conv2d(tx, tw, **kw).backward(tg)

    def theirs_step():
        px.grad = pw.grad = None
        pF.conv2d(px, pw, **kw).backward(pg)

    compare(f"conv2d fwd+bwd {name}", ours_step, theirs_step, target=target, repeats=repeats)
    compare(f"conv2d fwd     {name}", ours_fwd, theirs_fwd, repeats=repeats)


def pooling():
    tx, px = _pair((8, 64, 56, 56), grad=True)
    tg, pg = _pair((8, 64, 28, 28))
    tF, pF = tf.nn.functional, torch.nn.functional
    with tf.no_grad(), torch.no_grad():
        compare("max_pool2d fwd 8x64x56x56, 2x2", lambda: tF.max_pool2d(tx, 2), lambda: pF.max_pool2d(px, 2))
        compare("max_pool2d fwd 8x64x56x56, 3x3 s2 p1", lambda: tF.max_pool2d(tx, 3, 2, 1),
                lambda: pF.max_pool2d(px, 3, 2, 1))
        compare("avg_pool2d fwd 8x64x56x56, 2x2", lambda: tF.avg_pool2d(tx, 2), lambda: pF.avg_pool2d(px, 2))
        compare("adaptive_avg_pool2d fwd 8x64x56x56 -> 1x1", lambda: tF.adaptive_avg_pool2d(tx, 1),
                lambda: pF.adaptive_avg_pool2d(px, 1))
    compare("max_pool2d fwd+bwd 8x64x56x56, 2x2", lambda: tF.max_pool2d(tx, 2).backward(tg),
            lambda: pF.max_pool2d(px, 2).backward(pg))
    compare("avg_pool2d fwd+bwd 8x64x56x56, 2x2", lambda: tF.avg_pool2d(tx, 2).backward(tg),
            lambda: pF.avg_pool2d(px, 2).backward(pg))
    ts, ps = _pair((8, 32, 28, 28), grad=True)
    tg2, pg2 = _pair((8, 32, 56, 56))
    compare("interpolate bilinear x2 fwd+bwd 8x32x28x28",
            lambda: tF.interpolate(ts, scale_factor=2, mode="bilinear").backward(tg2),
            lambda: pF.interpolate(ps, scale_factor=2, mode="bilinear").backward(pg2))
    compare("pad reflect (1,1,1,1) fwd+bwd 8x32x28x28", lambda: tF.pad(ts, (1, 1, 1, 1), mode="reflect").backward(
        tf.ones(8, 32, 30, 30)), lambda: pF.pad(ps, (1, 1, 1, 1), mode="reflect").backward(torch.ones(8, 32, 30, 30)))


def make_cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(128, 10))


def small_cnn():
    tm, pm = make_cnn(tf), make_cnn(torch)
    tm.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in pm.state_dict().items()})
    tx, px = _pair((32, 3, 32, 32))

    def ours():
        with tf.no_grad():
            tm(tx)

    def theirs():
        with torch.no_grad():
            pm(px)

    compare("small CNN forward (3 conv+pool, batch 32 of 3x32x32)", ours, theirs, repeats=9)


def run():
    setup_threads()
    header("convolution and pooling")
    conv_layer("8x64x56x56, 64->64, 3x3, pad 1", (8, 64, 56, 56), (64, 64, 3, 3), target=0.8, padding=1)
    conv_layer("8x64x56x56, 64->128, 3x3, stride 2, pad 1", (8, 64, 56, 56), (128, 64, 3, 3), stride=2, padding=1)
    conv_layer("8x128x28x28, 128->128, 3x3, pad 1", (8, 128, 28, 28), (128, 128, 3, 3), padding=1)
    conv_layer("8x64x56x56, 64->256, 1x1", (8, 64, 56, 56), (256, 64, 1, 1))
    conv_layer("8x64x56x56, depthwise 3x3, pad 1", (8, 64, 56, 56), (64, 1, 3, 3), padding=1, groups=64)
    conv_layer("1x64x112x112, 64->64, 3x3, pad 1 (one image)", (1, 64, 112, 112), (64, 64, 3, 3), padding=1)
    pooling()
    small_cnn()


if __name__ == "__main__":
    run()
