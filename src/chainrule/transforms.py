"""Function transforms (JAX / HIPS autograd spelling): grad, vjp, jvp, jacobians, hessian.

Each call of a transform opens a fresh *level*: its inputs become tensors of that level, the
function runs, and the derivative is read off that level only.  Because rules run on the raw
values, which are tensors of the enclosing levels when transforms nest, every nesting works:
``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``jvp(grad(f), ...)``.

>>> import numpy as np, chainrule as cr
>>> float(cr.grad(cr.grad(cr.grad(np.sin)))(0.0))
-1.0
>>> f = lambda x: x * cr.grad(lambda y: x * y)(1.0)
>>> float(cr.grad(f)(2.0))
4.0
"""
import functools
import numbers

import numpy as np

from . import engine
from .engine import Leaf, backward_pass, new_level
from .tensor import Tensor, plain, make_tensor, ones_like_raw

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian",
           "hvp", "elementwise_grad", "checkpoint"]


# ---------------------------------------------------------------------- pytrees
def _flatten(tree):
    """Leaves of a tuple/list/dict tree and a function that rebuilds the tree from leaves."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        leaves = [leaf for p in parts for leaf in p[0]]
        kind = type(tree)

        def build(ls):
            out, i = [], 0
            for sub_leaves, sub_build in parts:
                n = len(sub_leaves)
                out.append(sub_build(ls[i:i + n]))
                i += n
            return kind(out) if kind in (tuple, list) else kind(*out)
        return leaves, build
    if isinstance(tree, dict):
        keys = _dict_keys(tree)
        leaves, build = _flatten([tree[k] for k in keys])
        return leaves, lambda ls: dict(zip(keys, build(ls)))
    return [tree], lambda ls: ls[0]


def _dict_keys(d):
    """A dict's keys in a fixed order (sorted where they sort), so that two dicts with the
    same keys flatten alike whatever order they were built in."""
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _structure(tree):
    """The shape of a tree without its leaves (tuples and lists count as the same)."""
    if isinstance(tree, (tuple, list)):
        return ("seq", tuple(_structure(t) for t in tree))
    if isinstance(tree, dict):
        keys = _dict_keys(tree)
        return ("dict", tuple(keys), tuple(_structure(tree[k]) for k in keys))
    return "*"


def _same_structure(a, b, what):
    if _structure(a) != _structure(b):
        raise ValueError(f"{what} must have the same structure (nesting of tuples, lists and "
                         f"dicts, and dict keys): {_describe(a)} vs {_describe(b)}")


def _describe(tree):
    st = _structure(tree)
    text = repr(st).replace("'seq', ", "").replace("'*'", "*").replace("'dict', ", "dict ")
    return text if len(text) < 200 else text[:200] + "..."


def _input(x):
    """A transform's input as a raw value: floats as ndarrays, tensors kept (nesting)."""
    if isinstance(x, Tensor):
        dt = x.dtype
        val = x
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
    if isinstance(v, Tensor):
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
    leaves, build = _flatten(tree)
    what = f"the values returned by {getattr(fun, '__name__', 'the function')}"
    return build([_numeric(v, what) for v in leaves])


checked_outputs = _results      # the public name (chainrule.checking uses it)


def _check_ndim(ndim, name):
    if ndim > _MAXDIMS:
        raise ValueError(
            f"{name}: the result would have {ndim} dimensions, more than the {_MAXDIMS} that "
            "NumPy arrays can have; differentiate with respect to (or return) a reshaped "
            "array with fewer dimensions")


def _output(v):
    """Results at the outermost level are plain ndarrays; inside other transforms, tensors."""
    if isinstance(v, Tensor):
        if v._node is not None or v._tangent is not None or v._level:
            return v
        v = plain(v)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v[()]
    return v


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
            raise ValueError(f"argnums={argnums} but the function got {nargs} positional "
                             "arguments")
    nums = tuple(a % nargs for a in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"argnums={argnums} names an argument more than once")
    return single, nums


def _level_parts(out, level):
    """(raw value, node, tangent) of ``out`` seen from ``level``."""
    if isinstance(out, Tensor) and out._level == level:
        return out.data, out._node, out._tangent
    return out, None, None


def _zeros_like_raw(x):
    arr = plain(x)
    return np.zeros(np.shape(arr), dtype=arr.dtype if np.issubdtype(arr.dtype, np.inexact)
                    else float)


# ---------------------------------------------------------------------- reverse mode
def _make_vjp(fun, args, kwargs, argnums, has_aux=False):
    """Run ``fun`` with the ``argnums`` inputs traced at a fresh level.

    Returns (output tree of raw values, aux, vjp_fn) where ``vjp_fn(cotangent tree)`` gives a
    list (one per argnum) of gradient trees.
    """
    level = new_level()
    args = list(args)
    leaf_groups = []
    for a in argnums:
        leaves, build = _flatten(args[a])
        ts = [_leaf(_input(x), level) for x in leaves]
        leaf_groups.append((ts, build))
        args[a] = build(ts)
    with engine.enable_grad():
        out = fun(*args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError("with has_aux=True the function must return a pair (output, aux)")
        out, aux = out
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


def _cast(g, like):
    dt = plain(like).dtype
    if isinstance(g, (int, float)) or np.result_type(g) != dt:
        g = np.asarray(g, dtype=dt) if not isinstance(g, Tensor) else g.astype(dt)
    return g


def vjp(fun, *primals, has_aux=False):
    """``(fun(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal.

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


def value_and_grad(fun, argnums=0, has_aux=False):
    """A function returning ``(fun(*args), gradient)``; ``fun`` must return a scalar."""
    @functools.wraps(fun)
    def vg(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        out, aux, fn = _make_vjp(fun, args, kwargs, nums, has_aux)
        if isinstance(out, (tuple, list, dict)) or np.size(plain(out)) != 1:
            raise TypeError(
                f"grad needs a function with a scalar output, this one returned shape "
                f"{np.shape(plain(out)) if not isinstance(out, (tuple, list, dict)) else type(out).__name__}. "
                "Use cr.jacobian for vector outputs, cr.elementwise_grad for elementwise "
                "functions, or reduce the output (e.g. .sum()).")
        if plain(out).dtype.kind == "c" and not all(
                plain(_input(x)).dtype.kind == "c"
                for a in nums for x in _flatten(args[a])[0]):
            raise TypeError(
                "grad of a complex output with respect to a real input is ambiguous; "
                "differentiate a real function of it, such as np.real(f(x)) or np.abs(f(x))")
        gs = fn(ones_like_raw(out), retain_graph=False)
        gs = [_tree_out(g) for g in gs]
        g = gs[0] if single else tuple(gs)
        value = _tree_out(out)
        return ((value, _tree_out(aux)), g) if has_aux else (value, g)
    return vg


def grad(fun, argnums=0, has_aux=False):
    """The gradient of a scalar function, as a function.

    >>> import numpy as np, chainrule as cr
    >>> cr.grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    vg = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        (value, aux), gr = vg(*args, **kwargs) if has_aux else (
            (None, None), vg(*args, **kwargs)[1])
        return (gr, aux) if has_aux else gr
    return g


def elementwise_grad(fun, argnums=0):
    """The derivative of an elementwise function at every point (gradient of ``fun(x).sum()``).

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


def jacrev(fun, argnums=0):
    """The Jacobian by reverse mode, one backward pass per output element.

    Its shape is ``out.shape + in.shape``.
    """
    @functools.wraps(fun)
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        out, _, fn = _make_vjp(fun, args, kwargs, nums)
        return _jacobian_rows(out, fn, args, single, nums)
    return jac


def _jacobian_rows(out, fn, args, single, nums):
    """The Jacobian from a recorded forward pass: one pullback of each output basis vector."""
    _single_array(out, "jacrev")
    oshape = np.shape(plain(out))
    osize = int(np.prod(oshape))
    ins = [np.shape(plain(_input(args[a]))) for a in nums]
    for ishape in ins:
        _check_ndim(len(oshape) + len(ishape), "jacrev")
    rows = [[] for _ in nums]
    for k in range(osize):
        e = np.zeros(osize, dtype=ones_like_raw(out).dtype)
        e[k] = 1.0
        gs = fn(e.reshape(oshape), retain_graph=k < osize - 1)
        for r, g in zip(rows, gs):
            r.append(g)
    jacs = []
    for r, ishape in zip(rows, ins):
        if osize:
            j = np.reshape(np.stack(r), oshape + ishape)
        else:
            j = np.zeros(oshape + ishape)
        jacs.append(_output(j))
    return jacs[0] if single else tuple(jacs)


def _single_array(out, name):
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(f"{name} needs a function that returns one array")


# ---------------------------------------------------------------------- forward mode
def _make_jvp(fun, primals, tangents, kwargs=None):
    """Push tangents (which may carry leading batch dims) through ``fun`` at a fresh level."""
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
            t = np.asarray(t, dtype=plain(raw).dtype)
        extra = np.ndim(t) - np.ndim(raw)
        if extra < 0 or np.shape(t)[extra:] != np.shape(raw):
            raise ValueError(f"tangent shape {np.shape(t)} does not match primal shape "
                             f"{np.shape(raw)}")
        batch = np.shape(t)[:extra]
        xs.append(make_tensor(raw, None, level, t))
    with engine.enable_grad():
        out = fun(*p_build(xs), **(kwargs or {}))
    o_leaves, o_build = _flatten(_results(out, fun))
    vals, tans = [], []
    for o in o_leaves:
        raw, _, tan = _level_parts(o, level)
        vals.append(raw)
        if tan is None:
            tan = np.zeros(batch + np.shape(raw), dtype=ones_like_raw(raw).dtype)
        tans.append(tan)
    return o_build(vals), o_build(tans)


def jvp(fun, primals, tangents):
    """``(fun(*primals), J @ tangents)`` by forward mode.

    >>> import numpy as np, chainrule as cr
    >>> y, dy = cr.jvp(np.sin, (0.0,), (3.0,))
    >>> float(y), float(dy)
    (0.0, 3.0)
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


def jacfwd(fun, argnums=0):
    """The Jacobian by forward mode, all basis tangents pushed in one batched sweep."""
    @functools.wraps(fun)
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        jacs = []
        for a in nums:
            raw = _input(args[a])
            shape = np.shape(raw)
            n = int(np.prod(shape))
            _check_ndim(len(shape) + 1, "jacfwd")
            basis = np.eye(n, dtype=plain(raw).dtype).reshape((n,) + shape)

            def f_a(x, a=a):
                full = list(args)
                full[a] = x
                return fun(*full, **kwargs)
            out, tan = _make_jvp(f_a, (raw,), (basis,))
            _single_array(out, "jacfwd")
            oshape = np.shape(out)
            _check_ndim(len(oshape) + len(shape), "jacfwd")
            j = np.moveaxis(tan, 0, -1) if np.ndim(tan) else tan
            jacs.append(_output(np.reshape(j, oshape + shape)))
        return jacs[0] if single else tuple(jacs)
    return jac


def jacobian(fun, argnums=0):
    """The Jacobian, by forward mode when the input is smaller than the output, else reverse.

    >>> import numpy as np, chainrule as cr
    >>> cr.jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    fwd = jacfwd(fun, argnums)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args))
        n_in = sum(int(np.size(plain(_input(args[a])))) for a in nums)
        # record once for reverse mode; the output's size then says which mode is cheaper
        out, _, fn = _make_vjp(fun, args, kwargs, nums)
        _single_array(out, "jacobian")
        if n_in <= int(np.size(plain(out))):
            return fwd(*args, **kwargs)
        return _jacobian_rows(out, fn, args, single, nums)
    return jac


def hessian(fun, argnums=0):
    """The Hessian of a scalar function, forward over reverse (one batched forward sweep).

    >>> import numpy as np, chainrule as cr
    >>> cr.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    return jacfwd(grad(fun, argnums), argnums)


def hvp(fun, x, v):
    """The Hessian of scalar ``fun`` at ``x`` times ``v``, without forming the Hessian."""
    return jvp(grad(fun), (x,), (v,))[1]


# ---------------------------------------------------------------------- checkpointing
def checkpoint(fun):
    """``fun`` that keeps none of its intermediates: the backward pass recomputes them.

    >>> import numpy as np, chainrule as cr
    >>> f = cr.checkpoint(lambda x: np.sin(np.sin(x)))
    >>> cr.grad(lambda x: f(x).sum())(np.zeros(3))
    array([1., 1., 1.])
    """
    def run(*xs):
        with engine.no_grad():
            return fun(*xs)

    def vjp_rule(i, g, ans, *xs):
        _, _, fn = _make_vjp(fun, xs, {}, tuple(range(len(xs))))
        return fn(g, retain_graph=False)[i]

    def jvp_rule(i, t, ans, *xs):
        tangents = [t if j == i else np.zeros(np.shape(t)[:np.ndim(t) - np.ndim(x)] +
                                              np.shape(x)) for j, x in enumerate(xs)]
        return _make_jvp(fun, xs, tangents)[1]

    # not registered in the rule tables' list (defprim would keep every checkpointed function,
    # and what it closes over, alive for good when cr.checkpoint is called in a loop)
    prim = engine.primitive_from(run, vjp=(vjp_rule,), jvp=(jvp_rule,),
                                 name=f"checkpoint({getattr(fun, '__name__', 'f')})", nary=True)

    @functools.wraps(fun)
    def wrapped(*args):
        if any(isinstance(a, Tensor) for a in args):
            return engine.apply(prim, args, {})
        return fun(*args)
    return wrapped
