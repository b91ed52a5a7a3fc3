"""Reductions, scans and statistics: sum, mean, prod, max/min, var/std, average, ptp,
cumsum/cumprod, median/quantile/percentile, the nan- functions, diff, gradient, trapezoid,
cov and corrcoef.

Handlers normalize ``axis`` to a tuple of negative axes (an int for scans), so the rules also
work on tangents that carry leading batch dimensions.  ``mean``, ``var``, ``std``,
``average``, ``ptp``, the differences and integrals, the nan- reductions (NaNs replaced by a
constant, an all-NaN slice gives NaN and no gradient) and ``cov``/``corrcoef`` are written
with the primitives below and need no rules of their own.  ``median``, ``quantile`` and
``percentile`` (and their nan- forms) share one primitive whose value is NumPy's.

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

from .api import (Tensor, batch_ndim, constant_like, defprim, implements, is_other,
                  is_traced, keepdims_flag, local_rule, neg_axes, plain, unsupported, write_out,
                  zeros_like)

__all__ = ["sum_p", "prod_p", "max_p", "min_p", "cumsum_p", "cumprod_p", "quantile_p",
           "std_sqrt_p"]

_NoValue = np._NoValue


# ---------------------------------------------------------------- helpers
def _keep(g, x, axis, keepdims):
    """Put the reduced axes back (as size 1) so ``g`` broadcasts against ``x``."""
    return _keep_to(g, np.shape(x), axis, keepdims)


def _keep_to(g, shape, axis, keepdims):
    """``_keep`` given the reduced array's shape."""
    if keepdims:
        return g
    shape = list(shape)
    for a in axis:
        shape[a] = 1
    return np.reshape(g, shape)


def _count(shape, axis):
    """Number of elements that a reduction over ``axis`` combines."""
    n = 1
    for a in axis:
        n *= shape[a]
    return n


def _is_exact(a):
    """Integer or bool data (NumPy's mean/var then compute in float64)."""
    return np.issubdtype(np.result_type(a), np.integer) or np.result_type(a) == np.bool_


def _index_from_end(axis, sl):
    """An index applying slice ``sl`` on negative ``axis`` (leading batch dims untouched)."""
    return (Ellipsis, sl) + (slice(None),) * (-axis - 1)


def _embed(x, shape, idx):
    out = np.zeros_like(x, shape=shape) if is_other(x) else np.zeros(shape, dtype=x.dtype)
    out[idx] = x
    return out


# A slice and its transpose, the pad/interleave that the prod and cumprod rules are built
# from.  ``idx`` always starts with Ellipsis, so tangents' leading batch dims pass through.
_slice_p = defprim(lambda x, idx: x[idx], name="slice", raw=True,
                   vjp=(lambda g, ans, x, idx: _embed_p(g, shape=np.shape(x), idx=idx),),
                   jvp=(lambda t, ans, x, idx: _slice_p(t, idx=idx),),
                       keep=('x', 'idx'), keep_ans=False)

# zeros of ``shape`` with ``x`` written at ``idx``
_embed_p = defprim(_embed, name="embed", raw=True,
                   vjp=(lambda g, ans, x, shape, idx: _slice_p(g, idx=idx),),
                   jvp=(lambda t, ans, x, shape, idx: _embed_p(
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


def _total(x, axis, keepdims):
    """``sum_p`` of ``x`` over the (normalized) ``axis``."""
    return sum_p(x, axis=axis, keepdims=keepdims, shape=np.shape(x))


@implements(np.sum)
def _sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
         where=_NoValue):
    if dtype is not None:
        a = a.astype(dtype)
    if where is not _NoValue and where is not True:
        a = np.where(where, a, 0)
    res = _total(a, neg_axes(axis, np.ndim(a)), keepdims_flag(keepdims))
    if initial is not _NoValue:
        res = res + initial
    return write_out(res, out)


@implements(np.mean)
def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    if dtype is None and _is_exact(a):
        dtype = np.float64
    if dtype is not None:
        a = a.astype(dtype)
    axes = neg_axes(axis, np.ndim(a))
    keepdims = keepdims_flag(keepdims)
    if where is _NoValue or where is True:
        res = _total(a, axes, keepdims) / _count(np.shape(a), axes)
    else:
        mask = np.broadcast_to(where, np.shape(a))
        n = np.sum(mask, axis=axes, keepdims=keepdims).astype(np.result_type(a))
        res = _total(np.where(mask, a, 0), axes, keepdims) / n
    return write_out(res, out)


# ---------------------------------------------------------------- prod
def _pad_one(y):
    """``y`` with a 1 appended along the last axis."""
    shape = np.shape(y)
    m = shape[-1]
    one = zeros_like(plain(y), shape=(m + 1,), dtype=y.dtype)   # in y's library
    one[-1] = 1
    return _embed_p(y, shape=shape[:-1] + (m + 1,), idx=(Ellipsis, slice(0, m))) + one


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
        cur = _slice_p(cur, idx=_EVEN) * _slice_p(cur, idx=_ODD)
    if not levels:   # n == 1: the empty product; n == 0: nothing
        return np.ones_like(y) if np.shape(y)[-1] else np.zeros_like(y)
    rest = None
    for m, lv in zip(reversed(sizes), reversed(levels)):
        even = _slice_p(lv, idx=_ODD)    # an even slot's partner is odd, and back
        odd = _slice_p(lv, idx=_EVEN)
        if rest is not None:
            even, odd = rest * even, rest * odd
        shape = np.shape(lv)
        rest = _embed_p(even, shape=shape, idx=_EVEN) + _embed_p(odd, shape=shape, idx=_ODD)
        if shape[-1] != m:
            rest = _slice_p(rest, idx=(Ellipsis, slice(0, m)))
    return rest


def _prod_others(x, axis):
    """For each element of ``x``, the product of the others in its reduction group."""
    shape = np.shape(x)
    nd = len(shape)
    kept = tuple(i for i in range(-nd, 0) if i not in axis)
    perm = tuple(i + nd for i in kept + tuple(axis))
    moved = np.transpose(x, perm) if perm != tuple(range(nd)) else x
    lead = tuple(shape[i] for i in kept)
    rest = _others_last(np.reshape(moved, lead + (_count(shape, axis),)))
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
    return _keep(ans, x, axis, keepdims) / x


prod_p = defprim(
    lambda x, axis, keepdims: _multiply_reduce(x, axis, keepdims), name="prod",
    vjp=(lambda g, ans, x, axis, keepdims:
         _keep(g, x, axis, keepdims) * _prod_grad(ans, x, axis, keepdims),),
    jvp=(lambda t, ans, x, axis, keepdims:
         np.sum(t * _prod_grad(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
             keep=('x', 'axis', 'keepdims'))


@implements(np.prod)
def _prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
          where=_NoValue):
    if dtype is not None:
        a = a.astype(dtype)
    if where is not _NoValue and where is not True:
        a = np.where(where, a, 1)
    res = prod_p(a, axis=neg_axes(axis, np.ndim(a)), keepdims=keepdims_flag(keepdims))
    if initial is not _NoValue:
        res = res * initial
    return write_out(res, out)


# ---------------------------------------------------------------- max, min
def _ties(ans, x, axis, keepdims):
    """Where ``x`` attains the reduced extreme ``ans``: 1/count there, 0 elsewhere (a NaN
    extreme comes from the NaNs, so they get the gradient)."""
    hit = ((x == _keep(ans, x, axis, keepdims)) | np.isnan(x)).astype(x.dtype)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _chooser(np_fn, name):
    return defprim(
        lambda x, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims), name=name,
        vjp=(lambda g, ans, x, axis, keepdims:
             _keep(g, x, axis, keepdims) * _ties(ans, x, axis, keepdims),),
        jvp=(lambda t, ans, x, axis, keepdims:
             np.sum(t * _ties(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),),
                 keep=('x', 'axis', 'keepdims'))


max_p = _chooser(_reducer(np.maximum, np.max), "max")
min_p = _chooser(_reducer(np.minimum, np.min), "min")


def _masked(where):
    return where is not _NoValue and where is not True


def _chosen(prim, a, axes, keepdims, initial, where, name):
    """max/min over ``axes`` of the entries ``where`` selects, and ``initial`` (NumPy's
    meaning: ``where=`` needs ``initial=``, the value of a slice with nothing selected)."""
    if _masked(where):
        if initial is _NoValue:
            op = "maximum" if name.endswith("max") else "minimum"
            raise ValueError(f"reduction operation '{op}' does not have an identity, so to use "
                             "a where mask one has to specify 'initial'")
        a = np.where(where, a, initial)
    res = prim(a, axis=axes, keepdims=keepdims)
    if initial is not _NoValue:
        res = (np.maximum if name.endswith("max") else np.minimum)(res, initial)
    return res


def _chooser_handler(prim, name):
    def handler(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
        return write_out(_chosen(prim, a, neg_axes(axis, np.ndim(a)), keepdims_flag(keepdims),
                                 initial, where, name), out)
    handler.__name__ = name
    handler.__doc__ = f"np.{name} on tensors (ties share the gradient evenly)."
    return handler


implements(np.max, np.amax)(_chooser_handler(max_p, "max"))
implements(np.min, np.amin)(_chooser_handler(min_p, "min"))


@implements(np.ptp)
def _ptp(a, axis=None, out=None, keepdims=False):
    axes = neg_axes(axis, np.ndim(a))
    keepdims = keepdims_flag(keepdims)
    return write_out(max_p(a, axis=axes, keepdims=keepdims) -
                     min_p(a, axis=axes, keepdims=keepdims),
                out)


# ---------------------------------------------------------------- var, std, average
def _variance(a, axis, dtype, ddof, keepdims, where, mean, correction, name):
    if correction is not _NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    if dtype is None and _is_exact(a):
        dtype = np.float64
    if dtype is not None:
        a = a.astype(dtype)
    axes = neg_axes(axis, np.ndim(a))
    if _masked(where):                   # only the entries where= selects take part
        mask = np.broadcast_to(where, np.shape(a))
        dt = np.result_type(a)
        if mean is _NoValue:
            mean = _total(np.where(mask, a, 0), axes, True) / np.sum(
                mask, axis=axes, keepdims=True).astype(dt)
        d = np.where(mask, a - mean, 0)
        dof = np.sum(mask, axis=axes, keepdims=keepdims_flag(keepdims)) - ddof
        return _total(d * d, axes, keepdims_flag(keepdims)) / np.maximum(dof, 0).astype(dt)
    n = _count(np.shape(a), axes)
    if mean is _NoValue:
        mean = _total(a, axes, True) / n
    d = a - mean
    return _total(_abs2(d), axes, keepdims_flag(keepdims)) / max(n - ddof, 0)


def _abs2(d):
    """``|d|^2``: ``d * d``, or ``real(d * conj(d))`` (real, as NumPy's var) for complex ``d``."""
    return np.real(d * np.conj(d)) if np.iscomplexobj(d) else d * d


@implements(np.var)
def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
         mean=_NoValue, correction=_NoValue):
    return write_out(_variance(a, axis, dtype, ddof, keepdims, where, mean, correction, "var"),
                     out)


def _half_over(ans):
    """``0.5 / ans``, but 0 where ``ans`` is 0 (and so is every derivative of it there)."""
    zero = ans == 0
    return np.where(zero, 0, 0.5 / np.where(zero, 1, ans))


# the square root that turns a variance into np.std: std is a norm of the deviations, so at
# constant data (variance 0, a kink) its gradient is 0, as for norms, not sqrt'(0) = inf
_STD_SQRT_RULES = (local_rule(lambda ans, v: _half_over(ans), finite=True),)
std_sqrt_p = defprim(np.sqrt, name="sqrt", elementwise=True, raw=True, vjp=_STD_SQRT_RULES,
                     jvp=_STD_SQRT_RULES, keep=())


@implements(np.std)
def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
         mean=_NoValue, correction=_NoValue):
    var = _variance(a, axis, dtype, ddof, keepdims, where, mean, correction, "std")
    return write_out(std_sqrt_p(var), out)


def _array(x):
    return x if isinstance(x, Tensor) else np.asarray(x)


@implements(np.average)
def _average(a, axis=None, weights=None, returned=False, *, keepdims=_NoValue):
    """Weighted mean ``sum(a * w) / sum(w)``, differentiable in ``a`` and ``weights``."""
    a = _array(a)
    shape = np.shape(a)
    keep = keepdims_flag(keepdims)
    if weights is None:
        avg = _mean(a, axis, keepdims=keep)
        scl = np.result_type(avg).type(np.size(a) / max(np.size(avg), 1))
    else:
        w = _array(weights)
        if np.shape(w) != shape:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            pos = tuple(int(ax) % len(shape) for ax in
                        (axis if isinstance(axis, (tuple, list)) else (axis,)))
            if np.shape(w) != tuple(shape[ax] for ax in pos):
                raise ValueError("Shape of weights must be consistent with shape of a along "
                                 "specified axis.")
            w = np.transpose(w, tuple(np.argsort(pos)))
            w = np.reshape(w, tuple(s if ax in pos else 1 for ax, s in enumerate(shape)))
        extra = ("f8",) if _is_exact(a) else ()
        rtype = np.result_type(np.result_type(a), np.result_type(w), *extra)
        scl = _sum(w, axis, dtype=rtype, keepdims=keep)
        if np.any(plain(scl == 0.0)):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = _sum(a.astype(rtype) * w.astype(rtype), axis, keepdims=keep) / scl
    if not returned:
        return avg
    if np.shape(scl) != np.shape(avg):
        scl = np.broadcast_to(scl, np.shape(avg)).copy()
    return avg, scl


# ---------------------------------------------------------------- cumsum, cumprod
def _reverse(x, axis):
    """``x`` reversed along negative ``axis``."""
    return _slice_p(x, idx=_index_from_end(axis, slice(None, None, -1)))


cumsum_p = defprim(lambda x, axis: np.cumsum(x, axis=axis), name="cumsum",
                   vjp=(lambda g, ans, x, axis: _reverse(np.cumsum(_reverse(g, axis), axis=axis),
                                                         axis),),
                   jvp=(lambda t, ans, x, axis: np.cumsum(t, axis=axis),),
                       keep=('axis',), keep_ans=False)


def _shift(y, d, axis, fill):
    """``y`` moved ``d`` places forward along ``axis``; the first ``d`` places hold ``fill``."""
    shape = np.shape(y)
    n = shape[axis]
    out = _embed_p(_slice_p(y, idx=_index_from_end(axis, slice(0, n - d))), shape=shape,
                   idx=_index_from_end(axis, slice(d, None)))
    if fill:
        front = np.zeros((n,) + (1,) * (-axis - 1), dtype=y.dtype)
        front[:d] = fill
        out = out + constant_like(front, y)
    return out


def _unshift(v, d, axis):
    """The transpose of ``_shift(., d, axis, 0)``: ``v`` moved ``d`` places back."""
    shape = np.shape(v)
    return _embed_p(_slice_p(v, idx=_index_from_end(axis, slice(d, None))), shape=shape,
                    idx=_index_from_end(axis, slice(0, shape[axis] - d)))


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


def _scan_handler(prim, name):
    def handler(a, axis=None, dtype=None, out=None):
        if dtype is not None:
            a = a.astype(dtype)
        if axis is None:
            a, axis = np.reshape(a, (-1,)), -1
        elif isinstance(axis, (tuple, list)):
            raise TypeError(f"np.{name}: axis must be an integer")
        else:
            axis = neg_axes(axis, np.ndim(a))[0]
        return write_out(prim(a, axis=axis), out)
    handler.__name__ = name
    return handler


implements(np.cumsum)(_scan_handler(cumsum_p, "cumsum"))
implements(np.cumprod)(_scan_handler(cumprod_p, "cumprod"))


def _cumulative_handler(prim, name, initial):
    def handler(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if dtype is not None:
            x = x.astype(dtype)
        if axis is None:
            if np.ndim(x) > 1:
                raise ValueError("For arrays which have more than one dimension ``axis`` "
                                 "argument is required.")
            x, axis = np.reshape(x, (-1,)), -1
        axis = neg_axes(axis, np.ndim(x))[0]
        res = prim(x, axis=axis)
        if include_initial:   # pad the front with the empty sum (0) or product (1)
            shape = list(np.shape(res))
            shape[axis] += 1
            res = _embed_p(res, shape=tuple(shape), idx=_index_from_end(axis, slice(1, None)))
            if initial:
                front = np.zeros((shape[axis],) + (1,) * (-axis - 1), dtype=res.dtype)
                front[0] = initial
                res = res + front
        return write_out(res, out)
    handler.__name__ = name
    return handler


if hasattr(np, "cumulative_sum"):   # NumPy >= 2.1
    implements(np.cumulative_sum)(_cumulative_handler(cumsum_p, "cumulative_sum", 0))
    implements(np.cumulative_prod)(_cumulative_handler(cumprod_p, "cumulative_prod", 1))


# ---------------------------------------------------------------- differences and integrals
def _const(a):
    """The plain value of ``a`` (masks and indices are computed on values: constants)."""
    return np.asarray(plain(a))


def _inexact(a):
    return np.issubdtype(np.result_type(a), np.inexact)


@implements(np.diff)
def _np_diff(a, n=1, axis=-1, prepend=_NoValue, append=_NoValue):
    """``np.diff``: slices subtracted ``n`` times (prepend/append may be tensors too)."""
    if n == 0:
        return a
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    a = _array(a)
    nd = np.ndim(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = neg_axes(axis, nd)[0] + nd
    combined = []
    for extra in (prepend, a, append):
        if extra is _NoValue:
            continue
        extra = _array(extra)
        if np.ndim(extra) == 0:
            shape = list(np.shape(a))
            shape[axis] = 1
            extra = np.broadcast_to(extra, tuple(shape))
        combined.append(extra)
    if len(combined) > 1:
        a = np.concatenate(combined, axis)
    later = (slice(None),) * axis + (slice(1, None),)
    earlier = (slice(None),) * axis + (slice(None, -1),)
    op = np.not_equal if np.result_type(a) == np.bool_ else np.subtract
    for _ in range(n):
        a = op(a[later], a[earlier])
    return a


@implements(np.ediff1d)
def _ediff1d(ary, to_end=None, to_begin=None):
    ary = np.ravel(_array(ary))
    dt = np.result_type(ary)
    parts = []
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            parts.append(None)
            continue
        extra = _array(extra)
        if not np.can_cast(np.result_type(extra), dt, casting="same_kind"):
            raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under "
                            "the `same_kind` rule.")
        parts.append(np.ravel(extra).astype(dt))
    pieces = [p for p in (parts[0], ary[1:] - ary[:-1], parts[1]) if p is not None]
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


@implements(np.gradient)
def _gradient(f, *varargs, axis=None, edge_order=1):
    """``np.gradient`` written with slices and a concatenation: NumPy's formulas (central
    differences inside, one-sided of order 1 or 2 at the edges), so the values match.

    Spacings may be scalars or coordinate arrays, and tensors too.  Constant coordinates
    that are evenly spaced take NumPy's uniform formulas; coordinates that need a derivative
    always take the general ones, which depend on every coordinate.
    """
    f = _array(f)
    N = np.ndim(f)
    if axis is None:
        axes = tuple(range(N))
    else:   # in the order given, as NumPy returns them
        axes = tuple(neg_axes(a, N)[0] + N for a in ((axis,) if np.ndim(axis) == 0 else axis))
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
    n = len(varargs)
    if n == 0:
        dx = [1.0] * len(axes)
    elif n == 1 and np.ndim(varargs[0]) == 0:
        dx = list(varargs) * len(axes)
    elif n == len(axes):
        dx = list(varargs)
        for i, distances in enumerate(dx):
            distances = _array(distances)
            if np.ndim(distances) == 0:
                continue
            if np.ndim(distances) != 1:
                raise ValueError("distances must be either scalars or 1d")
            if np.shape(distances)[0] != np.shape(f)[axes[i]]:
                raise ValueError("when 1d, distances must match the length of the "
                                 "corresponding dimension")
            if np.issubdtype(np.result_type(distances), np.integer):
                distances = distances.astype(np.float64)
            diffx = distances[1:] - distances[:-1]
            dv = _const(diffx)
            if not is_traced(diffx) and (dv == dv[0]).all():
                diffx = dv[0]
            dx[i] = diffx
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = np.result_type(f)
    if not np.issubdtype(otype, np.inexact):
        otype = np.dtype(np.float64)
        f = f.astype(np.float64)
    outvals = []
    for ax, ax_dx in zip(axes, dx):
        if np.shape(f)[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")

        def at(start, stop):
            return f[(slice(None),) * ax + (slice(start, stop),)]
        uniform = np.ndim(ax_dx) == 0
        if uniform:
            inner = (at(2, None) - at(None, -2)) / (2. * ax_dx)
        else:
            dx1, dx2 = ax_dx[0:-1], ax_dx[1:]
            shape = [1] * N
            shape[ax] = -1
            a = np.reshape(-(dx2) / (dx1 * (dx1 + dx2)), shape)
            b = np.reshape((dx2 - dx1) / (dx1 * dx2), shape)
            c = np.reshape(dx1 / (dx2 * (dx1 + dx2)), shape)
            inner = a * at(None, -2) + b * at(1, -1) + c * at(2, None)
        if edge_order == 1:
            first = (at(1, 2) - at(0, 1)) / (ax_dx if uniform else ax_dx[0])
            last = (at(-1, None) - at(-2, -1)) / (ax_dx if uniform else ax_dx[-1])
        else:
            if uniform:
                a, b, c = -1.5 / ax_dx, 2. / ax_dx, -0.5 / ax_dx
            else:
                dx1, dx2 = ax_dx[0], ax_dx[1]
                a = -(2. * dx1 + dx2) / (dx1 * (dx1 + dx2))
                b = (dx1 + dx2) / (dx1 * dx2)
                c = - dx1 / (dx2 * (dx1 + dx2))
            first = a * at(0, 1) + b * at(1, 2) + c * at(2, 3)
            if uniform:
                a, b, c = 0.5 / ax_dx, -2. / ax_dx, 1.5 / ax_dx
            else:
                dx1, dx2 = ax_dx[-2], ax_dx[-1]
                a = (dx2) / (dx1 * (dx1 + dx2))
                b = - (dx2 + dx1) / (dx1 * dx2)
                c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2))
            last = a * at(-3, -2) + b * at(-2, -1) + c * at(-1, None)
        parts = [p if np.result_type(p) == otype else p.astype(otype)
                 for p in (first, inner, last)]
        outvals.append(np.concatenate(parts, axis=ax))
    if len(axes) == 1:
        return outvals[0]
    return tuple(outvals) if _NUMPY2 else outvals


_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


def _trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoidal rule, differentiable in ``y``, ``x`` and ``dx``."""
    y = _array(y)
    if x is None:
        d = dx
    else:
        x = _array(x)
        if np.ndim(x) == 1:
            d = _np_diff(x)
            shape = [1] * np.ndim(y)
            shape[axis] = np.shape(d)[0]
            d = np.reshape(d, shape)
        else:
            d = _np_diff(x, axis=axis)
    nd = np.ndim(y)
    ax = neg_axes(axis, nd)[0] + nd
    later = (slice(None),) * ax + (slice(1, None),)
    earlier = (slice(None),) * ax + (slice(None, -1),)
    return np.sum(d * (y[later] + y[earlier]) / 2.0, axis=ax)


for _name in ("trapezoid", "trapz"):   # trapz: NumPy < 2.4
    if hasattr(np, _name):
        implements(getattr(np, _name))(_trapezoid)


# ---------------------------------------------------------------- ignoring NaN
def _nan_filled(a, value):
    """``a`` with its NaNs replaced by ``value`` (a constant), and the NaN mask."""
    mask = np.isnan(_const(a))
    return np.where(mask, value, a), mask


def _warn(msg):
    """NumPy's RuntimeWarning, attributed to the first caller outside chainrule."""
    import sys
    import warnings
    pkg = __file__.rsplit("/", 2)[0]
    f, level = sys._getframe(1), 2
    while f is not None and f.f_code.co_filename.startswith(pkg):
        f, level = f.f_back, level + 1
    warnings.warn(msg, RuntimeWarning, stacklevel=level)


def _nan_reduction(reduction, fill):
    """``np.nansum``-style handler: NaNs replaced by ``fill``, then ``reduction``."""
    def handler(a, axis=None, dtype=None, out=None, keepdims=_NoValue, initial=_NoValue,
                where=_NoValue):
        a = _array(a)
        if _inexact(a):
            a = _nan_filled(a, fill)[0]
        return reduction(a, axis, dtype, out, keepdims_flag(keepdims), initial, where)
    return handler


implements(np.nansum)(_nan_reduction(_sum, 0))
implements(np.nanprod)(_nan_reduction(_prod, 1))


def _nan_count(mask, axes, keepdims, dtype):
    cnt = np.sum(~mask, axis=axes, keepdims=keepdims)
    return cnt, np.where(cnt == 0, 1, cnt).astype(dtype)


@implements(np.nanmean)
def _nanmean(a, axis=None, dtype=None, out=None, keepdims=_NoValue, *, where=_NoValue):
    """Mean of the non-NaN entries; an all-NaN slice gives NaN (with NumPy's warning) and
    passes no gradient."""
    a = _array(a)
    if not _inexact(a):
        return _mean(a, axis, dtype, out, keepdims_flag(keepdims), where=where)
    if dtype is not None:
        a = a.astype(dtype)
    axes = neg_axes(axis, np.ndim(a))
    keep = keepdims_flag(keepdims)
    filled, mask = _nan_filled(a, 0)
    if _masked(where):                   # entries where= leaves out count as NaNs
        mask = mask | ~np.broadcast_to(where, np.shape(a))
        filled = np.where(mask, 0, filled)
    tot = _total(filled, axes, keep)
    cnt, safe = _nan_count(mask, axes, keep, np.result_type(tot))
    res = tot / safe
    if np.any(cnt == 0):
        _warn("Mean of empty slice")
        res = np.where(cnt == 0, np.nan, res)
    return write_out(res, out)


def _nanvariance(a, axis, dtype, ddof, keepdims, where, mean, correction, name):
    unsupported(name, mean=mean)
    if correction is not _NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a = _array(a)
    if not _inexact(a):
        return _variance(a, axis, dtype, ddof, keepdims, where, _NoValue, _NoValue,
                         name), False
    if dtype is not None:
        a = a.astype(dtype)
    axes = neg_axes(axis, np.ndim(a))
    keep = keepdims_flag(keepdims)
    filled, mask = _nan_filled(a, 0)
    if _masked(where):                   # entries where= leaves out count as NaNs
        mask = mask | ~np.broadcast_to(where, np.shape(a))
        filled = np.where(mask, 0, filled)
    cnt, safe = _nan_count(mask, axes, True, np.result_type(filled))
    avg = _total(filled, axes, True) / safe
    d = np.where(mask, 0, filled - avg)
    var = _total(_abs2(d), axes, keep)
    dof = np.sum(~mask, axis=axes, keepdims=keep) - ddof
    bad = dof <= 0
    return var / np.where(bad, 1, dof).astype(np.result_type(var)), bad


def _nan_where_bad(var, bad, post=None):
    """``post(var)``, NaN where a slice has too few values, with NumPy's warning (and no
    gradient there: ``post`` only sees good values)."""
    if not np.any(bad):
        return var if post is None else post(var)
    _warn("Degrees of freedom <= 0 for slice.")
    res = np.where(bad, 1, var)
    return np.where(bad, np.nan, res if post is None else post(res))


@implements(np.nanvar)
def _nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NoValue, *, where=_NoValue,
            mean=_NoValue, correction=_NoValue):
    var, bad = _nanvariance(a, axis, dtype, ddof, keepdims, where, mean, correction, "nanvar")
    return write_out(_nan_where_bad(var, bad), out)


@implements(np.nanstd)
def _nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NoValue, *, where=_NoValue,
            mean=_NoValue, correction=_NoValue):
    var, bad = _nanvariance(a, axis, dtype, ddof, keepdims, where, mean, correction, "nanstd")
    return write_out(_nan_where_bad(var, bad, np.sqrt), out)


def _nan_chooser(prim, fill, plain, name):
    def handler(a, axis=None, out=None, keepdims=_NoValue, initial=_NoValue, where=_NoValue):
        a = _array(a)
        if not _inexact(a):
            return plain(a, axis=axis, out=out, keepdims=keepdims_flag(keepdims),
                         initial=initial, where=where)
        axes = neg_axes(axis, np.ndim(a))
        keep = keepdims_flag(keepdims)
        filled, mask = _nan_filled(a, fill)
        if _masked(where):               # entries where= leaves out count as NaNs
            if initial is _NoValue:
                _chosen(prim, a, axes, keep, initial, where, name)     # NumPy's error
            mask = mask | ~np.broadcast_to(where, np.shape(a))
            filled = np.where(mask, fill, filled)
        res = _chosen(prim, filled, axes, keep, initial, _NoValue, name)
        allnan = np.all(mask, axis=axes, keepdims=keep)
        if initial is _NoValue and np.any(allnan):
            _warn("All-NaN slice encountered")
            res = np.where(allnan, np.nan, res)
        return write_out(res, out)
    handler.__name__ = name
    handler.__doc__ = (f"np.{name}: NaNs are skipped (ties share the gradient evenly); an "
                       "all-NaN slice gives NaN and passes no gradient.")
    return handler


implements(np.nanmax)(_nan_chooser(max_p, -np.inf, np.max, "nanmax"))
implements(np.nanmin)(_nan_chooser(min_p, np.inf, np.min, "nanmin"))


def _nan_scan(plain, fill):
    def handler(a, axis=None, dtype=None, out=None):
        a = _array(a)
        if _inexact(a):
            a = _nan_filled(a, fill)[0]
        return plain(a, axis=axis, dtype=dtype, out=out)
    return handler


implements(np.nancumsum)(_nan_scan(np.cumsum, 0))
implements(np.nancumprod)(_nan_scan(np.cumprod, 1))


# ---------------------------------------------------------------- median and quantiles
# One primitive for median, quantile and percentile (and their nan- forms): its value is
# NumPy's own, and its derivative is a weight per element, piecewise constant in x: a
# quantile interpolates between two order statistics with weights (1 - g, g), and each order
# statistic shares its weight evenly among the elements tied at its value (as max does).
# Rows holding NaN pass the gradient to their NaNs (their value is NaN); the nan- forms skip
# NaNs, and an all-NaN row passes none.
def _hyndman_fan(alpha, beta):
    return lambda n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


_VIRTUAL_INDEX = {   # method -> 0-based (fractional) position of quantile q among n values
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


def _numpy_q(x, q, kind):
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
    x = _const(x)
    skip_nan = kind.startswith("nan")
    q = _numpy_q(x, 0.5 if "median" in kind else q, kind)
    nd = x.ndim
    red = [a + nd for a in axis]
    kept = [d for d in range(nd) if d not in red]
    perm = kept + red
    xs = np.transpose(x, perm)
    kshape = xs.shape[:len(kept)]
    n = _count(x.shape, axis)
    if n == 0:
        return np.zeros(q.shape + x.shape, dtype=dtype)
    rows = xs.reshape(kshape + (n,))
    nan = np.isnan(rows) if _inexact(rows) else np.zeros(rows.shape, dtype=bool)
    s = np.sort(rows, axis=-1)    # NaNs last
    cnt = n - np.sum(nan, axis=-1) if skip_nan else np.full(kshape, n)
    cnt = cnt.astype(q.dtype) if q.dtype.kind == "f" else cnt    # as NumPy's Python int n
    qq = q.reshape(q.shape + (1,) * len(kshape))
    v = np.asarray(_VIRTUAL_INDEX[method](cnt, qq), dtype=np.float64)
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


def _quantile_handler(kind):
    def handler(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
        if weights is not None:
            raise NotImplementedError(f"np.{kind} with weights= is not supported on tensors")
        if interpolation is not None:
            method = interpolation
        if method not in _VIRTUAL_INDEX:
            raise NotImplementedError(
                f"np.{kind}(method={method!r}) is not supported on tensors; use one of "
                f"{', '.join(sorted(_VIRTUAL_INDEX))}")
        if is_traced(q):
            raise NotImplementedError(f"np.{kind}: the derivative with respect to q is not "
                                      "supported; pass q as a constant")
        a = _array(a)
        if not isinstance(q, (int, float, list, tuple)):
            q = _const(q)
        qq = _numpy_q(a, q, kind)
        if not (np.all(0 <= qq) and np.all(qq <= 1)):
            raise ValueError("Percentiles must be in the range [0, 100]" if "percentile" in
                             kind else "Quantiles must be in the range [0, 1]")
        return write_out(quantile_p(a, q=q, axis=neg_axes(axis, np.ndim(a)),
                               keepdims=bool(keepdims), method=method, kind=kind), out)
    handler.__name__ = kind
    return handler


def _median_handler(kind):
    def handler(a, axis=None, out=None, overwrite_input=False, keepdims=False):
        a = _array(a)
        return write_out(quantile_p(a, q=0.5, axis=neg_axes(axis, np.ndim(a)),
                               keepdims=bool(keepdims), method="linear", kind=kind), out)
    handler.__name__ = kind
    return handler


for _kind in ("median", "nanmedian"):
    implements(getattr(np, _kind))(_median_handler(_kind))
for _kind in ("quantile", "nanquantile", "percentile", "nanpercentile"):
    implements(getattr(np, _kind))(_quantile_handler(_kind))


# ---------------------------------------------------------------- covariance, correlation
def _rows(a, dtype):
    """``np.array(a, ndmin=2, dtype=dtype)`` for tensors."""
    a = a.astype(dtype)
    return np.reshape(a, (1,) * (2 - np.ndim(a)) + np.shape(a)) if np.ndim(a) < 2 else a


def _check_weights(w, X, name):
    v = _const(w)
    if v.ndim > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if v.shape[0] != np.shape(X)[1]:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if np.any(v < 0):
        raise ValueError(f"{name} cannot be negative")
    return _array(w).astype(float)


@implements(np.cov)
def _cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
         dtype=None):
    """NumPy's ``np.cov`` on tensors (weights may be tensors too)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = _array(m)
    if np.ndim(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = _array(y)
        if np.ndim(y) > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(*[np.result_type(a) for a in (m, y) if a is not None],
                               np.float64)
    X = _rows(m, dtype)
    if not rowvar and np.ndim(m) != 1:
        X = X.T
    if np.shape(X)[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        y = _rows(y, dtype)
        if not rowvar and np.shape(y)[0] != 1:
            y = y.T
        X = np.concatenate((X, y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    w = None
    if fweights is not None:
        if not np.all(_const(fweights) == np.around(_const(fweights))):
            raise TypeError("fweights must be integer")
        w = _check_weights(fweights, X, "fweights")
    if aweights is not None:
        aweights = _check_weights(aweights, X, "aweights")
        w = aweights if w is None else w * aweights
    avg, w_sum = _average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        fact = np.shape(X)[1] - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * np.sum(w * aweights) / w_sum
    if np.all(_const(fact) <= 0):
        _warn("Degrees of freedom <= 0 for slice")
        fact = 0.0
    X = X - avg[:, None]
    X_T = X.T if w is None else (X * w).T
    c = np.dot(X, np.conj(X_T) if np.iscomplexobj(X_T) else X_T)   # NumPy's X X^H
    c = c * np.true_divide(1, fact)
    return np.squeeze(c)


@implements(np.corrcoef)
def _corrcoef(x, y=None, rowvar=True, *args, dtype=None, **kwargs):
    """Pearson correlation: ``cov`` scaled by the standard deviations, clipped to [-1, 1] as
    NumPy does (the diagonal, 1 up to rounding, has derivative 0)."""
    c = _cov(x, y, rowvar, dtype=dtype)
    if np.ndim(c) != 2:
        return c / c
    d = np.diagonal(c)
    stddev = np.sqrt(np.real(d))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    if np.iscomplexobj(c):      # NumPy clips each part
        return np.clip(np.real(c), -1, 1) + 1j * np.clip(np.imag(c), -1, 1)
    return np.clip(c, -1, 1)
