"""``np.linalg.norm``, ``vector_norm`` and ``matrix_norm`` on tensors: ``ord`` and ``axis``
chosen into the norm primitives.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.linalg.norms`, where the derivatives are.
"""
import numbers
import numpy as np

from ...rules.api import implements, neg_axes
from ...rules.linalg.common import reshape_to, result_dtype
from ...rules.linalg.decompositions import svdvals_p
from ...rules.linalg.norms import vector_norm_p

__all__ = []


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
