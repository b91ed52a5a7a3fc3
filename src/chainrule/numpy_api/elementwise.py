"""NumPy's elementwise functions that are not one ufunc, on tensors: ``frexp``, ``modf``,
``divmod``, ``real``, ``imag``, ``angle``, ``real_if_close``, ``sinc``, ``where``, ``clip``,
``select``, ``piecewise``, ``nan_to_num`` and ``interp``.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.elementwise`, where the derivatives are.
"""
import numpy as np

from ..arrays import like_of
from ..rules.api import array_or_tensor, implements, is_other, plain, plain_array, Tensor
from ..rules.elementwise import divmod_p, frexp_p, imag_p, modf_p, real_p, sinc_p, where_p

__all__ = []

implements(np.frexp)(lambda x, /: frexp_p(x))
implements(np.modf)(lambda x, /: modf_p(x))
implements(np.divmod)(lambda x, y, /: divmod_p(x, y))


@implements(np.real)
def _real(val):
    return real_p(val)


@implements(np.imag)
def _imag(val):
    return imag_p(val)


@implements(np.angle)
def _angle(z, deg=False):
    """``arctan2(imag z, real z)``; for real ``z``, ``arctan2(0, z)`` (0 or pi, slope 0)."""
    a = np.arctan2(np.imag(z), np.real(z)) if np.iscomplexobj(z) else np.arctan2(0, z)
    return a * (180 / np.pi) if deg else a


@implements(np.real_if_close)
def _real_if_close(a, tol=100):
    """``np.real(a)`` where every imaginary part is within ``tol`` (machine epsilons when
    ``tol > 1``) of 0, else ``a``: which one is decided on the values, as NumPy does."""
    if not np.iscomplexobj(a):
        return a
    v = plain(a)
    if tol > 1:
        tol = tol * np.finfo(v.dtype).eps
    return np.real(a) if np.all(np.abs(np.imag(v)) < tol) else a
implements(np.sinc)(lambda x: sinc_p(x))


@implements(np.where)
def _where(condition, x=None, y=None):
    if x is None and y is None:
        return np.nonzero(condition)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    return where_p(condition, x, y)


@implements(np.clip)
def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    res = a
    # as NumPy's minimum(maximum(a, lo), hi): a NaN bound gives NaN
    if lo is not None:
        res = where_p((res < lo) | np.isnan(lo), lo, res)
    if hi is not None:
        res = where_p((res > hi) | np.isnan(hi), hi, res)
    if lo is None and hi is None:
        raise ValueError("np.clip needs a_min or a_max")
    if out is not None:
        out[...] = res
        return out
    return res


# ---------------------------------------------------------------- built from the above
def _dtype_of(a):
    """NumPy's view of ``a`` for result_type: Python scalars stay weak (NEP 50)."""
    return a if type(a) in (int, float, complex) else np.result_type(plain_array(a))


@implements(np.select)
def _select(condlist, choicelist, default=0):
    """``np.select``: the first true condition picks its choice, written as nested wheres."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [plain_array(c) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype != np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    choices = [c if type(c) in (int, float, complex) else array_or_tensor(c)
               for c in list(choicelist) + [default]]
    try:
        dtype = np.result_type(*[_dtype_of(c) for c in choices])
    except TypeError as e:
        raise TypeError(f"Choicelist and default value do not have a common dtype: {e}") \
            from None
    shape = np.broadcast_shapes(*[np.shape(c) for c in conds + choices])
    res = choices[-1]
    for cond, choice in zip(reversed(conds), reversed(choices[:-1])):
        res = where_p(cond, choice, res)
    if np.result_type(_dtype_of(res)) != dtype:
        res = np.asarray(res).astype(dtype) if not hasattr(res, "astype") else \
            res.astype(dtype)
    return res if np.shape(res) == shape else np.broadcast_to(res, shape)


def _piecewise_dispatch_list(x, condlist):
    return np.isscalar(condlist) or (
        not isinstance(condlist[0], (list, np.ndarray, Tensor)) and np.ndim(x) != 0)


@implements(np.piecewise)
def _piecewise(x, condlist, funclist, *args, **kw):
    """``np.piecewise`` on tensors: each function sees only the values its condition picks
    (as in NumPy), and writes them into a tensor of zeros, so branches that would give NaN
    elsewhere do not spoil the gradient."""
    x = array_or_tensor(x)
    n2 = len(funclist)
    if _piecewise_dispatch_list(x, condlist):
        condlist = [condlist]
    conds = [plain_array(c) for c in condlist]
    conds = (np.stack(conds).astype(bool) if any(is_other(c) for c in conds)
             else np.asarray(conds, dtype=bool))
    n = len(conds)
    if n == n2 - 1:   # the "otherwise" condition
        conds = np.concatenate([conds, ~np.any(conds, axis=0, keepdims=True)], axis=0)
        n += 1
    elif n != n2:
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are expected")
    y = np.zeros_like(x)
    for cond, func in zip(conds, funclist):
        if not callable(func):
            y[cond] = func
        else:
            vals = x[cond]
            if np.size(vals) > 0:
                y[cond] = func(vals, *args, **kw)
    return y


@implements(np.nan_to_num)
def _nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by constants (which may themselves be tensors): slope 1 at
    finite entries, 0 at replaced ones."""
    x = array_or_tensor(x)
    dt = np.result_type(plain_array(x))
    if not np.issubdtype(dt, np.inexact):
        return np.copy(x)
    if np.issubdtype(dt, np.complexfloating):     # each part, as NumPy does
        return (_nan_to_num(np.real(x), copy, nan, posinf, neginf)
                + 1j * _nan_to_num(np.imag(x), copy, nan, posinf, neginf))
    info = np.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    v = plain_array(x)
    fill = np.where(np.isnan(v), nan, np.where(v > 0, posinf, neginf))
    res = where_p(np.isfinite(v), x, fill)
    return res if np.result_type(_dtype_of(res)) == dt else res.astype(dt)


@implements(np.interp)
def _interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation, differentiable in ``x``, ``fp`` *and* ``xp``.

    Values are NumPy's to the bit (the same float64 formula on the segment that NumPy
    picks).  At a knot ``x == xp[j]`` the derivative is that of the segment to its right
    (one-sided, as the value follows that segment); at or beyond the last knot, and before
    the first, the value is constant in ``x`` (slope 0) and comes from ``fp[-1]`` /
    ``fp[0]`` (or ``right`` / ``left``, which may be tensors too).
    """
    x, xp, fp = (array_or_tensor(a) for a in (x, xp, fp))
    if np.iscomplexobj(fp):     # complex values: the real and imaginary parts, as NumPy does
        def part(f, v):
            return None if v is None else f(v)
        return (_interp(x, xp, np.real(fp), part(np.real, left), part(np.real, right), period)
                + 1j * _interp(x, xp, np.imag(fp), part(np.imag, left), part(np.imag, right),
                               period))
    x, xp, fp = (a.astype(np.float64) for a in (x, xp, fp))
    if np.ndim(xp) != 1 or np.ndim(fp) != 1:
        raise ValueError("Data points must be 1-D sequences")
    if np.shape(xp)[0] != np.shape(fp)[0]:
        raise ValueError("fp and xp are not of the same length")
    if np.shape(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        left = right = None
        x, xp = x % period, xp % period
        order = np.argsort(plain_array(xp))
        xp, fp = xp[order], fp[order]
        xp = np.concatenate((xp[-1:] - period, xp, xp[0:1] + period))
        fp = np.concatenate((fp[-1:], fp, fp[0:1]))
    xv, xpv = plain_array(x), plain_array(xp)
    n = xpv.shape[0]
    if n > 1:
        j = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, n - 2)
        xp, fp = like_of(xp, j), like_of(fp, j)
        xa, fa = xp[j], fp[j]
        res = (fp[j + 1] - fa) / (xp[j + 1] - xa) * (x - xa) + fa
        res = where_p(xv == xpv[-1], fp[-1], res)
    else:
        res = np.broadcast_to(fp[0], np.shape(xv))
    res = where_p(xv > xpv[-1], fp[-1] if right is None else right, res)
    res = where_p(xv < xpv[0], fp[0] if left is None else left, res)
    if np.isnan(xv).any():
        res = where_p(np.isnan(xv), x, res)
    return res
