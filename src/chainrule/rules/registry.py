"""Helpers the rule tables use to declare primitives and hook them into the NumPy bridge."""
import operator
import sys

import numpy as np

from ..engine import Primitive
from ..numpy_bridge import implements, register_ufunc

_ALL = []


def all_primitives():
    """Every primitive declared by the rule tables, in declaration order (primitives that
    users declare, with ``cr.primitive`` or ``cr.checkpoint``, are not among them)."""
    return list(_ALL)


def defprim(fn, vjp=(), jvp=(), name=None, nary=False, joint=None, nondiff=False,
            elementwise=False, raw=False):
    """Declare a primitive: its implementation and its rules, in one place.

    ``raw=True`` marks an implementation that only understands ndarrays (not a NumPy
    function that dispatches on tensors): given lower-level tensors, it is sent back through
    the engine so each level records it.
    """
    p = Primitive(lowered(fn) if raw else fn, name=name, nary=nary, nondiff=nondiff,
                  elementwise=elementwise)
    if raw:
        p.fn.prim = p
    p.defvjp(*vjp)
    p.defjvp(*jvp, joint=joint)
    if sys._getframe(1).f_globals.get("__name__", "").startswith(__package__ + "."):
        _ALL.append(p)      # declared by a rule table (chainrule.rules.*)
    return p


def lowered(fn):
    """Wrap an ndarray-only ``fn`` so that tensor arguments go through the engine again."""
    import functools

    from ..engine import apply
    from ..tensor import Tensor

    @functools.wraps(fn)
    def run(*args, **kw):
        for a in args:
            if isinstance(a, Tensor):
                return apply(run.prim, args, kw)
        return fn(*args, **kw)
    return run


# Ufuncs that a Python operator computes the same way: on NumPy scalars (the values of 0-d
# tensors) the operator is ten times faster than calling the ufunc, on arrays as fast.
OPERATORS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
             np.divide: operator.truediv, np.floor_divide: operator.floordiv,
             np.remainder: operator.mod, np.power: operator.pow, np.negative: operator.neg,
             np.positive: operator.pos, np.absolute: operator.abs, np.less: operator.lt,
             np.less_equal: operator.le, np.greater: operator.gt,
             np.greater_equal: operator.ge, np.equal: operator.eq, np.not_equal: operator.ne}


def defufunc(ufunc, vjp=(), jvp=(), name=None, nondiff=False):
    """A broadcasting elementwise primitive that NumPy's ``ufunc`` dispatches to."""
    p = defprim(OPERATORS.get(ufunc, ufunc), vjp, jvp, name=name or ufunc.__name__,
                elementwise=True, nondiff=nondiff)
    register_ufunc(ufunc, p)
    return p


def scipy_rules(load=False):
    """Load the rules of SciPy's special functions (:mod:`.special`) if SciPy is imported
    (or with ``load=True``, importing it); True if they are (now) loaded.  The NumPy bridge
    calls this when a ufunc without a rule meets a tensor, so chainrule never imports SciPy
    itself just to start."""
    if "chainrule.rules.special" in sys.modules:
        return True
    if not load and "scipy.special" not in sys.modules:
        return False
    try:
        import importlib
        importlib.import_module(__package__ + ".special")
    except ImportError:
        return False
    return True


def batch_ndim(t, x):
    """Number of leading batch dimensions of tangent ``t`` for a value shaped like ``x``."""
    return len(np.shape(t)) - len(np.shape(x))


def neg_axes(axis, ndim):
    """Normalize ``axis`` (None, int or tuple) to a sorted tuple of negative axes."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    out = []
    for a in axis:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"axis must be an int or a tuple of ints, not {axis!r}") from None
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a - ndim if a >= 0 else a)
    return tuple(sorted(out))


__all__ = ["defprim", "defufunc", "batch_ndim", "neg_axes", "implements", "all_primitives",
           "scipy_rules"]
