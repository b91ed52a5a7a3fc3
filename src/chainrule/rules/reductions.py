"""Reductions, scans and statistics: sum, mean, prod, max/min, var/std, average, ptp,
cumsum/cumprod, median/quantile/percentile, the nan- functions, diff, gradient, trapezoid,
cov and corrcoef.

The primitives and their rules; NumPy's arguments are handled in
:mod:`chainrule.numpy_api.reductions`.  Its handlers normalize ``axis`` to a tuple of
negative axes (an int for scans), so the rules also work on tangents that carry leading batch
dimensions, and write ``mean``, ``var``, ``std``, ``average``, ``ptp``, the differences and
integrals, the nan- reductions (NaNs replaced by a constant, an all-NaN slice gives NaN and no
gradient) and ``cov``/``corrcoef`` with the primitives here: they need no rules of their
own.  ``median``, ``quantile`` and ``percentile`` (and their nan- forms) share one primitive
whose value is NumPy's.

``max``/``min`` split the gradient evenly between tied extremes, as JAX does; so do the order
statistics of ``median`` and the quantiles.  ``prod`` and
``cumprod`` use ``ans / x`` only where ``x`` has no zeros; otherwise their rules are built from
products of neighbours (a pairwise tree for ``prod``, a doubling scan for ``cumprod``) that
never divide, so they are exact at zeros, at every order.

>>> import numpy as np, chainrule as cr
>>> cr.grad(np.max)(np.array([1.0, 3.0, 3.0]))
array([0. , 0.5, 0.5])
>>> cr.grad(np.prod)(np.array([0.0, 2.0, 3.0]))
array([6., 0., 0.])
>>> cr.grad(np.median)(np.array([1.0, 3.0, 3.0]))
array([0. , 0.5, 0.5])
"""
import numpy as np

from .api import (batch_ndim, constant_like, defprim, index_from_end, is_other, local_rule,
                  numeric_mask, plain, plain_array, zeros_as, zeros_like)

__all__ = ["restore_reduced_axes", "sum_p", "prod_p", "max_p", "min_p", "cumsum_p", "cumprod_p",
           "quantile_p",
           "std_sqrt_p"]


# ---------------------------------------------------------------- helpers
def restore_reduced_axes(g, x, axis, keepdims):
    """Put the reduced axes back (as size 1) so ``g`` broadcasts against ``x``."""
    return _keep_to(g, np.shape(x), axis, keepdims)


def _keep_to(g, shape, axis, keepdims):
    """``restore_reduced_axes`` given the reduced array's shape."""
    if keepdims:
        return g
    shape = list(shape)
    for a in axis:
        shape[a] = 1
    return np.reshape(g, shape)


def reduced_size(shape, axis):
    """Number of elements that a reduction over ``axis`` combines."""
    n = 1
    for a in axis:
        n *= shape[a]
    return n



def _embed(x, shape, idx):
    out = np.zeros_like(x, shape=shape) if is_other(x) else np.zeros(shape, dtype=x.dtype)
    out[idx] = x
    return out


# A slice and its transpose, the pad/interleave that the prod and cumprod rules are built
# from.  ``idx`` always starts with Ellipsis, so tangents' leading batch dims pass through.
slice_p = defprim(lambda x, idx: x[idx], name="slice", raw=True,
                   vjp=(lambda g, ans, x, idx: embed_p(g, shape=np.shape(x), idx=idx),),
                   jvp=(lambda t, ans, x, idx: slice_p(t, idx=idx),),
                       keep=('x', 'idx'), keep_ans=False)

# zeros of ``shape`` with ``x`` written at ``idx``
embed_p = defprim(_embed, name="embed", raw=True,
                   vjp=(lambda g, ans, x, shape, idx: slice_p(g, idx=idx),),
                   jvp=(lambda t, ans, x, shape, idx: embed_p(
                       t, shape=np.shape(t)[:batch_ndim(t, x)] + tuple(shape), idx=idx),),
                           keep=('idx',), keep_ans=False)


# ---------------------------------------------------------------- sum, mean
def _sum_vjp(g, ans, x, axis, keepdims, shape):
    return np.broadcast_to(_keep_to(g, shape, axis, keepdims), shape)


def _reducer(ufunc, func):
    """``ufunc.reduce`` (what ``func`` calls, without its Python wrapper) on NumPy data;
    ``func`` itself on other arrays, whose library implements it (NEP 18), not the ufunc's
    reduce method."""
    red = ufunc.reduce

    def reduce(x, axis, keepdims):
        if type(x) is not np.ndarray and is_other(x):
            return func(x, axis=axis, keepdims=keepdims)
        return red(x, axis=axis, keepdims=keepdims)
    return reduce


_add_reduce = _reducer(np.add, np.sum)
_multiply_reduce = _reducer(np.multiply, np.prod)

# ``shape`` is x's, passed along so the node keeps a shape rather than the array
sum_p = defprim(lambda x, axis, keepdims, shape: _add_reduce(x, axis, keepdims),
                name="sum",
                vjp=(_sum_vjp,),
                jvp=(lambda t, ans, x, axis, keepdims, shape:
                     np.sum(t, axis=axis, keepdims=keepdims),),
                         keep=('axis', 'keepdims', 'shape'), keep_ans=False)


# ---------------------------------------------------------------- prod
def _pad_one(y):
    """``y`` with a 1 appended along the last axis."""
    shape = np.shape(y)
    m = shape[-1]
    one = zeros_like(plain(y), shape=(m + 1,), dtype=y.dtype)   # in y's library
    one[-1] = 1
    return embed_p(y, shape=shape[:-1] + (m + 1,), idx=(Ellipsis, slice(0, m))) + one


_EVEN, _ODD = (Ellipsis, slice(0, None, 2)), (Ellipsis, slice(1, None, 2))


def _others_last(y):
    """``out[..., i] = prod(y[..., j] for j != i)`` along the last axis, without dividing.

    Multiplies neighbours pairwise up a tree, then sends each node's "product of the rest"
    back down: O(n) work, exact where ``y`` has zeros, and made of differentiable operations.
    """
    sizes, levels = [], []
    cur = y
    while np.shape(cur)[-1] > 1:
        m = np.shape(cur)[-1]
        sizes.append(m)
        if m % 2:
            cur = _pad_one(cur)
        levels.append(cur)
        cur = slice_p(cur, idx=_EVEN) * slice_p(cur, idx=_ODD)
    if not levels:   # n == 1: the empty product; n == 0: nothing
        return np.ones_like(y) if np.shape(y)[-1] else np.zeros_like(y)
    rest = None
    for m, lv in zip(reversed(sizes), reversed(levels)):
        even = slice_p(lv, idx=_ODD)    # an even slot's partner is odd, and back
        odd = slice_p(lv, idx=_EVEN)
        if rest is not None:
            even, odd = rest * even, rest * odd
        shape = np.shape(lv)
        rest = embed_p(even, shape=shape, idx=_EVEN) + embed_p(odd, shape=shape, idx=_ODD)
        if shape[-1] != m:
            rest = slice_p(rest, idx=(Ellipsis, slice(0, m)))
    return rest


def _prod_others(x, axis):
    """For each element of ``x``, the product of the others in its reduction group."""
    shape = np.shape(x)
    nd = len(shape)
    kept = tuple(i for i in range(-nd, 0) if i not in axis)
    perm = tuple(i + nd for i in kept + tuple(axis))
    moved = np.transpose(x, perm) if perm != tuple(range(nd)) else x
    lead = tuple(shape[i] for i in kept)
    rest = _others_last(np.reshape(moved, lead + (reduced_size(shape, axis),)))
    rest = np.reshape(rest, tuple(shape[p] for p in perm))
    return np.transpose(rest, tuple(np.argsort(perm))) if perm != tuple(range(nd)) else rest


def _has_zero(x):
    """Whether ``x`` holds a zero (looked up on the values: it picks a formula, not a path
    for derivatives)."""
    v = plain(x)
    if is_other(v):
        return True     # not looked up on other libraries' arrays: the formula safe for zeros
    return not np.all(v)


def _prod_grad(ans, x, axis, keepdims):
    """d prod / dx: ``ans / x`` (fast), or the products of the others where ``x`` has zeros."""
    if _has_zero(x):
        return _prod_others(x, axis)
    return restore_reduced_axes(ans, x, axis, keepdims) / x


prod_p = defprim(
    lambda x, axis, keepdims: _multiply_reduce(x, axis, keepdims), name="prod",
    vjp=(lambda g, ans, x, axis, keepdims:
         restore_reduced_axes(g, x, axis, keepdims) * _prod_grad(ans, x, axis, keepdims),),
    jvp=(lambda t, ans, x, axis, keepdims:
         np.sum(t * _prod_grad(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
             keep=('x', 'axis', 'keepdims'))


# ---------------------------------------------------------------- max, min
def _hits(ans, x, axis, keepdims):
    """Where ``x`` attains the reduced extreme ``ans`` (the NaNs for a NaN extreme, which
    comes from them) and how many entries do per reduced entry, in ``x``'s dtype.  The mask
    stays boolean where the library computes with booleans (NumPy, CuPy, Dask): no cast."""
    hit = numeric_mask(plain((x == restore_reduced_axes(ans, x, axis, keepdims))
                             | np.isnan(x)), x.dtype)     # (a constant: no tensor needed)
    return hit, np.sum(hit, axis=axis, keepdims=True, dtype=x.dtype)


def _ties(ans, x, axis, keepdims):
    """1/count where ``x`` attains the reduced extreme ``ans``, 0 elsewhere."""
    hit, count = _hits(ans, x, axis, keepdims)
    return hit / count


def _to_ties(g, ans, x, axis, keepdims):
    """The VJP of max/min: ``g / count`` where ``x`` attains the extreme, 0 elsewhere.
    Divided on the reduced shape, then spread by the hits: one call on ``x``'s shape fewer
    than ``g * _ties(...)``, and ``g / count`` is the correctly rounded share."""
    hit, count = _hits(ans, x, axis, keepdims)
    return restore_reduced_axes(g, x, axis, keepdims) / count * hit


def _chooser(np_fn, name):
    return defprim(
        lambda x, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims), name=name,
        vjp=(_to_ties,),
        jvp=(lambda t, ans, x, axis, keepdims:
             np.sum(t * _ties(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
                 keep=('x', 'axis', 'keepdims'))


max_p = _chooser(_reducer(np.maximum, np.max), "max")
min_p = _chooser(_reducer(np.minimum, np.min), "min")


def _half_over(ans):
    """``0.5 / ans``, but 0 where ``ans`` is 0 (and so is every derivative of it there)."""
    zero = ans == 0
    return np.where(zero, 0, 0.5 / np.where(zero, 1, ans))


# the square root that turns a variance into np.std: std is a norm of the deviations, so at
# constant data (variance 0, a kink) its gradient is 0, as for norms, not sqrt'(0) = inf
_STD_SQRT_RULES = (local_rule(lambda ans, v: _half_over(ans), finite=True),)
std_sqrt_p = defprim(np.sqrt, name="sqrt", elementwise=True, raw=True, vjp=_STD_SQRT_RULES,
                     jvp=_STD_SQRT_RULES, keep=())


# ---------------------------------------------------------------- cumsum, cumprod
def _reverse(x, axis):
    """``x`` reversed along negative ``axis``."""
    return slice_p(x, idx=index_from_end(axis, slice(None, None, -1)))


cumsum_p = defprim(lambda x, axis: np.cumsum(x, axis=axis), name="cumsum",
                   vjp=(lambda g, ans, x, axis: _reverse(np.cumsum(_reverse(g, axis), axis=axis),
                                                         axis),),
                   jvp=(lambda t, ans, x, axis: np.cumsum(t, axis=axis),),
                       keep=('axis',), keep_ans=False)


def _shift(y, d, axis, fill):
    """``y`` moved ``d`` places forward along ``axis``; the first ``d`` places hold ``fill``."""
    shape = np.shape(y)
    n = shape[axis]
    out = embed_p(slice_p(y, idx=index_from_end(axis, slice(0, n - d))), shape=shape,
                   idx=index_from_end(axis, slice(d, None)))
    if fill:
        front = np.zeros((n,) + (1,) * (-axis - 1), dtype=y.dtype)
        front[:d] = fill
        out = out + constant_like(front, y)
    return out


def _unshift(v, d, axis):
    """The transpose of ``_shift(., d, axis, 0)``: ``v`` moved ``d`` places back."""
    shape = np.shape(v)
    return embed_p(slice_p(v, idx=index_from_end(axis, slice(d, None))), shape=shape,
                    idx=index_from_end(axis, slice(0, shape[axis] - d)))


# Without zeros, d cumprod = ans * cumsum(dx / x).  With zeros, the rules differentiate
# cumprod written as a doubling scan, y <- y * shift(y, d) for d = 1, 2, 4, ... (forward for
# the JVP, backward for the VJP), which never divides.
def _cumprod_jvp(t, ans, x, axis):
    if not _has_zero(x):
        return ans * np.cumsum(t / x, axis=axis)
    n = np.shape(x)[axis]
    y, d = x, 1
    while d < n:
        s = _shift(y, d, axis, 1)
        t = t * s + y * _shift(t, d, axis, 0)
        y = y * s
        d *= 2
    return t


def _cumprod_vjp(g, ans, x, axis):
    if not _has_zero(x):
        return _reverse(np.cumsum(_reverse(g * ans, axis), axis=axis), axis) / x
    n = np.shape(x)[axis]
    steps, y, d = [], x, 1
    while d < n:
        steps.append((y, d))
        y = y * _shift(y, d, axis, 1)
        d *= 2
    for y, d in reversed(steps):
        g = g * _shift(y, d, axis, 1) + _unshift(g * y, d, axis)
    return g


cumprod_p = defprim(lambda x, axis: np.cumprod(x, axis=axis), name="cumprod",
                    vjp=(_cumprod_vjp,), jvp=(_cumprod_jvp,), keep=('x', 'axis'))


# ---------------------------------------------------------------- differences and integrals

def is_inexact(a):
    return np.issubdtype(np.result_type(a), np.inexact)


# ---------------------------------------------------------------- median and quantiles
# One primitive for median, quantile and percentile (and their nan- forms): its value is
# NumPy's own, and its derivative is a weight per element, piecewise constant in x: a
# quantile interpolates between two order statistics with weights (1 - g, g), and each order
# statistic shares its weight evenly among the elements tied at its value (as max does).
# Rows holding NaN pass the gradient to their NaNs (their value is NaN); the nan- forms skip
# NaNs, and an all-NaN row passes none.
def _hyndman_fan(alpha, beta):
    return lambda n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


QUANTILE_METHODS = {   # method -> 0-based (fractional) position of quantile q among n values
    "linear": lambda n, q: (n - 1) * q,
    "lower": lambda n, q: np.floor((n - 1) * q),
    "higher": lambda n, q: np.ceil((n - 1) * q),
    "nearest": lambda n, q: np.around((n - 1) * q),
    "midpoint": lambda n, q: 0.5 * (np.floor((n - 1) * q) + np.ceil((n - 1) * q)),
    "interpolated_inverted_cdf": _hyndman_fan(0, 1),
    "hazen": _hyndman_fan(0.5, 0.5),
    "weibull": _hyndman_fan(0, 0),
    "median_unbiased": _hyndman_fan(1 / 3.0, 1 / 3.0),
    "normal_unbiased": _hyndman_fan(3 / 8.0, 3 / 8.0),
}


def numpy_quantile_q(x, q, kind):
    """``q`` as NumPy's quantile functions see it (a Python scalar takes x's float dtype),
    divided by 100 for percentiles: so the positions below round as NumPy's do."""
    dt = np.result_type(x)
    if isinstance(q, (int, float)) and dt.kind == "f":
        q = np.asanyarray(q, dtype=dt)
    else:
        q = np.asanyarray(q)
    return np.true_divide(q, 100) if "percentile" in kind else q


def _quantile_weights(x, q, axis, method, kind, dtype):
    """``W`` (shape ``q.shape + x.shape``) with ``d quantile = sum(W * dx)`` over ``axis``."""
    x = plain_array(x)
    skip_nan = kind.startswith("nan")
    q = numpy_quantile_q(x, 0.5 if "median" in kind else q, kind)
    if type(q) is np.ndarray:           # in x's library, which may not mix with NumPy's
        q = constant_like(q, x)
    nd = x.ndim
    red = [a + nd for a in axis]
    kept = [d for d in range(nd) if d not in red]
    perm = kept + red
    xs = np.transpose(x, perm)
    kshape = xs.shape[:len(kept)]
    n = reduced_size(x.shape, axis)
    if n == 0:
        return zeros_as(x, q.shape + x.shape, dtype)
    rows = xs.reshape(kshape + (n,))
    nan = np.isnan(rows) if is_inexact(rows) else zeros_as(rows, rows.shape, bool)
    s = np.sort(rows, axis=-1)    # NaNs last
    cnt = n - np.sum(nan, axis=-1) if skip_nan else constant_like(np.full(kshape, n), x)
    cnt = cnt.astype(q.dtype) if q.dtype.kind == "f" else cnt    # as NumPy's Python int n
    qq = q.reshape(q.shape + (1,) * len(kshape))
    v = QUANTILE_METHODS[method](cnt, qq)
    v = v.astype(np.float64) if is_other(v) else np.asarray(v, dtype=np.float64)
    lo = np.floor(v)
    gamma = v - lo
    last = cnt - 1
    out_hi, out_lo = v >= last, v < 0
    hi = np.where(out_hi, last, np.where(out_lo, 0, lo + 1))
    lo = np.where(out_hi, last, np.where(out_lo, 0, lo))
    sb = np.broadcast_to(s, q.shape + s.shape)
    w = 0
    for idx, share in ((lo, 1 - gamma), (hi, gamma)):
        idx = np.clip(idx, 0, n - 1).astype(np.intp)[..., None]
        hit = rows == np.take_along_axis(sb, idx, axis=-1)
        w = w + share[..., None] * hit / np.maximum(np.sum(hit, axis=-1, keepdims=True), 1)
    anynan = np.any(nan, axis=-1, keepdims=True)
    if skip_nan:
        w = np.where(cnt[..., None] == 0, 0.0, w)
    elif anynan.any():
        w = np.where(anynan, nan / np.maximum(np.sum(nan, axis=-1, keepdims=True), 1), w)
    w = np.broadcast_to(w, q.shape + rows.shape).reshape(q.shape + xs.shape)
    nq = q.ndim
    back = tuple(range(nq)) + tuple(nq + int(i) for i in np.argsort(perm))
    return np.transpose(w, back).astype(dtype)


def _quantile_fn(x, q, axis, keepdims, method, kind):
    ax = None if len(axis) == np.ndim(x) else axis
    if "median" in kind:
        return getattr(np, kind)(x, axis=ax, keepdims=keepdims)
    return getattr(np, kind)(x, q, axis=ax, method=method, keepdims=keepdims)


def _nq(q, kind):
    return 0 if "median" in kind else np.ndim(q)


def _quantile_vjp(g, ans, x, q, axis, keepdims, method, kind):
    w = _quantile_weights(x, q, axis, method, kind, np.result_type(x))
    nq = _nq(q, kind)
    if not keepdims:
        shape = list(np.shape(x))
        for a in axis:
            shape[a] = 1
        g = np.reshape(g, np.shape(g)[:nq] + tuple(shape))
    gx = g * w
    if nq:
        gx = np.sum(gx, axis=tuple(range(nq)))
    return gx if np.result_type(gx) == np.result_type(x) else gx.astype(np.result_type(x))


def _quantile_jvp(t, ans, x, q, axis, keepdims, method, kind):
    w = _quantile_weights(x, q, axis, method, kind, np.result_type(ans))
    nq = _nq(q, kind)
    if nq:
        nb = batch_ndim(t, x)
        t = np.reshape(t, np.shape(t)[:nb] + (1,) * nq + np.shape(x))
    return np.sum(t * w, axis=axis, keepdims=keepdims)


# kind: the NumPy function ("median", "nanpercentile", ...); q as the caller gave it (so the
# value and its dtype are NumPy's); axis: a tuple of negative axes
quantile_p = defprim(_quantile_fn, name="quantile", vjp=(_quantile_vjp,),
                     jvp=(_quantile_jvp,),
                         keep=('x', 'q', 'axis', 'keepdims', 'method', 'kind'), keep_ans=False)
