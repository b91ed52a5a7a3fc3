"""Numerically careful rules: kinks give documented subgradients, stable patterns stay finite,
division by zero gives NumPy's value and warning and leaves the other entries alone.

Each test pins one line of docs/reliability.md ("Numerics").
"""
import warnings

import numpy as np
import pytest

import chainrule as cr


def _quiet(fun, *args):
    """``fun(*args)``, failing on any NumPy RuntimeWarning (the result must come cleanly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fun(*args)


# ---------------------------------------------------------------------- kinks
NORMS_AT_ZERO = {
    "linalg.norm vector": (lambda x: np.linalg.norm(x), (3,)),
    "linalg.norm ord=1": (lambda x: np.linalg.norm(x, 1), (3,)),
    "linalg.norm ord=3": (lambda x: np.linalg.norm(x, 3), (3,)),
    "linalg.norm ord=inf": (lambda x: np.linalg.norm(x, np.inf), (3,)),
    "linalg.norm matrix (fro)": (lambda x: np.linalg.norm(x), (2, 3)),
    "linalg.norm 3-d": (lambda x: np.linalg.norm(x), (2, 2, 2)),
    "linalg.norm axis": (lambda x: np.linalg.norm(x, axis=1).sum(), (2, 3)),
    "linalg.norm ord=2 matrix": (lambda x: np.linalg.norm(x, 2), (2, 3)),
    "linalg.norm nuc": (lambda x: np.linalg.norm(x, "nuc"), (2, 3)),
    "vector_norm": (lambda x: np.linalg.vector_norm(x), (2, 3)),
    "Tensor.norm 1-d": (lambda x: x.norm(), (3,)),
    "Tensor.norm 2-d": (lambda x: x.norm(), (2, 3)),
    "Tensor.norm 0-d": (lambda x: x.norm(), ()),
    "np.std": (lambda x: np.std(x), (4,)),
    "np.std axis": (lambda x: np.std(x, axis=0).sum(), (3, 2)),
}


@pytest.mark.parametrize("name", NORMS_AT_ZERO)
def test_norms_have_zero_gradient_and_hessian_at_their_kink(name):
    """Norms (and np.std, a norm of the deviations) at 0: gradient 0, second derivative 0."""
    f, shape = NORMS_AT_ZERO[name]
    x = np.zeros(shape)
    if name.startswith("np.std"):
        x = np.full(shape, 1.5)             # constant data: zero deviations
    g = _quiet(cr.grad(f), x)
    np.testing.assert_array_equal(g, np.zeros(shape))
    if "nuc" not in name and "ord=2" not in name:   # the SVD-based norms: first order only
        H = _quiet(cr.hessian(f), x)
        np.testing.assert_array_equal(H, np.zeros(shape + shape))


def test_norm_of_one_element_agrees_with_abs_to_second_order():
    for f in (lambda x: np.linalg.norm(x), np.abs, lambda x: np.std(np.stack([x, -x]))):
        for x0 in (0.0, 1.5, -2.0):
            x = np.array([x0]) if f is not np.abs else np.array(x0)
            g = cr.grad(lambda v: np.sum(f(v)))(x)
            h = cr.hessian(lambda v: np.sum(f(v)))(x)
            assert np.all(np.abs(g) == (np.sign(x0) ** 2)), (f, x0, g)
            assert np.all(h == 0), (f, x0, h)


def test_nuclear_norm_drops_zero_singular_values():
    g = _quiet(cr.grad(lambda x: np.linalg.norm(x, "nuc")), np.diag([2.0, 0.0]))
    np.testing.assert_allclose(g, [[1.0, 0.0], [0.0, 0.0]], atol=1e-12)


def test_norm_away_from_zero_unchanged():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3))
    cr.check_grads(lambda x: np.linalg.norm(x), x, order=3)
    cr.check_grads(lambda x: np.std(x, axis=1), x, order=2)


def test_abs_and_sign_at_zero():
    assert _quiet(cr.grad(np.abs), 0.0) == 0.0
    assert _quiet(cr.grad(cr.grad(np.abs)), 0.0) == 0.0
    assert _quiet(cr.grad(lambda x: abs(x)), -0.0) == 0.0
    assert _quiet(cr.grad(np.sign), 0.0) == 0.0


def test_maximum_minimum_ties_split_evenly():
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    assert _quiet(cr.grad(relu), 0.0) == 0.5
    assert _quiet(cr.grad(relu), 2.0) == 1.0 and _quiet(cr.grad(relu), -2.0) == 0.0
    assert _quiet(cr.grad(lambda x: np.minimum(x, x)), 1.0) == 1.0
    np.testing.assert_array_equal(cr.grad(np.max)(np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])
    np.testing.assert_array_equal(cr.grad(np.min)(np.array([1.0, 1.0, 3.0])), [0.5, 0.5, 0])


def test_clip_passes_the_gradient_at_its_bounds():
    g = cr.grad(lambda x: np.sum(np.clip(x, 0.0, 1.0)))(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_sqrt_at_zero_is_inf_with_numpys_warning():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert cr.grad(np.sqrt)(0.0) == np.inf
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert cr.jvp(np.sqrt, (0.0,), (1.0,))[1] == np.inf
    with pytest.warns(RuntimeWarning):
        assert cr.grad(cr.grad(np.sqrt))(0.0) == -np.inf
    # a zero tangent stays zero: pushing (0, 1) through sqrt(x) + y at x = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert cr.jvp(lambda x, y: np.sqrt(x) + y, (0.0, 1.0), (0.0, 1.0))[1] == 1.0


def test_sqrt_of_sum_of_squares_at_zero_is_nan_loudly():
    """The documented trap: sqrt'(0) * d(x**2) = inf * 0. NaN, a RuntimeWarning, and
    detect_anomaly names the line; np.linalg.norm is the way to write it."""
    f = lambda x: np.sqrt(np.sum(x ** 2))  # noqa: E731
    with pytest.warns(RuntimeWarning):
        assert np.all(np.isnan(cr.grad(f)(np.zeros(3))))
    with pytest.raises(FloatingPointError, match=r"'sqrt'.*np\.sqrt\(np\.sum"):
        with cr.detect_anomaly(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cr.grad(f)(np.zeros(3))
    np.testing.assert_array_equal(_quiet(cr.grad(np.linalg.norm), np.zeros(3)), 0.0)


# ---------------------------------------------------------------------- stable patterns
def test_log1p_expm1_near_zero_and_large():
    for x0 in (0.0, 1e-12, -1e-12, 1e-300):
        assert _quiet(cr.grad(np.log1p), x0) == pytest.approx(1 / (1 + x0), rel=1e-15)
        assert _quiet(cr.grad(np.expm1), x0) == pytest.approx(np.exp(x0), rel=1e-15)
        assert _quiet(cr.grad(cr.grad(np.log1p)), x0) == pytest.approx(-1.0, rel=1e-11)
    assert _quiet(cr.grad(np.log1p), 1e300) == pytest.approx(1e-300)
    assert _quiet(cr.grad(cr.grad(np.log1p)), 1e300) == 0.0     # -1e-600 underflows
    assert _quiet(cr.grad(cr.grad(np.log1p)), 1e100) == pytest.approx(-1e-200)
    assert _quiet(cr.grad(np.expm1), 700.0) == pytest.approx(np.exp(700.0))
    assert _quiet(cr.grad(np.expm1), -1000.0) == 0.0
    assert _quiet(cr.grad(cr.grad(np.expm1)), -1000.0) == 0.0


def test_inverse_hyperbolics_do_not_overflow():
    assert _quiet(cr.grad(np.arcsinh), 1e200) == pytest.approx(1e-200)
    assert _quiet(cr.grad(np.arccosh), 1e200) == pytest.approx(1e-200)
    assert _quiet(cr.grad(np.arctan), 1e200) == 0.0
    assert _quiet(cr.grad(lambda x: np.arctan2(x, 1e200)), 1e200) == pytest.approx(0.5e-200)


@pytest.mark.parametrize("x, y, wx", [
    (1000.0, -1000.0, 1.0), (-1000.0, 1000.0, 0.0), (0.0, 0.0, 0.5), (1e308, 1e308, 0.5),
    (-np.inf, 0.0, 0.0), (np.inf, 0.0, 1.0), (-np.inf, -np.inf, 0.5), (np.inf, np.inf, 0.5)])
def test_logaddexp_weights_are_finite_everywhere(x, y, wx):
    gx, gy = _quiet(cr.grad(np.logaddexp, argnums=(0, 1)), x, y)
    assert (gx, gy) == (pytest.approx(wx), pytest.approx(1 - wx))
    gx, gy = _quiet(cr.grad(np.logaddexp2, argnums=(0, 1)), x, y)
    assert (gx, gy) == (pytest.approx(wx), pytest.approx(1 - wx))


def test_logaddexp_higher_orders():
    rng = np.random.default_rng(2)
    for a, b in [(rng.standard_normal(3), rng.standard_normal(3)), (np.zeros(3), np.zeros(3)),
                 (np.full(3, 700.0), np.full(3, 690.0))]:
        cr.check_grads(np.logaddexp, a, b, order=3)
        cr.check_grads(np.logaddexp2, a, b, order=2)
    H = _quiet(cr.hessian(lambda v: np.logaddexp(v[0], v[1])), np.zeros(2))
    np.testing.assert_allclose(H, [[0.25, -0.25], [-0.25, 0.25]])


def _logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _logsumexp_detached(x):
    m = x.max().detach() if isinstance(x, cr.Tensor) else np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def _softmax_ref(x):
    e = np.exp(x - x.max())
    return e / e.sum()


@pytest.mark.parametrize("x", [np.array([1000.0, -1000.0, 999.0]),
                               np.array([-1000.0, -1001.0, -1000.0]),
                               np.array([1e4, 1e4, 0.0]), np.array([3.0, -2.0, 0.5])])
def test_user_written_softmax_and_logsumexp_stay_finite(x):
    p = _softmax_ref(x)
    for lse in (_logsumexp, _logsumexp_detached):
        np.testing.assert_allclose(_quiet(cr.grad(lse), x), p, atol=1e-12)
        np.testing.assert_allclose(_quiet(cr.hessian(lse), x), np.diag(p) - np.outer(p, p),
                                   atol=1e-12)
    for jac in (cr.jacfwd, cr.jacrev):
        np.testing.assert_allclose(_quiet(jac(_softmax), x), np.diag(p) - np.outer(p, p),
                                   atol=1e-12)
    # log-softmax cross-entropy of class 0, and its Hessian
    loss = lambda v: _logsumexp(v) - v[0]  # noqa: E731
    np.testing.assert_allclose(_quiet(cr.grad(loss), x), p - np.eye(3)[0], atol=1e-12)
    assert np.all(np.isfinite(_quiet(cr.hessian(loss), x)))


def test_naive_sigmoid_has_finite_gradient_where_its_value_is_finite():
    """1 / (1 + exp(-x)) at x = -1000: exp overflows (NumPy warns), the value is 0, and the
    gradient is 0, not 0 * inf = NaN: the zero cotangent reaching exp is a strong zero."""
    sig = lambda x: np.sum(1 / (1 + np.exp(-x)))  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = cr.grad(sig)(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(np.abs(g), [0.0, 0.25, 0.0])


# ---------------------------------------------------------------------- division by zero
def test_division_by_zero_gives_numpys_value_and_warning():
    x = cr.tensor([1.0, 0.0, -2.0, 3.0], requires_grad=True)
    d = np.array([0.0, 0.0, 0.0, 2.0])
    with pytest.warns(RuntimeWarning) as record:
        y = x / d
    with np.errstate(all="ignore"):
        expect = x.numpy() / d
    np.testing.assert_array_equal(y.numpy(), expect)        # inf, nan, -inf, 1.5
    messages = " ".join(str(w.message) for w in record)
    assert "divide by zero" in messages and "invalid value" in messages
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [np.inf, np.inf, np.inf, 0.5])


def test_division_by_zero_does_not_corrupt_other_entries():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = cr.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = x / d
        y[1:].sum().backward()              # y[0] = inf does not reach the loss
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(d.grad.numpy(), [0.0, -2.0, -0.75])


def test_masked_division_by_zero_does_not_poison_a_reduction_upstream():
    """d = A @ w has a zero entry; the division there is masked away. Without strong zeros the
    masked entry's 0 * inf = NaN would flow through the matmul into every entry of w.grad."""
    A = np.array([[1.0, -1.0], [2.0, 1.0], [0.0, 3.0]])
    w0 = np.array([1.0, 1.0])                       # A @ w0 = [0, 3, 3]

    def loss(w):
        d = A @ w
        return np.sum(np.where(d != 0, 1.0 / d, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = cr.grad(loss)(w0)
    d = A @ w0
    expect = -(A[1:] / d[1:, None] ** 2).sum(axis=0)
    np.testing.assert_allclose(g, expect)


@pytest.mark.parametrize("f, x, expect", [
    (lambda x: np.where(x > 0, np.sqrt(x), 0.0), [0.0, -1.0, 4.0], [0.0, 0.0, 0.25]),
    (lambda x: np.where(x > 0, np.log(x), 0.0), [0.0, -1.0, 4.0], [0.0, 0.0, 0.25]),
    (lambda x: np.where(x != 0, 1 / x, 0.0), [0.0, 2.0], [0.0, -0.25]),
    (lambda x: np.where(x < 700, np.exp(x), 0.0), [1000.0, 0.0], [0.0, 1.0]),
    (lambda x: np.where(np.abs(x) < 1, np.arctanh(x), 0.0), [1.0, 0.0], [0.0, 1.0]),
    (lambda x: np.where(x >= 0, x ** 0.5, 0.0), [-1.0, 4.0], [0.0, 0.25]),
])
def test_where_masks_nan_and_inf_of_the_discarded_branch(f, x, expect):
    x = np.array(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = cr.grad(lambda v: np.sum(f(v)))(x)
        ge = cr.elementwise_grad(f)(x)
        _, gf = cr.jvp(f, (x,), (np.ones_like(x),))
        h = cr.hessian(lambda v: np.sum(f(v)))(x)
    np.testing.assert_allclose(g, expect)
    np.testing.assert_allclose(ge, expect)
    np.testing.assert_allclose(gf, expect)
    assert np.all(np.isfinite(h)), h


def test_power_at_zero():
    assert _quiet(cr.grad(lambda x: x ** 0.0), 0.0) == 0.0            # d/dx 1
    assert _quiet(cr.grad(lambda x: x ** 2.0), 0.0) == 0.0
    assert _quiet(cr.grad(lambda y: 0.0 ** y), 2.0) == 0.0            # the limit for y > 0
    H = _quiet(cr.hessian(lambda v: v[0] ** v[1]), np.array([2.0, 0.0]))
    np.testing.assert_allclose(H, [[0.0, 0.5], [0.5, np.log(2.0) ** 2]])
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert cr.grad(lambda x: x ** 0.5)(0.0) == np.inf


def test_non_finite_derivative_still_shows_where_the_cotangent_is_not_zero():
    """Strong zeros only touch entries whose cotangent is exactly 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert cr.grad(lambda x: np.log(x))(0.0) == np.inf
        assert cr.grad(lambda x: 1 / x)(0.0) == -np.inf
        assert np.isnan(cr.grad(np.sqrt)(-1.0))
        assert np.isnan(cr.grad(np.arcsin)(2.0))
        g = cr.grad(lambda x: np.sum(np.log(x) * np.array([0.0, 1.0])))(np.array([0.0, 0.0]))
    np.testing.assert_array_equal(g, [0.0, np.inf])


def test_a_masked_gradient_is_zero_and_quiet():
    """``np.where(x > 0, np.sqrt(x), 0)`` at 0: sqrt's derivative there is infinite, but the
    cotangent is a strong zero, so the gradient is 0 and the backward pass prints nothing."""
    x = np.array([0.0, 1.0, 4.0])
    g = _quiet(cr.grad(lambda a: np.sum(np.where(a > 0, np.sqrt(a), 0.0))), x)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.25])
    t = cr.tensor(x, requires_grad=True)
    with np.errstate(divide="ignore"):          # the forward pass warns, as NumPy's does
        loss = np.sum(np.where(t > 0, np.log(t) + 1 / t, 0.0))
    _quiet(loss.backward)
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 0.25 - 1 / 16])
    # where the infinite derivative does reach the gradient, it still says so
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert cr.grad(lambda a: np.sum(np.sqrt(a)))(x)[0] == np.inf
