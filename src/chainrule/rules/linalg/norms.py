"""Norms: the ``vector_norm`` primitive (with the right derivative at its kink at 0) and
its rules; ``np.linalg.norm``'s vector and matrix norms are built on it and on singular
values in :mod:`chainrule.numpy_api.linalg.norms`.
"""
import numpy as np

from ..api import defprim, maybe_nonzero
from ..reductions import restore_reduced_axes
from .common import real_part

__all__ = ["vector_norm_p"]


# ---------------------------------------------------------------- norms
def _safe(cond, x, fill):
    """``x`` where ``cond`` is False, else ``fill``: keeps 0/0 out of rules and their
    derivatives."""
    return np.where(cond, fill, x)


def _vnorm_fn(x, ord, axis, keepdims):
    ax = axis
    if ord == 2:
        sq = x * x if not np.iscomplexobj(x) else (x.real ** 2 + x.imag ** 2)
        return np.sqrt(np.sum(sq, axis=ax, keepdims=keepdims))
    if ord == 1:
        return np.sum(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == np.inf:
        return np.max(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == 0:
        return np.sum((x != 0).astype(np.abs(x).dtype), axis=ax, keepdims=keepdims)
    s = np.sum(np.abs(x) ** ord, axis=ax, keepdims=keepdims)
    return s ** (1.0 / ord)


def _unit(x):
    """``conj(x) / |x|`` (``sign(x)`` for real ``x``), 0 at 0: the derivative of ``|x|``."""
    if not np.iscomplexobj(x):
        return np.sign(x)
    m = _modulus(x)
    return np.conj(x) / _safe(m == 0, m, 1)


def _modulus(x):
    """``|x|`` of complex ``x`` as ``sqrt(re**2 + im**2)``, with derivative 0 at 0."""
    sq = np.real(x * np.conj(x))
    zero = sq == 0
    return _safe(zero, np.sqrt(_safe(zero, sq, 1)), 0)


def _vnorm_weight(ans, x, ord, axis, keepdims):
    """``w`` with ``d norm = Re(sum(w * dx, axis))`` (0 where the norm has no derivative); for
    complex ``x`` it holds ``conj(x)``, which is also JAX's cotangent convention."""
    n = restore_reduced_axes(ans, x, axis, keepdims)
    if ord == 2:   # 0 at 0, also its derivative: norm''(0) = 0, as abs''(0) = 0
        return _safe(n == 0, np.conj(x) if np.iscomplexobj(x) else x, 0) / _safe(n == 0, n, 1)
    if ord == 1:
        return _unit(x)
    if ord in (np.inf, -np.inf):
        hit = np.abs(x) == n
        return _unit(x) * hit / np.sum(hit, axis=axis, keepdims=True)
    if ord == 0:
        return np.real(x) * 0
    zero = x == 0
    ax = _modulus(x) if np.iscomplexobj(x) else np.abs(_safe(zero, x, 1))
    w = _unit(x) * _safe(zero, ax, 1) ** (ord - 1) / _safe(n == 0, n, 1) ** (ord - 1)
    return _safe(zero, w, 0)


def _vnorm_vjp(g, ans, x, ord, axis, keepdims):
    return (restore_reduced_axes(real_part(g), x, axis, keepdims)
            * _vnorm_weight(ans, x, ord, axis, keepdims))


def _vnorm_jvp(t, ans, x, ord, axis, keepdims):
    w = _vnorm_weight(ans, x, ord, axis, keepdims)
    if ord in (np.inf, -np.inf):
        # the entries that attain the max (min) are selected: a non-finite tangent elsewhere
        # (of a singular value next to a repeated pair, say) does not reach the result
        t = np.where(maybe_nonzero(w), t, 0)
    return real_part(np.sum(t * w, axis=axis, keepdims=keepdims))


# the p-norm over ``axis`` (a tuple of negative axes); ord 2 has gradient 0 at 0, not NaN
vector_norm_p = defprim(_vnorm_fn, name="vector_norm", raw=True, vjp=(_vnorm_vjp,),
                        jvp=(_vnorm_jvp,), keep=('x', 'ord', 'axis', 'keepdims'))
