"""Functions whose results carry no gradient: comparisons, rounding, predicates, arg-ops,
index builders.

They run on the values and return constant tensors, so ``if x > 0:`` and ``x[np.argmax(x)]``
work inside differentiated code (``np.histogram``, whose weights could need a gradient, has
a handler in :mod:`chainrule.numpy_api.nondiff`).
"""
import numpy as np

from .api import defprim, nondiff, register_ufunc
from .registry import OPERATORS, defprim

__all__ = []


def _const_ufunc(ufunc, name=None):
    p = defprim(OPERATORS.get(ufunc, ufunc), name=name or ufunc.__name__, nondiff=True)
    register_ufunc(ufunc, p)
    return p


for _u, _n in [(np.less, "less_p"), (np.less_equal, "less_equal_p"), (np.greater, "greater_p"),
               (np.greater_equal, "greater_equal_p"), (np.equal, "equal_p"),
               (np.not_equal, "not_equal_p"), (np.logical_and, "logical_and_p"),
               (np.logical_or, "logical_or_p"), (np.logical_xor, "logical_xor_p"),
               (np.logical_not, "logical_not_p"), (np.isnan, "isnan_p"),
               (np.isinf, "isinf_p"), (np.isfinite, "isfinite_p"), (np.signbit, "signbit_p"),
               (np.floor, "floor_p"), (np.ceil, "ceil_p"), (np.trunc, "trunc_p"),
               (np.rint, "rint_p"), (np.bitwise_and, "bitwise_and_p"),
               (np.bitwise_or, "bitwise_or_p"), (np.bitwise_xor, "bitwise_xor_p"),
               (np.invert, "invert_p"), (np.left_shift, "left_shift_p"),
               (np.right_shift, "right_shift_p")]:
    globals()[_n] = _const_ufunc(_u)
    __all__.append(_n)

nondiff(np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
        np.shape, np.ndim, np.size, np.isclose, np.allclose, np.array_equal,
        np.array_equiv, np.count_nonzero, np.searchsorted, np.round, np.around,
        np.isreal, np.iscomplex, np.isrealobj, np.iscomplexobj, np.result_type,
        np.can_cast, np.min_scalar_type, np.digitize, np.lexsort, np.isin, np.in1d if hasattr(np, "in1d") else np.isin,
        np.fix, np.sign, np.iscomplexobj, np.may_share_memory, np.shares_memory,
        np.argpartition, np.all, np.any, np.isneginf, np.isposinf, np.iscomplex,
        np.array_repr, np.array_str, np.array2string)


# index builders (those that take an array take it for its shape only) and NaN-skipping
# arg-ops
nondiff(np.indices, np.triu_indices, np.tril_indices, np.diag_indices, np.triu_indices_from,
        np.tril_indices_from, np.diag_indices_from, np.ravel_multi_index, np.unravel_index,
        np.nanargmax, np.nanargmin)
