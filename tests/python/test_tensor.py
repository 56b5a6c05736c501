"""Creation, attributes, dtypes, numpy/DLPack interop, printing."""
import numpy as np
import pytest

import tensorforge as tf
from helpers import assert_close, torch


def test_creation_functions():
    assert tf.zeros(2, 3).shape == (2, 3) and tf.zeros((2, 3)).dtype is tf.float32
    assert float(tf.ones([4]).sum()) == 4
    assert tf.full((2, 2), 7).dtype is tf.int64
    assert tf.full((2, 2), 7.5).numpy()[1, 1] == 7.5
    assert tf.empty(3, dtype=tf.float64).dtype is tf.float64
    np.testing.assert_array_equal(tf.arange(5).numpy(), np.arange(5))
    np.testing.assert_allclose(tf.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert tf.arange(1.0, 4).dtype is tf.float32
    np.testing.assert_allclose(tf.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5), rtol=1e-6)
    np.testing.assert_array_equal(tf.eye(3, 2).numpy(), np.eye(3, 2))
    x = tf.tensor([[1, 2], [3, 4]])
    assert x.dtype is tf.int64 and x.tolist() == [[1, 2], [3, 4]]
    assert tf.tensor([1.5]).dtype is tf.float32 and tf.tensor([True]).dtype is tf.bool
    assert tf.tensor(3.0).ndim == 0 and tf.tensor(3.0).item() == 3.0
    for like in (tf.zeros_like, tf.ones_like, tf.empty_like, tf.rand_like, tf.randn_like):
        assert like(tf.ones(2, 3)).shape == (2, 3)
    assert tf.full_like(x, 3).tolist() == [[3, 3], [3, 3]]


def test_creation_matches_torch():
    if torch is None:
        pytest.skip("PyTorch not installed")
    for args in [(0, 10, 3), (1.0, 2.0, 0.1), (10, 0, -2.5)]:
        assert_close(tf.arange(*args), torch.arange(*args))
    for args in [(0, 1, 7), (-3.5, 9, 12), (2, 2, 1), (0, 1, 0)]:
        assert_close(tf.linspace(*args), torch.linspace(*args))


def test_attributes():
    x = tf.ones(2, 3, 4)
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and x.size() == (2, 3, 4) and x.size(-1) == 4
    assert x.device == tf.device("cpu") and str(x.device) == "cpu"
    assert x.T.shape == (4, 3, 2)
    assert x.is_contiguous() and not x.transpose(0, 1).is_contiguous()
    assert x.requires_grad is False and x.grad is None and x.grad_fn is None and x.is_leaf
    assert isinstance(x.data_ptr(), int) and x.element_size() == 4
    assert x.stride() == (12, 4, 1)


def test_numpy_zero_copy_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = tf.from_numpy(a)
    a[0, 0] = 100
    assert t[0, 0].item() == 100
    t[1, 2] = -1
    assert a[1, 2] == -1
    n = t.numpy()
    n[0, 1] = 55
    assert t[0, 1].item() == 55
    assert np.shares_memory(n, a)
    assert np.asarray(t).shape == (2, 3)
    with pytest.raises(RuntimeError, match="requires grad"):
        tf.ones(2, requires_grad=True).numpy()


def test_from_numpy_strided_and_negative_strides():
    a = np.arange(24, dtype=np.float64).reshape(4, 6)[::2, ::-1]
    t = tf.from_numpy(a)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal((t * 2).numpy(), a * 2)


def test_dlpack_roundtrip():
    t = tf.arange(6).reshape(2, 3)
    n = np.from_dlpack(t)
    np.testing.assert_array_equal(n, t.numpy())
    back = tf.from_dlpack(n)
    np.testing.assert_array_equal(back.numpy(), n)
    if torch is not None:
        tt = torch.from_dlpack(tf.ones(3))
        assert tt.sum().item() == 3
        assert tf.from_dlpack(torch.arange(4)).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("data", [
    [[1.0, 2.0], [3.0, 4.0]], [1.5, -2.25, 3.0], [[1, 2], [3, 4]], [True, False], 3.14159, [1e-5, 1.0],
    [1e10, 1.0], [[0.123456, 2.5]], [float("nan"), float("inf"), 1.0],
])
def test_repr_matches_torch(data):
    if torch is None:
        pytest.skip("PyTorch not installed")
    assert repr(tf.tensor(data)) == repr(torch.tensor(data)).replace("torch.", "tensorforge.")


def test_repr_grad_and_dtype():
    x = tf.ones(2, requires_grad=True)
    assert repr(x) == "tensor([1., 1.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert repr(tf.ones(2, dtype=tf.float64)) == "tensor([1., 1.], dtype=tensorforge.float64)"


def test_conversions():
    x = tf.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.int().dtype is tf.int32 and x.double().dtype is tf.float64
    assert x.bool().tolist() == [True, True] and x.to(tf.float64).dtype is tf.float64
    assert x.to("cpu") is x and x.cpu() is x
    assert int(tf.tensor(3)) == 3 and float(tf.tensor(2.5)) == 2.5 and bool(tf.tensor(1))
    assert len(tf.zeros(4, 2)) == 4 and [r.shape for r in tf.zeros(2, 3)] == [(3,), (3,)]


def test_threads():
    n = tf.get_num_threads()
    tf.set_num_threads(1)
    assert tf.get_num_threads() == 1
    tf.set_num_threads(n)


def test_cuda_unavailable():
    assert tf.cuda.is_available() is False and tf.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="cuda"):
        tf.ones(2).cuda()
