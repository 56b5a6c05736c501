"""Transformer encoder / decoder layers and stacks and nn.Transformer against PyTorch 2.13 (its
state_dict loaded into ours): outputs and gradients in eval mode, masks, causal hints,
norm_first, activations, float64; dropout in training mode; errors."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import assert_close, rand, torch

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")
# PyTorch's nn.Transformer warns that its nested-tensor fast path is off; irrelevant here.
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


@pytest.fixture(autouse=True, scope="module")
def _torch_one_thread():
    """One PyTorch thread: its pool stalls while our OpenMP threads spin (tiny problems here)."""
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def copy_state(ours, ref):
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})


def run(make, shapes, call=None, dtype=np.float32, tol=1e-4):
    """Builds make(torch) and make(tf) with PyTorch's weights; compares outputs, input gradients
    and every parameter gradient in eval mode. Returns our module."""
    call = call or {}
    torch.manual_seed(0)
    ref, ours = make(torch), make(tf)
    copy_state(ours, ref)
    ref.eval()
    ours.eval()
    arrays = [rand(*s).astype(dtype) for s in shapes]
    ti = [tf.tensor(a, requires_grad=True) for a in arrays]
    pi = [torch.tensor(a, requires_grad=True) for a in arrays]
    tcall = {k: tf.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v for k, v in call.items()}
    out, ref_out = ours(*ti, **tcall), ref(*pi, **call)
    up = rand(*ref_out.shape).astype(dtype)
    (out * tf.tensor(up)).sum().backward()
    (ref_out * torch.tensor(up)).sum().backward()
    assert_close(out, ref_out, tol, tol / 10, "output")
    for i, (a, b) in enumerate(zip(ti, pi)):
        assert_close(a.grad, b.grad, tol * 10, tol, f"grad of input {i}")
    params = dict(ours.named_parameters())
    assert list(params) == [n for n, _ in ref.named_parameters()]
    for name, p in ref.named_parameters():
        assert_close(params[name].grad, p.grad, tol * 10, tol, f"grad of {name}")
    return ours


D, H, FF = 32, 4, 48


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer(norm_first, activation, batch_first):
    shape = (3, 10, D) if batch_first else (10, 3, D)
    run(lambda m: m.nn.TransformerEncoderLayer(D, H, FF, activation=activation, norm_first=norm_first,
                                               batch_first=batch_first), [shape])


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer(norm_first, activation):
    run(lambda m: m.nn.TransformerDecoderLayer(D, H, FF, activation=activation, norm_first=norm_first),
        [(6, 3, D), (10, 3, D)])


@needs_torch
def test_layers_options():
    run(lambda m: m.nn.TransformerEncoderLayer(D, H, FF, bias=False, layer_norm_eps=1e-3), [(10, 3, D)])
    run(lambda m: m.nn.TransformerEncoderLayer(D, H, FF, activation=m.nn.functional.silu), [(10, 3, D)])
    run(lambda m: m.nn.TransformerEncoderLayer(D, H, FF, activation=m.nn.GELU()), [(10, 3, D)])
    run(lambda m: m.nn.TransformerEncoderLayer(D, H, FF), [(10, D)])  # unbatched
    run(lambda m: m.nn.TransformerDecoderLayer(D, H, FF, batch_first=True), [(6, D), (10, D)])
    run(lambda m: m.nn.TransformerEncoderLayer(D, H, FF, batch_first=True, dtype=m.float64), [(3, 10, D)],
        dtype=np.float64, tol=1e-9)


@needs_torch
def test_encoder_layer_masks():
    g = torch.Generator().manual_seed(0)
    kpm = torch.rand(3, 10, generator=g) > 0.7
    kpm[:, 0] = False
    causal = torch.nn.Transformer.generate_square_subsequent_mask(10)
    make = lambda m: m.nn.TransformerEncoderLayer(D, H, FF, batch_first=True)  # noqa: E731
    run(make, [(3, 10, D)], {"src_key_padding_mask": kpm})
    run(make, [(3, 10, D)], {"src_mask": causal, "is_causal": True})
    run(make, [(3, 10, D)], {"src_mask": causal > -1, "src_key_padding_mask": kpm})
    run(make, [(3, 10, D)], {"src_mask": torch.randn(12, 10, 10, generator=g)})


@needs_torch
def test_stacks():
    g = torch.Generator().manual_seed(1)
    kpm = torch.rand(3, 10, generator=g) > 0.8
    kpm[:, 0] = False
    causal = torch.nn.Transformer.generate_square_subsequent_mask(10)
    enc = lambda m, **kw: m.nn.TransformerEncoder(  # noqa: E731
        m.nn.TransformerEncoderLayer(D, H, FF, **kw), 2, m.nn.LayerNorm(D), enable_nested_tensor=False)
    run(lambda m: enc(m, batch_first=True), [(3, 10, D)], {"src_key_padding_mask": kpm})
    run(lambda m: enc(m, norm_first=True), [(10, 3, D)], {"mask": causal})  # causal detected from the mask
    run(lambda m: enc(m), [(10, 3, D)], {"mask": causal, "is_causal": True})
    dec = lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(D, H, FF, batch_first=True), 2,  # noqa
                                            m.nn.LayerNorm(D))
    run(dec, [(3, 6, D), (3, 10, D)], {"tgt_mask": torch.nn.Transformer.generate_square_subsequent_mask(6),
                                       "memory_key_padding_mask": kpm, "tgt_is_causal": True})
    run(lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(D, H, FF), 1), [(6, 3, D), (10, 3, D)],
        {"memory_mask": torch.randn(6, 10, generator=g)})


@needs_torch
def test_transformer():
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(6)
    run(lambda m: m.nn.Transformer(D, H, 2, 2, FF), [(10, 3, D), (6, 3, D)], {"tgt_mask": tgt_mask})
    run(lambda m: m.nn.Transformer(D, H, 1, 1, FF, batch_first=True, norm_first=True, activation="gelu"),
        [(3, 10, D), (3, 6, D)], {"tgt_mask": tgt_mask, "tgt_is_causal": True,
                                  "src_key_padding_mask": torch.zeros(3, 10, dtype=torch.bool)})


@needs_torch
def test_square_subsequent_mask_and_state_dict():
    ours = nn.Transformer.generate_square_subsequent_mask(5)
    assert_close(ours, torch.nn.Transformer.generate_square_subsequent_mask(5), 0, 0)
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=tf.float64).dtype == tf.float64
    torch.manual_seed(0)
    ref, mine = torch.nn.Transformer(D, H, 1, 1, FF), nn.Transformer(D, H, 1, 1, FF)
    assert list(mine.state_dict()) == list(ref.state_dict())
    assert all(tuple(mine.state_dict()[k].shape) == tuple(v.shape) for k, v in ref.state_dict().items())


def test_initialisation():
    m = nn.Transformer(D, H, 1, 1, FF)
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6.0 / (D + FF))  # xavier_uniform_ of every matrix
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    layer = nn.TransformerEncoderLayer(D, H, FF)
    a, b = nn.TransformerEncoder(layer, 2).layers
    assert a is not b and a.linear1.weight is not b.linear1.weight
    assert np.array_equal(a.linear1.weight.detach().numpy(), b.linear1.weight.detach().numpy())


def test_dropout_in_training():
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.3, batch_first=True)
    x = tf.randn(2, 10, D)
    layer.train()
    tf.manual_seed(3)
    a = layer(x)
    tf.manual_seed(3)
    b = layer(x)
    c = layer(x)
    assert_close(a, b, 0, 0, "same seed, same dropout")
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    a.sum().backward()
    assert all(np.isfinite(p.grad.numpy()).all() for p in layer.parameters())
    layer.eval()
    assert_close(layer(x), layer(x), 0, 0, "eval mode is deterministic")
    ev = layer(x).detach().numpy()
    layer.train()
    with tf.no_grad():
        # norm_first=False ends in a layer norm: each position keeps zero mean, unit variance
        tr = layer(x).numpy()
    assert not np.allclose(ev, tr)
    np.testing.assert_allclose(tr.mean(-1), 0, atol=1e-5)


def test_errors():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(D, H, activation="tanh")
    with pytest.raises(ValueError, match="divisible"):
        nn.TransformerEncoderLayer(30, 4)
    t = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(ValueError, match="batch number"):
        t(tf.randn(10, 3, D), tf.randn(6, 2, D))
    with pytest.raises(ValueError, match="d_model"):
        t(tf.randn(10, 3, D), tf.randn(6, 3, 16))
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(ValueError, match="attn_mask"):
        layer(tf.randn(10, 3, D), src_mask=tf.zeros(9, 10))
    with pytest.raises(ValueError, match="key_padding_mask"):
        layer(tf.randn(10, 3, D), src_key_padding_mask=tf.zeros(3, 9, dtype=tf.bool))
    with pytest.raises(TypeError, match="bool and floating"):
        layer(tf.randn(10, 3, D), src_mask=tf.zeros(10, 10, dtype=tf.int64))
    with pytest.raises(ValueError, match="embedding dimension"):
        layer(tf.randn(10, 3, 16))
