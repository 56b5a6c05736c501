"""Bad input raises a Python exception naming the op, and never takes the process down."""
import math

import numpy as np
import pytest

import tensorforge as tf


def _leaf():
    return tf.ones(3, requires_grad=True)


def _freed_graph():
    x = _leaf()
    y = (x * x).sum()
    y.backward()
    y.backward()


def _saved_modified():
    x = _leaf()
    y = x * 2
    z = y.log()
    y.mul_(2)
    z.sum().backward()


CASES = [
    ("add broadcast", lambda: tf.ones(2, 3) + tf.ones(4), RuntimeError, "add"),
    ("mul broadcast", lambda: tf.ones(2, 3) * tf.ones(2, 2), ValueError, "mul"),
    ("matmul shapes", lambda: tf.ones(2, 3) @ tf.ones(4, 5), RuntimeError, "matmul"),
    ("matmul 0-dim", lambda: tf.ones(()) @ tf.ones(2), RuntimeError, "matmul"),
    ("matmul dtypes", lambda: tf.ones(2, 2) @ tf.ones(2, 2, dtype=tf.float64), RuntimeError, "matmul"),
    ("matmul batch", lambda: tf.ones(2, 2, 3) @ tf.ones(3, 3, 2), RuntimeError, "matmul"),
    ("mm 3-D", lambda: tf.mm(tf.ones(2, 2, 2), tf.ones(2, 2)), RuntimeError, "mm"),
    ("bmm batch", lambda: tf.bmm(tf.ones(2, 2, 2), tf.ones(3, 2, 2)), RuntimeError, "bmm"),
    ("view size", lambda: tf.ones(2, 3).view(4), RuntimeError, "view"),
    ("view two -1", lambda: tf.ones(2, 3).view(-1, -1), RuntimeError, "view"),
    ("reshape size", lambda: tf.ones(6).reshape(4, 2), RuntimeError, "reshape"),
    ("permute dims", lambda: tf.ones(2, 3).permute(0, 0), RuntimeError, "permute"),
    ("permute count", lambda: tf.ones(2, 3).permute(0), RuntimeError, "permute"),
    ("transpose dim", lambda: tf.ones(2, 3).transpose(0, 5), IndexError, "transpose"),
    ("sum dim", lambda: tf.ones(2, 3).sum(3), IndexError, "sum"),
    ("sum repeated dim", lambda: tf.ones(2, 3).sum((0, 0)), RuntimeError, "sum"),
    ("mean int", lambda: tf.ones(3, dtype=tf.int64).mean(), RuntimeError, "mean"),
    ("var int", lambda: tf.arange(3).var(), RuntimeError, "var"),
    ("max empty", lambda: tf.ones(0).max(), IndexError, "amax"),
    ("argmax empty", lambda: tf.ones(0, 3).argmax(0), IndexError, "argmax"),
    ("softmax int", lambda: tf.arange(3).softmax(0), RuntimeError, "softmax"),
    ("softmax dim", lambda: tf.ones(3).softmax(2), IndexError, "softmax"),
    ("unsqueeze dim", lambda: tf.ones(3).unsqueeze(3), IndexError, "unsqueeze"),
    ("expand", lambda: tf.ones(3).expand(2, 4), RuntimeError, "expand"),
    ("narrow range", lambda: tf.ones(3).narrow(0, 2, 5), IndexError, "narrow"),
    ("index out of range", lambda: tf.ones(3)[5], IndexError, "select"),
    ("too many indices", lambda: tf.ones(3)[0, 0], IndexError, "index"),
    ("tensor index out of range", lambda: tf.ones(3)[tf.tensor([0, 7])], IndexError, "index"),
    ("float index", lambda: tf.ones(3)[tf.tensor([0.5])], IndexError, "index"),
    ("mask shape", lambda: tf.ones(3, 2)[tf.tensor([True, False])], IndexError, "index"),
    ("index_select dim", lambda: tf.index_select(tf.ones(3), 1, tf.tensor([0])), IndexError, "index_select"),
    ("index_select float idx", lambda: tf.index_select(tf.ones(3), 0, tf.tensor([0.0])), RuntimeError, "index_select"),
    ("index_select 2-D idx", lambda: tf.index_select(tf.ones(3), 0, tf.zeros(2, 2, dtype=tf.int64)), RuntimeError, "index_select"),
    ("gather ndim", lambda: tf.gather(tf.ones(3, 3), 1, tf.tensor([0])), RuntimeError, "gather"),
    ("gather index range", lambda: tf.gather(tf.ones(3, 3), 1, tf.tensor([[5]])), IndexError, "gather"),
    ("scatter_add src", lambda: tf.scatter_add(tf.ones(3, 3), 1, tf.tensor([[0, 1]]), tf.ones(1, 1)), RuntimeError, "scatter_add"),
    ("cat dims", lambda: tf.cat([tf.ones(2, 3), tf.ones(2, 4)], 0), RuntimeError, "cat"),
    ("cat ndim", lambda: tf.cat([tf.ones(2, 3), tf.ones(3)], 0), RuntimeError, "cat"),
    ("cat empty list", lambda: tf.cat([]), RuntimeError, "cat"),
    ("stack shapes", lambda: tf.stack([tf.ones(2), tf.ones(3)]), RuntimeError, "stack"),
    ("where cond dtype", lambda: tf.where(tf.ones(2), tf.ones(2), tf.zeros(2)), RuntimeError, "where"),
    ("masked_fill mask dtype", lambda: tf.ones(2).masked_fill(tf.ones(2), 0.0), RuntimeError, "masked_fill"),
    ("masked_fill value dims", lambda: tf.ones(2).masked_fill(tf.ones(2) > 0, tf.ones(2)), RuntimeError, "masked_fill"),
    ("bool subtraction", lambda: tf.tensor([True]) - tf.tensor([False]), RuntimeError, "sub"),
    ("int inplace from float", lambda: tf.ones(2, dtype=tf.int64).add_(1.5), RuntimeError, "add"),
    ("inplace broadcast", lambda: tf.ones(3).add_(tf.ones(2, 3)), RuntimeError, "add"),
    ("integer division by zero", lambda: tf.tensor([1, 2]) // tf.tensor([1, 0]), RuntimeError, "floor_divide"),
    ("negative shape", lambda: tf.zeros(-1, 2), ValueError, "empty"),
    ("arange step 0", lambda: tf.arange(0, 5, 0), ValueError, "arange"),
    ("arange sign", lambda: tf.arange(0, 5, -1), ValueError, "arange"),
    ("randint range", lambda: tf.randint(5, 2, (3,)), ValueError, "randint"),
    ("rand int dtype", lambda: tf.rand(3, dtype=tf.int64), RuntimeError, "rand"),
    ("item of many", lambda: tf.ones(3).item(), ValueError, "item"),
    ("bool of many", lambda: bool(tf.ones(3)), RuntimeError, "bool"),
    ("backward twice", _freed_graph, RuntimeError, "second time"),
    ("non-scalar backward", lambda: (_leaf() * 2).backward(), RuntimeError, "scalar"),
    ("modified saved tensor", _saved_modified, RuntimeError, "inplace operation"),
    ("leaf in-place", lambda: _leaf().mul_(2), RuntimeError, "leaf Variable"),
    ("requires_grad int", lambda: tf.ones(2, dtype=tf.int64).requires_grad_(), RuntimeError, "requires_grad"),
    ("grad shape", lambda: (_leaf() * 2).backward(tf.ones(4)), RuntimeError, "backward"),
    ("cuda device", lambda: tf.ones(2, device="cuda"), RuntimeError, "cuda"),
    ("bad device string", lambda: tf.ones(2).to("tpu"), RuntimeError, "device"),
    ("unsupported numpy dtype", lambda: tf.from_numpy(np.ones(2, np.uint16)), TypeError, "from_numpy"),
    ("bad tensor data", lambda: tf.tensor([[1, 2], [3]]), TypeError, "tensor"),
    ("clamp no bounds", lambda: tf.ones(2).clamp(), RuntimeError, "clamp"),
    ("split sizes", lambda: tf.ones(5).split([2, 2]), RuntimeError, "split"),
    ("set_isa unknown", lambda: tf.backends.cpu.set_isa("neon"), ValueError, "set_isa"),
    ("set_num_threads 0", lambda: tf.set_num_threads(0), ValueError, "set_num_threads"),
    ("len of 0-d", lambda: len(tf.tensor(1.0)), TypeError, "0-d"),
]


@pytest.mark.parametrize("name,fn,exc,op", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_named_error(name, fn, exc, op):
    with pytest.raises(exc) as info:
        fn()
    assert op in str(info.value), f"message does not name '{op}': {info.value}"


def test_at_least_forty_kinds():
    assert len(CASES) >= 40


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "logsumexp", "softmax", "var"])
def test_nan_and_inf_pass_through_reductions(op):
    x = tf.tensor([[1.0, math.nan, 2.0], [math.inf, 1.0, 2.0], [-math.inf, -math.inf, 0.0]])
    fn = getattr(tf, op)
    out = fn(x, 1) if op != "softmax" else fn(x, dim=1)
    assert out.shape[0] == 3  # no crash; values follow IEEE like PyTorch (checked in test_reduce)
    assert math.isnan(out[0].sum().item())
