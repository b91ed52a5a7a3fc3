"""``r_`` and ``c_`` that take tensors: NumPy's index tricks, with the parts that hold tensors
built differentiably and joined with ``np.concatenate`` (which records).  Without a tensor
in the index expression they are NumPy's own ``r_`` / ``c_``.

Examples
--------
>>> import chainrule as cr
>>> from chainrule.numpy import r_, c_
>>> cr.grad(lambda x: (r_[x, 0.0, 1:3] ** 2).sum())(1.5)
array(3.)
>>> c_[cr.tensor([1.0, 2.0]), [3.0, 4.0]].shape
(2, 2)
"""
import numpy as np

from ..tensor import Tensor
from .lists import as_array, contains_tensor

__all__ = ["RClass", "CClass"]


def _directive(item, state):
    """Apply a string directive (``'0,2,1'``, ``'1'``) to ``state`` = [axis, ndmin, trans1d]."""
    if item in ("r", "c"):
        raise TypeError(f"np.r_[{item!r}, ...] makes an np.matrix, which cannot hold tensors; "
                        "leave out the matrix directive")
    try:
        parts = [int(p) for p in item.split(",")]
    except ValueError:
        raise ValueError(f"unknown special directive {item!r}") from None
    for i, p in enumerate(parts[:3]):
        state[i] = p


def _upgrade(x, ndmin, trans1d):
    """``x`` with at least ``ndmin`` axes, its own axes placed at ``trans1d`` (NumPy's rule)."""
    nd = np.ndim(x)
    if nd >= ndmin:
        return x
    x = x.reshape((1,) * (ndmin - nd) + tuple(np.shape(x)))
    if trans1d != -1:
        k2 = ndmin - nd
        k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
        axes = list(range(ndmin))
        x = np.transpose(x, axes[:k1] + axes[k2:] + axes[k1:k2])
    return x


class RClass:
    """``r_[...]``: concatenation along the first axis (see ``numpy.r_``)."""

    _numpy = np.r_
    _defaults = (0, 1, -1)

    def __getitem__(self, key):
        if not contains_tensor(key if isinstance(key, tuple) else (key,)):
            return self._numpy[key]
        key = key if isinstance(key, tuple) else (key,)
        state = list(self._defaults)
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry")
                _directive(item, state)
                continue
            axis, ndmin, trans1d = state
            if isinstance(item, slice):
                obj = np.r_[item]
                obj = _upgrade(obj, ndmin, trans1d) if ndmin > 1 else obj
            else:
                obj = as_array(item)
                obj = obj if isinstance(obj, Tensor) else np.asarray(obj)
                obj = _upgrade(obj, max(ndmin, 1), trans1d)
            objs.append(obj)
            kinds.append(item if type(item) in (bool, int, float, complex) else obj.dtype)
        dtype = np.result_type(*kinds)      # Python scalars weak, as in NumPy
        objs = [o if o.dtype == dtype else o.astype(dtype) for o in objs]
        return np.concatenate(objs, axis=state[0])

    def __len__(self):
        return 0


class CClass(RClass):
    """``c_[...]``: concatenation along the last axis, 1-d parts as columns (``numpy.c_``)."""

    _numpy = np.c_
    _defaults = (-1, 2, 0)
