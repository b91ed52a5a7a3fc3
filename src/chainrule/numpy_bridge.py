"""The NumPy bridge: ``__array_ufunc__`` (NEP 13) and ``__array_function__`` (NEP 18).

NumPy hands every ufunc call and every public function call that involves a tensor to this
module.  Ufuncs map to primitives (:data:`UFUNCS`); other functions map to handlers written
with primitives (:data:`FUNCTIONS`, filled by :mod:`chainrule.numpy_api` through
:func:`implements`).
Functions that carry no derivative (:data:`NONDIFF`) run on the values.  Anything else given
a tensor that needs a derivative raises ``TypeError``: a gradient is never silently dropped.

The tables live in :mod:`chainrule.dispatch`; the helpers handlers share (:func:`is_traced`,
:func:`constant`, :func:`run_on_values`, :func:`no_rule_error`, ...) are public here and
reach rule authors through :mod:`chainrule.rules.api`.
"""
import numpy as np

from .api_arrays import needs_wrapping, wrap
from .arrays import is_other
from .dispatch import (FUNCTIONS, NONDIFF, UFUNCS, implements, load_late_rules,  # noqa: F401
                       nondiff, register_ufunc)
from .engine import apply
from .tensor import (Tensor, bad_operand, make_tensor, object_operand, plain, set_items,
                     snapshot)

_REDUCE = {np.add: np.sum, np.multiply: np.prod, np.maximum: np.max, np.minimum: np.min,
           np.logical_and: np.all, np.logical_or: np.any}
_ACCUMULATE = {np.add: np.cumsum, np.multiply: np.cumprod}


def is_traced(x):
    """True if ``x`` (or anything nested in it) is a tensor that takes part in a graph."""
    if isinstance(x, Tensor):
        return x._node is not None or x._tangent is not None or x._level > 0
    if isinstance(x, (list, tuple)):
        return any(is_traced(i) for i in x)
    if isinstance(x, dict):
        return any(is_traced(i) for i in x.values())
    return False


def maybe_nonzero(x):
    """Where ``x`` may be nonzero, as a plain bool array: its value is nonzero, or a
    forward-mode tangent it carries is (at any level).  A zero value with a nonzero tangent
    is not a zero to mask: ``jacrev`` pulls back cotangents that are zeros carrying basis
    tangents."""
    if isinstance(x, Tensor):
        m = maybe_nonzero(x.data)
        t = x._tangent
        if t is not None:
            tm = maybe_nonzero(t)
            if np.ndim(tm) > np.ndim(m):
                tm = np.any(np.reshape(tm, (-1,) + np.shape(m)), axis=0)
            m = m | tm
        return m
    return np.not_equal(x, 0)


def constant(res):
    """NumPy results (arrays and scalars, also in tuples and lists) as constant tensors of
    level 0 (no graph); anything else as it is."""
    if isinstance(res, (np.ndarray, np.generic)):
        return make_tensor(np.asarray(res) if isinstance(res, np.generic) else res, None, 0,
                           None)
    if is_other(res):
        return make_tensor(res, None, 0, None)
    if isinstance(res, tuple):
        return tuple(constant(r) for r in res)
    if isinstance(res, list):
        return [constant(r) for r in res]
    return res


def _ufunc_name(ufunc):
    """``np.sin`` for NumPy's ufuncs; others (SciPy's ``expit``...) say they are not NumPy's."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return f"np.{name}"
    return f"the ufunc {name!r} (from a library other than NumPy, e.g. scipy.special)"


def numpy_name(f):
    """How a user spells NumPy function ``f`` (``np.linalg.norm``), for error messages."""
    mod = getattr(f, "__module__", "numpy") or "numpy"
    mod = mod.replace("numpy.linalg._linalg", "numpy.linalg").replace("numpy._core", "numpy")
    mod = "np" + mod[5:] if mod.startswith("numpy") else mod
    if ".core" in mod or "._" in mod or mod.startswith("np.lib"):
        mod = "np"
    return f"{mod}.{f.__name__}"


def no_rule_error(fname):
    """The TypeError for a function without a derivative rule given an input that needs one
    (raise it where a gradient would otherwise be lost)."""
    return TypeError(
        f"{fname} has no derivative rule in chainrule, and one of its inputs requires a "
        "gradient, so the gradient would be lost. Detach the input if you only want values "
        "(x.detach()), or give it a rule: f = cr.primitive(that_function), then "
        "cr.defvjp(f, ...) (and cr.defjvp(f, ...) for forward mode), and call f.")


def run_on_values(func, args, kwargs):
    """``func`` on the plain values of ``args``/``kwargs``; its results as constant tensors
    (for functions without a derivative)."""
    return constant(func(*plain(args), **plain(kwargs)))


# ---------------------------------------------------------------------- ufuncs
def array_ufunc(ufunc, method, inputs, kwargs):
    if method in ("__call__", "outer"):
        for x in inputs:
            if bad_operand(x):
                object_operand(f"np.{ufunc.__name__}", inputs)
    out = kwargs.pop("out", None)
    where = kwargs.pop("where", True)
    dtype = kwargs.pop("dtype", None)
    if out is not None:
        if len(out) != 1:
            raise TypeError(f"{ufunc.__name__} with several out= arrays is not supported")
        out = out[0]
    if method == "__call__":
        if kwargs:
            raise TypeError(
                f"np.{ufunc.__name__}: keyword(s) {sorted(kwargs)} are not supported on tensors")
        if isinstance(out, Tensor) and (out._node is not None or out._tangent is not None) \
                and any(x is out for x in inputs):
            # np.multiply(y, w, out=y) is y *= w: the node reads y's value before the write
            inputs = tuple(snapshot(x) if x is out else x for x in inputs)
        prim = UFUNCS.get(ufunc)
        if prim is None and ufunc not in FUNCTIONS and ufunc not in NONDIFF and load_late_rules():
            prim = UFUNCS.get(ufunc)                 # e.g. SciPy's, loaded on first use
        if prim is None and ufunc in FUNCTIONS:      # np.matmul is a ufunc and a function
            res = FUNCTIONS[ufunc](*inputs)
        elif prim is not None:
            res = apply(prim, inputs, {})
        elif ufunc in NONDIFF or not is_traced(inputs):
            res = run_on_values(ufunc, inputs, {})
            if isinstance(res, Tensor):
                res = at_level(res, inputs)
        else:
            res = _integer_result(ufunc, inputs, {}, _ufunc_name(ufunc))
    elif method in ("reduce", "accumulate"):
        table = _REDUCE if method == "reduce" else _ACCUMULATE
        func = table.get(ufunc)
        if func is None:
            if is_traced(inputs):
                raise no_rule_error(f"{_ufunc_name(ufunc)}.{method}")
            res = constant(getattr(ufunc, method)(*plain(inputs), **plain(kwargs)))
        else:
            axis = kwargs.pop("axis", 0)
            keep = kwargs.pop("keepdims", False)
            opts = {}
            if method == "reduce":       # where= selects the entries reduced (not the output)
                if where is not True:
                    opts["where"] = where
                    where = True
                if "initial" in kwargs:
                    opts["initial"] = kwargs.pop("initial")
            if kwargs:
                raise TypeError(f"np.{ufunc.__name__}.{method}: keyword(s) {sorted(kwargs)} "
                                "are not supported on tensors")
            res = func(inputs[0], axis=axis, keepdims=keep, **opts) if method == "reduce" \
                else func(inputs[0], axis=axis)
    else:
        if is_traced(inputs):
            raise no_rule_error(f"{_ufunc_name(ufunc)}.{method}")
        return constant(getattr(ufunc, method)(*plain(inputs), **plain(kwargs)))
    if dtype is not None:
        res = res.astype(dtype)
    if where is not True:
        fill = out if out is not None else np.zeros_like(res)
        res = np.where(where, res, fill)
    if out is not None:
        if isinstance(out, Tensor):
            set_items(out, Ellipsis, res)
            return out
        if is_traced(res):
            raise TypeError(
                f"np.{ufunc.__name__}(..., out=a plain ndarray) would drop the gradient; make "
                "the output with np.zeros_like(x) (a tensor), or leave out out=")
        out[...] = plain(res)
        return out
    return res


def at_level(res, inputs):
    """Constant results of non-differentiable ops live at the level of their inputs."""
    top = max((a._level for a in inputs if isinstance(a, Tensor)), default=0)
    if top and isinstance(res, Tensor):
        res._level = top
    return res


# ---------------------------------------------------------------------- functions
def _object_arrays(args):
    """True if ``args`` (or a list/tuple among them) holds an ndarray of dtype object."""
    for a in args:
        if type(a) is np.ndarray:
            if a.dtype.kind == "O":
                return True
        elif type(a) in (list, tuple):
            for b in a:
                if type(b) is np.ndarray and b.dtype.kind == "O":
                    return True
    return False


def _api_only(args):
    """True if ``args`` (or a list/tuple among them) holds an array of a library with only
    the array API (it does not take NumPy calls itself: chainrule wraps it in APIArray)."""
    for a in args:
        if type(a) in (list, tuple):
            if any(needs_wrapping(b) for b in a):
                return True
        elif needs_wrapping(a):
            return True
    return False


def _wrap_api(a):
    return type(a)(wrap(b) for b in a) if type(a) in (list, tuple) else wrap(a)


def array_function(func, types, args, kwargs):
    if _object_arrays(args):
        object_operand(numpy_name(func), args)
    if _api_only(args):
        args = tuple(_wrap_api(a) for a in args)
    handler = FUNCTIONS.get(func)
    if handler is not None:
        return handler(*args, **kwargs)
    if func in NONDIFF or not (is_traced(args) or is_traced(kwargs)):
        return run_on_values(func, args, kwargs)
    return _integer_result(func, args, kwargs, numpy_name(func))


def _integer_result(func, args, kwargs, fname):
    """A function without a rule, given traced values: its result if every array in it is
    integer or boolean (``np.linalg.matrix_rank``, counts, indices: no gradient to lose, as
    for ``argmax``), constant at the inputs' level; otherwise the no-rule ``TypeError``."""
    try:
        res = func(*plain(args), **plain(kwargs))
    except Exception:
        raise no_rule_error(fname) from None
    parts = res if isinstance(res, (tuple, list)) else (res,)
    if not parts or not all(
            isinstance(p, (np.ndarray, np.generic, int, bool)) and np.result_type(p).kind in "biu"
            for p in parts):
        raise no_rule_error(fname)
    level = max((a._level for a in _tensors(args) + _tensors(kwargs)), default=0)
    out = constant(res)
    for t in (out if isinstance(out, (tuple, list)) else (out,)):
        if isinstance(t, Tensor):
            t._level = level
    return out


def _tensors(x):
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for i in x for t in _tensors(i)]
    if isinstance(x, dict):
        return [t for i in x.values() for t in _tensors(i)]
    return []


# shape queries are asked constantly (also by the rules): answer them without a detour
FUNCTIONS[np.shape] = lambda a: a.shape
FUNCTIONS[np.ndim] = lambda a: len(a.shape)
FUNCTIONS[np.size] = lambda a, axis=None: a.size if axis is None else a.shape[axis]
