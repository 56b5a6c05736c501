"""RNN / LSTM / GRU layers and cells against PyTorch (weights copied through state_dict) and
against a composite reference built from basic tensorforge ops: outputs, final states and the
gradients of the input, the initial states and every parameter, over the layers' flags;
packed sequences; bad input."""
import itertools

import numpy as np
import pytest

import tensorforge as tf
import tensorforge.nn as nn
from helpers import assert_close, torch
from tensorforge.nn.utils import rnn as rnn_utils

F = nn.functional
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """These layers are tiny: PyTorch's thread pool only costs time here (restored after)."""
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
KINDS = {"tanh": ("RNN", {}), "relu": ("RNN", {"nonlinearity": "relu"}), "lstm": ("LSTM", {}),
         "lstm_proj": ("LSTM", {"proj_size": 3}), "gru": ("GRU", {})}


def _pair(kind, input_size, hidden, dtype=np.float64, **kwargs):
    """The same layer in both libraries: ours with PyTorch's weights loaded via state_dict."""
    cls, extra = KINDS[kind]
    ref = getattr(torch.nn, cls)(input_size, hidden, **extra, **kwargs)
    ref = ref.double() if dtype == np.float64 else ref
    ours = getattr(nn, cls)(input_size, hidden, **extra, **kwargs, dtype=tf.float64 if dtype == np.float64 else None)
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


def _leaf(lib, a):
    t = lib.tensor(a)
    t.requires_grad_(True)
    return t


def _run(model, lib, x, states, lstm):
    """Forward, then backward of a random weighting of every output; returns outputs and leaves."""
    xs = _leaf(lib, x)
    hs = [_leaf(lib, s) for s in states]
    hx = None if not hs else (tuple(hs) if lstm else hs[0])
    out, hn = model(xs, hx)
    outs = [out] + (list(hn) if lstm else [hn])
    w = np.random.default_rng(1)
    total = sum((o * lib.tensor(w.uniform(-1, 1, tuple(o.shape)).astype(x.dtype))).sum() for o in outs)
    total.backward()
    return outs, [xs] + hs


def _compare(ours, ref, x, states, lstm, rtol=1e-7, atol=1e-9):
    o1, leaves1 = _run(ours, tf, x, states, lstm)
    o2, leaves2 = _run(ref, torch, x, states, lstm)
    for i, (a, b) in enumerate(zip(o1, o2)):
        assert_close(a, b, rtol, atol, f"output {i}")
    for i, (a, b) in enumerate(zip(leaves1, leaves2)):
        assert_close(a.grad, b.grad, rtol, atol, f"grad of input {i}")
    theirs = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs[name].grad, rtol, atol, f"grad of {name}")


def _states(kind, layers, dirs, batch, hidden, dtype, unbatched=False):
    proj = KINDS[kind][1].get("proj_size", hidden)
    shape = (layers * dirs,) + (() if unbatched else (batch,))
    h = RNG.uniform(-1, 1, shape + (proj,)).astype(dtype)
    if kind.startswith("lstm"):
        return [h, RNG.uniform(-1, 1, shape + (hidden,)).astype(dtype)]
    return [h]


# ---- parity with PyTorch over every flag combination -----------------------------------------
@needs_torch
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("layers,bias,batch_first,bidirectional",
                         list(itertools.product([1, 2], [True, False], [False, True], [False, True])))
def test_layers_match_pytorch(kind, layers, bias, batch_first, bidirectional):
    seq, batch, inp, hidden = 4, 3, 5, 6
    ours, ref = _pair(kind, inp, hidden, num_layers=layers, bias=bias, batch_first=batch_first,
                      bidirectional=bidirectional)
    x = RNG.uniform(-1, 1, (batch, seq, inp) if batch_first else (seq, batch, inp))
    lstm = kind.startswith("lstm")
    _compare(ours, ref, x, _states(kind, layers, 2 if bidirectional else 1, batch, hidden, np.float64), lstm)


@needs_torch
@pytest.mark.parametrize("kind", list(KINDS))
def test_default_states_unbatched_and_edges(kind):
    lstm = kind.startswith("lstm")
    ours, ref = _pair(kind, 5, 6, num_layers=2, bidirectional=True)
    _compare(ours, ref, RNG.uniform(-1, 1, (4, 3, 5)), [], lstm)  # zero initial states
    _compare(ours, ref, RNG.uniform(-1, 1, (4, 5)), _states(kind, 2, 2, 0, 6, np.float64, unbatched=True), lstm)
    _compare(ours, ref, RNG.uniform(-1, 1, (1, 3, 5)), [], lstm)  # seq length 1
    _compare(ours, ref, RNG.uniform(-1, 1, (6, 1, 5)), _states(kind, 2, 2, 1, 6, np.float64), lstm)  # batch 1
    ours, ref = _pair(kind, 5, 6, batch_first=True)
    _compare(ours, ref, RNG.uniform(-1, 1, (4, 5)), [], lstm)  # unbatched with batch_first


@needs_torch
@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
def test_float32_and_wide_layers(kind):
    """float32 at PyTorch's tolerance, with hidden sizes that exercise full SIMD vectors, ragged
    tails and the split of a step across threads."""
    ours, ref = _pair(kind, 24, 67, dtype=np.float32, num_layers=2, bidirectional=True)
    x = RNG.uniform(-1, 1, (7, 37, 24)).astype(np.float32)
    _compare(ours, ref, x, _states(kind, 2, 2, 37, 67, np.float32), kind == "lstm", rtol=1e-4, atol=2e-5)
    ours, ref = _pair(kind, 64, 128, dtype=np.float32)
    x = RNG.uniform(-1, 1, (5, 64, 64)).astype(np.float32)
    _compare(ours, ref, x, [], kind == "lstm", rtol=1e-4, atol=2e-5)


def test_state_dict_layout_and_init():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    names = [(k, tuple(v.shape)) for k, v in m.state_dict().items()]
    if torch is not None:
        ref = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
        assert names == [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
        assert repr(m) == repr(ref)
        for ours_, theirs in [(nn.RNN(3, 4, nonlinearity="relu", bias=False, batch_first=True),
                               torch.nn.RNN(3, 4, nonlinearity="relu", bias=False, batch_first=True)),
                              (nn.GRU(3, 4, 2, dropout=0.5), torch.nn.GRU(3, 4, 2, dropout=0.5)),
                              (nn.RNNCell(3, 4, nonlinearity="relu"), torch.nn.RNNCell(3, 4, nonlinearity="relu")),
                              (nn.LSTMCell(3, 4, bias=False), torch.nn.LSTMCell(3, 4, bias=False))]:
            assert repr(ours_) == repr(theirs)
    assert names[:5] == [("weight_ih_l0", (80, 10)), ("weight_hh_l0", (80, 5)), ("bias_ih_l0", (80,)),
                         ("bias_hh_l0", (80,)), ("weight_hr_l0", (5, 20))]
    assert names[5][0] == "weight_ih_l0_reverse" and names[10] == ("weight_ih_l1", (80, 10))
    bound = 1 / np.sqrt(20)
    for p in m.parameters():
        v = p.detach().numpy()
        assert np.all(np.abs(v) <= bound) and v.std() > bound / 4
    m.flatten_parameters()  # a no-op, for compatibility
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 5


# ---- dropout between layers ------------------------------------------------------------------
@needs_torch
def test_dropout_between_layers():
    ours, ref = _pair("lstm", 5, 16, num_layers=3, dropout=0.5)
    x = RNG.uniform(-1, 1, (6, 4, 5))
    ours.eval()
    ref.eval()
    _compare(ours, ref, x, [], True)  # eval: dropout off, identical
    ours.train()
    with tf.no_grad():
        a = ours(tf.tensor(x))[0].numpy()
        b = ours(tf.tensor(x))[0].numpy()
    ref_out = ref(torch.tensor(x))[0].detach().numpy()
    assert not np.allclose(a, b) and not np.allclose(a, ref_out)
    tf.manual_seed(3)
    x_t = tf.tensor(x)
    x_t.requires_grad_(True)
    out = ours(x_t)[0]
    out.sum().backward()
    assert x_t.grad is not None and np.isfinite(x_t.grad.numpy()).all()
    tf.manual_seed(3)
    np.testing.assert_array_equal(ours(tf.tensor(x))[0].detach().numpy(), out.detach().numpy())


# ---- cells ------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("cls,extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                       ("GRUCell", {})])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_pytorch(cls, extra, bias, batched, with_state):
    ref = getattr(torch.nn, cls)(5, 7, bias=bias, **extra).double()
    ours = getattr(nn, cls)(5, 7, bias=bias, **extra, dtype=tf.float64)
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    lstm = cls == "LSTMCell"
    shape = (3, 7) if batched else (7,)
    states = [RNG.uniform(-1, 1, shape) for _ in range(2 if lstm else 1)] if with_state else []
    x = RNG.uniform(-1, 1, (3, 5) if batched else (5,))

    def run(model, lib):
        xs = _leaf(lib, x)
        hs = [_leaf(lib, s) for s in states]
        out = model(xs, (tuple(hs) if lstm else hs[0]) if hs else None)
        outs = list(out) if lstm else [out]
        sum((o * (i + 1.5)).sin().sum() for i, o in enumerate(outs)).backward()
        return outs, [xs] + hs

    o1, l1 = run(ours, tf)
    o2, l2 = run(ref, torch)
    for a, b in zip(o1, o2):
        assert_close(a, b, 1e-7, 1e-9, "cell output")
    for a, b in zip(l1, l2):
        assert_close(a.grad, b.grad, 1e-7, 1e-9, "cell input grad")
    theirs = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs[name].grad, 1e-7, 1e-9, f"grad of {name}")


def test_cell_loop_matches_layer():
    """An LSTMCell unrolled in Python equals the fused LSTM layer with the same weights."""
    layer, cell = nn.LSTM(4, 6), nn.LSTMCell(4, 6)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = tf.randn(5, 2, 4)
    out, (h, c) = layer(x)
    hc = None
    steps = []
    for t in range(5):
        hc = cell(x[t], hc)
        steps.append(hc[0])
    assert_close(tf.stack(steps), out, 1e-5, 1e-6)
    assert_close(hc[1], c[0], 1e-5, 1e-6)


# ---- the composite reference ------------------------------------------------------------------
def _reference_layer(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """One direction of one layer from basic ops (matmul, sigmoid, tanh, stack), time-major."""
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outs = {}
    hidden = w_hh.shape[1]
    for t in steps:
        gi = x[t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        if mode == "LSTM":
            g = gi + gh
            i, f, gg, o = (g[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = f.sigmoid() * c + i.sigmoid() * gg.tanh()
            h = o.sigmoid() * c.tanh()
        elif mode == "GRU":
            r = (gi[:, :hidden] + gh[:, :hidden]).sigmoid()
            z = (gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden]).sigmoid()
            n = (gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:]).tanh()
            h = (1 - z) * n + z * h
        else:
            h = (gi + gh).tanh() if mode == "RNN_TANH" else (gi + gh).relu()
        outs[t] = h
    return tf.stack([outs[t] for t in range(x.shape[0])]), h, c


@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_fused_matches_composite_reference(mode, reverse, dtype):
    seq, batch, inp, hidden = 5, 4, 6, 20
    g = {"LSTM": 4, "GRU": 3}.get(mode, 1) * hidden
    r = lambda *s: (tf.rand(*s, dtype=dtype) - 0.5).requires_grad_(True)  # noqa: E731
    x, h0, c0 = r(seq, batch, inp), r(1, batch, hidden), r(1, batch, hidden)
    w = [r(g, inp), r(g, hidden), r(g), r(g)]
    dummy = [r(g, inp), r(g, hidden), r(g), r(g), None]
    weights = [dummy, w + [None]] if reverse else [w + [None]]
    hx = (h0.expand(2, batch, hidden), c0.expand(2, batch, hidden)) if reverse else (h0, c0)
    out, h_n, c_n = F.rnn(mode, x, hx if mode == "LSTM" else hx[0], [weights], bidirectional=reverse)
    if reverse:
        out, h_n, c_n = out[:, :, hidden:], h_n[1:], None if c_n is None else c_n[1:]
    ref_out, ref_h, ref_c = _reference_layer(mode, x, h0[0], c0[0], *w, reverse=reverse)
    tol = (1e-5, 1e-6) if dtype == tf.float32 else (1e-12, 1e-13)
    assert_close(out, ref_out, *tol, "output vs reference")
    assert_close(h_n[0], ref_h, *tol, "h_n vs reference")
    if mode == "LSTM":
        assert_close(c_n[0], ref_c, *tol, "c_n vs reference")
    weight = tf.rand(*out.shape, dtype=dtype)
    leaves = [x, h0] + ([c0] if mode == "LSTM" else []) + w
    fused = tf.autograd.grad([(out * weight).sum() + h_n.sum() * 0.5], leaves)
    refs = tf.autograd.grad([(ref_out * weight).sum() + ref_h.sum() * 0.5], leaves)
    for i, (a, b) in enumerate(zip(fused, refs)):
        assert_close(a, b, 10 * tol[0], 10 * tol[1], f"grad {i} vs reference")


# ---- packed sequences -------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("kind", ["lstm", "gru", "lstm_proj", "relu"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_pytorch(kind, enforce_sorted):
    lengths = [5, 4, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4, 3]
    ours, ref = _pair(kind, 3, 6, num_layers=2, bidirectional=True)
    x = RNG.uniform(-1, 1, (5, 5, 3))
    lstm = kind.startswith("lstm")
    states = _states(kind, 2, 2, 5, 6, np.float64)

    def run(model, lib, utils):
        xs = _leaf(lib, x)
        hs = [_leaf(lib, s) for s in states]
        packed = utils.pack_padded_sequence(xs, lengths, enforce_sorted=enforce_sorted)
        out, hn = model(packed, tuple(hs) if lstm else hs[0])
        padded, lens = utils.pad_packed_sequence(out, total_length=6)
        outs = [padded] + (list(hn) if lstm else [hn])
        sum((o * (i + 1.0)).cos().sum() for i, o in enumerate(outs)).backward()
        return outs, [xs] + hs, lens, packed

    o1, l1, n1, p1 = run(ours, tf, rnn_utils)
    o2, l2, n2, p2 = run(ref, torch, torch.nn.utils.rnn)
    assert n1.tolist() == n2.tolist() and p1.batch_sizes.tolist() == p2.batch_sizes.tolist()
    assert_close(p1.data, p2.data, what="packed data")
    for a, b in zip(o1, o2):
        assert_close(a, b, 1e-7, 1e-9, "packed output")
    for a, b in zip(l1, l2):
        assert_close(a.grad, b.grad, 1e-7, 1e-9, "packed input grad")
    theirs = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs[name].grad, 1e-7, 1e-9, f"grad of {name}")


def _compare_packed_f32(ours, ref, x, lengths, lstm):
    """float32 layers fed x packed to `lengths` (sorted): outputs, final states and every gradient."""
    def run(model, lib, utils):
        xs = _leaf(lib, x)
        out, hn = model(utils.pack_padded_sequence(xs, lengths))
        padded, _ = utils.pad_packed_sequence(out)
        outs = [padded] + (list(hn) if lstm else [hn])
        sum((o * (i + 1.0)).sum() for i, o in enumerate(outs)).backward()
        return outs, xs

    o1, x1 = run(ours, tf, rnn_utils)
    o2, x2 = run(ref, torch, torch.nn.utils.rnn)
    for a, b in zip(o1, o2):
        assert_close(a, b, 1e-4, 2e-5, "packed output")
    assert_close(x1.grad, x2.grad, 1e-4, 2e-5, "packed input grad")
    theirs = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs[name].grad, 1e-4, 1e-4, f"grad of {name}")


@needs_torch
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_packed_wide_layers_match_pytorch(kind):
    """Packed sequences through a step split across threads (hidden 64, batch 40)."""
    ours, ref = _pair(kind, 8, 64, dtype=np.float32, num_layers=2)
    lengths = sorted(RNG.integers(1, 9, 40).tolist(), reverse=True)
    x = RNG.uniform(-1, 1, (8, 40, 8)).astype(np.float32)
    _compare_packed_f32(ours, ref, x, lengths, kind == "lstm")


@needs_torch
@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "lstm_proj"])
@pytest.mark.parametrize("batch", [8, 29])
def test_thread_splits_match_pytorch(kind, batch):
    """Two threads share a layer's work either by batch rows (each runs the whole recurrence on
    its rows: batch 29, split unevenly) or by the hidden units of every step (batch 8); both,
    with packed sequences of ragged lengths too, match PyTorch."""
    threads = tf.get_num_threads()
    tf.set_num_threads(2)
    try:
        ours, ref = _pair(kind, 16, 128, dtype=np.float32, num_layers=2)
        lstm = kind.startswith("lstm")
        x = RNG.uniform(-1, 1, (6, batch, 16)).astype(np.float32)
        _compare(ours, ref, x, _states(kind, 2, 1, batch, 128, np.float32), lstm, rtol=1e-4, atol=2e-5)
        _compare_packed_f32(ours, ref, x, sorted(RNG.integers(1, 7, batch).tolist(), reverse=True), lstm)
    finally:
        tf.set_num_threads(threads)


@needs_torch
def test_padding_utilities_match_pytorch():
    seqs = [RNG.uniform(-1, 1, (n, 2)) for n in (3, 5, 1)]
    for batch_first, side in itertools.product([False, True], ["right", "left"]):
        ours = rnn_utils.pad_sequence([tf.tensor(s) for s in seqs], batch_first, -1.0, side)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side)
        assert_close(ours, theirs)
    leaves = [_leaf(tf, s) for s in seqs]
    packed = rnn_utils.pack_sequence(leaves, enforce_sorted=False)
    ref = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close(packed.data, ref.data)
    assert packed.sorted_indices.tolist() == ref.sorted_indices.tolist()
    back = rnn_utils.unpack_sequence(packed)
    for a, s in zip(back, seqs):
        assert_close(a, s)
    sum((b * b).sum() for b in back).backward()
    for leaf, s in zip(leaves, seqs):
        assert_close(leaf.grad, 2 * s)
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=9.0)
    ref_padded, ref_lengths = torch.nn.utils.rnn.pad_packed_sequence(ref, batch_first=True, padding_value=9.0)
    assert_close(padded, ref_padded)
    assert lengths.tolist() == ref_lengths.tolist()


def test_packing_errors():
    x = tf.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn_utils.pack_padded_sequence(x, [4, 0, 0])
    with pytest.raises(ValueError, match="total_length"):
        rnn_utils.pad_packed_sequence(rnn_utils.pack_padded_sequence(x, [4, 2, 1]), total_length=2)
    with pytest.raises(ValueError, match="padding_side"):
        rnn_utils.pad_sequence([x[0]], padding_side="middle")


# ---- bad input --------------------------------------------------------------------------------
def test_layer_errors():
    lstm = nn.LSTM(128, 32, num_layers=2)
    with pytest.raises(RuntimeError, match=r"\[lstm\] input.size\(-1\) must be equal to input_size. "
                                           r"Expected 128, got 64"):
        lstm(tf.randn(5, 3, 64))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 3, 32\), got \[1, 3, 32\]"):
        lstm(tf.randn(5, 3, 128), (tf.randn(1, 3, 32), tf.randn(2, 3, 32)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(2, 3, 32\), got \[2, 3, 16\]"):
        lstm(tf.randn(5, 3, 128), (tf.randn(2, 3, 32), tf.randn(2, 3, 16)))
    with pytest.raises(RuntimeError, match=r"\[gru\] Expected hidden size \(1, 3, 8\), got \[1, 4, 8\]"):
        nn.GRU(4, 8)(tf.randn(5, 3, 4), tf.randn(1, 4, 8))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        lstm(tf.randn(5, 3, 128, 1))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be 3-D"):
        lstm(tf.randn(5, 3, 128), (tf.randn(3, 32), tf.randn(3, 32)))
    with pytest.raises(TypeError, match=r"\[lstm\] input dtype \(float64\) does not match weight dtype \(float32\)"):
        lstm(tf.randn(5, 3, 128, dtype=tf.float64))
    with pytest.raises(TypeError, match=r"\[rnn_tanh\].*hidden state"):
        nn.RNN(4, 8)(tf.randn(5, 3, 4), tf.randn(1, 3, 8, dtype=tf.float64))
    with pytest.raises(TypeError, match=r"\[lstm\] expected a float32 or float64 input"):
        lstm(tf.ones(5, 3, 128, dtype=tf.int64))
    with pytest.raises(ValueError, match="sequence length"):
        lstm(tf.randn(0, 3, 128))
    for kwargs, msg in [({"dropout": 1.5}, "dropout should be a number"), ({"proj_size": 40}, "smaller than"),
                        ({"num_layers": 0}, "num_layers"), ({"proj_size": -1}, "proj_size")]:
        with pytest.raises(ValueError, match=msg):
            nn.LSTM(4, 32, **kwargs)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(4, 8, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(4, 8, nonlinearity="gelu")
    out, h = nn.GRU(4, 8)(tf.randn(3, 0, 4))  # an empty batch is fine, as in PyTorch
    assert tuple(out.shape) == (3, 0, 8) and tuple(h.shape) == (1, 0, 8)


def test_low_level_errors():
    w = [tf.randn(24, 4)._c, tf.randn(24, 6)._c, None, None, None]
    x = tf.randn(10, 4)._c
    with pytest.raises(ValueError, match="non-increasing"):
        tf._C.rnn_layer(tf._C.RnnMode.Lstm, x, [3, 4, 3], None, None, [w])
    with pytest.raises(ValueError, match="batch_sizes sum to 9"):
        tf._C.rnn_layer(tf._C.RnnMode.Lstm, x, [4, 3, 2], None, None, [w])
    with pytest.raises(ValueError, match=r"expected weight_hh of shape \[24, 6\]"):
        tf._C.rnn_layer(tf._C.RnnMode.Lstm, x, [5, 5], None, None, [w[:1] + [tf.randn(24, 5)._c] + w[2:]])
    with pytest.raises(ValueError, match="bias_ih and bias_hh"):
        tf._C.rnn_layer(tf._C.RnnMode.Lstm, x, [5, 5], None, None, [w[:2] + [tf.randn(24)._c, None, None]])
    with pytest.raises(ValueError, match="only supported by lstm"):
        tf._C.rnn_layer(tf._C.RnnMode.Gru, x, [5, 5], None, None, [w[:4] + [tf.randn(3, 8)._c]])


def test_cell_errors():
    cell = nn.LSTMCell(10, 20)
    with pytest.raises(RuntimeError, match=r"\[lstm_cell\] input has inconsistent input_size: got 3 expected 10"):
        cell(tf.randn(4, 3))
    with pytest.raises(RuntimeError, match="Input batch size 3 doesn't match hidden0 batch size 4"):
        cell(tf.randn(3, 10), (tf.randn(4, 20), tf.randn(4, 20)))
    with pytest.raises(RuntimeError, match="hidden1 has inconsistent hidden_size: got 5, expected 20"):
        cell(tf.randn(3, 10), (tf.randn(3, 20), tf.randn(3, 5)))
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D"):
        nn.GRUCell(10, 20)(tf.randn(2, 3, 10))
    with pytest.raises(ValueError, match=r"LSTMCell: Expected hx\[1\] to be 1D or 2D"):
        cell(tf.randn(3, 10), (tf.randn(3, 20), tf.randn(1, 3, 20)))


def test_backward_checks():
    lstm = nn.LSTM(3, 4)
    x = tf.randn(2, 2, 3, requires_grad=True)
    out, _ = lstm(x)
    with tf.no_grad():
        lstm.weight_hh_l0.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    out, (h, c) = lstm(x)
    (c.sum() * 2).backward()  # only c_n used: grads still reach the input and weights
    assert x.grad is not None and lstm.weight_ih_l0.grad is not None
    out, _ = lstm(x)
    g = tf.autograd.grad(out.sum(), [x], create_graph=False)[0]
    assert tuple(g.shape) == (2, 2, 3)
    with pytest.raises(RuntimeError, match="double backward"):
        tf.autograd.grad(lstm(x)[0].sum(), [x], create_graph=True)


@needs_torch
@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
def test_every_isa(isa, kind):
    """The kernels of every ISA build (AVX-512, AVX2, scalar) against PyTorch in float32 and float64."""
    for dtype, tol in ((np.float32, (1e-4, 2e-5)), (np.float64, (1e-7, 1e-9))):
        ours, ref = _pair(kind, 9, 40, dtype=dtype, num_layers=2, bidirectional=True)
        x = RNG.uniform(-2, 2, (5, 70, 9)).astype(dtype)
        _compare(ours, ref, x, _states(kind, 2, 2, 70, 40, dtype), kind == "lstm", *tol)
        ours, ref = _pair(kind, 9, 96, dtype=dtype)
        _compare(ours, ref, RNG.uniform(-2, 2, (4, 40, 9)).astype(dtype), [], kind == "lstm", *tol)


# ---- the examples run end to end (tiny settings) ---------------------------------------------
def test_examples_run(capsys):
    from tensorforge.examples import char_lstm, sunspots

    result = char_lstm.main(["--steps", "3", "--eval-every", "100", "--sample-length", "20", "--hidden", "32"])
    assert 0 < result["val_loss"] < np.log(103) + 0.2 and 2.5 < result["baseline"] < 3.5
    assert len(result["sample"]) == 24
    pytest.importorskip("statsmodels")
    result = sunspots.main(["--epochs", "2"])
    assert np.isfinite(result["rmse"]) and result["baseline_rmse"] > 20
    assert "persistence" in capsys.readouterr().out
