"""More math against PyTorch: elementwise functions, einsum and contractions, cdist, cross,
bitwise ops, special.* aliases, Tensor helpers."""
import math

import numpy as np
import pytest

import tensorforge as tf
from helpers import check_op, positive, rand

NAN = float("nan")


# ---- elementwise -----------------------------------------------------------------------------
@pytest.mark.parametrize("name,low,high", [("sinh", -3, 3), ("cosh", -3, 3), ("asinh", -5, 5), ("acosh", 1.1, 5),
                                           ("atanh", -0.9, 0.9), ("exp2", -4, 4), ("erfinv", -0.95, 0.95),
                                           ("erfc", -3, 3), ("frac", -4, 4), ("logit", 0.05, 0.95)])
def test_unary_math(name, low, high):
    check_op(lambda m, x: getattr(m, name)(x), [rand(3, 5, low=low, high=high)])
    check_op(lambda m, x: getattr(x, name)(), [rand(7, low=low, high=high, dtype=np.float64)])


def test_unary_math_edges():
    check_op(lambda m, x: m.erfinv(x), [np.array([-1.0, 1.0, 0.0, 1.5, -2.0, NAN, 0.999999], np.float32)], grad=False)
    check_op(lambda m, x: m.erfinv(x), [rand(200, low=-0.9999, high=0.9999, dtype=np.float64)], grad=False,
             rtol=1e-10, atol=1e-12)
    check_op(lambda m, x: m.exp2(x), [np.array([1, 2, 3], np.int64)], grad=False)  # int -> float32
    check_op(lambda m, x: m.sinh(x), [np.array([0, 1], np.int32)], grad=False)
    check_op(lambda m, x: m.erfc(x), [np.array([5.0, 10.0, -1.0], np.float32)], grad=False)
    with pytest.raises(TypeError, match="frac"):
        tf.frac(tf.tensor([1, 2]))


@pytest.mark.parametrize("eps", [None, 0.1, 0.0])
def test_logit(eps):
    check_op(lambda m, x: m.logit(x, eps), [rand(4, 4, low=0.02, high=0.98)])
    check_op(lambda m, x: m.logit(x, eps), [np.array([0.0, 0.05, 0.5, 0.95, 1.0], np.float64)], fd=False)
    check_op(lambda m, x: m.special.logit(x, eps), [rand(5, low=0.1, high=0.9)])


def test_fmod_hypot_xlogy():
    check_op(lambda m, a, b: m.fmod(a, b), [rand(3, 4, low=-5, high=5), rand(4, low=0.5, high=2.0)])
    check_op(lambda m, a: m.fmod(a, 1.5), [rand(3, 4, low=-5, high=5)])
    check_op(lambda m, a: a.fmod(-2.0), [rand(6, low=-5, high=5)])
    check_op(lambda m, a, b: m.fmod(a, b), [np.array([-7, 7, -7, 5]), np.array([3, -3, -3, 5])], grad=False)
    check_op(lambda m, a, b: m.hypot(a, b), [rand(3, 4), rand(3, 1)])
    check_op(lambda m, a, b: m.xlogy(a, b), [rand(3, 4), positive(4)])
    check_op(lambda m, a, b: m.xlogy(a, b), [np.array([0.0, 0.0, 2.0, 1.0], np.float32),
                                             np.array([0.0, NAN, 3.0, 0.0], np.float32)], grad=False)
    check_op(lambda m, a: m.xlogy(a, 2.0), [rand(5)])
    check_op(lambda m, b: m.xlogy(3.0, b), [positive(5)])
    with pytest.raises(RuntimeError, match="fmod"):
        tf.fmod(tf.tensor([1, 2]), tf.tensor([0, 1]))


def test_nan_to_num():
    x = np.array([NAN, np.inf, -np.inf, 1.5, -2.0], np.float32)
    check_op(lambda m, t: m.nan_to_num(t), [x], grad=False)
    check_op(lambda m, t: m.nan_to_num(t, 0.5, 10.0, -10.0), [x])
    check_op(lambda m, t: t.nan_to_num(nan=1.0, posinf=2.0), [x.astype(np.float64)], grad=False)
    check_op(lambda m, t: m.nan_to_num(t), [np.array([1, 2], np.int64)], grad=False)
    y = tf.tensor(x)
    y.nan_to_num_()
    assert np.isfinite(y.numpy()).all()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_bitwise(dtype):
    a = np.array([5, 3, 0, 12, 7], dtype)
    b = np.array([3, 6, 1, 10, 0], dtype)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        check_op(lambda m, x, y: getattr(m, name)(x, y), [a, b], grad=False)
    check_op(lambda m, x: m.bitwise_not(x), [a], grad=False)
    check_op(lambda m, x, y: (x & y, x | y, x ^ y, ~x), [a, b], grad=False)
    check_op(lambda m, x: (x & 1, 3 | x), [a], grad=False)


def test_shifts():
    a = np.array([1, -8, 255, 3, -1], np.int64)
    s = np.array([1, 2, 3, 70, -1], np.int64)
    check_op(lambda m, x, y: (x << y, x >> y), [a, s], grad=False)
    check_op(lambda m, x: (x << 2, x >> 1), [a.astype(np.int32)], grad=False)
    check_op(lambda m, x, y: (m.bitwise_left_shift(x, y), m.bitwise_right_shift(x, y)), [a, s % 5], grad=False)
    with pytest.raises(RuntimeError, match="bitwise"):
        tf.tensor([1.0]) << 1
    with pytest.raises(RuntimeError, match="bitwise_and"):
        tf.tensor([1.0]) & tf.tensor([1.0])


# ---- einsum ----------------------------------------------------------------------------------
EINSUM_CASES = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(3, 3, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 2)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ijk,kji->", [(2, 3, 4), (4, 3, 2)]),
    ("bi,bi->b", [(3, 4), (1, 4)]),
    ("ab,cd->abcd", [(2, 3), (1, 2)]),
    ("ij,kj->ik", [(3, 1), (2, 5)]),
    ("iJ,Jk->ik", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq, shapes):
    check_op(lambda m, *xs: m.einsum(eq, *xs), [rand(*s) for s in shapes])


def test_einsum_forms_and_errors():
    a, b = rand(3, 4), rand(4, 2)
    check_op(lambda m, x, y: m.einsum("ij,jk->ik", [x, y]), [a, b])
    check_op(lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2], [0, 2]), [a, b])
    check_op(lambda m, x, y: m.einsum(x, [Ellipsis, 1], y, [1, 2]), [a, b])
    check_op(lambda m, x, y: m.einsum(" i j , j k -> i k ", x, y), [a, b])
    check_op(lambda m, x: m.einsum("ij->ij", x), [np.arange(6).reshape(2, 3)], grad=False)
    with pytest.raises(ValueError, match="einsum.*size 4"):
        tf.einsum("ij,jk->ik", tf.zeros(2, 3), tf.zeros(4, 2))
    with pytest.raises(ValueError, match="output subscript k"):
        tf.einsum("ij->ijk", tf.zeros(2, 3))
    with pytest.raises(ValueError, match="number of subscripts"):
        tf.einsum("ijk->ij", tf.zeros(2, 3))
    with pytest.raises(ValueError, match="operand"):
        tf.einsum("ij,jk->ik", tf.zeros(2, 3))
    with pytest.raises(ValueError, match="invalid"):
        tf.einsum("i1->i", tf.zeros(2, 3))


# ---- contractions / products -----------------------------------------------------------------
def test_tensordot_vdot_kron():
    check_op(lambda m, a, b: m.tensordot(a, b, 2), [rand(2, 3, 4), rand(3, 4, 5)])
    check_op(lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])), [rand(2, 3, 4), rand(4, 2, 5)])
    check_op(lambda m, a, b: m.tensordot(a, b, dims=0), [rand(2, 3), rand(2)])
    check_op(lambda m, a, b: m.tensordot(a, b, dims=([1], [0])), [rand(2, 3), rand(3, 2)])
    check_op(lambda m, a, b: m.vdot(a, b), [rand(5), rand(5)])
    check_op(lambda m, a, b: m.kron(a, b), [rand(2, 3), rand(3, 2)])
    check_op(lambda m, a, b: m.kron(a, b), [rand(2), rand(2, 3)])
    check_op(lambda m, a, b: a.kron(b), [np.arange(4).reshape(2, 2), np.arange(3)], grad=False)
    with pytest.raises(RuntimeError, match="tensordot"):
        tf.tensordot(tf.zeros(2, 3), tf.zeros(4, 2), 1)
    with pytest.raises(RuntimeError, match="vdot"):
        tf.vdot(tf.zeros(2, 2), tf.zeros(2))


@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
@pytest.mark.parametrize("dim", [-1, 0, 1, None])
def test_cross(dim):
    shapes = {-1: ((4, 3), (4, 3)), 0: ((3, 4), (3, 1)), 1: ((2, 3), (1, 3)), None: ((3, 2), (3, 2))}[dim]
    if dim is None:
        with pytest.warns(UserWarning):
            tf.cross(tf.zeros(*shapes[0]), tf.zeros(*shapes[1]))
    check_op(lambda m, a, b: m.cross(a, b, dim=dim), [rand(*shapes[0]), rand(*shapes[1])])
    if dim is not None:
        check_op(lambda m, a, b: m.linalg.cross(a, b, dim=dim), [rand(*shapes[0]), rand(*shapes[1])])
    with pytest.raises(RuntimeError, match="cross"):
        tf.linalg.cross(tf.zeros(2, 2), tf.zeros(2, 2))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_matrix_power(n):
    check_op(lambda m, a: m.matrix_power(a, n), [rand(3, 3) * 0.5])
    check_op(lambda m, a: m.linalg.matrix_power(a, n), [rand(2, 3, 3) * 0.5])
    with pytest.raises(NotImplementedError, match="matrix_power"):
        tf.matrix_power(tf.zeros(2, 2), -1)
    with pytest.raises(RuntimeError, match="square"):
        tf.matrix_power(tf.zeros(2, 3), 2)


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
def test_add_products(beta, alpha):
    check_op(lambda m, i, a, b: m.baddbmm(i, a, b, beta=beta, alpha=alpha), [rand(2, 3, 4), rand(2, 3, 5), rand(2, 5, 4)])
    check_op(lambda m, i, a, b: m.addbmm(i, a, b, beta=beta, alpha=alpha), [rand(3, 4), rand(2, 3, 5), rand(2, 5, 4)])
    check_op(lambda m, i, a, b: m.addmv(i, a, b, beta=beta, alpha=alpha), [rand(3), rand(3, 5), rand(5)])
    check_op(lambda m, i, a, b: m.addr(i, a, b, beta=beta, alpha=alpha), [rand(3, 4), rand(3), rand(4)])
    check_op(lambda m, i, a, b: i.addmv(a, b), [rand(1), rand(3, 5), rand(5)])


def test_add_products_beta_zero_ignores_nan():
    inp = np.full((2, 2), NAN, np.float32)
    check_op(lambda m, i, a, b: m.addr(i, a, b, beta=0), [inp, rand(2), rand(2)], grad=False)


# ---- cdist -----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, 0.5, math.inf])
def test_cdist(p):
    check_op(lambda m, a, b: m.cdist(a, b, p), [rand(4, 3), rand(5, 3)], fd=p not in (0.0,))
    check_op(lambda m, a, b: m.cdist(a, b, p), [rand(2, 3, 2), rand(1, 4, 2)], fd=False)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
def test_cdist_gemm_path(mode):
    # > 25 rows takes the GEMM path by default; the gradient w.r.t. both inputs uses two GEMMs
    check_op(lambda m, a, b: m.cdist(a, b, compute_mode=mode), [rand(30, 8), rand(27, 8)], rtol=1e-4, atol=1e-4,
             fd=False)
    check_op(lambda m, a, b: m.cdist(a, b, compute_mode=mode), [rand(30, 4, dtype=np.float64), rand(3, 4, dtype=np.float64)],
             fd=False)


def test_cdist_zero_distance_grad_and_errors():
    x = np.array([[0.0, 1.0], [2.0, 2.0]], np.float64)
    for p in (2.0, 1.0, 3.0, math.inf):
        check_op(lambda m, a, b: m.cdist(a, b, p), [x, x.copy()], fd=False)
    check_op(lambda m, a: m.pdist(a), [rand(5, 3)], fd=False)
    with pytest.raises(RuntimeError, match="cdist"):
        tf.cdist(tf.zeros(3, 2), tf.zeros(3, 4))
    with pytest.raises(RuntimeError, match="cdist"):
        tf.cdist(tf.zeros(3, 2), tf.zeros(3, 2), p=-1)


# ---- special / helpers -----------------------------------------------------------------------
@pytest.mark.parametrize("name,low,high", [("expit", -3, 3), ("erf", -2, 2), ("erfc", -2, 2), ("erfinv", -0.9, 0.9),
                                           ("exp2", -2, 2), ("expm1", -2, 2), ("log1p", -0.5, 2), ("ndtr", -3, 3),
                                           ("ndtri", 0.05, 0.95), ("sinc", -3, 3), ("entr", 0.1, 3)])
def test_special(name, low, high):
    check_op(lambda m, x: getattr(m.special, name)(x), [rand(3, 4, low=low, high=high)])


def test_special_more():
    check_op(lambda m, x: m.special.sinc(x), [np.array([0.0, 0.5, -1.0], np.float32)], grad=False)
    check_op(lambda m, x: m.special.entr(x), [np.array([0.0, -1.0, 0.5], np.float32)], grad=False)
    check_op(lambda m, x: m.special.log_softmax(x, 1), [rand(3, 4)])
    check_op(lambda m, x: m.special.softmax(x, 0), [rand(3, 4)])
    check_op(lambda m, x: m.special.logsumexp(x, 1), [rand(3, 4)])
    check_op(lambda m, x, y: m.special.xlogy(x, y), [rand(4), positive(4)])
    check_op(lambda m, x, y: m.special.xlog1py(x, y), [rand(4), positive(4)])
    check_op(lambda m, x: m.special.round(x), [rand(4) * 10], grad=False)


def test_tensor_helpers():
    x = tf.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert 3.0 in x and 5 not in x and tf.tensor(2.0) in x
    with pytest.raises(RuntimeError, match="contains"):
        "a" in x  # noqa: B015
    check_op(lambda m, a, b: a.type_as(b), [rand(3), np.arange(3)], grad=False)
    check_op(lambda m, a, b: a.type_as(b), [rand(3), rand(3, dtype=np.float64)])
    check_op(lambda m, a: a.sum_to_size(1, 3), [rand(4, 3)])
    check_op(lambda m, a: a.sum_to_size((2, 1)), [rand(2, 5)])
    check_op(lambda m, a: a.sum_to_size(3), [rand(2, 3)])
    with pytest.raises(RuntimeError, match="sum_to_size"):
        tf.zeros(2, 3).sum_to_size(4)
