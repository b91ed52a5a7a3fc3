"""Function transforms (JAX / HIPS autograd spelling): grad, vjp, jvp, jacobians, hessian.

Each call of a transform opens a fresh *level*: its inputs become tensors of that level, the
function runs, and the derivative is read off that level only.  Because rules run on the raw
values, which are tensors of the enclosing levels when transforms nest, every nesting works:
``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``jvp(grad(f), ...)``.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> float(cr.grad(cr.grad(cr.grad(np.sin)))(0.0))
-1.0
>>> f = lambda x: x * cr.grad(lambda y: x * y)(1.0)
>>> float(cr.grad(f)(2.0))
4.0
"""
from __future__ import annotations

import functools
import math
import numbers
from typing import TYPE_CHECKING, Any, Callable, Sequence, Tuple, TypeVar, Union

import numpy as np

from . import engine
from .api_arrays import unwrap, wrap
from .arrays import constant_like, is_other, zeros_like
from .engine import Leaf, backward_pass, new_level
from .pytree import tree_flatten, tree_structure
from .tensor import Tensor, plain, make_tensor, ones_like_raw, refresh_view

if TYPE_CHECKING:
    from typing_extensions import ParamSpec
    P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian",
           "hvp", "elementwise_grad", "checkpoint"]


# ---------------------------------------------------------------------- pytrees
_flatten = tree_flatten


def _structure(tree):
    """The shape of a tree without its leaves (tuples and lists count as the same)."""
    return tree_structure(tree, sequences_alike=True)


class _StructureError(ValueError, TypeError):
    """Two trees that should match do not (ValueError; TypeError as in JAX)."""


def _same_structure(a, b, what):
    if _structure(a) != _structure(b):
        raise _StructureError(f"{what} must have the same structure (nesting of tuples, lists and "
                         f"dicts, and dict keys): {_describe(a)} vs {_describe(b)}")


def _describe(tree):
    st = _structure(tree)
    text = repr(st).replace("'seq', ", "").replace("'*'", "*").replace("('dict', ", "dict (")
    text = text.replace("('none', ())", "None")
    return text if len(text) < 200 else text[:200] + "..."


def _input(x):
    """A transform's input as a raw value: floats as ndarrays, tensors kept (nesting)."""
    if isinstance(x, Tensor) or is_other(x):    # tensors (nesting), Dask, CuPy...: kept
        val = wrap(x)                           # array-API-only arrays: seen through NumPy
        dt = val.dtype
    else:
        val = np.asarray(x)
        dt = val.dtype
        if val.dtype == object:
            raise TypeError(f"cannot differentiate with respect to a {type(x).__name__}; "
                            "pass float arrays or numbers")
    if not np.issubdtype(dt, np.inexact):
        raise TypeError(
            f"differentiation inputs must be floating point, got {dt} (from {x!r:.60}). Pass "
            "floats: 2.0 rather than 2, or np.asarray(x, dtype=float).")
    return val


_NUMERIC = "biufc"   # dtype kinds a transform accepts as values: bool, ints, floats, complex
_MAXDIMS = 64 if int(np.__version__.split(".")[0]) >= 2 else 32   # NumPy's limit on ndim


def _numeric(v, what):
    """``v`` as a tensor or an ndarray of numbers; ``TypeError`` naming ``what`` otherwise."""
    if isinstance(v, Tensor) or is_other(v):
        v = wrap(v)
        kind = v.dtype.kind
    else:
        try:
            arr = np.asarray(v) if v is not None else None
        except (TypeError, ValueError) as e:      # e.g. ragged nested lists
            raise TypeError(f"{what} must be numbers or arrays of numbers; got "
                            f"{type(v).__name__} ({e})") from None
        kind = arr.dtype.kind if arr is not None else None
        v = arr
    if kind not in tuple(_NUMERIC):
        desc = "None" if v is None else f"{type(v).__name__} of dtype {v.dtype}"
        raise TypeError(f"{what} must be numbers or arrays of numbers; got {desc}")
    return v


def _results(tree, fun):
    """``fun``'s output tree with every leaf checked to be a number, array or tensor."""
    what = f"the values returned by {getattr(fun, '__name__', 'the function')}"
    if tree is None:                     # None inside a tree is empty; as the result, wrong
        _numeric(tree, what)
    leaves, build = _flatten(tree)
    return build([_numeric(v, what) for v in leaves])


checked_outputs = _results      # the public name (chainrule.checking uses it)
flatten_tree = _flatten         # the public name: (leaves, rebuild) of a tuple/list/dict tree


def _check_ndim(ndim, name):
    if ndim > _MAXDIMS:
        raise ValueError(
            f"{name}: the result would have {ndim} dimensions, more than the {_MAXDIMS} that "
            "NumPy arrays can have; differentiate with respect to (or return) a reshaped "
            "array with fewer dimensions")


def _output(v):
    """Results at the outermost level are plain ndarrays; inside other transforms, tensors."""
    if isinstance(v, Tensor):
        if v._base is not None:
            refresh_view(v)         # a view whose base was written after it was taken
        if v._node is not None or v._tangent is not None or v._level:
            return v
        v = plain(v)
    if isinstance(v, np.generic):          # 0-d results are 0-d arrays, as JAX's
        return np.asarray(v)
    if getattr(type(v), "holds_values", False):    # cr.compile's traced values: the same
        return v.as_result()
    return unwrap(v)


def _leaf(raw, level):
    t = make_tensor(raw, None, level, None)
    t._node = Leaf(t)
    return t


def _argnums_tuple(argnums, nargs):
    single = isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, (tuple, list)) or not all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in nums):
        raise TypeError(f"argnums must be an int or a tuple of ints, not {argnums!r}")
    nums = tuple(int(a) for a in nums)
    for a in nums:
        if not -nargs <= a < nargs:
            need = a + 1 if a >= 0 else -a
            raise _ArgnumsError(
                f"differentiating with respect to argnums={argnums} needs at least {need} "
                f"positional argument{'s' if need != 1 else ''}, but the function got "
                f"{nargs}; pass the argument positionally (not by keyword) or change argnums")
    nums = tuple(a % nargs for a in nums)
    if len(set(nums)) != len(nums):
        raise _ArgnumsError(f"argnums={argnums} names an argument more than once; name each "
                            "argument once")
    return single, nums


class _ArgnumsError(ValueError, TypeError):
    """``argnums`` does not fit the call (ValueError; TypeError as in JAX)."""


def _check_inputs(name, holomorphic, raws, forward=False):
    """JAX's rules for the differentiated inputs' dtypes (``raws``: their raw values).

    ``holomorphic=True`` needs complex inputs; forward-mode Jacobians of a complex input
    need ``holomorphic=True`` (pushing real basis directions alone would give only the
    derivative along the real axis)."""
    for r in raws:
        dt = plain(r).dtype
        if holomorphic and dt.kind != "c":
            raise TypeError(
                f"{name} with holomorphic=True needs complex inputs, got {dt}; pass complex "
                "arrays (x.astype(complex)) or drop holomorphic=True")
        if forward and not holomorphic and dt.kind == "c":
            raise TypeError(
                f"{name} of a complex input needs holomorphic=True (for a holomorphic "
                "function: the result is then df/dz). For a real-valued function of a "
                "complex input use cr.grad or cr.jacrev; for any other, cr.jvp or cr.vjp")


def _check_outputs(name, holomorphic, outs, reverse=True):
    """JAX's rules for the output dtypes of a reverse-mode derivative (``grad``, ``jacrev``):
    real outputs, or complex ones with ``holomorphic=True``."""
    for o in outs:
        dt = plain(o).dtype
        if holomorphic and dt.kind != "c":
            raise TypeError(
                f"{name} with holomorphic=True needs a complex output, this function returned "
                f"{dt}; drop holomorphic=True for a real-valued function")
        if not reverse:
            continue
        if dt.kind == "c" and not holomorphic:
            raise TypeError(
                f"{name} of a function with a complex output ({dt}) is not defined without "
                "more information: if the function is holomorphic pass holomorphic=True (the "
                "result is then df/dz); otherwise differentiate a real-valued function of the "
                "output, such as np.real(f(x)) or np.abs(f(x)) ** 2, or use cr.vjp with the "
                "cotangent you need")
        if dt.kind in "biu":
            raise TypeError(
                f"{name} needs a function with a floating point output; this one returned "
                f"{dt}, whose derivative is not defined (a predicate or a count is piecewise "
                "constant). Differentiate a float-valued function, or use cr.vjp")


def _level_parts(out, level):
    """(raw value, node, tangent) of ``out`` seen from ``level``."""
    if isinstance(out, Tensor) and out._level == level:
        if out._base is not None:
            refresh_view(out)       # a view whose base was written after it was taken
        return out.data, out._node, out._tangent
    return out, None, None


def _size(x):
    """Number of entries (``np.size`` is not implemented by every array library)."""
    return math.prod(np.shape(x))


def _zeros_like_raw(x):
    return zeros_like(plain(x))


# ---------------------------------------------------------------------- reverse mode
def _make_vjp(fun, args, kwargs, argnums, has_aux=False, check=None):
    """Run ``fun`` with the ``argnums`` inputs traced at a fresh level.

    Returns (output tree of raw values, aux, vjp_fn) where ``vjp_fn(cotangent tree)`` gives a
    list (one per argnum) of gradient trees.  ``check(raw inputs)`` vets the inputs first.
    """
    level = new_level()
    args = list(args)
    leaf_groups = []
    for a in argnums:
        leaves, build = _flatten(args[a])
        raws = [_input(x) for x in leaves]
        if check is not None:
            check(raws)
        ts = [_leaf(r, level) for r in raws]
        leaf_groups.append((ts, build))
        args[a] = build(ts)
    with engine.enable_grad():
        out = fun(*args, **kwargs)
    aux = None
    if has_aux:
        out, aux = _split_aux(out)
        # aux is data, not something to differentiate: its values, seen from outside
        aux = _tree_map(lambda v: _level_parts(v, level)[0], aux)
    out = _results(out, fun)
    out_leaves, out_build = _flatten(out)
    parts = [_level_parts(o, level) for o in out_leaves]

    def vjp_fn(cotangent, retain_graph=True):
        _same_structure(out, cotangent, "the cotangent and the output")
        cts, _ = _flatten(cotangent)
        roots, seeds = [], []
        for (raw, node, _), ct in zip(parts, cts):
            ct = _numeric(ct, "cotangents")
            if node is None:
                continue
            ct = ct.data if isinstance(ct, Tensor) and ct._level == level else ct
            if np.shape(ct) != np.shape(raw):
                raise ValueError(f"cotangent shape {np.shape(ct)} does not match output shape "
                                 f"{np.shape(raw)}")
            if not isinstance(ct, Tensor):      # in the output's dtype, as backward(gradient=)
                dt = ones_like_raw(raw).dtype
                if ct.dtype.kind == "c" and dt.kind != "c":
                    raise TypeError("a cotangent is complex but its output is real")
                ct = ct.astype(dt, copy=False)
            roots.append(node)
            seeds.append(ct)
        targets = [t._node for ts, _ in leaf_groups for t in ts]
        with engine.enable_grad():
            found = backward_pass(roots, seeds, retain_graph, False, targets) if roots else \
                [None] * len(targets)
        result, i = [], 0
        for ts, build in leaf_groups:
            gs = []
            for t in ts:
                g = found[i]
                i += 1
                gs.append(_zeros_like_raw(t.data) if g is None else _cast(g, t.data))
            result.append(build(gs))
        return result

    raw_out = out_build([p[0] for p in parts])
    return raw_out, aux, vjp_fn


def _split_aux(out):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError("with has_aux=True the function must return a pair (output, aux), "
                        f"this one returned {type(out).__name__}")
    return out[0], out[1]


def _cast(g, like):
    """The cotangent ``g`` in the dtype of its input ``like``: the real part for a real
    input (JAX's convention), in ``g``'s own library (a tensor, CuPy, or NumPy)."""
    dt = plain(like).dtype
    keeps = isinstance(g, Tensor) or is_other(g)
    if (g.dtype if keeps else np.result_type(g)) == dt and not isinstance(g, (int, float)):
        return g
    if dt.kind != "c" and np.iscomplexobj(g):
        g = np.real(g)
    return g.astype(dt) if keeps else np.asarray(g, dtype=dt)


def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Tuple[Any, ...]:
    """``(fun(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal.

    Parameters
    ----------
    fun : callable
        A function of arrays.
    *primals
        The point: one value (array or pytree) per argument of ``fun``.
    has_aux : bool, default False
        ``fun`` returns ``(output, aux)``; ``aux`` is returned third, not differentiated.

    Returns
    -------
    output
        ``fun(*primals)``.
    vjp_fn : callable
        ``vjp_fn(ct)``, for a cotangent ``ct`` shaped like the output, returns the tuple
        ``ct @ J``, one entry per primal.
    aux
        Only with ``has_aux``.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> y, pullback = cr.vjp(np.sin, 0.0)
    >>> [float(g) for g in pullback(2.0)]
    [2.0]
    """
    out, aux, fn = _make_vjp(fun, primals, {}, tuple(range(len(primals))), has_aux)

    def vjp_fn(ct):
        return tuple(_tree_out(g) for g in fn(ct))
    if has_aux:
        return _tree_out(out), vjp_fn, _tree_out(aux)
    return _tree_out(out), vjp_fn


def _tree_out(tree):
    leaves, build = _flatten(tree)
    return build([_output(v) for v in leaves])


def value_and_grad(fun: Callable[P, Any], argnums: Union[int, Sequence[int]] = 0,
                   has_aux: bool = False,
                   holomorphic: bool = False) -> Callable[P, Tuple[Any, Any]]:
    """A function returning ``(fun(*args), gradient)`` from one evaluation of ``fun``.

    Parameters
    ----------
    fun : callable
        A function of arrays (NumPy code) returning a scalar (an array of size 1).
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.
    has_aux : bool, default False
        ``fun`` returns a pair ``(output, aux)``; ``aux`` (any data, such as predictions
        or metrics) is passed through, not differentiated.
    holomorphic : bool, default False
        ``fun`` is holomorphic, with complex inputs and a complex output: the result is
        ``df/dz`` (as JAX's).  Without it a complex output raises ``TypeError``.

    Returns
    -------
    callable
        With the arguments of ``fun``; it returns ``(value, gradient)``, or
        ``((value, aux), gradient)`` with ``has_aux``.  The gradient has the structure and
        shapes of the argument(s) chosen by ``argnums``.

    Raises
    ------
    TypeError
        If ``fun`` returns something other than a real scalar (a complex one needs
        ``holomorphic=True``), or an argument is not made of floats.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> value, g = cr.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    >>> float(value), g
    (5.0, array([2., 4.]))
    """
    @functools.wraps(fun)
    def vg(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        out, aux, fn = _make_vjp(fun, args, kwargs, nums, has_aux, functools.partial(
            _check_inputs, "grad", holomorphic))
        if isinstance(out, (tuple, list, dict)) or _size(plain(out)) != 1:
            raise TypeError(
                f"grad needs a function with a scalar output, this one returned shape "
                f"{np.shape(plain(out)) if not isinstance(out, (tuple, list, dict)) else type(out).__name__}. "
                "Use cr.jacobian for vector outputs, cr.elementwise_grad for elementwise "
                "functions, or reduce the output (e.g. .sum()).")
        if plain(out).dtype.kind in "biu":
            raise TypeError(
                f"grad needs a function with a floating point (or complex) output; this one "
                f"returned {plain(out).dtype}, whose gradient is not defined (a "
                "predicate or a count is piecewise constant). Differentiate a float-valued "
                "function; for a constant, return a float (e.g. float(...)) to get 0")
        _check_outputs("grad", holomorphic, [out])
        gs = fn(ones_like_raw(out), retain_graph=False)
        gs = [_tree_out(g) for g in gs]
        g = gs[0] if single else tuple(gs)
        value = _tree_out(out)
        return ((value, _tree_out(aux)), g) if has_aux else (value, g)
    return vg


def grad(fun: Callable[P, Any], argnums: Union[int, Sequence[int]] = 0,
         has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]:
    """The gradient of a scalar function, as a function (reverse mode).

    Parameters
    ----------
    fun : callable
        A function of arrays (NumPy code) returning a scalar (an array of size 1).
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.
    has_aux : bool, default False
        ``fun`` returns a pair ``(output, aux)``; ``aux`` (any data, such as predictions
        or metrics) is passed through, not differentiated.
    holomorphic : bool, default False
        ``fun`` is holomorphic, with complex inputs and a complex output: the result is
        ``df/dz`` (as JAX's).  Without it a complex output raises ``TypeError``; a
        real-valued function of a complex input needs no flag (SPEC's convention:
        ``df/dx - i df/dy``).

    Returns
    -------
    callable
        With the arguments of ``fun``; it returns the gradient with respect to the
        argument(s) chosen by ``argnums`` (same structure and shapes), or
        ``(gradient, aux)`` with ``has_aux``.  Nest it for higher derivatives.

    Raises
    ------
    TypeError
        If ``fun`` returns something other than a scalar (use :func:`jacobian` or
        :func:`elementwise_grad`), a complex scalar without ``holomorphic=True``, or an
        argument is not made of floats.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> float(cr.grad(cr.grad(np.sin))(0.0))
    -0.0
    >>> gw, gb = cr.grad(lambda w, b: np.sum(w * b), argnums=(0, 1))(np.ones(2), np.arange(2.0))
    >>> gw, gb
    (array([0., 1.]), array([1., 1.]))
    >>> g, aux = cr.grad(lambda x: (np.sum(x ** 2), x.shape), has_aux=True)(np.ones(3))
    >>> g, aux
    (array([2., 2., 2.]), (3,))
    >>> complex(cr.grad(lambda z: z ** 2, holomorphic=True)(1 + 1j))
    (2+2j)
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        (value, aux), gr = vg(*args, **kwargs) if has_aux else (
            (None, None), vg(*args, **kwargs)[1])
        return (gr, aux) if has_aux else gr
    return g


def elementwise_grad(fun: Callable[P, Any],
                     argnums: Union[int, Sequence[int]] = 0) -> Callable[P, Any]:
    """The derivative of an elementwise function at every point (gradient of ``fun(x).sum()``).

    Parameters
    ----------
    fun : callable
        A function whose output element ``i`` depends only on input element ``i``.
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.

    Returns
    -------
    callable
        Returns an array shaped like the input: ``d fun(x)[i] / d x[i]``.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.elementwise_grad(np.sin)(np.array([0.0, np.pi]))
    array([ 1., -1.])
    """
    @functools.wraps(fun)
    def eg(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        out, _, fn = _make_vjp(fun, args, kwargs, nums)
        gs = [_tree_out(g) for g in fn(_tree_map(ones_like_raw, out), retain_graph=False)]
        return gs[0] if single else tuple(gs)
    return eg


def _tree_map(f, tree):
    leaves, build = _flatten(tree)
    return build([f(v) for v in leaves])


def jacrev(fun: Callable[P, Any], argnums: Union[int, Sequence[int]] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]:
    """The Jacobian by reverse mode: one backward pass that carries all the output basis
    vectors at once (as forward-mode tangents of the cotangent).

    Cheaper than :func:`jacfwd` when the output is smaller than the input.

    Parameters
    ----------
    fun : callable
        A function of arrays returning an array (or a pytree of arrays).
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.
    has_aux : bool, default False
        ``fun`` returns a pair ``(output, aux)``; the result is then ``(jacobian, aux)``,
        ``aux`` passed through, not differentiated (as JAX's).
    holomorphic : bool, default False
        ``fun`` is holomorphic, with complex inputs and outputs: the Jacobian is then
        ``df/dz`` (as JAX's).

    Returns
    -------
    callable
        Returns the Jacobian, of shape ``out.shape + in.shape``; for several outputs or
        inputs (tuples, dicts, ``argnums=(0, 1)``) nested as JAX's: the output's
        structure outside, the inputs' inside.

    Raises
    ------
    TypeError
        If an output is complex without ``holomorphic=True`` (or real with it), or is an
        integer or boolean array.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.jacrev(lambda x: x[:2] * x[1:])(np.array([1.0, 2.0, 3.0]))
    array([[2., 1., 0.],
           [0., 3., 2.]])
    >>> cr.jacrev(lambda d: d["a"] * d["b"])({"a": 2.0, "b": 3.0})
    {'a': array(3.), 'b': array(2.)}
    """
    @functools.wraps(fun)
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        out, aux, fn = _make_vjp(fun, args, kwargs, nums, has_aux,
                                 functools.partial(_check_inputs, "jacrev", holomorphic))
        _check_outputs("jacrev", holomorphic, _flatten(out)[0])
        jac = _jacobian_rows(out, fn, args, single, nums)
        return (jac, _tree_out(aux)) if has_aux else jac
    return jac


def _in_blocks(args, nums):
    """The differentiated inputs: (flat leaves' raw values, their shapes, offsets, total)."""
    raws = [_input(x) for a in nums for x in _flatten(args[a])[0]]
    shapes = [np.shape(plain(r)) for r in raws]
    return raws, shapes, _offsets(shapes)


def _offsets(shapes):
    offs, total = [], 0
    for sh in shapes:
        offs.append(total)
        total += int(np.prod(sh, dtype=int))
    return offs, total


def _basis(shapes, offs, total, dtypes, level=None, like=None):
    """One basis vector per element of all the leaves together, as a batch of size ``total``
    for each leaf (``(total,) + shape``); as tangents of tensors at ``level`` if given
    (cotangents whose pullback is differentiated: their values are a generic point, see
    :func:`_generic_point`); in the library of ``like``'s data."""
    out = []
    for j, (sh, off, dt) in enumerate(zip(shapes, offs, dtypes)):
        size = int(np.prod(sh, dtype=int))
        b = np.zeros((total, size), dtype=dt)
        b[off:off + size] = np.eye(size, dtype=dt)
        b = constant_like(b.reshape((total,) + sh), like)
        out.append(b if level is None else
                   make_tensor(constant_like(_generic_point(sh, dt), like), None, level, b))
    return out


def _batch_of(g, level, total, shape, like=None):
    """The tangent batch of ``g`` at ``level`` (zeros where ``g`` carries none)."""
    if isinstance(g, Tensor) and g._level == level and g._tangent is not None:
        return np.broadcast_to(g._tangent, (total,) + shape) if np.shape(g._tangent) != (
            (total,) + shape) else g._tangent
    return constant_like(np.zeros((total,) + shape, dtype=ones_like_raw(g).dtype), like)


def _assemble(out_shapes, in_shapes, blocks, out_build, in_builds, single):
    """Nest Jacobian blocks as JAX does: ``blocks[j][k]`` (output leaf j, input leaf k, shaped
    ``out + in``) into the output tree of (input trees, one per argnum)."""
    per_out = []
    for j in range(len(out_shapes)):
        trees, k = [], 0
        for n, build in in_builds:
            trees.append(build([_output(blocks[j][k + i]) for i in range(n)]))
            k += n
        per_out.append(trees[0] if single else tuple(trees))
    return out_build(per_out)


def _jacobian_rows(out, fn, args, single, nums):
    """The Jacobian from a recorded forward pass by one batched pullback."""
    o_leaves, o_build = _flatten(out)
    o_shapes = [np.shape(plain(o)) for o in o_leaves]
    o_offs, m = _offsets(o_shapes)
    _, i_shapes, _ = _in_blocks(args, nums)
    i_builds = [(len(lv), b) for lv, b in (_flatten(args[a]) for a in nums)]
    for osh in o_shapes:
        for ish in i_shapes:
            _check_ndim(len(osh) + len(ish), "jacrev")
    if m == 1 and len(o_leaves) == 1:   # a scalar (hessian's inner jacrev): pull back 1
        gs = fn(o_build([ones_like_raw(o) for o in o_leaves]), retain_graph=False)
        flat = [g for tree in gs for g in _flatten(tree)[0]]
        blocks = [[np.reshape(g, osh + ish) for g, ish in zip(flat, i_shapes)]
                  for osh in o_shapes]
        return _assemble(o_shapes, i_shapes, blocks, o_build, i_builds, single)
    level = new_level()
    dts = [ones_like_raw(o).dtype for o in o_leaves]
    cts = _basis(o_shapes, o_offs, m, dts, level, like=o_leaves[0])
    gs = fn(o_build(cts), retain_graph=False)
    flat = [g for tree in gs for g in _flatten(tree)[0]]
    rows = [_batch_of(g, level, m, sh, like=o_leaves[0]) for g, sh in zip(flat, i_shapes)]
    blocks = [[np.reshape(r[off:off + int(np.prod(osh, dtype=int))], osh + ish)
               for r, ish in zip(rows, i_shapes)] for osh, off in zip(o_shapes, o_offs)]
    return _assemble(o_shapes, i_shapes, blocks, o_build, i_builds, single)


def _generic_point(shape, dtype):
    """Where to record the pullback ``c -> J^T c``: any ``c`` gives the same derivative, as
    long as no cotangent in the record is exactly 0 by accident.  At ``c = 0`` every
    strong zero (``where(v != 0, v * d, 0)``, the form other libraries' arrays and
    infinite derivatives take) would take its 0 branch, whose derivative is 0: entries
    spread over [1, 2) by the golden ratio keep every cotangent generic."""
    size = int(np.prod(shape, dtype=int))
    c = 1.0 + (np.arange(1, size + 1) * 0.6180339887498949) % 1.0
    return c.reshape(shape).astype(dtype)


def _jacobian_columns(out, fn, args, single, nums):
    """The Jacobian by forward mode from a recorded forward pass, without running the function
    again: the pullback ``c -> J^T c`` is linear, so recording it once (at a fresh level) and
    pulling the input basis vectors back through that record (batched) gives ``J v``."""
    o_leaves, o_build = _flatten(out)
    o_shapes = [np.shape(plain(o)) for o in o_leaves]
    i_raws, i_shapes, _ = _in_blocks(args, nums)
    i_dts = [plain(r).dtype for r in i_raws]     # jacrev's dtypes: the inputs'
    i_offs, n = _offsets(i_shapes)
    i_builds = [(len(lv), b) for lv, b in (_flatten(args[a]) for a in nums)]
    level = new_level()
    cs = [_leaf(constant_like(_generic_point(sh, ones_like_raw(o).dtype), o), level)
          for o, sh in zip(o_leaves, o_shapes)]
    gs = fn(o_build(cs), retain_graph=False)
    flat = [g for tree in gs for g in _flatten(tree)[0]]
    level2 = new_level()
    dts = [ones_like_raw(g).dtype for g in flat]
    seeds = _basis(i_shapes, i_offs, n, dts, level2, like=o_leaves[0])
    roots, rseeds = [], []
    for g, sd in zip(flat, seeds):
        if isinstance(g, Tensor) and g._level == level and g._node is not None:
            roots.append(g._node)
            rseeds.append(sd)
    found = [None] * len(cs)
    if roots:
        with engine.enable_grad():
            found = backward_pass(roots, rseeds, False, False, [c._node for c in cs])
    cols = [_batch_of(f if f is not None else constant_like(np.zeros(sh), o_leaves[0]), level2,
                      n, sh, like=o_leaves[0])
            for f, sh in zip(found, o_shapes)]
    blocks = []
    for c, osh in zip(cols, o_shapes):
        row = []
        for ish, off, dt in zip(i_shapes, i_offs, i_dts):
            size = int(np.prod(ish, dtype=int))
            part = np.moveaxis(c[off:off + size], 0, -1) if np.ndim(c) > 1 else c[off:off + size]
            row.append(_cast(np.reshape(part, osh + ish), np.zeros((), dt)))
        blocks.append(row)
    return _assemble(o_shapes, i_shapes, blocks, o_build, i_builds, single)


# ---------------------------------------------------------------------- forward mode
def _make_jvp(fun, primals, tangents, kwargs=None, has_aux=False):
    """Push tangents (which may carry leading batch dims) through ``fun`` at a fresh level.

    Returns ``(output, tangent_out)``, and the aux values third with ``has_aux``."""
    level = new_level()
    _same_structure(list(primals), list(tangents), "primals and tangents")
    p_leaves, p_build = _flatten(list(primals))
    t_leaves, _ = _flatten(list(tangents))
    xs, batch = [], ()
    for p, t in zip(p_leaves, t_leaves):
        raw = _input(p)
        t = _numeric(t, "tangents")
        t = t.data if isinstance(t, Tensor) and t._level == level else t
        if not isinstance(t, Tensor):
            if t.dtype.kind == "c" and plain(raw).dtype.kind != "c":
                raise TypeError("a tangent is complex but its primal is real")
            dt = plain(raw).dtype
            t = t.astype(dt) if is_other(t) else np.asarray(t, dtype=dt)
        extra = np.ndim(t) - np.ndim(raw)
        if extra < 0 or np.shape(t)[extra:] != np.shape(raw):
            raise ValueError(f"tangent shape {np.shape(t)} does not match primal shape "
                             f"{np.shape(raw)}")
        batch = np.shape(t)[:extra]
        xs.append(make_tensor(raw, None, level, t))
    with engine.enable_grad():
        out = fun(*p_build(xs), **(kwargs or {}))
    if has_aux:
        out, aux = _split_aux(out)
        aux = _tree_map(lambda v: _level_parts(v, level)[0], aux)
    o_leaves, o_build = _flatten(_results(out, fun))
    vals, tans = [], []
    for o in o_leaves:
        raw, _, tan = _level_parts(o, level)
        vals.append(raw)
        if tan is None:
            tan = zeros_like(plain(raw), shape=batch + np.shape(raw))
        elif np.iscomplexobj(tan) == np.iscomplexobj(plain(raw)):
            tan = _cast(tan, raw)   # the output's precision, as JAX's (float32 stays float32)
        # (a complex tangent of a real output is a rule's error: check_grads reports it)
        tans.append(tan)
    if has_aux:
        return o_build(vals), o_build(tans), aux
    return o_build(vals), o_build(tans)


def jvp(fun: Callable[..., Any], primals: Sequence[Any],
        tangents: Sequence[Any]) -> Tuple[Any, Any]:
    """``(fun(*primals), J @ tangents)`` by forward mode, in one evaluation of ``fun``.

    Parameters
    ----------
    fun : callable
        A function of arrays.
    primals : tuple
        The point: one value (array or pytree) per argument of ``fun``.
    tangents : tuple
        The direction: one tangent per primal, of the same shapes.

    Returns
    -------
    (output, tangent_out)
        ``fun(*primals)`` and its directional derivative along ``tangents``.

    Raises
    ------
    TypeError
        If ``primals`` or ``tangents`` is not a tuple or list.
    ValueError
        If a tangent's shape or structure differs from its primal's.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> y, dy = cr.jvp(np.sin, (0.0,), (2.0,))
    >>> float(y), float(dy)
    (0.0, 2.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes primals and tangents as tuples: jvp(f, (x,), (v,))")
    _same_structure(list(primals), list(tangents), "primals and tangents")
    for p, t in zip(_flatten(list(primals))[0], _flatten(list(tangents))[0]):
        ps, ts = np.shape(plain(_input(p))), np.shape(plain(_numeric(t, "tangents")))
        if ps != ts:
            raise ValueError(f"tangent shape {ts} does not match primal shape {ps}; each "
                             "tangent has the shape of its primal")
    out, tan = _make_jvp(fun, primals, tangents)
    return _tree_out(out), _tree_out(tan)


def jacfwd(fun: Callable[P, Any], argnums: Union[int, Sequence[int]] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]:
    """The Jacobian by forward mode, all basis tangents pushed in one batched sweep.

    Cheaper than :func:`jacrev` when the input is smaller than the output.

    Parameters
    ----------
    fun : callable
        A function of arrays returning an array (or a pytree of arrays).
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.
    has_aux : bool, default False
        ``fun`` returns a pair ``(output, aux)``; the result is then ``(jacobian, aux)``,
        ``aux`` passed through, not differentiated (as JAX's).
    holomorphic : bool, default False
        ``fun`` is holomorphic, with complex inputs and outputs: the Jacobian is then
        ``df/dz`` (as JAX's).

    Returns
    -------
    callable
        Returns the Jacobian, of shape ``out.shape + in.shape``; nested like
        :func:`jacrev`'s for several outputs or inputs.

    Raises
    ------
    TypeError
        If an input is complex without ``holomorphic=True`` (forward mode pushes real
        directions; use :func:`jacrev` for a real function of complex inputs).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.jacfwd(lambda x: np.stack([x[0] * x[1], x[1] ** 2]))(np.array([1.0, 2.0]))
    array([[2., 1.],
           [0., 4.]])
    """
    @functools.wraps(fun)
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        raws, i_shapes, (i_offs, n) = _in_blocks(args, nums)
        _check_inputs("jacfwd", holomorphic, raws, forward=True)
        for ish in i_shapes:
            _check_ndim(len(ish) + 1, "jacfwd")
        groups = [_flatten(args[a]) for a in nums]
        i_builds = [(len(lv), b) for lv, b in groups]
        basis = _basis(i_shapes, i_offs, n, [plain(r).dtype for r in raws], like=raws[0])

        def f_flat(*leaves):
            full, k = list(args), 0
            for a, (cnt, build) in zip(nums, i_builds):
                full[a] = build(list(leaves[k:k + cnt]))
                k += cnt
            return fun(*full, **kwargs)
        out, tan, *aux = _make_jvp(f_flat, tuple(raws), tuple(basis), has_aux=has_aux)
        o_leaves, o_build = _flatten(out)
        _check_outputs("jacfwd", holomorphic, o_leaves, reverse=False)
        t_leaves = _flatten(tan)[0]
        o_shapes = [np.shape(plain(o)) for o in o_leaves]
        blocks = []
        for t, osh in zip(t_leaves, o_shapes):
            t = np.broadcast_to(t, (n,) + osh) if np.shape(t) != (n,) + osh else t
            row = []
            for ish, off in zip(i_shapes, i_offs):
                _check_ndim(len(osh) + len(ish), "jacfwd")
                size = int(np.prod(ish, dtype=int))
                part = t[off:off + size]
                part = np.moveaxis(part, 0, -1) if np.ndim(part) > 1 else part
                row.append(np.reshape(part, osh + ish))
            blocks.append(row)
        jac = _assemble(o_shapes, i_shapes, blocks, o_build, i_builds, single)
        return (jac, _tree_out(aux[0])) if has_aux else jac
    return jac


def jacobian(fun: Callable[P, Any], argnums: Union[int, Sequence[int]] = 0,
             has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]:
    """The Jacobian, by forward mode when the input is smaller than the output, else reverse;
    ``fun`` runs once either way.

    Parameters
    ----------
    fun : callable
        A function of arrays returning an array (or a pytree of arrays).
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.
    has_aux : bool, default False
        ``fun`` returns a pair ``(output, aux)``; the result is then ``(jacobian, aux)``,
        ``aux`` passed through, not differentiated (as JAX's).
    holomorphic : bool, default False
        ``fun`` is holomorphic, with complex inputs and outputs: the Jacobian is then
        ``df/dz`` (as JAX's).

    Returns
    -------
    callable
        Returns the Jacobian, of shape ``out.shape + in.shape``: the same values and
        errors as :func:`jacrev` (``jax.jacobian`` is ``jax.jacrev``).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.jacobian(lambda x: x ** 2)(np.array([1.0, 3.0]))
    array([[2., 0.],
           [0., 6.]])
    """
    @functools.wraps(fun)
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        raws, _, (_, n_in) = _in_blocks(args, nums)
        # record once for reverse mode; the output's size then says which mode is cheaper
        out, aux, fn = _make_vjp(fun, args, kwargs, nums, has_aux,
                                 functools.partial(_check_inputs, "jacobian", holomorphic))
        o_leaves = _flatten(out)[0]
        _check_outputs("jacobian", holomorphic, o_leaves)
        n_out = sum(int(np.size(plain(o))) for o in o_leaves)
        # a complex input's pullback is only real-linear unless fun is holomorphic: rows
        if n_in < n_out and (holomorphic or all(plain(r).dtype.kind != "c" for r in raws)):
            jac = _jacobian_columns(out, fn, args, single, nums)
        else:
            jac = _jacobian_rows(out, fn, args, single, nums)
        return (jac, _tree_out(aux)) if has_aux else jac
    return jac


def hessian(fun: Callable[P, Any], argnums: Union[int, Sequence[int]] = 0,
            has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]:
    """The Hessian of a scalar function, forward over reverse (one batched forward sweep):
    ``jacfwd(jacrev(fun))``, as JAX's.

    Parameters
    ----------
    fun : callable
        A function of arrays returning a scalar.
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate with respect to. An int gives one
        result; a tuple gives a tuple of results, one per argument named. Each argument
        may be a pytree (nested tuples, lists, dicts, dataclasses) of float arrays.
    has_aux : bool, default False
        ``fun`` returns a pair ``(output, aux)``; the result is then ``(jacobian, aux)``,
        ``aux`` passed through, not differentiated (as JAX's).
    holomorphic : bool, default False
        ``fun`` is holomorphic, with complex inputs and outputs: the Jacobian is then
        ``df/dz`` (as JAX's).

    Returns
    -------
    callable
        Returns the Hessian, of shape ``in.shape + in.shape`` (``out.shape + in.shape +
        in.shape`` for a non-scalar ``fun``), nested as JAX's for pytrees.

    Raises
    ------
    TypeError
        If an input is complex without ``holomorphic=True`` or the output is complex
        without it (see :func:`jacfwd` and :func:`jacrev`).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


def hvp(fun: Callable[[Any], Any], x: Any, v: Any) -> Any:
    """The Hessian of scalar ``fun`` at ``x`` times ``v``, without forming the Hessian.

    Parameters
    ----------
    fun : callable
        A function of one array argument returning a scalar.
    x : array_like
        The point.
    v : array_like
        The vector, shaped like ``x``.

    Returns
    -------
    ndarray
        ``H(x) @ v``, shaped like ``x`` (forward over reverse: one gradient's cost).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.hvp(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    return jvp(grad(fun), (x,), (v,))[1]


# ---------------------------------------------------------------------- checkpointing
class _CheckpointCall:
    """One call of a checkpointed function: how to rebuild its arguments from the flat
    leaves, and (after the forward run) the structure of its result."""

    __slots__ = ("fun", "build", "out_build", "shapes", "dtypes")

    def __init__(self, fun, build):
        self.fun, self.build, self.out_build = fun, build, None

    def call(self, leaves):
        args, kwargs = self.build(list(leaves))
        return self.fun(*args, **kwargs)


def _checkpoint_run(*leaves, call):
    """The forward run, recording nothing: every output leaf raveled into one flat array."""
    with engine.no_grad():
        out = call.call(leaves)
    o_leaves, call.out_build = _flatten(_results(out, call.fun))
    vals = [plain(o) for o in o_leaves]
    call.shapes = [np.shape(v) for v in vals]
    call.dtypes = [np.result_type(v) for v in vals]
    if not vals:
        return np.zeros(0)
    return np.concatenate([np.ravel(v).astype(np.result_type(*call.dtypes), copy=False)
                           for v in vals])


def _split_outputs(flat, call):
    """Undo :func:`_checkpoint_run`'s raveling: the output tree from the flat array."""
    parts, off = [], 0
    for sh, dt in zip(call.shapes, call.dtypes):
        size = int(np.prod(sh, dtype=int))
        part = np.reshape(flat[off:off + size], sh)
        off += size
        parts.append(part if np.result_type(part) == dt else part.astype(dt))
    return call.out_build(parts)


def _differentiable(x):
    return isinstance(x, (Tensor, np.ndarray, np.generic, float, complex)) and \
        np.issubdtype(plain(x).dtype if isinstance(x, Tensor) else np.result_type(x),
                      np.inexact)


def _checkpoint_vjp(g, ans, *leaves, call):
    """All inputs' cotangents from one recomputation of the function."""
    nums = tuple(i for i, x in enumerate(leaves) if _differentiable(x))
    out, _, fn = _make_vjp(lambda *ls: call.call(ls), leaves, {}, nums)
    o_leaves, o_build = _flatten(out)
    cts, off = [], 0
    for o in o_leaves:
        sh = np.shape(plain(o))
        size = int(np.prod(sh, dtype=int))
        ct = np.reshape(g[off:off + size], sh)
        off += size
        cts.append(_cast(ct, ones_like_raw(o)))
    gs = fn(o_build(cts), retain_graph=False)
    res = [None] * len(leaves)
    for i, gi in zip(nums, gs):
        res[i] = gi
    return res


def _checkpoint_jvp(tangents, ans, *leaves, call):
    nums = [i for i, t in enumerate(tangents) if t is not None]
    k = nums[0]
    batch = np.shape(tangents[k])[:np.ndim(tangents[k]) - np.ndim(leaves[k])]

    def f(*xs):
        full = list(leaves)
        for i, x in zip(nums, xs):
            full[i] = x
        return call.call(full)
    _, tan = _make_jvp(f, tuple(leaves[i] for i in nums), tuple(tangents[i] for i in nums))
    dt = np.result_type(ans)
    parts = [np.reshape(t, batch + (-1,)) for t in _flatten(tan)[0]]
    parts = [p if np.result_type(p) == dt else p.astype(dt) for p in parts]
    return np.concatenate(parts, axis=-1) if parts else np.zeros(batch + (0,), dtype=dt)


def _checkpoint_fn(*leaves, call):
    if any(isinstance(a, Tensor) for a in leaves):   # lower levels record it too
        return engine.apply(_CHECKPOINT, leaves, {"call": call})
    return _checkpoint_run(*leaves, call=call)


# one primitive for every checkpointed function (each call carries its function in the
# keyword ``call``): nothing is made, or kept, per cr.checkpoint
_CHECKPOINT = engine.primitive_from(_checkpoint_fn, vjp=(_checkpoint_vjp,),
                                    joint=_checkpoint_jvp, name="checkpoint", nary=True,
                                    joint_vjp=True)


def checkpoint(fun: Callable[P, R]) -> Callable[P, R]:
    """``fun`` that keeps none of its intermediates: the backward pass recomputes them, once.

    ``fun`` may take any arguments (tensors, ints, keyword arguments, nested lists and dicts)
    and return one array or a tuple, list or dict of them.

    Trades time for memory in long computations: a checkpointed block costs one more
    evaluation in the backward pass and holds only its inputs.

    Parameters
    ----------
    fun : callable
        A function of arrays (positional arguments).

    Returns
    -------
    callable
        Same values and derivatives as ``fun``, in every mode and order.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> f = cr.checkpoint(lambda x: np.sin(np.sin(x)))
    >>> cr.grad(lambda x: f(x).sum())(np.zeros(3))
    array([1., 1., 1.])
    >>> g = cr.checkpoint(lambda x, n, scale=1.0: (x ** n * scale, x.sum()))
    >>> cr.grad(lambda x: g(x, 3, scale=2.0)[0].sum())(np.array([1.0, 2.0]))
    array([ 6., 24.])
    """
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        leaves, build = _flatten([list(args), kwargs])
        if not any(isinstance(a, Tensor) for a in leaves):
            return fun(*args, **kwargs)
        call = _CheckpointCall(fun, lambda ls: (lambda a, k: (a, k))(*build(ls)))
        flat = engine.apply(_CHECKPOINT, tuple(leaves), {"call": call})
        return _split_outputs(flat, call)
    return wrapped
