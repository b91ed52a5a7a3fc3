"""Reductions and scans: sum, mean, prod, max/min, var/std, average, ptp, cumsum/cumprod.

Handlers normalize ``axis`` to a tuple of negative axes (an int for scans), so the rules also
work on tangents that carry leading batch dimensions.  ``mean``, ``var``, ``std``,
``average`` and ``ptp`` are written with the primitives below and need no rules of their own.

``max``/``min`` split the gradient evenly between tied extremes, as JAX does.  ``prod`` and
``cumprod`` use ``ans / x`` only where ``x`` has no zeros; otherwise their rules are built from
products of neighbours (a pairwise tree for ``prod``, a doubling scan for ``cumprod``) that
never divide, so they are exact at zeros, at every order.

>>> import numpy as np, chainrule as cr
>>> cr.grad(np.max)(np.array([1.0, 3.0, 3.0]))
array([0. , 0.5, 0.5])
>>> cr.grad(np.prod)(np.array([0.0, 2.0, 3.0]))
array([6., 0., 0.])
"""
import numpy as np

from .registry import batch_ndim, defprim, implements, neg_axes

__all__ = ["sum_p", "prod_p", "max_p", "min_p", "cumsum_p", "cumprod_p", "std_sqrt_p"]

_NoValue = np._NoValue


# ---------------------------------------------------------------- helpers
def _keep(g, x, axis, keepdims):
    """Put the reduced axes back (as size 1) so ``g`` broadcasts against ``x``."""
    if keepdims:
        return g
    shape = list(np.shape(x))
    for a in axis:
        shape[a] = 1
    return np.reshape(g, shape)


def _count(shape, axis):
    """Number of elements that a reduction over ``axis`` combines."""
    n = 1
    for a in axis:
        n *= shape[a]
    return n


def _out(res, out):
    if out is None:
        return res
    out[...] = res
    return out


def _no(name, **opts):
    """Raise for NumPy options this handler does not support on tensors."""
    given = sorted(k for k, v in opts.items() if v is not _NoValue)
    if given:
        raise NotImplementedError(f"np.{name} with {', '.join(k + '=' for k in given)} is not "
                                  "supported on tensors")


def _keepdims(keepdims):
    return False if keepdims is _NoValue else bool(keepdims)


def _is_exact(a):
    """Integer or bool data (NumPy's mean/var then compute in float64)."""
    return np.issubdtype(np.result_type(a), np.integer) or np.result_type(a) == np.bool_


def _along(axis, sl):
    """An index applying slice ``sl`` on negative ``axis`` (leading batch dims untouched)."""
    return (Ellipsis, sl) + (slice(None),) * (-axis - 1)


def _embed(x, shape, idx):
    out = np.zeros(shape, dtype=x.dtype)
    out[idx] = x
    return out


# A slice and its transpose, the pad/interleave that the prod and cumprod rules are built
# from.  ``idx`` always starts with Ellipsis, so tangents' leading batch dims pass through.
_slice_p = defprim(lambda x, idx: x[idx], name="slice", raw=True,
                   vjp=(lambda g, ans, x, idx: _embed_p(g, shape=np.shape(x), idx=idx),),
                   jvp=(lambda t, ans, x, idx: _slice_p(t, idx=idx),))

# zeros of ``shape`` with ``x`` written at ``idx``
_embed_p = defprim(_embed, name="embed", raw=True,
                   vjp=(lambda g, ans, x, shape, idx: _slice_p(g, idx=idx),),
                   jvp=(lambda t, ans, x, shape, idx: _embed_p(
                       t, shape=np.shape(t)[:batch_ndim(t, x)] + tuple(shape), idx=idx),))


# ---------------------------------------------------------------- sum, mean
def _sum_vjp(g, ans, x, axis, keepdims):
    return np.broadcast_to(_keep(g, x, axis, keepdims), np.shape(x))


sum_p = defprim(lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), name="sum",
                vjp=(_sum_vjp,),
                jvp=(lambda t, ans, x, axis, keepdims: np.sum(t, axis=axis, keepdims=keepdims),))


@implements(np.sum)
def _sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
         where=_NoValue):
    if dtype is not None:
        a = a.astype(dtype)
    if where is not _NoValue and where is not True:
        a = np.where(where, a, 0)
    res = sum_p(a, axis=neg_axes(axis, np.ndim(a)), keepdims=_keepdims(keepdims))
    if initial is not _NoValue:
        res = res + initial
    return _out(res, out)


@implements(np.mean)
def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    if dtype is None and _is_exact(a):
        dtype = np.float64
    if dtype is not None:
        a = a.astype(dtype)
    axes = neg_axes(axis, np.ndim(a))
    keepdims = _keepdims(keepdims)
    if where is _NoValue or where is True:
        res = sum_p(a, axis=axes, keepdims=keepdims) / _count(np.shape(a), axes)
    else:
        mask = np.broadcast_to(where, np.shape(a))
        n = np.sum(mask, axis=axes, keepdims=keepdims).astype(np.result_type(a))
        res = sum_p(np.where(mask, a, 0), axis=axes, keepdims=keepdims) / n
    return _out(res, out)


# ---------------------------------------------------------------- prod
def _pad_one(y):
    """``y`` with a 1 appended along the last axis."""
    shape = np.shape(y)
    m = shape[-1]
    one = np.zeros(m + 1, dtype=y.dtype)
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
    from ..numpy_bridge import _values
    return not np.all(_values(x))


def _prod_grad(ans, x, axis, keepdims):
    """d prod / dx: ``ans / x`` (fast), or the products of the others where ``x`` has zeros."""
    if _has_zero(x):
        return _prod_others(x, axis)
    return _keep(ans, x, axis, keepdims) / x


prod_p = defprim(
    lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims), name="prod",
    vjp=(lambda g, ans, x, axis, keepdims:
         _keep(g, x, axis, keepdims) * _prod_grad(ans, x, axis, keepdims),),
    jvp=(lambda t, ans, x, axis, keepdims:
         np.sum(t * _prod_grad(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),))


@implements(np.prod)
def _prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
          where=_NoValue):
    if dtype is not None:
        a = a.astype(dtype)
    if where is not _NoValue and where is not True:
        a = np.where(where, a, 1)
    res = prod_p(a, axis=neg_axes(axis, np.ndim(a)), keepdims=_keepdims(keepdims))
    if initial is not _NoValue:
        res = res * initial
    return _out(res, out)


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
             np.sum(t * _ties(ans, x, axis, keepdims), axis=axis, keepdims=keepdims),))


max_p = _chooser(np.max, "max")
min_p = _chooser(np.min, "min")


def _chooser_handler(prim, name):
    def handler(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
        _no(name, initial=initial, where=where)
        return _out(prim(a, axis=neg_axes(axis, np.ndim(a)), keepdims=_keepdims(keepdims)),
                    out)
    handler.__name__ = name
    handler.__doc__ = f"np.{name} on tensors (ties share the gradient evenly)."
    return handler


implements(np.max, np.amax)(_chooser_handler(max_p, "max"))
implements(np.min, np.amin)(_chooser_handler(min_p, "min"))


@implements(np.ptp)
def _ptp(a, axis=None, out=None, keepdims=False):
    axes = neg_axes(axis, np.ndim(a))
    keepdims = _keepdims(keepdims)
    return _out(max_p(a, axis=axes, keepdims=keepdims) - min_p(a, axis=axes, keepdims=keepdims),
                out)


# ---------------------------------------------------------------- var, std, average
def _variance(a, axis, dtype, ddof, keepdims, where, mean, correction, name):
    _no(name, where=where)
    if correction is not _NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    if np.iscomplexobj(a):
        raise NotImplementedError(f"np.{name} of complex tensors is not supported")
    if dtype is None and _is_exact(a):
        dtype = np.float64
    if dtype is not None:
        a = a.astype(dtype)
    axes = neg_axes(axis, np.ndim(a))
    n = _count(np.shape(a), axes)
    if mean is _NoValue:
        mean = sum_p(a, axis=axes, keepdims=True) / n
    d = a - mean
    return sum_p(d * d, axis=axes, keepdims=_keepdims(keepdims)) / max(n - ddof, 0)


@implements(np.var)
def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
         mean=_NoValue, correction=_NoValue):
    return _out(_variance(a, axis, dtype, ddof, keepdims, where, mean, correction, "var"), out)


def _half_over(ans):
    """``0.5 / ans``, but 0 where ``ans`` is 0 (and so is every derivative of it there)."""
    zero = ans == 0
    return np.where(zero, 0, 0.5 / np.where(zero, 1, ans))


# the square root that turns a variance into np.std: std is a norm of the deviations, so at
# constant data (variance 0, a kink) its gradient is 0, as for norms, not sqrt'(0) = inf
std_sqrt_p = defprim(np.sqrt, name="sqrt", elementwise=True, raw=True,
                     vjp=(lambda g, ans, v: g * _half_over(ans),),
                     jvp=(lambda t, ans, v: t * _half_over(ans),))


@implements(np.std)
def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
         mean=_NoValue, correction=_NoValue):
    var = _variance(a, axis, dtype, ddof, keepdims, where, mean, correction, "std")
    return _out(std_sqrt_p(var), out)


def _array(x):
    from ..tensor import Tensor
    return x if isinstance(x, Tensor) else np.asarray(x)


@implements(np.average)
def _average(a, axis=None, weights=None, returned=False, *, keepdims=_NoValue):
    """Weighted mean ``sum(a * w) / sum(w)``, differentiable in ``a`` and ``weights``."""
    from ..numpy_bridge import _values
    a = _array(a)
    shape = np.shape(a)
    keep = _keepdims(keepdims)
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
        if np.any(_values(scl == 0.0)):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = _sum(a.astype(rtype) * w.astype(rtype), axis, keepdims=keep) / scl
    if not returned:
        return avg
    if np.shape(scl) != np.shape(avg):
        scl = np.broadcast_to(scl, np.shape(avg)).copy()
    return avg, scl


# ---------------------------------------------------------------- cumsum, cumprod
def _flip(x, axis):
    return _slice_p(x, idx=_along(axis, slice(None, None, -1)))


cumsum_p = defprim(lambda x, axis: np.cumsum(x, axis=axis), name="cumsum",
                   vjp=(lambda g, ans, x, axis: _flip(np.cumsum(_flip(g, axis), axis=axis),
                                                      axis),),
                   jvp=(lambda t, ans, x, axis: np.cumsum(t, axis=axis),))


def _shift(y, d, axis, fill):
    """``y`` moved ``d`` places forward along ``axis``; the first ``d`` places hold ``fill``."""
    shape = np.shape(y)
    n = shape[axis]
    out = _embed_p(_slice_p(y, idx=_along(axis, slice(0, n - d))), shape=shape,
                   idx=_along(axis, slice(d, None)))
    if fill:
        front = np.zeros((n,) + (1,) * (-axis - 1), dtype=y.dtype)
        front[:d] = fill
        out = out + front
    return out


def _unshift(v, d, axis):
    """The transpose of ``_shift(., d, axis, 0)``: ``v`` moved ``d`` places back."""
    shape = np.shape(v)
    return _embed_p(_slice_p(v, idx=_along(axis, slice(d, None))), shape=shape,
                    idx=_along(axis, slice(0, shape[axis] - d)))


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
        return _flip(np.cumsum(_flip(g * ans, axis), axis=axis), axis) / x
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
                    vjp=(_cumprod_vjp,), jvp=(_cumprod_jvp,))


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
        return _out(prim(a, axis=axis), out)
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
            res = _embed_p(res, shape=tuple(shape), idx=_along(axis, slice(1, None)))
            if initial:
                front = np.zeros((shape[axis],) + (1,) * (-axis - 1), dtype=res.dtype)
                front[0] = initial
                res = res + front
        return _out(res, out)
    handler.__name__ = name
    return handler


if hasattr(np, "cumulative_sum"):   # NumPy >= 2.1
    implements(np.cumulative_sum)(_cumulative_handler(cumsum_p, "cumulative_sum", 0))
    implements(np.cumulative_prod)(_cumulative_handler(cumprod_p, "cumulative_prod", 1))
