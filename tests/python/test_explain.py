"""tensorforge.explain: saliency, SmoothGrad, integrated gradients and PNG overlays."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from tensorforge import explain

RNG = np.random.default_rng(0)


def _x(*shape):
    return tf.from_numpy(RNG.uniform(-1, 1, shape).astype(np.float32))


def _mlp():
    tf.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 4))


def _cnn():
    tf.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))


def test_saliency_of_a_linear_model_is_the_weight_row():
    model = nn.Linear(6, 4)
    x = _x(5, 6)
    w = model.weight.detach().numpy()
    np.testing.assert_allclose(explain.saliency(model, x, target=2).numpy(), np.abs(np.tile(w[2], (5, 1))), rtol=1e-6)
    pred = model(x).detach().numpy().argmax(1)
    np.testing.assert_allclose(explain.saliency(model, x).numpy(), np.abs(w[pred]), rtol=1e-6)
    targets = [0, 1, 2, 3, 0]
    np.testing.assert_allclose(explain.saliency(model, x, target=tf.tensor(targets), abs=False).numpy(), w[targets],
                               rtol=1e-6)


def test_saliency_matches_finite_differences_and_reduces_channels():
    model = _mlp()
    x = _x(3, 6)
    g = explain.saliency(model, x, target=1, abs=False).numpy()
    xs, eps = x.numpy().astype(np.float64), 1e-3
    with tf.no_grad():
        for i in range(6):
            up, down = xs.copy(), xs.copy()
            up[:, i] += eps
            down[:, i] -= eps
            f_up = model(tf.tensor(up, dtype=tf.float32)).numpy()[:, 1]
            f_down = model(tf.tensor(down, dtype=tf.float32)).numpy()[:, 1]
            fd = (f_up - f_down) / (2 * eps)
            np.testing.assert_allclose(g[:, i], fd, rtol=2e-2, atol=2e-4)
    # images: (N, C, H, W) -> (N, H, W), the max of |grad| over channels
    lin = nn.Sequential(nn.Flatten(), nn.Linear(2 * 3 * 3, 5))
    imgs = _x(4, 2, 3, 3)
    s = explain.saliency(lin, imgs, target=3)
    ref = np.abs(lin[1].weight.detach().numpy()[3].reshape(2, 3, 3)).max(0)
    assert s.shape == (4, 3, 3)
    np.testing.assert_allclose(s.numpy(), np.broadcast_to(ref, (4, 3, 3)), rtol=1e-6)


def test_parameters_and_modes_are_left_untouched():
    model = _cnn()
    model.train()
    x = _x(2, 2, 6, 6)
    explain.saliency(model, x)
    explain.integrated_gradients(model, x, steps=4)
    explain.smoothgrad(model, x, samples=2)
    assert all(p.grad is None for p in model.parameters())
    assert all(p.requires_grad for p in model.parameters()) and model.training and model[0].training
    # existing gradients are neither changed nor added to
    loss = model(x).sum()
    loss.backward()
    before = [p.grad.numpy().copy() for p in model.parameters()]
    model.eval()
    explain.saliency(model, x)
    assert all(np.array_equal(p.grad.numpy(), b) for p, b in zip(model.parameters(), before))
    assert not model.training
    assert x.grad is None and not x.requires_grad


def test_integrated_gradients_on_a_linear_model_is_exact():
    model = nn.Linear(6, 3)
    x, base = _x(4, 6), _x(1, 6)
    attr = explain.integrated_gradients(model, x, target=1, baseline=base, steps=3).numpy()
    w = model.weight.detach().numpy()[1]
    np.testing.assert_allclose(attr, (x.numpy() - base.numpy()) * w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["trapezoid", "midpoint"])
def test_integrated_gradients_completeness(method):
    for model, x in ((_mlp(), _x(5, 6)), (_cnn(), _x(4, 2, 6, 6))):
        attr, delta = explain.integrated_gradients(model, x, steps=50, method=method, return_convergence_delta=True)
        assert attr.shape == x.shape
        with tf.no_grad():
            out, out0 = model(x).numpy(), model(tf.zeros_like(x)).numpy()
        t = out.argmax(1)
        gap = out[np.arange(len(t)), t] - out0[np.arange(len(t)), t]
        total = attr.numpy().reshape(len(t), -1).sum(1)
        assert np.all(np.abs(total - gap) <= 0.03 * np.abs(gap) + 1e-4), (total, gap)
        np.testing.assert_allclose(delta.numpy(), total - gap, rtol=1e-3, atol=1e-5)


def test_integrated_gradients_options():
    model, x = _cnn(), _x(3, 2, 6, 6)
    full = explain.integrated_gradients(model, x, target=2, steps=20).numpy()
    chunked = explain.integrated_gradients(model, x, target=2, steps=20, internal_batch_size=7).numpy()
    np.testing.assert_allclose(chunked, full, rtol=1e-5, atol=1e-6)
    shifted = explain.integrated_gradients(model, x, target=2, steps=20, baseline=0.5)
    with_tensor = explain.integrated_gradients(model, x, target=2, steps=20, baseline=tf.full((1, 2, 6, 6), 0.5))
    np.testing.assert_allclose(shifted.numpy(), with_tensor.numpy(), rtol=1e-6)
    assert np.all(explain.integrated_gradients(model, x, baseline=x, steps=5).numpy() == 0)


def test_smoothgrad():
    model, x = _cnn(), _x(2, 2, 6, 6)
    np.testing.assert_allclose(explain.smoothgrad(model, x, samples=3, noise=0.0).numpy(),
                               explain.saliency(model, x).numpy(), rtol=1e-6)
    a = explain.smoothgrad(model, x, samples=4, generator=tf.Generator().manual_seed(1)).numpy()
    b = explain.smoothgrad(model, x, samples=4, generator=tf.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 6, 6) and not np.allclose(a, explain.saliency(model, x).numpy())


def test_errors():
    model = _mlp()
    x = _x(3, 6)
    with pytest.raises(IndexError, match=r"\[saliency\] target 4 is out of range for 4 outputs"):
        explain.saliency(model, x, target=4)
    with pytest.raises(ValueError, match="one class index per sample"):
        explain.saliency(model, x, target=[0, 1])
    with pytest.raises(TypeError, match="tensorforge.Tensor"):
        explain.saliency(model, x.numpy())
    with pytest.raises(ValueError, match=r"shape \(N, \.\.\.\)"):
        explain.saliency(model, tf.zeros(6))
    with pytest.raises(ValueError, match="steps must be a positive int"):
        explain.integrated_gradients(model, x, steps=0)
    with pytest.raises(ValueError, match="method must be one of"):
        explain.integrated_gradients(model, x, method="simpson")
    with pytest.raises(ValueError, match="baseline of shape"):
        explain.integrated_gradients(model, x, baseline=np.zeros(4))
    with pytest.raises(ValueError, match=r"\(N, classes\) scores"):
        explain.saliency(lambda t: t.reshape(3, 2, 3), x)


def test_save_overlay_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    model = _cnn()
    x = _x(2, 2, 6, 6)
    s = explain.saliency(model, x)
    path = explain.save_overlay(x[0], s[0], tmp_path / "sub" / "overlay.png", alpha=0.6, title="digit")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    img = matplotlib.image.imread(path)
    assert img.shape[0] == img.shape[1] == 300 and img.shape[2] in (3, 4)
    assert img[..., :3].std() > 0.05  # a picture, not a blank canvas
    explain.save_overlay(x[1].numpy()[0], s[1].numpy(), tmp_path / "plain.png")
    with pytest.raises(ValueError, match="differ in size"):
        explain.save_overlay(x[0], s[0][:3], tmp_path / "bad.png")
    with pytest.raises(ValueError, match="alpha"):
        explain.save_overlay(x[0], s[0], tmp_path / "bad.png", alpha=2)
