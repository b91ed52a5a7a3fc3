"""Norms: the ``vector_norm`` primitive (with the right derivative at its kink at 0) and
``np.linalg.norm``'s vector and matrix norms built on it and on singular values.
"""
import numbers

import numpy as np

from ..api import defprim, implements, neg_axes
from .common import reshape_to, result_dtype
from .decompositions import svdvals_p

__all__ = ["vector_norm_p"]


# ---------------------------------------------------------------- norms
def _keep(g, x, axis, keepdims):
    """Put the reduced axes back (as size 1) so ``g`` broadcasts against ``x``."""
    if keepdims:
        return g
    shape = list(np.shape(x))
    for a in axis:
        shape[a] = 1
    return reshape_to(g, shape)


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
    n = _keep(ans, x, axis, keepdims)
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


def _real(x):
    return np.real(x) if np.iscomplexobj(x) else x


def _vnorm_vjp(g, ans, x, ord, axis, keepdims):
    return _keep(_real(g), x, axis, keepdims) * _vnorm_weight(ans, x, ord, axis, keepdims)


def _vnorm_jvp(t, ans, x, ord, axis, keepdims):
    w = _vnorm_weight(ans, x, ord, axis, keepdims)
    return _real(np.sum(t * w, axis=axis, keepdims=keepdims))


# the p-norm over ``axis`` (a tuple of negative axes); ord 2 has gradient 0 at 0, not NaN
vector_norm_p = defprim(_vnorm_fn, name="vector_norm", raw=True, vjp=(_vnorm_vjp,),
                        jvp=(_vnorm_jvp,), keep=('x', 'ord', 'axis', 'keepdims'))


def _vector_norm(x, ord, axes, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    ord = 2 if ord is None else ord
    ord = float(ord) if not isinstance(ord, numbers.Integral) else int(ord)
    return vector_norm_p(x, ord=ord, axis=axes, keepdims=keepdims)


def _reinsert(res, x, axes):
    """``res`` computed with keepdims=True, reshaped as if without keepdims."""
    shape = [n for i, n in enumerate(np.shape(x)) if i - np.ndim(x) not in axes]
    return reshape_to(res, shape)


def _matrix_norm(x, ord, axes, keepdims):
    row, col = axes
    nd = np.ndim(x)
    if ord in (None, "fro", "f"):
        return vector_norm_p(x, ord=2, axis=tuple(sorted(axes)), keepdims=keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        if ord in (np.inf, -np.inf):
            row, col = col, row
        s = np.sum(np.abs(x), axis=row, keepdims=True)
        res = vector_norm_p(s, ord=np.inf if ord > 0 else -np.inf, axis=(col,), keepdims=True)
    elif ord in (2, -2, "nuc"):
        perm = [i for i in range(nd) if i - nd not in axes] + [row + nd, col + nd]
        sv = svdvals_p(np.transpose(x, perm))
        if ord == "nuc":   # |s| (= s) so that zero singular values add 0 to the gradient
            res = np.sum(np.abs(sv), axis=-1)
        else:
            res = vector_norm_p(sv, ord=np.inf if ord == 2 else -np.inf, axis=(-1,),
                                keepdims=False)
        if keepdims:
            shape = list(np.shape(x))
            shape[row], shape[col] = 1, 1
            res = reshape_to(res, shape)
        return res
    else:
        raise ValueError("Invalid norm order for matrices.")
    return res if keepdims else _reinsert(res, x, axes)


@implements(np.linalg.norm)
def linalg_norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm``: vector p-norms, matrix norms (fro, nuc, 1, -1, 2, -2, inf, -inf)."""
    if not np.issubdtype(result_dtype(x), np.inexact):
        x = np.asarray(x).astype(float) if not hasattr(x, "astype") else x.astype(float)
    nd = np.ndim(x)
    keepdims = bool(keepdims)
    if axis is None:
        if ord is None or (ord in ("fro", "f") and nd == 2):
            return vector_norm_p(x, ord=2, axis=tuple(range(-nd, 0)), keepdims=keepdims)
        if nd == 1:
            return _vector_norm(x, ord, (-1,), keepdims)
        if nd == 2:
            return _matrix_norm(x, ord, (-2, -1), keepdims)
        raise ValueError("Improper number of dimensions to norm.")
    if isinstance(axis, numbers.Integral):
        return _vector_norm(x, ord, neg_axes(axis, nd), keepdims)
    axis = tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, neg_axes(axis, nd), keepdims)
    if len(axis) == 2:
        row, col = (int(a) - nd if int(a) >= 0 else int(a) for a in axis)
        neg_axes((row, col), nd)
        if row == col:
            raise ValueError("Duplicate axes given.")
        return _matrix_norm(x, ord, (row, col), keepdims)
    raise ValueError("Improper number of dimensions to norm.")


if hasattr(np.linalg, "vector_norm"):
    @implements(np.linalg.vector_norm)
    def _vector_norm_api(x, /, *, axis=None, keepdims=False, ord=2):
        nd = np.ndim(x)
        if not np.issubdtype(result_dtype(x), np.inexact):
            x = x.astype(float)
        axes = neg_axes(axis, nd)
        if axis is None and not keepdims:
            return _vector_norm(np.ravel(x), ord, (-1,), False)
        return _vector_norm(x, ord, axes, bool(keepdims))

if hasattr(np.linalg, "matrix_norm"):
    @implements(np.linalg.matrix_norm)
    def _matrix_norm_api(x, /, *, keepdims=False, ord="fro"):
        if not np.issubdtype(result_dtype(x), np.inexact):
            x = x.astype(float)
        return _matrix_norm(x, ord, (-2, -1), bool(keepdims))
