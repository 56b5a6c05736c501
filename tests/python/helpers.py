"""One helper checks an op's forward and backward: against numpy, central finite differences,
and PyTorch when it is installed.

Ops are written once as ``fn(lib, *tensors)`` where ``lib`` is ``tensorforge`` or ``torch``,
so the very same expression runs on both libraries::

    check_op(lambda m, a, b: m.add(a, b), [rand(3, 4), rand(4)])
"""
from __future__ import annotations

import numpy as np

import tensorforge as tf

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # pragma: no cover - the parity half is skipped without PyTorch
    torch = None

RNG = np.random.default_rng(0)


def rand(*shape, low=-1.0, high=1.0, dtype=np.float32):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def positive(*shape, dtype=np.float32):
    return rand(*shape, low=0.2, high=2.0, dtype=dtype)


def _flatten(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten(o))
        return res
    return [out]


def _np(t):
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy()
    if isinstance(t, tf.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def assert_close(actual, expected, rtol=1e-4, atol=1e-5, what=""):
    a, e = _np(actual), _np(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    if a.dtype == np.bool_ or e.dtype == np.bool_ or np.issubdtype(e.dtype, np.integer):
        np.testing.assert_array_equal(a, e, err_msg=what)
    else:
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def _inputs(lib, arrays, grad):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = lib.tensor(a)
            if grad and np.issubdtype(a.dtype, np.floating):
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _is_float_out(t):
    return t.dtype in (tf.float32, tf.float64)


def check_op(fn, arrays, np_fn=None, grad=True, rtol=1e-4, atol=1e-5, grad_rtol=None, grad_atol=None,
             fd=True, fd_eps=1e-6, fd_tol=1e-5, torch_fn=None):
    """Runs ``fn(tensorforge, *inputs)`` and checks it against ``np_fn(*arrays)``, PyTorch and
    (for gradients) finite differences. Returns the tensorforge output."""
    grad_rtol = grad_rtol if grad_rtol is not None else rtol * 10
    grad_atol = grad_atol if grad_atol is not None else atol * 10
    tf_in = _inputs(tf, arrays, grad)
    tf_outs = _flatten(fn(tf, *tf_in))
    if np_fn is not None:
        for o, e in zip(tf_outs, _flatten(np_fn(*arrays))):
            assert_close(o, np.asarray(e), rtol, atol, "forward vs numpy")
    diff_outs = [o for o in tf_outs if isinstance(o, tf.Tensor) and _is_float_out(o) and o.requires_grad]
    upstream = [rand(*o.shape).astype(o.detach().numpy().dtype) for o in diff_outs]
    leaves = [t for t in tf_in if isinstance(t, tf.Tensor) and t.requires_grad]
    if grad and diff_outs:
        total = sum((o * tf.tensor(g)).sum() for o, g in zip(diff_outs, upstream))
        total.backward()
    if torch is not None:
        th_in = _inputs(torch, arrays, grad)
        th_outs = _flatten((torch_fn or fn)(torch, *th_in))
        assert len(th_outs) == len(tf_outs), "number of outputs differs from PyTorch"
        for o, e in zip(tf_outs, th_outs):
            if isinstance(e, torch.Tensor):
                assert_close(o, e, rtol, atol, "forward vs PyTorch")
                assert str(o.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], \
                    f"dtype {o.dtype} differs from PyTorch's {e.dtype}"
            else:
                assert o == e, f"{o} != PyTorch's {e}"
        th_diff = [e for e in th_outs if isinstance(e, torch.Tensor) and e.requires_grad]
        th_leaves = [t for t in th_in if isinstance(t, torch.Tensor) and t.requires_grad]
        if grad and th_diff:
            sum((e * torch.tensor(g)).sum() for e, g in zip(th_diff, upstream)).backward()
            for i, (a, e) in enumerate(zip(leaves, th_leaves)):
                if e.grad is None:
                    assert a.grad is None or np.all(a.grad.numpy() == 0), f"input {i}: PyTorch has no grad"
                    continue
                assert a.grad is not None, f"input {i}: no gradient, PyTorch has one"
                assert_close(a.grad, e.grad, grad_rtol, grad_atol, f"grad of input {i} vs PyTorch")
    if grad and fd and diff_outs:
        _check_finite_differences(fn, arrays, upstream, fd_eps, fd_tol)
    return tf_outs[0] if len(tf_outs) == 1 else tf_outs


def _check_finite_differences(fn, arrays, upstream, eps, tol):
    arrays64 = [a.astype(np.float64) if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating) else a
                for a in arrays]
    if sum(a.size for a in arrays64 if isinstance(a, np.ndarray)) > 200:
        return
    ups = [u.astype(np.float64) for u in upstream]

    def objective(arrs):
        with tf.no_grad():
            outs = [o for o in _flatten(fn(tf, *[tf.tensor(a) if isinstance(a, np.ndarray) else a for a in arrs]))
                    if isinstance(o, tf.Tensor) and o.dtype.is_floating_point]
        return sum(float((o.double() * tf.tensor(u)).sum().item()) for o, u in zip(outs, ups))

    tf_in = _inputs(tf, arrays64, True)
    outs = [o for o in _flatten(fn(tf, *tf_in)) if isinstance(o, tf.Tensor) and o.dtype.is_floating_point
            and o.requires_grad]
    if not outs:
        return
    sum((o * tf.tensor(u)).sum() for o, u in zip(outs, ups)).backward()
    for k, a in enumerate(arrays64):
        if not (isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)):
            continue
        analytic = tf_in[k].grad.numpy() if tf_in[k].grad is not None else np.zeros_like(a)
        numeric = np.zeros_like(a)
        flat = a.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = objective(arrays64)
            flat[i] = orig - eps
            minus = objective(arrays64)
            flat[i] = orig
            numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=tol * 10, atol=tol,
                                   err_msg=f"gradient of input {k} vs finite differences")


# ---- modules (nnx): parity of a layer with its PyTorch twin ----
def check_module(make, inputs, rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4, check_repr=True, train=True):
    """``make(lib)`` builds the layer in tensorforge and in PyTorch; PyTorch's state_dict is copied
    into ours (so the keys must agree), then repr, the forward outputs, the buffers after the
    forward, and the gradients of every floating input and every parameter are compared.
    Returns (ours, theirs)."""
    theirs, ours = make(torch), make(tf)
    assert list(ours.state_dict()) == list(theirs.state_dict()), "state_dict keys differ from PyTorch's"
    ours.load_state_dict({k: tf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    if check_repr:
        assert repr(ours) == repr(theirs)
    ours.train(train)
    theirs.train(train)
    tf_in, th_in = _inputs(tf, inputs, True), _inputs(torch, inputs, True)
    outs, th_outs = _flatten(ours(*tf_in)), _flatten(theirs(*th_in))
    assert len(outs) == len(th_outs), "number of outputs differs from PyTorch"
    for o, e in zip(outs, th_outs):
        assert_close(o, e, rtol, atol, "forward vs PyTorch")
    for (name, b), (_, e) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert_close(b, e, rtol, atol, f"buffer {name} vs PyTorch")
    diff = [(o, e) for o, e in zip(outs, th_outs) if e.requires_grad]
    if diff:
        ups = [rand(*e.shape).astype(e.detach().numpy().dtype) for _, e in diff]
        sum((o * tf.tensor(u)).sum() for (o, _), u in zip(diff, ups)).backward()
        sum((e * torch.tensor(u)).sum() for (_, e), u in zip(diff, ups)).backward()
        for i, (a, e) in enumerate(zip(tf_in, th_in)):
            if isinstance(e, torch.Tensor) and e.requires_grad:
                assert_close(a.grad, e.grad, grad_rtol, grad_atol, f"grad of input {i} vs PyTorch")
        theirs_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            e = theirs_params[name]
            if e.grad is None:
                assert p.grad is None or np.all(p.grad.numpy() == 0), f"{name}: PyTorch has no grad"
            else:
                assert_close(p.grad, e.grad, grad_rtol, grad_atol, f"grad of {name} vs PyTorch")
    return ours, theirs
