"""Scaled dot-product attention (the fused kernel, its composite reference path, dropout) and
nn.MultiheadAttention against PyTorch 2.13: outputs and gradients, masks, causal, GQA,
broadcasting, long and ragged sequences, and the errors bad input raises."""
import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import assert_close, check_op, rand, torch

F = nn.functional
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


@pytest.fixture(autouse=True, scope="module")
def _torch_one_thread():
    """PyTorch's thread pool stalls for ~0.1 s at a time while our OpenMP threads spin after a
    kernel; on tiny problems one PyTorch thread keeps the file fast."""
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def sdpa(m, *args, **kw):
    return m.nn.functional.scaled_dot_product_attention(*args, **kw)


def grads_of(lib, arrays, fn, upstream, grad_mask=()):
    """Runs fn on lib tensors (floating arrays require grad) and returns output and grads."""
    ts = [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    for t, a in zip(ts, arrays):
        if isinstance(a, np.ndarray) and a.dtype != np.bool_:
            t.requires_grad_(True)
    out = fn(lib, *ts)
    (out * lib.tensor(upstream)).sum().backward()
    return out, [t.grad if isinstance(a, np.ndarray) and a.dtype != np.bool_ else None for t, a in zip(ts, arrays)]


def compare_with_torch(fn, arrays, rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4):
    th = [torch.tensor(a) for a in arrays]
    with torch.no_grad():
        shape = fn(torch, *th).shape
    up = rand(*shape).astype(arrays[0].dtype)
    ours, g_ours = grads_of(tf, arrays, fn, up)
    ref, g_ref = grads_of(torch, arrays, fn, up)
    assert_close(ours, ref, rtol, atol, "output vs PyTorch")
    for i, (a, b) in enumerate(zip(g_ours, g_ref)):
        if b is not None:
            assert_close(a, b, grad_rtol, grad_atol, f"grad {i} vs PyTorch")
    return ours, g_ours


# ---- SDPA: the fused kernel ------------------------------------------------------------------
def test_sdpa_small_finite_differences():
    check_op(lambda m, q, k, v: sdpa(m, q, k, v), [rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 3)])
    check_op(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=True), [rand(1, 4, 3), rand(1, 3, 3), rand(1, 3, 2)])


@needs_torch
@pytest.mark.parametrize("L,S,E,Ev", [(1, 1, 8, 8), (7, 9, 16, 8), (1, 300, 32, 32), (129, 300, 64, 64),
                                      (300, 129, 32, 16), (300, 300, 64, 64)])
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_shapes_against_torch(L, S, E, Ev, causal):
    compare_with_torch(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=causal),
                       [rand(2, 2, L, E), rand(2, 2, S, E), rand(2, 2, S, Ev)])


@needs_torch
def test_sdpa_every_isa(isa):
    for causal in (False, True):
        compare_with_torch(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=causal),
                           [rand(2, 70, 24), rand(2, 150, 24), rand(2, 150, 13)])
    mask = rand(70, 150) * 3
    compare_with_torch(lambda m, q, k, v, a: sdpa(m, q, k, v, attn_mask=a),
                       [rand(2, 70, 24), rand(2, 150, 24), rand(2, 150, 13), mask])
    r = lambda *s: rand(*s).astype(np.float64)  # noqa: E731
    compare_with_torch(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=True), [r(3, 40, 9), r(3, 40, 9), r(3, 40, 5)],
                       rtol=1e-10, atol=1e-12, grad_rtol=1e-9, grad_atol=1e-11)


@needs_torch
@pytest.mark.parametrize("mask_shape", [(7, 9), (1, 9), (7, 1), (2, 1, 7, 9), (3, 7, 9)])
def test_sdpa_float_mask_and_its_gradient(mask_shape):
    compare_with_torch(lambda m, q, k, v, a: sdpa(m, q, k, v, attn_mask=a),
                       [rand(2, 3, 7, 8), rand(2, 3, 9, 8), rand(2, 3, 9, 6), rand(*mask_shape) * 2])


@needs_torch
@pytest.mark.parametrize("mask_shape", [(7, 9), (2, 1, 1, 9), (2, 3, 7, 9)])
def test_sdpa_bool_mask(mask_shape):
    mask = np.random.default_rng(1).random(mask_shape) > 0.3
    compare_with_torch(lambda m, q, k, v, a: sdpa(m, q, k, v, attn_mask=a),
                       [rand(2, 3, 7, 8), rand(2, 3, 9, 8), rand(2, 3, 9, 6), mask])


@needs_torch
def test_sdpa_fully_masked_rows_give_zeros():
    mask = np.ones((5, 6), bool)
    mask[2] = False
    fmask = np.where(mask, 0.0, -np.inf).astype(np.float32)
    for m_ in (mask, fmask):
        out, grads = compare_with_torch(lambda m, q, k, v, a: sdpa(m, q, k, v, attn_mask=a),
                                        [rand(2, 5, 4), rand(2, 6, 4), rand(2, 6, 3), m_])
        assert np.all(out.detach().numpy()[:, 2] == 0)
        assert np.all(grads[0].numpy()[:, 2] == 0)
    out = sdpa(tf, tf.tensor(rand(2, 3, 4)), tf.tensor(rand(2, 0, 4)), tf.tensor(rand(2, 0, 5)))
    assert out.shape == (2, 3, 5) and np.all(out.numpy() == 0)


@needs_torch
@pytest.mark.parametrize("shapes", [((2, 0, 4), (2, 5, 4), (2, 5, 3)), ((2, 3, 0), (2, 5, 0), (2, 5, 3)),
                                    ((2, 3, 4), (2, 5, 4), (2, 5, 0)), ((0, 3, 4), (0, 5, 4), (0, 5, 3))])
def test_sdpa_empty(shapes):
    compare_with_torch(lambda m, *t: sdpa(m, *t), [rand(*s) for s in shapes])


@needs_torch
def test_mha_fully_masked_rows_as_torch():
    """need_weights=True materialises softmax (NaN for a fully masked row, as PyTorch); the fused
    path gives zeros (as PyTorch's SDPA)."""
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    for need_weights in (True, False):
        out, _ = run_mha({}, {"key_padding_mask": torch.tensor(kpm), "need_weights": need_weights}, L=3, S=3, N=2)
        assert np.isnan(out.detach().numpy()[:, 1]).all() == need_weights


@needs_torch
def test_sdpa_options():
    q, k, v = rand(2, 4, 6, 8), rand(2, 4, 9, 8), rand(2, 4, 9, 5)
    compare_with_torch(lambda m, *t: sdpa(m, *t, scale=0.37), [q, k, v])
    compare_with_torch(lambda m, *t: sdpa(m, *t, is_causal=True, scale=2.0), [q, k, v])
    # broadcast batch dims: query batch only, shared key/value, 2-D operands
    compare_with_torch(lambda m, *t: sdpa(m, *t), [rand(3, 1, 6, 8), rand(4, 9, 8), rand(1, 9, 5)])
    compare_with_torch(lambda m, *t: sdpa(m, *t), [rand(6, 8), rand(2, 3, 9, 8), rand(9, 5)])
    compare_with_torch(lambda m, *t: sdpa(m, *t, is_causal=True), [rand(11, 8), rand(11, 8), rand(11, 5)])
    compare_with_torch(lambda m, *t: sdpa(m, *t), [rand(2, 2, 3, 6, 8), rand(3, 9, 8), rand(2, 1, 1, 9, 5)])
    # a non-contiguous query (a transposed view)
    compare_with_torch(lambda m, q_, k_, v_: sdpa(m, q_.transpose(-1, -2), k_, v_), [rand(2, 8, 6), k[0, 0], v[0, 0]])


@needs_torch
def test_sdpa_grouped_query_attention():
    compare_with_torch(lambda m, *t: sdpa(m, *t, enable_gqa=True), [rand(2, 6, 5, 8), rand(2, 2, 7, 8), rand(2, 3, 7, 4)])
    compare_with_torch(lambda m, *t: sdpa(m, *t, enable_gqa=True, is_causal=True),
                       [rand(1, 8, 40, 16), rand(1, 2, 40, 16), rand(1, 2, 40, 16)])
    compare_with_torch(lambda m, *t: sdpa(m, *t, enable_gqa=True), [rand(6, 5, 8), rand(1, 7, 8), rand(3, 7, 4)])


@needs_torch
def test_sdpa_float64():
    r = lambda *s: rand(*s).astype(np.float64)  # noqa: E731
    compare_with_torch(lambda m, *t: sdpa(m, *t, is_causal=True), [r(2, 130, 24), r(2, 130, 24), r(2, 130, 10)],
                       rtol=1e-10, atol=1e-12, grad_rtol=1e-9, grad_atol=1e-11)
    compare_with_torch(lambda m, *t: sdpa(m, *t), [r(2, 3, 4), r(2, 5, 4), r(2, 5, 3), r(3, 5)],
                       rtol=1e-10, atol=1e-12, grad_rtol=1e-9, grad_atol=1e-11)
    check_op(lambda m, q, k, v: sdpa(m, q, k, v), [r(1, 3, 2), r(1, 4, 2), r(1, 4, 2)])


# ---- SDPA: the fused kernel against the composite reference ------------------------------------
@pytest.mark.parametrize("L,S", [(1, 1), (7, 7), (129, 129), (300, 300), (300, 77), (65, 500)])
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_fused_matches_composite(L, S, causal):
    q, k, v, g = rand(2, 3, L, 32), rand(2, 3, S, 32), rand(2, 3, S, 24), rand(2, 3, L, 24)
    fused = [tf.tensor(a, requires_grad=True) for a in (q, k, v)]
    ref = [tf.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*fused, is_causal=causal)
    expected = F._sdpa_math(*ref, is_causal=causal)
    (out * tf.tensor(g)).sum().backward()
    (expected * tf.tensor(g)).sum().backward()
    assert_close(out, expected, 1e-4, 1e-5, "fused vs composite output")
    for a, b in zip(fused, ref):
        assert_close(a.grad, b.grad, 1e-3, 1e-4, "fused vs composite grad")


def test_sdpa_fused_matches_composite_with_masks():
    q, k, v = rand(2, 4, 33, 16), rand(2, 4, 150, 16), rand(2, 4, 150, 16)
    bmask = np.random.default_rng(3).random((2, 1, 33, 150)) > 0.5
    fmask = rand(4, 33, 150)
    for mask in (bmask, fmask):
        a = [tf.tensor(x) for x in (q, k, v, mask)]
        assert_close(F.scaled_dot_product_attention(*a[:3], attn_mask=a[3]),
                     F._sdpa_math(*a[:3], attn_mask=a[3]), 1e-4, 1e-5)


# ---- SDPA: dropout (the composite path) ---------------------------------------------------------
def test_sdpa_dropout():
    q, k, v = (tf.tensor(rand(2, 2, 16, 8), requires_grad=True) for _ in range(3))
    plain = F.scaled_dot_product_attention(q, k, v)
    tf.manual_seed(5)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tf.manual_seed(5)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert_close(a, b, 0, 0, "same seed, same dropout")
    assert not np.allclose(a.detach().numpy(), plain.detach().numpy())
    a.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert np.all(zero.detach().numpy() == 0)
    # the mean over many draws approaches the output without dropout
    with tf.no_grad():
        mean = sum(F.scaled_dot_product_attention(q, k, v, dropout_p=0.2).numpy() for _ in range(300)) / 300
    np.testing.assert_allclose(mean, plain.detach().numpy(), atol=0.1)


# ---- SDPA: errors -----------------------------------------------------------------------------
def test_sdpa_errors():
    q, k, v = tf.randn(2, 3, 4), tf.randn(2, 5, 4), tf.randn(2, 5, 6)
    with pytest.raises(ValueError, match=r"\[scaled_dot_product_attention\] attn_mask of shape \[4, 5\]"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tf.randn(4, 5))
    with pytest.raises(ValueError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tf.randn(7, 2, 3, 5))
    with pytest.raises(TypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tf.ones(3, 5, dtype=tf.int64))
    with pytest.raises(TypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tf.randn(3, 5, dtype=tf.float64))
    with pytest.raises(ValueError, match="embedding size"):
        F.scaled_dot_product_attention(q, tf.randn(2, 5, 3), v)
    with pytest.raises(ValueError, match="source length"):
        F.scaled_dot_product_attention(q, k, tf.randn(2, 6, 6))
    with pytest.raises(ValueError, match="do not broadcast"):
        F.scaled_dot_product_attention(q, tf.randn(3, 5, 4), tf.randn(3, 5, 6))
    with pytest.raises(TypeError, match="one dtype"):
        F.scaled_dot_product_attention(q, k.double(), v)
    with pytest.raises(TypeError, match="float32 or float64"):
        F.scaled_dot_product_attention(*(tf.ones(2, 3, dtype=tf.int64) for _ in range(3)))
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.scaled_dot_product_attention(tf.randn(4), tf.randn(4), tf.randn(4))
    with pytest.raises(ValueError, match="divide"):
        F.scaled_dot_product_attention(tf.randn(1, 6, 3, 4), tf.randn(1, 4, 5, 4), tf.randn(1, 4, 5, 4),
                                       enable_gqa=True)
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tf.ones(3, 5, dtype=tf.bool), is_causal=True)
    with pytest.raises(ValueError, match="dropout probability"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)


# ---- MultiheadAttention -----------------------------------------------------------------------
def copy_state(ours, ref):
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})


def run_mha(kwargs, call=None, L=5, S=7, N=3, E=16, H=4, unbatched=False, dtype=np.float32, tol=1e-4):
    """Same module (PyTorch's weights copied in) on both libraries: outputs, weights, input and
    parameter gradients."""
    call = call or {}
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(E, H, **kwargs)
    ours = nn.MultiheadAttention(E, H, **kwargs)
    if dtype == np.float64:
        ref, ours = ref.double(), ours.double()
    copy_state(ours, ref)
    kd, vd = kwargs.get("kdim") or E, kwargs.get("vdim") or E
    if unbatched:
        shapes = [(L, E), (S, kd), (S, vd)]
    elif kwargs.get("batch_first"):
        shapes = [(N, L, E), (N, S, kd), (N, S, vd)]
    else:
        shapes = [(L, N, E), (S, N, kd), (S, N, vd)]
    arrays = [rand(*s).astype(dtype) for s in shapes]
    ti = [tf.tensor(a, requires_grad=True) for a in arrays]
    pi = [torch.tensor(a, requires_grad=True) for a in arrays]
    tcall = {k: tf.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v for k, v in call.items()}
    out, weights = ours(*ti, **tcall)
    ref_out, ref_weights = ref(*pi, **call)
    up = rand(*ref_out.shape).astype(dtype)
    (out * tf.tensor(up)).sum().backward()
    (ref_out * torch.tensor(up)).sum().backward()
    assert_close(out, ref_out, tol, tol / 10, "MHA output")
    if ref_weights is None:
        assert weights is None
    else:
        assert_close(weights, ref_weights, tol, tol / 10, "MHA weights")
    for i, (a, b) in enumerate(zip(ti, pi)):
        assert_close(a.grad, b.grad, tol * 10, tol, f"MHA grad of input {i}")
    params = dict(ours.named_parameters())
    assert sorted(params) == sorted(n for n, _ in ref.named_parameters())
    for name, p in ref.named_parameters():
        assert_close(params[name].grad, p.grad, tol * 10, tol, f"MHA grad of {name}")
    return out, weights


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True}, {"bias": False}, {"kdim": 8, "vdim": 12},
                                    {"batch_first": True, "kdim": 8, "vdim": 12}, {"add_bias_kv": True},
                                    {"add_zero_attn": True}, {"add_bias_kv": True, "add_zero_attn": True}])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_flags(kwargs, need_weights):
    run_mha(kwargs, {"need_weights": need_weights})


@needs_torch
def test_mha_weights_per_head_and_unbatched():
    _, w = run_mha({}, {"average_attn_weights": False})
    assert w.shape == (3, 4, 5, 7)
    _, w = run_mha({"batch_first": True}, {"average_attn_weights": True})
    assert w.shape == (3, 5, 7)
    _, w = run_mha({}, {"average_attn_weights": False}, unbatched=True)
    assert w.shape == (4, 5, 7)
    out, w = run_mha({"batch_first": True}, {"need_weights": False}, unbatched=True)
    assert out.shape == (5, 16) and w is None


@needs_torch
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks(need_weights):
    g = torch.Generator().manual_seed(0)
    kpm = torch.rand(3, 7, generator=g) > 0.7
    kpm[:, 0] = False  # every query keeps a key
    fkpm = torch.where(kpm, float("-inf"), 0.0)
    nw = {"need_weights": need_weights}
    run_mha({}, {"key_padding_mask": kpm, **nw})
    run_mha({"batch_first": True}, {"key_padding_mask": torch.where(kpm, -1e9, 0.0), **nw})
    run_mha({}, {"attn_mask": torch.rand(5, 7, generator=g) > 0.6, **nw})
    run_mha({}, {"attn_mask": torch.randn(5, 7, generator=g), **nw})
    run_mha({"batch_first": True}, {"attn_mask": torch.randn(12, 5, 7, generator=g), **nw})
    run_mha({"add_bias_kv": True, "add_zero_attn": True},
            {"attn_mask": torch.randn(5, 7, generator=g), "key_padding_mask": fkpm, **nw})
    run_mha({}, {"attn_mask": torch.randn(5, 7, generator=g) > 1.5, "key_padding_mask": kpm, **nw}, unbatched=False)
    run_mha({}, {"attn_mask": torch.randn(4, 5, 7, generator=g), "key_padding_mask": fkpm[0], **nw}, unbatched=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(6)
    run_mha({}, {"attn_mask": causal, "is_causal": True, **nw}, L=6, S=6)
    run_mha({"batch_first": True}, {"attn_mask": causal, "is_causal": True, "key_padding_mask": fkpm[:, :6], **nw},
            L=6, S=6)


@needs_torch
def test_mha_float64_and_dropout_eval():
    run_mha({"batch_first": True}, {"need_weights": False}, dtype=np.float64, tol=1e-9)
    ours = nn.MultiheadAttention(16, 4, dropout=0.5).eval()
    x = tf.randn(5, 2, 16)
    assert_close(ours(x, x, x)[0], ours(x, x, x)[0], 0, 0, "eval mode has no dropout")
    ours.train()
    tf.manual_seed(1)
    a = ours(x, x, x, need_weights=False)[0]
    b = ours(x, x, x, need_weights=False)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_mha_parameters_and_init():
    m = nn.MultiheadAttention(32, 4)
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                    "out_proj.bias"]
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    bound = np.sqrt(6.0 / (32 + 96))  # xavier_uniform_ on (3E, E)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    m = nn.MultiheadAttention(32, 4, kdim=8, vdim=6, add_bias_kv=True, bias=False)
    assert [n for n, _ in m.named_parameters()] == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k",
                                                    "bias_v", "out_proj.weight"]
    assert m.in_proj_weight is None and m.in_proj_bias is None and m.bias_k.shape == (1, 1, 32)


def test_mha_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 1)
    m = nn.MultiheadAttention(16, 4)
    x = tf.randn(5, 2, 16)
    with pytest.raises(ValueError, match="2D attn_mask"):
        m(x, x, x, attn_mask=tf.zeros(4, 5))
    with pytest.raises(ValueError, match="3D attn_mask"):
        m(x, x, x, attn_mask=tf.zeros(3, 5, 5))
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=tf.zeros(2, 4, dtype=tf.bool))
    with pytest.raises(TypeError, match="bool and floating"):
        m(x, x, x, attn_mask=tf.zeros(5, 5, dtype=tf.int64))
    with pytest.raises(ValueError, match="embedding dimension"):
        m(tf.randn(5, 2, 8), tf.randn(5, 2, 8), tf.randn(5, 2, 8))
    with pytest.raises(ValueError, match="3-D key and value"):
        m(x, tf.randn(5, 16), x)
    with pytest.raises(ValueError, match="does not match value shape"):
        m(x, x, tf.randn(6, 2, 16))
    with pytest.raises(RuntimeError, match="need attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="projection"):
        nn.MultiheadAttention(16, 4, kdim=8, vdim=8)(x, x, x)
