"""Regression tests for what tests/test_fuzz.py found: each wrong answer or internal error,
pinned by the smallest call that showed it."""
import warnings

import numpy as np
import pytest

import chainrule as cr


# ---------------------------------------------------------------------- wrong numbers
def test_cast_to_int_carries_no_gradient():
    """x.astype(int) is piecewise constant; its gradient was passed through as 1."""
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    y = x.astype(int)
    assert not y.requires_grad and y.dtype == np.int64
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    np.testing.assert_array_equal(cr.grad(lambda v: np.sum(v.astype(int) * v))(np.ones(2) * 1.5),
                                  [1.0, 1.0])
    g = cr.grad(lambda v: np.sum(v.astype(np.float32).astype(bool) * 1.0))(np.ones(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    _, t = cr.jvp(lambda v: v.astype(np.int32) * 1.0, (np.ones(2) * 1.5,), (np.ones(2),))
    np.testing.assert_array_equal(t, [0.0, 0.0])


def test_bitwise_operators_are_bitwise_as_on_ndarrays():
    """& | ^ ~ were logical: wrong numbers for integer tensors."""
    a, b = np.array([1, 2, 6]), np.array([3, 2, 5])
    ta, tb = cr.tensor(a), cr.tensor(b)
    for op in (lambda p, q: p & q, lambda p, q: p | q, lambda p, q: p ^ q,
               lambda p, q: ~p, lambda p, q: 7 & p, lambda p, q: p | 8):
        np.testing.assert_array_equal(op(ta, tb).numpy(), op(a, b))
    m = cr.tensor([True, False, True])
    np.testing.assert_array_equal((~m & (m | True)).numpy(), [False, True, False])
    with pytest.raises(TypeError):
        cr.tensor([1.0]) & cr.tensor([1.0])           # as NumPy: no bitwise and of floats


def test_dict_trees_match_by_key_not_by_insertion_order():
    """jvp paired tangents with primals by dict insertion order: swapped tangents."""
    f = lambda d: d["a"] * 2.0 + d["b"] * 3.0  # noqa: E731
    _, t = cr.jvp(f, ({"a": 1.0, "b": 1.0},), ({"b": 1.0, "a": 0.0},))
    assert t == 3.0
    out, pullback = cr.vjp(lambda v: {"x": v * 2.0, "y": v * 5.0}, 1.0)
    (g,) = pullback({"y": 1.0, "x": 0.0})
    assert g == 5.0
    with pytest.raises(ValueError, match="same structure"):
        cr.jvp(f, ({"a": 1.0, "b": 1.0},), ({"a": 1.0, "c": 1.0},))
    with pytest.raises(ValueError, match="same structure"):
        pullback({"x": 1.0})


def test_jvp_tangent_must_have_its_primals_shape():
    """A tangent with extra leading dims was taken as a batch and gave a wrong-shaped answer."""
    with pytest.raises(ValueError, match="tangent shape"):
        cr.jvp(lambda x: x * x, (1.0,), (np.array([1.0, 1.0]),))
    with pytest.raises(ValueError, match="same structure"):
        cr.jvp(lambda *x: 0.0, (), ({},))


def test_cotangent_is_cast_to_the_outputs_dtype():
    """A float32 cotangent for a float64 output overflowed in float32."""
    _, pullback = cr.vjp(lambda v: v * 2.0, np.float64(0.0))
    (g,) = pullback(np.float32(3e38))
    assert g == 2 * float(np.float32(3e38))          # finite: computed in float64
    with pytest.raises(TypeError, match="complex"):
        pullback(1j)


def test_axis_must_be_an_integer():
    """axis=1.5 was read as 1; transpose took out-of-range axes modulo ndim."""
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    for call in (lambda: x.mean(axis=1.5), lambda: x.sum(axis="a"), lambda: x.squeeze(0.0),
                 lambda: np.cumsum(x, axis=1.0)):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(np.exceptions.AxisError):
        x.transpose((0, 5))
    with pytest.raises(ValueError, match="axes"):
        x.transpose((0, 0))


def test_complex_output_of_real_input_needs_a_real_function():
    """grad of x * 1j at real x returned 0 (the real part), silently."""
    with pytest.raises(TypeError, match="complex output"):
        cr.grad(lambda x: x * 1j)(1.0)
    with pytest.raises(TypeError, match="holomorphic=True"):     # as JAX: say it is
        cr.grad(lambda z: z * z)(1j)
    assert cr.grad(lambda z: z * z, holomorphic=True)(1j) == 2j


def test_none_in_a_nested_list_is_not_nan():
    x = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="numbers"):
        cr.tensor([x, None])
    with pytest.raises(TypeError):
        cr.jvp(np.sin, (1.0,), (None,))             # was a NaN tangent


# ---------------------------------------------------------------------- internal errors
@pytest.mark.parametrize("out, expect", [
    (lambda x: 3.0, 0.0), (lambda x: np.float32(1.0), 0.0)])
def test_constant_functions_have_zero_gradient(out, expect):
    assert cr.grad(out)(1.0) == expect
    assert cr.value_and_grad(out)(2.0)[1] == expect
    np.testing.assert_array_equal(cr.elementwise_grad(out)(np.ones(2)), [0.0, 0.0])
    assert cr.jvp(out, (1.0,), (1.0,))[1] == 0.0


@pytest.mark.parametrize("transform", [
    lambda f: cr.grad(f)(1.0), lambda f: cr.jacrev(f)(1.0), lambda f: cr.jacfwd(f)(1.0),
    lambda f: cr.jacobian(f)(1.0), lambda f: cr.hessian(f)(1.0),
    lambda f: cr.jvp(f, (1.0,), (1.0,)), lambda f: cr.vjp(f, 1.0),
    lambda f: cr.elementwise_grad(f)(1.0), lambda f: cr.check_grads(f, 1.0)])
@pytest.mark.parametrize("ret", [None, "a", np.array(["a"]), np.array([None]), print])
def test_non_numeric_results_are_a_type_error(transform, ret):
    with pytest.raises(TypeError, match="numbers"):
        transform(lambda x: ret)


@pytest.mark.parametrize("argnums", ["a", 1.5, None, True, (0, "a"), (0, 0)])
def test_bad_argnums(argnums):
    with pytest.raises((TypeError, ValueError), match="argnums"):
        cr.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


def test_jacobians_beyond_numpys_dimension_limit():
    x = np.ones((1,) * 40)
    for jac in (cr.jacrev, cr.jacfwd, cr.jacobian):
        with pytest.raises(ValueError, match="dimensions"):
            jac(lambda v: v * 2.0)(x)
    with pytest.raises(ValueError, match="dimensions"):
        cr.hessian(lambda v: np.sum(v * v))(x)
    with pytest.raises(ValueError, match="dimensions"):
        cr.jacfwd(lambda v: np.sum(v))(np.ones((1,) * 64))


def test_operands_that_are_not_numbers():
    """Empty arrays with None or object operands made object tensors that later broke."""
    t = cr.tensor(np.zeros(0), requires_grad=True)
    with pytest.raises(TypeError, match="unsupported operand"):
        t % None
    with pytest.raises(TypeError, match="unsupported operand"):
        t + "a"
    with pytest.raises(TypeError, match="object"):
        t + np.array([], dtype=object)
    with pytest.raises(TypeError, match="object"):
        np.array([], dtype=object) @ cr.tensor(np.zeros((0, 0)))
    with pytest.raises(TypeError, match="object"):
        np.add(t, None)


def test_tensors_hold_numbers():
    for data, dtype in [("abc", None), (["a", "b"], None), (np.array([1, None], dtype=object),
                                                            None), ([1.0], str),
                        (np.array(["x"]), None), ([1.0], object)]:
        with pytest.raises(TypeError, match="numbers"):
            cr.tensor(data, dtype=dtype)
    with pytest.raises(TypeError, match="numbers"):
        cr.tensor([1.0]).astype(str)


def test_backward_gradient_must_be_numbers_of_the_right_kind():
    x = cr.tensor(np.ones(3), requires_grad=True)
    for bad in ("a", object(), np.ones(3) * 1j, ["a", "b", "c"]):
        with pytest.raises(TypeError, match="gradient="):
            (x * 2).backward(gradient=bad)
    (x * 2).backward(gradient=[1, 2, 3])              # ints are fine: cast to float
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_hooks_must_return_none_or_a_gradient_of_the_same_shape():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="callable"):
        (x * 2).register_hook(3)
    for bad in ("a", np.ones(5), 1.0):
        y = x * 2
        y.register_hook(lambda g, bad=bad: bad)
        with pytest.raises(TypeError, match="hook"):
            y.sum().backward()
    y = x * 2
    handle = y.register_hook(lambda g: g * 10)
    handle.remove()
    x.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_autograd_backward_and_check_grads_arguments():
    with pytest.raises(TypeError, match="tensors"):
        cr.autograd.backward("a")
    with pytest.raises(RuntimeError, match="require grad"):
        cr.autograd.backward(cr.tensor(1.0))
    with pytest.raises(ValueError, match="order"):
        cr.check_grads(np.sin, 1.0, order=0)
    with pytest.raises(TypeError, match="modes"):
        cr.check_grads(np.sin, 1.0, modes="fwd")
    with pytest.raises(TypeError, match="argument"):
        cr.check_grads(np.sin)


def test_non_finite_inputs_give_numpys_values_and_no_internal_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for x0 in (np.nan, np.inf, -np.inf):
            g = cr.grad(lambda x: np.sum(np.sin(x) * x))(np.array([x0, 1.0]))
            assert np.isnan(g[0]) and np.isfinite(g[1])
            assert np.isnan(cr.hessian(lambda x: np.sum(np.sin(x)))(np.array([x0]))).all()


def test_inplace_operators_keep_the_shape_and_dtype():
    """y += a broadcasting operand changed y's graph to the bigger shape (NumPy raises)."""
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = x * 1.0
    with pytest.raises(ValueError, match="broadcast shape"):
        y += np.ones((1, 3))
    with pytest.raises(ValueError, match="broadcast shape"):
        with cr.no_grad():
            x += np.ones((2, 3))
    with pytest.raises(TypeError):                     # x += 1j wrote the real part
        with cr.no_grad():
            x += np.complex128(1j)
    with pytest.raises(TypeError, match="object"):
        with cr.no_grad():
            x += np.array(1.0, dtype=object)
    y += np.ones(3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_numpy_functions_refuse_object_arrays():
    t = cr.tensor(np.zeros(0), requires_grad=True)
    for call in (lambda: np.dot(t, np.array([], dtype=object)),
                 lambda: np.concatenate([t, np.array([], dtype=object)])):
        with pytest.raises(TypeError, match="object"):
            call()
