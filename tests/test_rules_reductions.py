"""Reductions and scans against finite differences (both modes, second order, batched JVP).

Also pins what finite differences cannot: ties in max/min share the gradient evenly, and
prod/cumprod are exact where the input has zeros.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule.arrays import constant_like
from rulecheck import Arg, Case, check_batched_jvp, numpy_has, table_test

A = Arg
NZ = Arg(avoid=(0.0,), away=0.2)
SMALL = Arg(-0.3, 0.3)          # for max/min: added to well-separated constants by _spread
W = Arg(0.5, 2.0, broadcast=False)
SAME = Arg(broadcast=False)


def _spread(x):
    """``x`` plus distinct integers: entries stay >0.4 apart, so max/min have no near-ties
    for finite differences to step across."""
    shape = np.shape(x)
    n = int(np.prod(shape))
    c = np.random.default_rng(n).permutation(n).reshape(shape).astype(x.dtype)
    return x + constant_like(c, x)      # in x's library (tests/test_device_arrays.py)


NANS = np.array([[0.0, np.nan, 0.0, 0.0], [np.nan, 0.0, np.nan, 0.0],
                 [0.0, 0.0, 0.0, np.nan]])      # x + NANS: no all-NaN row or column
COORDS = np.array([0.0, 0.4, 1.5, 1.9, 3.0])


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=axis, keepdims=keepdims)) + \
        (m if keepdims else np.reshape(m, np.shape(np.sum(x, axis=axis))))


def _avg_returned(a, w):
    avg, scl = np.average(a, axis=0, weights=w, returned=True)
    return avg * scl


CASES = [
    # sum
    Case("sum", np.sum),
    Case("sum_axis0", lambda x: np.sum(x, axis=0), min_dims=1),
    Case("sum_axis_neg", lambda x: np.sum(x, axis=-1), min_dims=1),
    Case("sum_axis_tuple", lambda x: np.sum(x, axis=(0, 2)), min_dims=3),
    Case("sum_keepdims", lambda x: np.sum(x, axis=1, keepdims=True), min_dims=2),
    Case("sum_keepdims_all", lambda x: np.sum(x, keepdims=True)),
    Case("sum_dtype", lambda x: np.sum(x, axis=-1, dtype=np.float64), min_dims=1),
    Case("sum_where_initial", lambda x: np.sum(x, where=x > 0, initial=1.5), [NZ]),
    Case("sum_method", lambda x: x.sum()),
    Case("sum_method_axis", lambda x: x.sum(0), min_dims=1),
    Case("add_reduce", lambda x: np.add.reduce(x, axis=0), min_dims=1),
    Case("add_reduce_tuple", lambda x: np.add.reduce(x, axis=(0, -1)), min_dims=2),
    # mean
    Case("mean", np.mean, allow_empty=False),
    Case("mean_axis_neg", lambda x: np.mean(x, axis=-1), min_dims=1, allow_empty=False),
    Case("mean_tuple_keepdims", lambda x: np.mean(x, axis=(0, 1), keepdims=True), min_dims=2,
         allow_empty=False),
    Case("mean_dtype", lambda x: np.mean(x, dtype=np.float64), allow_empty=False),
    Case("mean_where", lambda x: np.mean(x, axis=-1, where=x > -1.0), [Arg(-0.5, 2.0)],
         min_dims=1, allow_empty=False),
    Case("mean_method", lambda x: x.mean(axis=0), min_dims=1, allow_empty=False),
    # prod
    Case("prod", np.prod),
    Case("prod_axis0", lambda x: np.prod(x, axis=0), min_dims=1),
    Case("prod_tuple_keepdims", lambda x: np.prod(x, axis=(0, -1), keepdims=True), min_dims=2),
    Case("prod_middle", lambda x: np.prod(x, axis=1), min_dims=3),
    Case("prod_where_initial", lambda x: np.prod(x, axis=-1, where=x > 0, initial=2.0), [NZ],
         min_dims=1),
    Case("prod_method", lambda x: x.prod(axis=-1), min_dims=1),
    Case("multiply_reduce", lambda x: np.multiply.reduce(x, axis=-1), min_dims=1),
    # max / min / ptp
    Case("max", lambda x: np.max(_spread(x)), [SMALL], allow_empty=False),
    Case("max_axis_neg", lambda x: np.max(_spread(x), axis=-1), [SMALL], min_dims=1,
         allow_empty=False),
    Case("max_tuple_keepdims", lambda x: np.max(_spread(x), axis=(0, 2), keepdims=True),
         [SMALL], min_dims=3, allow_empty=False),
    Case("amax", lambda x: np.amax(_spread(x), axis=0), [SMALL], min_dims=1,
         allow_empty=False),
    Case("min", lambda x: np.min(_spread(x)), [SMALL], allow_empty=False),
    Case("min_axis0_keepdims", lambda x: np.min(_spread(x), axis=0, keepdims=True), [SMALL],
         min_dims=1, allow_empty=False),
    Case("amin", lambda x: np.amin(_spread(x), axis=-1), [SMALL], min_dims=1,
         allow_empty=False),
    Case("max_method", lambda x: _spread(x).max(), [SMALL], allow_empty=False),
    Case("min_method", lambda x: _spread(x).min(axis=-1), [SMALL], min_dims=1,
         allow_empty=False),
    Case("maximum_reduce", lambda x: np.maximum.reduce(_spread(x), axis=-1), [SMALL],
         min_dims=1, allow_empty=False),
    Case("minimum_reduce", lambda x: np.minimum.reduce(_spread(x), axis=0), [SMALL],
         min_dims=1, allow_empty=False),
    Case("ptp", lambda x: np.ptp(_spread(x), axis=-1), [SMALL], min_dims=1,
         allow_empty=False),
    # var / std (std has an infinite slope where the variance is 0: fixed shapes of size > 1)
    Case("var", np.var, allow_empty=False),
    Case("var_axis_neg", lambda x: np.var(x, axis=-1), min_dims=1, allow_empty=False),
    Case("var_tuple_keepdims", lambda x: np.var(x, axis=(0, -1), keepdims=True), min_dims=2,
         allow_empty=False),
    Case("var_ddof", lambda x: np.var(x, axis=0, ddof=1), [Arg(shape=(3, 4))]),
    Case("var_correction", lambda x: np.var(x, axis=1, correction=1), [Arg(shape=(2, 3))]),
    Case("var_method", lambda x: x.var(ddof=1), [Arg(shape=(5,))]),
    Case("std", np.std, [Arg(shape=(3, 4))]),
    Case("std_axis_ddof", lambda x: np.std(x, axis=-1, ddof=1, keepdims=True),
         [Arg(shape=(2, 3, 4))]),
    Case("std_method", lambda x: x.std(axis=(0, 2)), [Arg(shape=(2, 3, 4))]),
    # average
    Case("average", np.average, allow_empty=False),
    Case("average_axis", lambda x: np.average(x, axis=-1), min_dims=1, allow_empty=False),
    Case("average_weights", lambda a, w: np.average(a, weights=w), [SAME, W],
         allow_empty=False),
    Case("average_weights_axis", lambda a, w: np.average(a, axis=0, weights=w,
                                                         keepdims=True),
         [SAME, W], min_dims=1, allow_empty=False),
    Case("average_weights_1d", lambda a, w: np.average(a, axis=-1, weights=w),
         [Arg(shape=(3, 4)), Arg(0.5, 2.0, shape=(4,))]),
    Case("average_weights_tuple", lambda a, w: np.average(a, axis=(2, 0), weights=w),
         [Arg(shape=(2, 3, 4)), Arg(0.5, 2.0, shape=(4, 2))]),
    Case("average_returned", _avg_returned, [Arg(shape=(3, 2)), Arg(0.5, 2.0, shape=(3, 2))]),
    # scans
    Case("cumsum", np.cumsum),
    Case("cumsum_axis0", lambda x: np.cumsum(x, axis=0), min_dims=1),
    Case("cumsum_axis_neg", lambda x: np.cumsum(x, axis=-1, dtype=np.float64), min_dims=2),
    Case("cumsum_method", lambda x: x.cumsum(axis=-2), min_dims=2),
    Case("add_accumulate", lambda x: np.add.accumulate(x), min_dims=1),
    Case("cumprod", np.cumprod),
    Case("cumprod_axis_neg", lambda x: np.cumprod(x, axis=-2), min_dims=2),
    Case("cumprod_method", lambda x: x.cumprod(axis=0), min_dims=1),
    # a zero takes the rules' division-free path (shifts built from slice/embed), which
    # NumPy < 2.1 reaches through no other table line (cumulative_* with include_initial)
    Case("cumprod_with_zero", lambda x: np.cumprod(x * np.array([1.0, 0.0, 1.0, 1.0]), axis=-1),
         [Arg(shape=(2, 4))]),
    Case("multiply_accumulate", lambda x: np.multiply.accumulate(x, axis=-1), min_dims=1),
    *([Case("cumulative_sum", lambda x: np.cumulative_sum(x, axis=0, include_initial=True),
            min_dims=1),
       Case("cumulative_sum_1d", lambda x: np.cumulative_sum(x), max_dims=1),
       Case("cumulative_prod", lambda x: np.cumulative_prod(x, axis=-1, include_initial=True),
            min_dims=1),
       Case("cumulative_prod_1d", lambda x: np.cumulative_prod(x, dtype=np.float64),
            max_dims=1)]
      if numpy_has("cumulative_sum") else []),                 # NumPy >= 2.1
    # differences and integrals
    Case("diff", np.diff, min_dims=1),
    Case("diff_n2_axis0", lambda x: np.diff(x, n=2, axis=0), min_dims=1),
    Case("diff_prepend_append", lambda x, y: np.diff(x, prepend=1.5, append=y, axis=-1),
         [Arg(shape=(2, 3)), Arg(shape=(2, 2))]),
    Case("diff_n0", lambda x: np.diff(x, n=0)),
    Case("ediff1d", np.ediff1d),
    Case("ediff1d_ends", lambda x, y: np.ediff1d(x, to_end=y, to_begin=[1.0, -1.0]),
         [A(), A()]),
    Case("gradient", np.gradient, [Arg(shape=(5,))]),   # needs 2 points (3 for edge_order 2)
    Case("gradient_axes", lambda x: np.stack(np.gradient(x, 0.5, axis=(1, 0))),
         [Arg(shape=(3, 4))]),
    Case("gradient_edge2", lambda x: np.gradient(x, axis=-1, edge_order=2), [Arg(shape=(2, 4))]),
    Case("gradient_coords", lambda x: np.gradient(x, COORDS, axis=0, edge_order=2),
         [Arg(shape=(5, 2))]),
    Case("gradient_wrt_coords", lambda x, c: np.gradient(x, np.cumsum(c), axis=-1),
         [Arg(shape=(2, 5)), Arg(0.5, 1.5, shape=(5,))]),
    Case("gradient_wrt_spacing", lambda x, h: np.gradient(x, h, edge_order=2),
         [Arg(shape=(4,)), Arg(0.5, 1.5, shape=())]),
    Case("trapezoid", np.trapezoid, min_dims=1),
    Case("trapezoid_dx_axis", lambda x: np.trapezoid(x, dx=0.3, axis=0), min_dims=1),
    Case("trapezoid_x", lambda y, x: np.trapezoid(y, x, axis=0), [Arg(shape=(4, 2)),
                                                                  Arg(shape=(4,))]),
    Case("trapezoid_x_nd", lambda y, x: np.trapezoid(y, x), [SAME, SAME], min_dims=1),
    # median and quantiles (values spread apart: the order must not change under finite
    # differences; ties are pinned below)
    Case("median", lambda x: np.median(_spread(x)), [SMALL], allow_empty=False),
    Case("median_axis", lambda x: np.median(_spread(x), axis=-1, keepdims=True), [SMALL],
         min_dims=1, allow_empty=False),
    Case("median_axes", lambda x: np.median(_spread(x), axis=(0, 2)), [SMALL], min_dims=3,
         allow_empty=False),
    Case("quantile", lambda x: np.quantile(_spread(x), 0.3), [SMALL], allow_empty=False),
    Case("quantile_many", lambda x: np.quantile(_spread(x), [0.0, 0.25, 0.9, 1.0], axis=0),
         [SMALL], min_dims=1, allow_empty=False),
    Case("quantile_2d_q", lambda x: np.quantile(_spread(x), [[0.1], [0.6]], axis=-1,
                                                keepdims=True), [SMALL], min_dims=1,
         allow_empty=False),
    Case("percentile", lambda x: np.percentile(_spread(x), [10, 50, 95], axis=-1), [SMALL],
         min_dims=1, allow_empty=False),
    Case("quantile_methods", lambda x: np.stack([
        np.quantile(_spread(x), 0.4, axis=0, method=m) for m in
        ("lower", "higher", "nearest", "midpoint", "hazen", "weibull", "median_unbiased",
         "normal_unbiased", "interpolated_inverted_cdf")]), [SMALL], min_dims=1,
        allow_empty=False),
    # ignoring NaN (NaN at fixed places; no all-NaN slice here, see the tests below)
    Case("nansum", lambda x: np.nansum(x + NANS, axis=0), [Arg(shape=(3, 4))]),
    Case("nansum_all", lambda x: np.nansum(x + NANS), [Arg(shape=(3, 4))]),
    Case("nanprod", lambda x: np.nanprod(x + NANS, axis=1, keepdims=True), [Arg(shape=(3, 4))]),
    Case("nanmean", lambda x: np.nanmean(x + NANS, axis=-1), [Arg(shape=(3, 4))]),
    Case("nanmean_all", lambda x: np.nanmean(x + NANS), [Arg(shape=(3, 4))]),
    Case("nanvar", lambda x: np.nanvar(x + NANS, axis=0, ddof=1), [Arg(shape=(3, 4))]),
    # a row of NANS keeps two values; spread them so std stays away from its kink at 0
    Case("nanstd", lambda x: np.nanstd(_spread(x) + NANS, axis=1, keepdims=True),
         [Arg(-0.3, 0.3, shape=(3, 4))]),
    Case("nanmax", lambda x: np.nanmax(_spread(x) + NANS, axis=1), [Arg(-0.3, 0.3, shape=(3, 4))]),
    Case("nanmin", lambda x: np.nanmin(_spread(x) + NANS), [Arg(-0.3, 0.3, shape=(3, 4))]),
    Case("nanmedian", lambda x: np.nanmedian(_spread(x) + NANS, axis=-1),
         [Arg(-0.3, 0.3, shape=(3, 4))]),
    Case("nanquantile", lambda x: np.nanquantile(_spread(x) + NANS, [0.2, 0.7], axis=0),
         [Arg(-0.3, 0.3, shape=(3, 4))]),
    Case("nanpercentile", lambda x: np.nanpercentile(_spread(x) + NANS, 40),
         [Arg(-0.3, 0.3, shape=(3, 4))]),
    Case("nancumsum", lambda x: np.nancumsum(x + NANS, axis=1), [Arg(shape=(3, 4))]),
    Case("nancumprod", lambda x: np.nancumprod(x + NANS), [Arg(shape=(3, 4))]),
    Case("nan_no_nans", lambda x: np.nanmean(x, axis=0) + np.nanvar(x, axis=0), min_dims=1,
         allow_empty=False),
    # covariance and correlation
    Case("cov", np.cov, [Arg(shape=(3, 5))]),
    Case("cov_1d", np.cov, [Arg(shape=(4,))]),
    Case("cov_columns_bias", lambda x: np.cov(x, rowvar=False, bias=True), [Arg(shape=(5, 2))]),
    Case("cov_y_ddof", lambda x, y: np.cov(x, y, ddof=2), [Arg(shape=(2, 5)), Arg(shape=(5,))]),
    Case("cov_weights", lambda x, w: np.cov(x, fweights=[1, 2, 1, 3, 1], aweights=w),
         [Arg(shape=(2, 5)), Arg(0.5, 2.0, shape=(5,))]),
    Case("corrcoef", np.corrcoef, [Arg(shape=(3, 5))]),
    Case("corrcoef_xy", lambda x, y: np.corrcoef(x, y), [Arg(shape=(5,)), Arg(shape=(5,))]),
    Case("corrcoef_columns", lambda x: np.corrcoef(x, rowvar=False), [Arg(shape=(6, 2))]),
    # compositions
    Case("logsumexp", lambda x: np.log(np.sum(np.exp(x - np.max(x)))) + np.max(x),
         allow_empty=False),
    Case("logsumexp_axis", lambda x: _logsumexp(x, axis=-1), min_dims=1, allow_empty=False),
    Case("softmax", lambda x: np.exp(x - _logsumexp(x, axis=0, keepdims=True)), min_dims=1,
         allow_empty=False),
    Case("normalize", lambda x: (x - x.mean(axis=-1, keepdims=True)) /
         np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3), [Arg(shape=(2, 5))]),
]

test_reductions = table_test(CASES)


# ---------------------------------------------------------------- ties in max / min
@pytest.mark.parametrize("f, x, expect", [
    (np.max, [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    (np.min, [2.0, 2.0, 2.0, 5.0], [1 / 3, 1 / 3, 1 / 3, 0.0]),
    (lambda x: np.maximum.reduce(x), [4.0, 1.0, 4.0], [0.5, 0.0, 0.5]),
    (lambda x: np.sum(np.max(x, axis=0)), [[1.0, 2.0], [1.0, 0.0]], [[0.5, 1.0], [0.5, 0.0]]),
    (lambda x: np.sum(x.min(axis=-1, keepdims=True)), [[1.0, 1.0], [3.0, 0.0]],
     [[0.5, 0.5], [0.0, 1.0]]),
    (lambda x: np.ptp(x), [2.0, 2.0, 0.0], [0.5, 0.5, -1.0]),
])
def test_ties_split_the_gradient(f, x, expect):
    x = np.array(x)
    np.testing.assert_allclose(cr.grad(f)(x), expect)
    # forward mode agrees: the Jacobian of the scalar is the same row
    np.testing.assert_allclose(cr.jacfwd(f)(x), expect)


def test_nan_extreme_gets_the_gradient():
    x = np.array([1.0, np.nan, 3.0])
    np.testing.assert_array_equal(cr.grad(np.max)(x), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(cr.grad(lambda x: np.sum(np.min(x, axis=1)))(
        np.array([[1.0, np.nan], [2.0, 0.5]])), [[0.0, 1.0], [0.0, 1.0]])


def test_ties_in_the_tensor_api():
    x = cr.tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.0, 0.5])


# ---------------------------------------------------------------- zeros in prod / cumprod
@pytest.mark.parametrize("x, expect", [
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),
    ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ([0.0], [1.0]),
    ([5.0, 4.0, 0.0, 2.0, 3.0], [0.0, 0.0, 120.0, 0.0, 0.0]),
])
def test_prod_gradient_with_zeros(x, expect):
    x = np.array(x)
    np.testing.assert_array_equal(cr.grad(np.prod)(x), expect)
    np.testing.assert_array_equal(cr.jacfwd(np.prod)(x), expect)


def test_prod_hessian_with_zeros():
    # d2/dxi dxj prod(x) = product of the entries other than i and j
    x = np.array([0.0, 2.0, 3.0, 0.0])
    expect = np.zeros((4, 4))
    expect[0, 3] = expect[3, 0] = 6.0
    np.testing.assert_array_equal(cr.hessian(np.prod)(x), expect)
    x = np.array([0.0, 2.0, 3.0])
    expect = np.array([[0.0, 3.0, 2.0], [3.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    np.testing.assert_array_equal(cr.hessian(np.prod)(x), expect)
    np.testing.assert_array_equal(cr.jacrev(cr.grad(np.prod))(x), expect)


def test_prod_third_derivative_with_zeros():
    x = np.array([0.0, 2.0, 0.0, 3.0, -1.5])
    n = len(x)
    expect = np.zeros((n, n, n))
    for i, j, k in np.ndindex(n, n, n):
        if len({i, j, k}) == 3:
            expect[i, j, k] = np.prod(np.delete(x, [i, j, k]))
    np.testing.assert_allclose(cr.jacfwd(cr.hessian(np.prod))(x), expect)
    np.testing.assert_allclose(cr.jacrev(cr.jacrev(cr.grad(np.prod)))(x), expect)
    v = np.array([0.5, -1.0, 2.0, 1.5, -0.3])
    tvv = np.einsum("ijk,j,k->i", expect, v, v)

    def fwd(f):   # directional derivative along v
        return lambda y: cr.jvp(f, (y,), (v,))[1]

    def rev(f):   # gradient, contracted with v
        return lambda y: np.sum(cr.grad(f)(y) * v)
    np.testing.assert_allclose(fwd(fwd(fwd(np.prod)))(x), tvv @ v)
    np.testing.assert_allclose(cr.grad(fwd(fwd(np.prod)))(x), tvv)
    np.testing.assert_allclose(cr.grad(rev(rev(np.prod)))(x), tvv)
    np.testing.assert_allclose(cr.grad(fwd(rev(np.prod)))(x), tvv)


ZEROS = np.array([[0.0, 2.0, -1.5, 1.0], [1.5, 0.0, 0.0, -2.0], [0.5, 3.0, 1.2, 0.0]])


@pytest.mark.parametrize("f", [
    np.prod,
    lambda x: np.prod(x, axis=0),
    lambda x: np.prod(x, axis=-1, keepdims=True),
    np.cumprod,
    lambda x: np.cumprod(x, axis=0),
    lambda x: np.cumprod(x, axis=-1),
    lambda x: x.cumprod(axis=1) * x.prod(axis=0),
], ids=["prod", "prod_axis0", "prod_keepdims", "cumprod", "cumprod_axis0", "cumprod_axis1",
        "methods"])
def test_zeros_against_finite_differences(f):
    # both are polynomials, so finite differences are exact enough even at zeros.  (Not
    # order 3: the points next to the zeros take the ans / x formula, whose second
    # derivative cancels large terms, which finite differences then amplify.)
    cr.check_grads(f, ZEROS, order=2)
    check_batched_jvp(f, [ZEROS], batch=3)
    check_batched_jvp(f, [ZEROS.astype(np.float32)], rtol=1e-5, atol=1e-5)
    cr.check_grads(f, ZEROS.astype(np.float32), order=2)


def test_cumprod_jacobian_with_zeros():
    x = np.array([2.0, 0.0, 3.0, 5.0])
    expect = np.array([[1.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 6.0, 0, 0], [0, 30.0, 0, 0]])
    np.testing.assert_array_equal(cr.jacrev(np.cumprod)(x), expect)
    np.testing.assert_array_equal(cr.jacfwd(np.cumprod)(x), expect)


# ---------------------------------------------------------------- options and errors
def test_reduction_options_match_numpy():
    x = np.arange(6.0).reshape(2, 3) - 2.5
    t = cr.tensor(x)
    out = np.zeros_like(t[0])
    res = np.sum(t, axis=0, out=out)
    assert res is out
    np.testing.assert_array_equal(out.numpy(), x.sum(axis=0))
    np.testing.assert_array_equal(np.prod(t, where=x > 0).numpy(), np.prod(x, where=x > 0))
    np.testing.assert_allclose(np.var(t, mean=np.mean(t, axis=1, keepdims=True), axis=1)
                               .numpy(), np.var(x, axis=1))
    avg, scl = np.average(t, axis=1, returned=True)
    np.testing.assert_allclose(avg.numpy(), np.average(x, axis=1))
    np.testing.assert_array_equal(scl, np.average(x, axis=1, returned=True)[1])


def test_unsupported_options_raise():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert np.max(x, initial=3.0).item() == 3.0        # initial= and where= are supported
    assert np.var(x, where=np.array([True, False])).item() == 0.0
    with pytest.raises(TypeError, match="axis must be an integer"):
        np.cumsum(x, axis=(0,))
    with pytest.raises(ValueError, match="ddof and correction"):
        np.std(x, ddof=1, correction=1)


def test_average_errors():
    a = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ZeroDivisionError):
        np.average(a, weights=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="Axis must be specified"):
        np.average(a, weights=np.ones(3))
    with pytest.raises(ValueError, match="consistent"):
        np.average(a, axis=0, weights=np.ones(3))


# ---------------------------------------------------------------- median, quantiles, nan-
@pytest.mark.parametrize("f, x, expect", [
    (np.median, [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    (np.median, [1.0, 3.0, 3.0, 0.0], [0.5, 0.25, 0.25, 0.0]),        # (1 + 3) / 2
    (lambda x: np.quantile(x, 0.75), [2.0, 2.0, 1.0, 2.0, 5.0], [1 / 3, 1 / 3, 0, 1 / 3, 0]),
    (lambda x: np.percentile(x, 10), [4.0, 1.0, 1.0], [0.0, 0.5, 0.5]),
    (lambda x: np.quantile(x, 0.5, method="lower"), [3.0, 1.0, 2.0, 4.0], [0, 0, 1.0, 0]),
    (np.nanmedian, [1.0, np.nan, 3.0, 2.0], [0.0, 0.0, 0.0, 1.0]),
    (np.median, [1.0, np.nan, 3.0], [0.0, 1.0, 0.0]),                # NaN wins, as in max
])
def test_order_statistics_split_ties_evenly(f, x, expect):
    x = np.array(x)
    np.testing.assert_allclose(cr.grad(f)(x), expect)
    np.testing.assert_allclose(cr.jacfwd(f)(x), expect)


def test_all_nan_slices_give_nan_and_no_gradient():
    x = np.array([[1.0, np.nan, 4.0], [np.nan, np.nan, np.nan]])
    for f in (np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nanmin, np.nanmedian,
              lambda a, axis: np.nanquantile(a, 0.3, axis=axis)):
        with pytest.warns(RuntimeWarning):
            val = f(cr.tensor(x), axis=1).numpy()
        with pytest.warns(RuntimeWarning):
            np.testing.assert_array_equal(val, f(x, axis=1))
        with pytest.warns(RuntimeWarning):
            jr = cr.jacrev(lambda a: f(a, axis=1))(x)
        with pytest.warns(RuntimeWarning):
            jf = cr.jacfwd(lambda a: f(a, axis=1))(x)
        np.testing.assert_array_equal(jr[1], 0.0)
        np.testing.assert_array_equal(jf, jr)
    g = cr.grad(lambda a: np.nansum(a) + np.nanprod(a))(x)
    np.testing.assert_array_equal(g, [[1.0 + 4.0, 0.0, 1.0 + 1.0], [0.0, 0.0, 0.0]])


def test_quantile_options_and_errors():
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    assert np.quantile(x.astype(np.float32), 0.3).dtype == np.float32
    assert np.percentile(x, [5.0, 95.0], keepdims=True).shape == (2, 1)
    with pytest.raises(NotImplementedError, match="method"):
        np.quantile(x, 0.5, method="inverted_cdf")
    with pytest.raises(NotImplementedError, match="weights="):
        np.quantile(x, 0.5, weights=np.ones(6))
    with pytest.raises(NotImplementedError, match="with respect to q"):
        np.quantile(x, x[0] / 10)
    with pytest.raises(ValueError, match="Percentiles"):
        np.percentile(x, 101)


def test_gradient_and_friends_match_numpy():
    x = np.arange(12.0).reshape(3, 4) ** 2
    t = cr.tensor(x)
    got, want = np.gradient(t, 2.0, [0.0, 1.0, 1.5, 4.0]), np.gradient(x, 2.0, [0, 1, 1.5, 4])
    assert type(got) is type(want) and len(got) == 2
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w)
    ints = np.arange(5) ** 2
    assert np.gradient(cr.tensor(ints)).dtype == np.gradient(ints).dtype
    with pytest.raises(ValueError, match="too small"):
        np.gradient(cr.tensor([1.0, 2.0]), edge_order=2)
    assert np.trapezoid(cr.tensor(x), dx=0.5).tolist() == np.trapezoid(x, dx=0.5).tolist()
    with pytest.raises(ValueError, match="at least one dimensional"):
        np.diff(cr.tensor(1.0))
