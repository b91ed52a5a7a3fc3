"""Reductions, scans and statistics on tensors: NumPy's ``axis``, ``dtype``, ``out``,
``keepdims``, ``initial``, ``where`` and ``ddof`` arguments, and what is written with the
reduction primitives (mean, var/std, average, ptp, the nan- functions, diff, gradient,
trapezoid, the quantiles, cov and corrcoef).

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.reductions`, where the derivatives are.
"""
import numpy as np

from ..rules.api import (as_array, constant_like, implements, index_from_end, is_traced,
                         keepdims_flag, neg_axes, plain, plain_array, Tensor, unsupported,
                         write_out)
from ..rules.reductions import (cumprod_p, cumsum_p, embed_p, is_inexact, max_p, min_p,
                                numpy_quantile_q, prod_p, QUANTILE_METHODS, quantile_p,
                                reduced_size, std_sqrt_p, sum_p)

__all__ = []

_NoValue = np._NoValue


def _is_exact(a):
    """Integer or bool data (NumPy's mean/var then compute in float64)."""
    return np.issubdtype(np.result_type(a), np.integer) or np.result_type(a) == np.bool_


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
        res = _total(a, axes, keepdims) / reduced_size(np.shape(a), axes)
    else:
        mask = np.broadcast_to(where, np.shape(a))
        n = np.sum(mask, axis=axes, keepdims=keepdims).astype(np.result_type(a))
        res = _total(np.where(mask, a, 0), axes, keepdims) / n
    return write_out(res, out)


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
    n = reduced_size(np.shape(a), axes)
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


@implements(np.std)
def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
         mean=_NoValue, correction=_NoValue):
    var = _variance(a, axis, dtype, ddof, keepdims, where, mean, correction, "std")
    return write_out(std_sqrt_p(var), out)


def _array(x):
    return x if isinstance(x, Tensor) else as_array(x)


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
            res = embed_p(res, shape=tuple(shape), idx=index_from_end(axis, slice(1, None)))
            if initial:
                front = np.zeros((shape[axis],) + (1,) * (-axis - 1), dtype=res.dtype)
                front[0] = initial
                res = res + constant_like(front, res)
        return write_out(res, out)
    handler.__name__ = name
    return handler


if hasattr(np, "cumulative_sum"):   # NumPy >= 2.1
    implements(np.cumulative_sum)(_cumulative_handler(cumsum_p, "cumulative_sum", 0))
    implements(np.cumulative_prod)(_cumulative_handler(cumprod_p, "cumulative_prod", 1))


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
            dv = plain_array(diffx)
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
    return tuple(outvals)


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
    mask = np.isnan(plain_array(a))
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
        if is_inexact(a):
            a = _nan_filled(a, fill)[0]
        return reduction(a, axis, dtype, out, keepdims_flag(keepdims), initial, where)
    return handler


implements(np.nansum)(_nan_reduction(_sum, 0))
implements(np.nanprod)(_nan_reduction(_prod, 1))


def _nan_count(mask, axes, keepdims, dtype):
    cnt = np.sum(~mask, axis=axes, keepdims=keepdims)
    return cnt, np.where(cnt == 0, 1, cnt).astype(dtype)


def _nan_masked(a, axis, dtype, keepdims, where):
    """What the nan- reductions of floating ``a`` share: ``(axes, keepdims, filled, mask)``,
    with ``a`` in ``dtype``, its NaNs (and the entries ``where=`` leaves out) 0 in
    ``filled`` and True in ``mask``."""
    if dtype is not None:
        a = a.astype(dtype)
    filled, mask = _nan_filled(a, 0)
    if _masked(where):                   # entries where= leaves out count as NaNs
        mask = mask | ~np.broadcast_to(where, np.shape(a))
        filled = np.where(mask, 0, filled)
    return neg_axes(axis, np.ndim(a)), keepdims_flag(keepdims), filled, mask


@implements(np.nanmean)
def _nanmean(a, axis=None, dtype=None, out=None, keepdims=_NoValue, *, where=_NoValue):
    """Mean of the non-NaN entries; an all-NaN slice gives NaN (with NumPy's warning) and
    passes no gradient."""
    a = _array(a)
    if not is_inexact(a):
        return _mean(a, axis, dtype, out, keepdims_flag(keepdims), where=where)
    axes, keep, filled, mask = _nan_masked(a, axis, dtype, keepdims, where)
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
    if not is_inexact(a):
        return _variance(a, axis, dtype, ddof, keepdims, where, _NoValue, _NoValue,
                         name), False
    axes, keep, filled, mask = _nan_masked(a, axis, dtype, keepdims, where)
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
        if not is_inexact(a):
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
        if is_inexact(a):
            a = _nan_filled(a, fill)[0]
        return plain(a, axis=axis, dtype=dtype, out=out)
    return handler


implements(np.nancumsum)(_nan_scan(np.cumsum, 0))
implements(np.nancumprod)(_nan_scan(np.cumprod, 1))


def _quantile_handler(kind):
    def handler(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
        if weights is not None:
            raise NotImplementedError(f"np.{kind} with weights= is not supported on tensors")
        if interpolation is not None:
            method = interpolation
        if method not in QUANTILE_METHODS:
            raise NotImplementedError(
                f"np.{kind}(method={method!r}) is not supported on tensors; use one of "
                f"{', '.join(sorted(QUANTILE_METHODS))}")
        if is_traced(q):
            raise NotImplementedError(f"np.{kind}: the derivative with respect to q is not "
                                      "supported; pass q as a constant")
        a = _array(a)
        if not isinstance(q, (int, float, list, tuple)):
            q = plain_array(q)
        qq = numpy_quantile_q(a, q, kind)
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
    v = plain_array(w)
    if v.ndim > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if v.shape[0] != np.shape(X)[1]:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if np.any(v < 0):
        raise ValueError(f"{name} cannot be negative")
    w = _array(w)
    if type(w) is np.ndarray:           # a list or an ndarray of weights: to X's library
        w = constant_like(w, X)
    return w.astype(float)


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
        if not np.all(plain_array(fweights) == np.around(plain_array(fweights))):
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
    if np.all(plain_array(fact) <= 0):
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
