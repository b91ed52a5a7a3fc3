"""Helpers the rule tables use to declare primitives and hook them into the NumPy bridge."""
import functools
import operator
import sys
import warnings

import numpy as np

from ..arrays import is_other
from ..dispatch import implements, register_ufunc
from ..engine import Primitive, apply, identity
from ..tensor import Tensor, plain

_ALL = []


def all_primitives():
    """Every primitive declared by the rule tables, in declaration order (primitives that
    users declare, with ``cr.primitive`` or ``cr.checkpoint``, are not among them)."""
    return list(_ALL)


def defprim(fn, vjp=(), jvp=(), name=None, nary=False, joint=None, nondiff=False,
            elementwise=False, raw=False, keep=None, keep_ans=True, joint_vjp=False,
            multiple_results=False):
    """Declare a primitive: its implementation and its rules, in one place.

    ``multiple_results=True``: ``fn`` returns a tuple of arrays, and the rules take and give
    tuples (see :class:`~chainrule.engine.Primitive`); ``joint_vjp=True``: ``vjp`` is one
    rule for all inputs, returning a tuple of cotangents.

    ``raw=True`` marks an implementation that only understands ndarrays (not a NumPy
    function that dispatches on tensors): given lower-level tensors, it is sent back through
    the engine so each level records it.  ``keep`` and ``keep_ans`` declare what the VJP
    rules read (see :meth:`~chainrule.engine.Primitive.defvjp`); by default everything is
    kept, and ``tests/test_keep_declarations.py`` fails for a rule that reads an input it did
    not declare.
    """
    p = Primitive(lowered(fn) if raw else fn, name=name, nary=nary, nondiff=nondiff,
                  elementwise=elementwise, keep=keep, keep_ans=keep_ans, joint_vjp=joint_vjp,
                  multiple_results=multiple_results)
    if raw:
        p.fn.prim = p
    p.defvjp(*vjp)
    p.defjvp(*jvp, joint=joint)
    if _from_rule_table():
        _ALL.append(p)
    return p


def _from_rule_table():
    """True when the code declaring a primitive (the first caller outside this module) is a
    rule table (chainrule.rules.*), not a user or a test."""
    f = sys._getframe(2)
    while f is not None and f.f_globals.get("__name__") == __name__:
        f = f.f_back
    return f is not None and f.f_globals.get("__name__", "").startswith(__package__ + ".")


def lowered(fn):
    """Wrap an ndarray-only ``fn`` so that tensor arguments go through the engine again."""
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


def defufunc(ufunc, d=None, *, linear=False, bilinear=False, both=(), finite=False, vjp=(),
             jvp=(), keep=None, keep_ans=True, name=None, nondiff=False, fn=None):
    """A broadcasting elementwise primitive that NumPy's ``ufunc`` dispatches to.

    Its derivative is stated once, in one of these forms (both modes follow from it):

    - ``d``: the local derivative, ``d(ans, x) -> dy/dx`` (a tuple of them, one per argument,
      ``None`` for an argument without one; a number for a constant derivative).  The VJP is
      ``g * d`` and the JVP ``t * d`` (see :func:`local_rule`), with a strong zero: a zero
      ``g`` gives 0 even where ``d`` is infinite or NaN, unless ``finite=True`` says ``d`` is
      finite wherever the inputs are (then the plain product, one pass less);
    - ``linear=True``: a one-argument linear function, whose VJP and JVP are the function
      itself applied to ``g`` or ``t``;
    - ``bilinear=True``: ``ufunc(x, y)`` linear in each argument (multiply): the derivative in
      ``x`` is ``y`` and in ``y`` is ``x``;
    - ``both``: rules ``rule(v, ans, *args)`` that serve as VJP (``v = g``) and JVP (``v = t``)
      alike, one per argument;
    - ``vjp`` and ``jvp``: separate rules, for a derivative that genuinely differs by mode.

    ``keep``/``keep_ans`` declare what the rules read (by default everything).

    >>> import numpy as np, chainrule as cr
    >>> float(cr.grad(np.sin)(0.0))
    1.0
    """
    if linear:
        both = (lambda v, ans, x: ufunc(v),)
        keep, keep_ans = (), False
    elif bilinear:
        vjp = jvp = (lambda v, ans, x, y: v * y, lambda v, ans, x, y: v * x)
        keep, keep_ans = (("y",), ("x",)), False
    elif d is not None:
        ds = d if isinstance(d, tuple) else (d,)
        vjp = jvp = tuple(local_rule(di, finite) for di in ds)
        keep = _keep_positions(keep, ds)
    if both:
        vjp = jvp = both
    p = defprim(fn or OPERATORS.get(ufunc, ufunc), vjp, jvp, name=name or ufunc.__name__,
                elementwise=True, nondiff=nondiff, keep=keep, keep_ans=keep_ans)
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


def _keep_positions(keep, ds):
    """``keep`` with the names of ``d``'s inputs (its parameters after ``ans``) replaced by
    their positions: the rules made from ``d`` take ``*args``, so they name nothing."""
    import inspect
    if keep is None:
        return None
    names = next((list(inspect.signature(di).parameters)[1:] for di in ds if callable(di)), [])

    def pos(k):
        if isinstance(k, (tuple, list)):
            return tuple(pos(i) for i in k)
        if isinstance(k, str):
            if k not in names:
                raise ValueError(f"keep names {k!r}, but the derivative's inputs are {names}")
            return names.index(k)
        return k
    return tuple(pos(k) for k in keep)


# A zero cotangent (or tangent) is a *strong* zero: its product with the local derivative is 0
# even where that derivative is infinite or NaN (sqrt at 0, x/0, log(0), exp overflow).  An
# entry that does not reach the output (masked by np.where, sliced away, or multiplied by an
# exact 0) then gets gradient 0, as it should, instead of 0 * inf = NaN, which a later sum or
# matmul would spread to every other entry.  Where the cotangent is not zero, an infinite or
# NaN derivative shows as it is.  The check costs one pass when everything is finite.
# The backward pass runs with NumPy's floating-point warnings off (a masked-out sqrt(0) must
# not warn), so the strong zero says itself when an infinite or NaN derivative does reach the
# gradient, as NumPy would have.
def strong_times(v, d):
    """``v * d`` with a strong zero ``v`` (see above): 0 where ``v`` is 0, whatever ``d``."""
    out = v * d
    return out if all_finite(out) else _strong_zero(v, out)


def strong_over(v, d):
    """``v / d`` with a strong zero ``v``."""
    out = v / d
    return out if all_finite(out) else _strong_zero(v, out)


def _strong_zero(v, out):
    out = where0(v != 0, out)
    if not all_finite(out) and not is_other(plain(out)):   # other libraries: never looked at
        nan = bool(np.isnan(plain(out)).any())
        warnings.warn(f"{'invalid value' if nan else 'divide by zero'} encountered in a "
                      f"derivative: the {'gradient has NaN' if nan else 'gradient is infinite'}"
                      " (cr.detect_anomaly() names the operation)", RuntimeWarning,
                      stacklevel=3)
    return out


def where0(cond, val):
    """``val`` where ``cond``, else 0 (NaN/inf in the discarded branch do not leak)."""
    return np.where(cond, val, np.zeros_like(val))


_isfinite = np.isfinite


def all_finite(a):
    """True if every entry of ``a`` (an array, a scalar or a tensor) is known to be finite.
    Arrays of other libraries answer False without looking (a Python bool would compute a
    lazy Dask array, or wait for a GPU): the masked form the callers then take is right
    either way."""
    if type(a) is not np.ndarray:
        a = plain(a)
        if is_other(a) and not getattr(type(a), "holds_values", False):
            return False
        return bool(_isfinite(a).all())
    return bool(_isfinite(a).all())


def local_rule(d, finite=False):
    """The rule ``(v, ans, *args) -> v * d(ans, *args)`` for a local derivative ``d``: the VJP
    with ``v = g`` and the JVP with ``v = t`` (elementwise, so the same product).  This is the
    one place where a local derivative becomes a rule: conventions for complex inputs belong
    here.  ``d`` may be ``None`` (no derivative) or a number (a constant derivative; 1 is
    the identity, which the backward pass skips)."""
    if d is None:
        return None
    if not callable(d):
        if d == 1:
            return identity
        if d == -1:
            return lambda v, ans, *args: -v
        return lambda v, ans, *args: v * d
    # one and two inputs get rules with fixed parameters: the backward pass calls each rule
    # once per node, and a call through *args costs more than the rule's own work on small
    # arrays
    n = _plain_arity(d)
    if finite:
        if n == 2:
            return lambda v, ans, x: v * d(ans, x)
        if n == 3:
            return lambda v, ans, x, y: v * d(ans, x, y)
        return lambda v, ans, *args: v * d(ans, *args)
    if n == 2:
        return lambda v, ans, x: strong_times(v, d(ans, x))
    if n == 3:
        return lambda v, ans, x, y: strong_times(v, d(ans, x, y))
    return lambda v, ans, *args: strong_times(v, d(ans, *args))


def _plain_arity(fn):
    """How many positional parameters ``fn`` takes, if it takes just those (else None)."""
    import inspect
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.default is not p.empty
           for p in params):
        return None
    return len(params)


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
