"""The rule-writing API: everything a rule table (or a ``cr.primitive`` user) needs.

Declaring a primitive
    :func:`defprim` (any function), :func:`defufunc` (a broadcasting elementwise one, with
    its derivative stated once: ``d=``, ``linear=``, ``bilinear=``, ``both=``),
    :func:`local_rule` (a local derivative made a rule), :data:`identity` (the rule that passes
    ``g`` on), :func:`implements` / :func:`register_ufunc` / :func:`nondiff` (what NumPy
    dispatches to).  Each primitive declares what its VJP rules read: ``keep=("x",)`` (input
    names of its rules, or positions; one tuple per rule if they differ) and ``keep_ans``;
    by default everything is kept.

Inside rules and handlers
    :func:`plain` (the plain values under tensors), :func:`is_traced` (takes part in a graph),
    :func:`maybe_nonzero` (where a value or its tangents are not 0: what a strong zero masks),
    :func:`constant` / :func:`at_level` (a constant tensor, at the level of given inputs),
    :func:`run_on_values` (a function without a derivative, on values),
    :func:`unbroadcast` (sum a gradient down to a shape), :func:`write_out` (``out=``),
    :func:`keepdims_flag`, :func:`plain_array` (plain values as an array of their library),
    :func:`array_or_tensor` (an argument as a tensor or an array),
    :func:`view_of` (track a result that NumPy made a view of its input, as a reshape),
    :func:`index_from_end` (a slice along a negative axis), :func:`unsupported` (options a
    handler rejects),
    :func:`no_rule_error` (the error for a lost gradient), :func:`strong_times` /
    :func:`strong_over` / :func:`where0` (products with a strong zero), :func:`batch_ndim`,
    :func:`neg_axes`.

Complex numbers (:mod:`.complex`, JAX's convention: docs/complex.md)
    :func:`real_only` (refuse complex input with ``TypeError``, listed in :data:`REAL_ONLY`),
    :func:`real_cotangent` (a real output's cotangent is real), :func:`conj_if`,
    :func:`conj_transpose` (``.T`` that becomes ``.conj().T``).

Arrays of other libraries (Dask, CuPy, array API; see ``chainrule.arrays``)
    :func:`is_other` (data of another library: no ``bool()`` of it, no ``np.asarray``),
    :func:`zeros_like` / :func:`zeros_as` / :func:`constant_like` (zeros and constants made
    in the data's library), :func:`scatter_add` (a scatter-add there).

>>> import numpy as np, chainrule as cr
>>> from chainrule.rules import api
>>> cube = api.Primitive(lambda x: x ** 3, name="cube", keep=("x",), keep_ans=False)
>>> cube = cube.defvjp(lambda g, ans, x: g * 3 * x ** 2)
>>> float(cr.grad(cube)(2.0))
12.0
"""
import numpy as np

from ..dispatch import implements, nondiff, register_ufunc
from ..engine import Primitive, apply, identity, unbroadcast
from ..numpy_bridge import (at_level, constant, is_traced, maybe_nonzero, no_rule_error,
                            numpy_name, run_on_values)
from ..tensor import Tensor, make_tensor, plain, view_of
from ..arrays import (as_array, constant_like, is_other, numeric_mask, scatter_add, zeros_as,
                      zeros_like)
from .complex import REAL_ONLY, conj_if, conj_transpose, real_cotangent, real_only
from .registry import (all_finite, all_primitives, batch_ndim, defprim, defufunc, local_rule,
                       neg_axes, strong_over, strong_times, where0)

__all__ = [
    "Primitive", "Tensor", "apply", "identity", "defprim", "defufunc", "local_rule",
    "implements", "register_ufunc", "nondiff", "all_primitives",
    "plain", "is_traced", "maybe_nonzero", "constant", "at_level", "make_tensor", "run_on_values",
    "view_of",
    "unbroadcast", "write_out", "keepdims_flag", "unsupported", "no_rule_error", "numpy_name",
    "plain_array", "array_or_tensor", "index_from_end",
    "strong_times", "strong_over", "where0", "all_finite", "batch_ndim", "neg_axes",
    "real_only", "REAL_ONLY", "real_cotangent", "conj_if", "conj_transpose",
    "is_other", "zeros_like", "zeros_as", "constant_like", "scatter_add", "as_array",
    "numeric_mask",
]


def write_out(res, out):
    """NumPy's ``out=``: ``res`` written into ``out`` (and ``out`` returned), or ``res``."""
    if out is None:
        return res
    out[...] = res
    return out


def keepdims_flag(keepdims):
    """NumPy's ``keepdims`` argument as a bool (its "not given" default is False)."""
    return False if keepdims is np._NoValue else bool(keepdims)


def unsupported(name, **opts):
    """Raise NotImplementedError naming the options of ``np.<name>`` that were given (not
    NumPy's "not given" default) but that its handler does not support on tensors."""
    given = sorted(k for k, v in opts.items() if v is not np._NoValue)
    if given:
        raise NotImplementedError(f"np.{name} with {', '.join(k + '=' for k in given)} is not "
                                  "supported on tensors")

def plain_array(a):
    """The plain value of ``a`` (masks and indices are computed on values: constants)."""
    return as_array(plain(a))


def index_from_end(axis, sl):
    """An index applying slice ``sl`` on negative ``axis`` (leading batch dims untouched)."""
    return (Ellipsis, sl) + (slice(None),) * (-axis - 1)


def array_or_tensor(a):
    """Tensors and other libraries' arrays as they are, anything else (lists, numbers) as an
    ndarray: a NumPy argument made something with ``.shape`` and ``.dtype``."""
    return a if isinstance(a, Tensor) or is_other(a) else np.asarray(a)
