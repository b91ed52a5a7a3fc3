"""chainrule.numpy: NumPy's namespace, with arrays built from lists of tensors (HIPS
autograd's ``autograd.numpy``, JAX's ``jax.numpy``)."""
import numpy
import pytest

import chainrule as cr
import chainrule.numpy as np


def test_same_objects_where_nothing_changes():
    assert np.sin is numpy.sin and np.add is numpy.add
    assert np.float64 is numpy.float64 and np.pi == numpy.pi and np.newaxis is None
    assert np.random.randn is numpy.random.randn
    assert np.linalg.LinAlgError is numpy.linalg.LinAlgError
    assert np.testing is numpy.testing          # loaded lazily by NumPy, still there
    assert "mean" in dir(np) and "fft" in dir(np) and np.__version__ == numpy.__version__
    import chainrule.numpy.linalg, chainrule.numpy.fft, chainrule.numpy.random  # noqa: E401


def test_array_of_tensors_is_differentiable():
    f = lambda x: np.sum(np.array([[2 * x, x + 1], [x, x * x]]) ** 2)
    # d/dx (4x^2 + (x+1)^2 + x^2 + x^4) = 8x + 2(x+1) + 2x + 4x^3
    assert cr.grad(f)(1.5) == pytest.approx(12 + 5 + 3 + 4 * 1.5 ** 3)
    cr.check_grads(lambda x: np.array([x, 2 * x, np.sin(x)]), numpy.array([0.3, -1.2]))
    cr.check_grads(lambda x: np.asarray([[x, 1.0], [0.5, x]]), 0.7)
    cr.check_grads(lambda x: np.asanyarray((x, x)), numpy.ones(2))


def test_array_of_tensor_copies_and_casts():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.array(x, dtype=numpy.float32, ndmin=2)
    assert isinstance(y, cr.Tensor) and y.dtype == numpy.float32 and y.shape == (1, 2)
    y.sum().backward()
    assert numpy.allclose(x.grad.data, 1.0)
    assert np.asarray(x) is x and np.array(x, copy=False) is x
    assert isinstance(np.array([1.0, 2.0]), numpy.ndarray)     # no tensor: NumPy's own
    assert np.array([[1, 2]], dtype=numpy.int8).dtype == numpy.int8


def test_functions_take_lists_of_tensors():
    assert cr.grad(lambda x: np.mean([x, x + 2]))(0.0) == 1.0
    assert cr.grad(lambda x: np.linalg.norm((x, x + 2)))(0.0) == 1.0
    assert cr.grad(lambda x: np.var(a=[x, 0.0]))(1.0) == pytest.approx(0.5)
    g = cr.grad(lambda x: np.fft.fft([x, 0.0, 1.0]).real.sum())(2.0)
    assert g == pytest.approx(3.0)      # the sum of a DFT is n times the first entry
    # a sequence function keeps ragged parts apart; parts that are lists are built
    f = lambda x: np.sum(np.concatenate([x, [x[0], 1.0], numpy.ones(3)]) ** 2)
    assert numpy.allclose(cr.grad(f)(numpy.array([1.0, 2.0])), [4.0, 4.0])
    # np.block's nested lists are its block structure, left to NumPy (which sees tensors)
    assert np.block is numpy.block
    b = cr.grad(lambda x: np.sum(np.block([[x, numpy.zeros((2, 1))],
                                           [numpy.ones((1, 2)), x[:1, :1]]])))
    assert numpy.allclose(b(numpy.ones((2, 2))), [[2.0, 1.0], [1.0, 1.0]])
    assert numpy.allclose(cr.grad(lambda x: np.sum(np.linalg.multi_dot(
        [numpy.ones((1, 2)), [[x, 0.0], [0.0, x]], numpy.ones((2, 3))])))(1.0), 6.0)


def test_r_and_c_take_tensors():
    c = numpy.arange(6.0).reshape(3, 2)
    a = numpy.random.default_rng(0).standard_normal((3, 2))
    for trick, ref in ((np.r_, numpy.r_), (np.c_, numpy.c_)):
        assert numpy.allclose(trick[cr.tensor(a), c, cr.tensor(a)], ref[a, c, a])
        cr.check_grads(lambda x: trick[x, c, x], a)
    assert numpy.allclose(np.r_[cr.tensor([1.0]), 2, 4:6], [1, 2, 4, 5])
    assert numpy.allclose(np.r_["0,2,0", cr.tensor([1.0, 2.0]), [3.0, 4.0]],
                          numpy.r_["0,2,0", [1.0, 2.0], [3.0, 4.0]])
    assert np.r_[numpy.float32(1), cr.tensor(numpy.ones(1, numpy.float32))].dtype == numpy.float32
    assert np.r_[1:3] is not None and numpy.array_equal(np.r_[1:3, 5], numpy.r_[1:3, 5])
    with pytest.raises(TypeError, match="matrix"):
        np.r_["r", cr.tensor([1.0])]


def test_integer_casts_take_tensors():
    w = numpy.random.default_rng(1).standard_normal((5, 3))
    w[:, -1] = numpy.arange(5) % 3 + 0.5     # away from where the cast jumps

    def fun(w):
        inds = np.int64(w[:, -1])
        assert inds.dtype == np.int64 and not isinstance(inds, cr.Tensor)
        return w[inds, :2].sum()
    cr.check_grads(fun, w)
    assert isinstance(numpy.int64(3), np.int64) and issubclass(numpy.int32, np.int32)
    assert type(np.int64(3)) is numpy.int64 and numpy.dtype(np.uint8) == numpy.uint8
    assert np.bool_(cr.tensor(2.0, requires_grad=True)) == numpy.True_


def test_plain_numpy_error_names_the_ways_out():
    x = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError) as e:
        numpy.array([x * 2, x])
    for fix in ("cr.tensor([...])", "np.stack", "chainrule.numpy"):
        assert fix in str(e.value)
    with pytest.raises(TypeError) as e:
        cr.grad(lambda x: numpy.array([x, x]).sum())(1.0)
    for fix in ("cr.tensor([...])", "np.stack", "chainrule.numpy"):
        assert fix in str(e.value)
