"""The nn extras against PyTorch: Conv3d (forward, forward + backward), unfold / fold, instance
norm over large planes, 3-D pooling and adaptive max pooling, CTC loss."""
import numpy as np

import tensorforge as tf
from timer import compare, header, setup_threads, torch


def _pair(shape, scale=1.0, grad=False):
    a = (np.random.randn(*shape) * scale).astype(np.float32)
    return tf.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def conv3d(name, x_shape, w_shape, target=None, **kw):
    (tx, px), (tw, pw) = _pair(x_shape, grad=True), _pair(w_shape, 0.05, grad=True)
    (tb, pb) = _pair(w_shape[:1], grad=True)
    out_shape = tuple(torch.nn.functional.conv3d(px.detach(), pw.detach(), **kw).shape)
    tg, pg = _pair(out_shape)
    tF, pF = tf.nn.functional, torch.nn.functional

    def ours_step():
        tx.grad = tw.grad = tb.grad = None
        tF.conv3d(tx, tw, tb, **kw).backward(tg)

    def theirs_step():
        px.grad = pw.grad = pb.grad = None
        pF.conv3d(px, pw, pb, **kw).backward(pg)

    with tf.no_grad(), torch.no_grad():
        compare(f"conv3d fwd     {name}", lambda: tF.conv3d(tx, tw, tb, **kw), lambda: pF.conv3d(px, pw, pb, **kw),
                repeats=6)
    compare(f"conv3d fwd+bwd {name}", ours_step, theirs_step, target=target, repeats=6)


def unfold_fold():
    tF, pF = tf.nn.functional, torch.nn.functional
    tx, px = _pair((8, 64, 56, 56), grad=True)
    cols = pF.unfold(px.detach(), 3, padding=1)
    tc, pc = _pair(tuple(cols.shape), grad=True)
    with tf.no_grad(), torch.no_grad():
        compare("unfold fwd 8x64x56x56, 3x3 pad 1", lambda: tF.unfold(tx, 3, padding=1),
                lambda: pF.unfold(px, 3, padding=1), target=1.0)
        compare("fold fwd -> 8x64x56x56, 3x3 pad 1", lambda: tF.fold(tc, (56, 56), 3, padding=1),
                lambda: pF.fold(pc, (56, 56), 3, padding=1), target=1.0)
    compare("unfold fwd+bwd 8x64x56x56, 3x3 pad 1", lambda: tF.unfold(tx, 3, padding=1).backward(tc.detach()),
            lambda: pF.unfold(px, 3, padding=1).backward(pc.detach()), target=1.0)
    ts, ps = _pair((8, 64, 28, 28), grad=True)
    compare("unfold fwd+bwd 8x64x28x28, 2x2 stride 2", lambda: tF.unfold(ts, 2, stride=2).sum().backward(),
            lambda: pF.unfold(ps, 2, stride=2).sum().backward())


def instance_norm():
    tF, pF = tf.nn.functional, torch.nn.functional
    tx, px = _pair((8, 64, 56, 56), grad=True)
    (tw, pw), (tb, pb) = _pair((64,), grad=True), _pair((64,), grad=True)
    tg, pg = _pair((8, 64, 56, 56))
    with tf.no_grad(), torch.no_grad():
        compare("instance_norm2d fwd 8x64x56x56 (affine)", lambda: tF.instance_norm(tx, weight=tw, bias=tb),
                lambda: pF.instance_norm(px, weight=pw, bias=pb), target=1.0)
    compare("instance_norm2d fwd+bwd 8x64x56x56 (affine)",
            lambda: tF.instance_norm(tx, weight=tw, bias=tb).backward(tg),
            lambda: pF.instance_norm(px, weight=pw, bias=pb).backward(pg), target=1.0)
    tm, pm = tf.nn.InstanceNorm2d(64, affine=True, track_running_stats=True), \
        torch.nn.InstanceNorm2d(64, affine=True, track_running_stats=True)
    compare("InstanceNorm2d(track_running_stats) fwd+bwd 8x64x56x56", lambda: tm(tx).backward(tg),
            lambda: pm(px).backward(pg))


def pooling():
    tF, pF = tf.nn.functional, torch.nn.functional
    tx, px = _pair((4, 32, 16, 32, 32), grad=True)
    tg, pg = _pair((4, 32, 8, 16, 16))
    with tf.no_grad(), torch.no_grad():
        compare("max_pool3d fwd 4x32x16x32x32, 2x2x2", lambda: tF.max_pool3d(tx, 2), lambda: pF.max_pool3d(px, 2))
        compare("avg_pool3d fwd 4x32x16x32x32, 3x3x3 s2 p1", lambda: tF.avg_pool3d(tx, 3, 2, 1),
                lambda: pF.avg_pool3d(px, 3, 2, 1))
        compare("adaptive_avg_pool3d fwd 4x32x16x32x32 -> 1", lambda: tF.adaptive_avg_pool3d(tx, 1),
                lambda: pF.adaptive_avg_pool3d(px, 1))
    compare("max_pool3d fwd+bwd 4x32x16x32x32, 2x2x2", lambda: tF.max_pool3d(tx, 2).backward(tg),
            lambda: pF.max_pool3d(px, 2).backward(pg))
    compare("avg_pool3d fwd+bwd 4x32x16x32x32, 2x2x2", lambda: tF.avg_pool3d(tx, 2).backward(tg),
            lambda: pF.avg_pool3d(px, 2).backward(pg))
    t2, p2 = _pair((8, 64, 56, 56), grad=True)
    with tf.no_grad(), torch.no_grad():
        compare("adaptive_max_pool2d fwd 8x64x56x56 -> 7x7", lambda: tF.adaptive_max_pool2d(t2, 7),
                lambda: pF.adaptive_max_pool2d(p2, 7))
    compare("reflection pad 3-D fwd+bwd 4x32x16x32x32, 1", lambda: tF.pad(tx, (1,) * 6, mode="reflect").sum().backward(),
            lambda: pF.pad(px, (1,) * 6, mode="reflect").sum().backward())


def ctc():
    tF, pF = tf.nn.functional, torch.nn.functional
    rng = np.random.default_rng(0)
    targets = rng.integers(1, 30, size=(16, 20))
    lengths, tlen = [100] * 16, [20] * 16
    tx, px = _pair((100, 16, 30), grad=True)
    tt, pt = tf.tensor(targets), torch.tensor(targets)
    compare("ctc_loss fwd+bwd T=100 N=16 C=30 S=20",
            lambda: tF.ctc_loss(tF.log_softmax(tx, 2), tt, lengths, tlen).backward(),
            lambda: pF.ctc_loss(pF.log_softmax(px, 2), pt, lengths, tlen).backward())


def run():
    setup_threads()
    header("nn extras: conv3d, unfold/fold, instance norm, 3-D pooling")
    conv3d("4x32x16x32x32, 32->32, 3x3x3, pad 1", (4, 32, 16, 32, 32), (32, 32, 3, 3, 3), target=1.0, padding=1)
    conv3d("2x16x16x56x56, 16->32, 3x3x3, stride 2, pad 1", (2, 16, 16, 56, 56), (32, 16, 3, 3, 3), stride=2,
           padding=1)
    conv3d("4x64x8x16x16, 64->64, 1x1x1", (4, 64, 8, 16, 16), (64, 64, 1, 1, 1))
    unfold_fold()
    instance_norm()
    pooling()
    ctc()


if __name__ == "__main__":
    run()
