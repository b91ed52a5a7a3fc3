"""The engine: primitives, graph nodes, recording, tangents and the backward sweep.

Everything differentiable is a :class:`Primitive`: a plain NumPy implementation plus its
derivative rules, declared together in one registry entry.  :func:`apply` runs a primitive on
tensors: it computes the value on the raw data, records a :class:`Node` when reverse mode is
recording, and pushes tangents through the JVP rules when forward mode is active.

Transforms nest by *levels*.  Every tensor belongs to a level (0 for the tensor API, a fresh
higher number for each transform call).  An operation is handled by the highest level among
its inputs; lower-level tensors are constants there, and the raw data of a level-``L`` tensor
may itself be a tensor of a lower level.  So a rule that runs on raw data records itself in the
lower levels automatically: that is how higher derivatives come for free and why nested
transforms never confuse their perturbations.
"""
import itertools
import threading

import numpy as np

__all__ = [
    "Primitive", "Node", "Leaf", "apply", "backward_pass", "grad_enabled",
    "set_grad_enabled", "no_grad", "enable_grad", "new_level",
]


# --------------------------------------------------------------------------- state
class _State(threading.local):
    """Per-thread recording state."""

    grad_enabled = True
    training = False
    anomaly = False


STATE = _State()
_level_ids = itertools.count(1)   # level 0 is the tensor API; transforms take fresh ids
_clock = [0]                      # global counter of in-place writes (for version checks)


def tick():
    """Advance the in-place clock and return the new time."""
    _clock[0] += 1
    return _clock[0]


def new_level():
    """A fresh level id, higher than every level made before (so nesting order holds)."""
    return next(_level_ids)


def grad_enabled():
    return STATE.grad_enabled


class set_grad_enabled:
    """Turn recording on or off; works as a call, a context manager and a decorator.

    >>> import chainrule as cr
    >>> with cr.set_grad_enabled(False):
    ...     cr.is_grad_enabled()
    False
    """

    def __init__(self, mode=True):
        self.prev = STATE.grad_enabled
        self.mode = bool(mode)
        STATE.grad_enabled = self.mode

    def __enter__(self):
        STATE.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev
        return False

    def __call__(self, fun):
        import functools
        mode = self.mode
        STATE.grad_enabled = self.prev   # decorating must not change the current mode

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fun(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """Context manager and decorator that turns recording off.

    >>> import chainrule as cr
    >>> x = cr.tensor(1.0, requires_grad=True)
    >>> with cr.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self):
        self.prev = STATE.grad_enabled
        self.mode = False

    def __enter__(self):
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = False
        return self

    def __call__(self, fun):
        import functools

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fun(*args, **kwargs)
        return wrapper


class enable_grad(no_grad):
    """Context manager and decorator that turns recording on (inside ``no_grad``)."""

    def __init__(self):
        self.prev = STATE.grad_enabled
        self.mode = True

    def __enter__(self):
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = True
        return self

    def __call__(self, fun):
        import functools

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fun(*args, **kwargs)
        return wrapper


# --------------------------------------------------------------------------- primitives
def _used_params(fn):
    """Names of ``fn``'s parameters that its body reads (directly or from an inner closure)."""
    import dis
    code = getattr(fn, "__code__", None)
    if code is None:
        return None   # unknown: assume everything is used
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    used = set(code.co_cellvars)
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK",
                          "LOAD_FAST_LOAD_FAST", "LOAD_FAST_AND_CLEAR"):
            val = ins.argval
            if isinstance(val, tuple):
                used.update(val)
            else:
                used.add(val)
    if code.co_flags & 0x08 or code.co_flags & 0x04:   # **kwargs / *args: be safe
        used.update(params)
    return {p for p in params if p in used}


class Primitive:
    """A differentiable function: a NumPy implementation and its derivative rules.

    Rules use one calling convention, with the raw arrays (or, when the backward pass itself
    is recorded, tensors) of the forward call:

    - VJP rule for argument ``i``: ``vjp(g, ans, *args, **kwargs)`` returns the cotangent of
      argument ``i`` (broadcasting is undone by the engine);
    - JVP rule for argument ``i``: ``jvp(t, ans, *args, **kwargs)`` returns the tangent of the
      output.  ``t`` may carry extra *leading* batch dimensions (``jacfwd`` and ``hessian``
      push many tangents at once), so rules index axes from the end;
    - a primitive that is linear in all its inputs jointly may give ``jvp_joint(tangents, ans,
      *args, **kwargs)`` instead, with ``None`` for inputs without a tangent.

    Variadic primitives (``nary=True``, such as ``concatenate``) get their argument number as
    the first parameter of each rule.
    """

    __slots__ = ("name", "fn", "vjps", "jvps", "jvp_joint", "nary", "uses_ans", "needs",
                 "nondiff", "elementwise", "__weakref__", "__dict__")

    def __init__(self, fn, name=None, nary=False, nondiff=False, elementwise=False):
        self.fn = fn
        self.nondiff = nondiff
        self.elementwise = elementwise   # broadcasting elementwise: the engine aligns tangents
        self.name = name or getattr(fn, "__name__", repr(fn))
        self.vjps = []
        self.jvps = []
        self.jvp_joint = None
        self.nary = nary
        self.uses_ans = False
        self.needs = ()     # needs[i]: positions of the inputs that the VJP rule of input i reads

    def __repr__(self):
        return f"<primitive {self.name}>"

    def __call__(self, *args, **kwargs):
        return apply(self, args, kwargs)

    # rules ---------------------------------------------------------------------------
    def defvjp(self, *rules):
        """Set the VJP rules, one per positional argument (``None``: not differentiable)."""
        self.vjps = list(rules)
        self.uses_ans = any(_uses_ans(r, self.nary) for r in rules if r is not None)
        self.needs = tuple(_arg_needs(r, self.nary) for r in rules)
        return self

    def defjvp(self, *rules, joint=None):
        self.jvps = list(rules)
        if joint is not None:
            self.jvp_joint = joint
        return self

    def vjp_rule(self, i):
        if self.nary:
            rule = self.vjps[0] if self.vjps else None
            if rule is None:
                return None
            return lambda g, ans, *args, **kw: rule(i, g, ans, *args, **kw)
        vjps = self.vjps
        return vjps[i] if i < len(vjps) else None

    def jvp_rule(self, i):
        if self.nary:
            rule = self.jvps[0] if self.jvps else None
            if rule is None:
                return None
            return lambda t, ans, *args, **kw: rule(i, t, ans, *args, **kw)
        jvps = self.jvps
        return jvps[i] if i < len(jvps) else None


def _uses_ans(rule, nary):
    used = _used_params(rule)
    if used is None:
        return True
    code = rule.__code__
    pos = 2 if nary else 1
    names = code.co_varnames[:code.co_argcount]
    return len(names) > pos and names[pos] in used


def _arg_needs(rule, nary):
    """Positions of the forward inputs that ``rule`` reads (``None``: all of them)."""
    if rule is None:
        return ()
    used = _used_params(rule)
    code = getattr(rule, "__code__", None)
    if used is None or nary or code.co_flags & 0x04:
        return None
    names = code.co_varnames[:code.co_argcount][2:]
    return tuple(j for j, n in enumerate(names) if n in used)


def primitive_from(fn, vjp=(), jvp=(), name=None, nary=False, joint=None, nondiff=False,
                   elementwise=False):
    """Declare a primitive with its rules in one place (the rule tables use this)."""
    p = Primitive(fn, name=name, nary=nary, nondiff=nondiff, elementwise=elementwise)
    p.defvjp(*vjp)
    p.defjvp(*jvp, joint=joint)
    return p


# --------------------------------------------------------------------------- graph
class Leaf:
    """Where a leaf tensor's gradient arrives; ``mode`` is 'add' (PyTorch) or 'write' (MXNet)."""

    __slots__ = ("ref", "mode", "shape", "dtype", "hooks", "__weakref__")

    def __init__(self, tensor, mode="add"):
        import weakref
        self.ref = weakref.ref(tensor)
        self.mode = mode
        self.shape = np.shape(tensor.data)
        self.dtype = tensor.dtype
        self.hooks = None

    def __repr__(self):
        return "<leaf>"


class Node:
    """One recorded operation: the primitive, the nodes of its inputs, and what it saved.

    ``args`` are the inputs as given (tensors and constants), ``raws`` their values at this
    node's level (what the rules get in a first-order backward pass).
    """

    __slots__ = ("prim", "parents", "args", "raws", "kw", "ans", "shape", "stamp", "hooks",
                 "dirty", "level", "origin", "__weakref__")

    def __init__(self, prim, parents, args, kw, ans, level, raws=None):
        if not prim.vjps:
            _no_rule(prim, "reverse")
        self.prim = prim
        self.parents = parents
        self.args = args
        self.raws = raws
        self.kw = kw
        self.ans = ans if prim.uses_ans else None
        try:
            self.shape = ans.shape
        except AttributeError:
            self.shape = np.shape(ans)
        self.stamp = _clock[0]
        self.hooks = None
        self.dirty = None
        self.level = level
        self.origin = _user_line() if STATE.anomaly else None

    def __repr__(self):
        return f"<node {self.prim.name}>"


# --------------------------------------------------------------------------- anomalies
class detect_anomaly:
    """Find where a gradient first becomes NaN or infinite.

    Inside this context every recorded operation remembers the line of user code that made
    it, and the backward pass checks each gradient it computes; the first one that is not
    finite raises ``FloatingPointError`` naming the operation and that line.  The state is
    per thread; it also works as a decorator (``@cr.detect_anomaly()``) and inside the
    transforms (``cr.grad`` ...).  Gradients that are exactly zero where a rule's derivative is
    infinite (a masked-out ``sqrt(0)``) are zero, not NaN, so they are not anomalies.

    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor([0.0, 1.0], requires_grad=True)
    >>> with cr.detect_anomaly():
    ...     y = np.sqrt(x).sum()
    ...     y.backward()                                   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FloatingPointError: the gradient computed by 'sqrt' ... y = np.sqrt(x).sum()...
    """

    def __init__(self, enabled=True):
        self.enabled = bool(enabled)

    def __enter__(self):
        self.prev = STATE.anomaly
        STATE.anomaly = self.enabled
        return self

    def __exit__(self, *exc):
        STATE.anomaly = self.prev
        return False

    def __call__(self, fun):
        """Use as a decorator: ``fun`` runs with anomaly detection (on or off)."""
        import functools
        enabled = self.enabled

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with detect_anomaly(enabled):
                return fun(*args, **kwargs)
        return wrapper


_PKG_DIR = __file__.rsplit("/", 1)[0]


def _user_line():
    """'file:line: code' of the innermost frame outside chainrule (and NumPy)."""
    import sys
    import linecache
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_PKG_DIR) and "/numpy/" not in fn:
            line = linecache.getline(fn, f.f_lineno).strip()
            return f"{fn}:{f.f_lineno}: {line}"
        f = f.f_back
    return "<unknown>"


def _anomaly(node, i, gi):
    where = node.origin or "(made outside detect_anomaly: no line recorded)"
    kind = "NaN" if np.any(np.isnan(_value(gi))) else "an infinite value"
    raise FloatingPointError(
        f"the gradient computed by '{node.prim.name}' for its input {i} contains {kind}. The "
        f"operation was made at {where}. Check the inputs of that operation (e.g. sqrt or "
        "log at 0, division by 0) or clip them away from the bad point.")


def _value(x):
    while isinstance(x, Tensor):
        x = x.data
    return x


# --------------------------------------------------------------------------- forward
def apply(prim, args, kw):
    """Run ``prim`` on ``args``: value, reverse-mode record and forward-mode tangent."""
    T = Tensor
    if len(args) == 2 and not kw:
        # the common case, a binary operator between a tensor and a constant or two tensors
        # of one level, without views or tangents: one pass, no lists
        a, b = args
        ta, tb = isinstance(a, T), isinstance(b, T)
        if ta and tb:
            if (a._level == b._level and a._base is None and b._base is None
                    and a._tangent is None and b._tangent is None):
                ans = prim.fn(a.data, b.data)
                if prim.nondiff:
                    return _make(ans, None, a._level, None)
                pa, pb = a._node, b._node
                if (pa is not None or pb is not None) and STATE.grad_enabled:
                    return _make(ans, Node(prim, (pa, pb), args, kw, ans, a._level,
                                           (a.data, b.data)), a._level, None)
                return _make(ans, None, a._level, None)
        elif ta:
            if a._base is None and a._tangent is None:
                ans = prim.fn(a.data, b)
                if prim.nondiff:
                    return _make(ans, None, a._level, None)
                pa = a._node
                if pa is not None and STATE.grad_enabled:
                    return _make(ans, Node(prim, (pa, None), args, kw, ans, a._level,
                                           (a.data, b)), a._level, None)
                return _make(ans, None, a._level, None)
        elif tb and b._base is None and b._tangent is None:
            ans = prim.fn(a, b.data)
            if prim.nondiff:
                return _make(ans, None, b._level, None)
            pb = b._node
            if pb is not None and STATE.grad_enabled:
                return _make(ans, Node(prim, (None, pb), args, kw, ans, b._level,
                                       (a, b.data)), b._level, None)
            return _make(ans, None, b._level, None)
    elif len(args) == 1:
        a = args[0]
        if isinstance(a, T) and a._base is None and a._tangent is None:
            ans = prim.fn(a.data, **kw) if kw else prim.fn(a.data)
            if prim.nondiff:
                return _make(ans, None, a._level, None)
            pa = a._node
            if pa is not None and STATE.grad_enabled:
                return _make(ans, Node(prim, (pa,), args, kw, ans, a._level, (a.data,)),
                             a._level, None)
            return _make(ans, None, a._level, None)
    return _apply_general(prim, args, kw)


def _apply_general(prim, args, kw):
    T = Tensor
    top = -1
    for a in args:
        if isinstance(a, T):
            if a._base is not None:
                _refresh_view(a)
            if a._level > top:
                top = a._level
    if top < 0:
        return prim.fn(*args, **kw)
    raws = []
    parents = []
    recorded = tangent = False
    for a in args:
        if isinstance(a, T) and a._level == top:
            raws.append(a.data)
            p = a._node
            parents.append(p)
            if p is not None:
                recorded = True
            if a._tangent is not None:
                tangent = True
        else:
            raws.append(a)
            parents.append(None)
    ans = prim.fn(*raws, **kw) if kw else prim.fn(*raws)
    if prim.nondiff:
        return _make(ans, None, top, None)
    node = None
    if recorded and STATE.grad_enabled:
        node = Node(prim, tuple(parents), args, kw, ans, top, tuple(raws))
    if tangent:
        tangent = _push_tangents(prim, args, raws, kw, ans, top)
    else:
        tangent = None
    return _make(ans, node, top, tangent)


def _ndim(x):
    return len(np.shape(x))


def _push_tangents(prim, args, raws, kw, ans, top):
    """The output tangent: the sum of the JVP rules of the inputs that carry a tangent.

    Tangents have the shape ``batch + value.shape``; for broadcasting elementwise primitives
    the engine lines each tangent up with the output first, so rules need not care.
    """
    tangents = [a._tangent if isinstance(a, Tensor) and a._level == top else None for a in args]
    out_nd = _ndim(ans)
    batch = None
    if prim.elementwise:
        for i, t in enumerate(tangents):
            if t is None:
                continue
            nd = _ndim(raws[i])
            nb = _ndim(t) - nd
            batch = np.shape(t)[:nb]
            if nd < out_nd and nb:
                tangents[i] = np.reshape(t, batch + (1,) * (out_nd - nd) + np.shape(t)[nb:])
    if prim.jvp_joint is not None:
        out = prim.jvp_joint(tangents, ans, *raws, **kw)
    else:
        out = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            rule = prim.jvp_rule(i)
            if rule is None:
                _no_rule(prim, "forward", i)
            ti = rule(t, ans, *raws, **kw)
            out = ti if out is None else out + ti
    if batch is not None:
        full = batch + np.shape(ans)
        if np.shape(out) != full:
            out = np.broadcast_to(out, full)
    return out


def _no_rule(prim, mode, i=None):
    which = "" if i is None else f" for argument {i}"
    fn = "cr.defvjp" if mode == "reverse" else "cr.defjvp"
    raise TypeError(
        f"chainrule has no {mode}-mode derivative rule{which} of '{prim.name}'. "
        f"Give it one with {fn}(...), or detach the input (x.detach()) if no gradient "
        "should flow through it.")


# --------------------------------------------------------------------------- backward
def _unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (undo NumPy broadcasting)."""
    gshape = np.shape(g)
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra < 0:
        return np.reshape(g, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and gshape[i + extra] != 1)
    if axes:
        g = np.sum(g, axis=axes)
    if np.shape(g) != shape:
        g = np.reshape(g, shape)
    return g


def _check_versions(node):
    """Raise if a tensor this node saved was changed in place after it was recorded."""
    if node.dirty is not None and node.prim.uses_ans:
        _inplace_error(node, "its output")
    if node.stamp == _clock[0]:
        return
    args = node.args
    needs = node.prim.needs
    for i, p in enumerate(node.parents):
        if p is None:
            continue
        need = needs[i] if i < len(needs) else None
        for j in (range(len(args)) if need is None else need):
            a = args[j] if j < len(args) else None
            if isinstance(a, Tensor) and a._vc is not None and a._vc[0] > node.stamp:
                _inplace_error(node, f"input {j}")


def _inplace_error(node, what):
    raise RuntimeError(
        f"A tensor that '{node.prim.name}' saved for the backward pass ({what}) was modified "
        "by an in-place operation after it was used, so its gradient would be wrong. Compute "
        "with a copy instead (y = x.copy(); y[...] = ...), or do the in-place change before "
        f"the '{node.prim.name}' that uses it.")


def _freed_error(node):
    raise RuntimeError(
        f"Trying to backward through the graph a second time (the saved values of "
        f"'{node.prim.name}' were already freed by the first backward). Pass "
        "retain_graph=True to the first backward() if you need to go through it again.")


def _topo_counts(roots):
    """Number of consumers of every node reachable from ``roots`` (iterative DFS)."""
    counts = {}
    stack = list(roots)
    for r in roots:
        counts.setdefault(r, 0)
    while stack:
        node = stack.pop()
        if type(node) is Leaf:
            continue
        parents = node.parents
        if parents is None:
            continue
        for p in parents:
            if p is None:
                continue
            c = counts.get(p)
            if c is None:
                counts[p] = 1
                stack.append(p)
            else:
                counts[p] = c + 1
    return counts


def backward_pass(roots, grads, retain_graph=False, create_graph=False, targets=None):
    """Propagate ``grads`` from the ``roots`` nodes back through the graph.

    Without ``targets``, gradients are deposited into the leaves' ``.grad``.  With
    ``targets`` (a list of nodes), the adjoints of those nodes are returned as a list (``None``
    where a target was not reached) and no ``.grad`` is touched.  With ``create_graph`` the
    rules run on tensors, so the result is differentiable again.
    """
    counts = _topo_counts(roots)
    adj = {}
    for r, g in zip(roots, grads):
        adj[r] = adj[r] + g if r in adj else g
    target_set = None
    found = None
    if targets is not None:
        target_set = {t: i for i, t in enumerate(targets)}
        found = [None] * len(targets)
    ready = [r for r in adj if counts.get(r, 0) == 0]
    clock = _clock
    anomaly = STATE.anomaly
    while ready:
        node = ready.pop()
        g = adj.pop(node)
        if node.hooks:
            g = _run_hooks(node, g, create_graph)
        if target_set is not None and node in target_set:
            found[target_set[node]] = g
        if type(node) is Leaf:
            if target_set is None:
                _deposit(node, g, create_graph)
            continue
        raws = node.raws
        if raws is None:
            _freed_error(node)
        if node.dirty is not None or node.stamp != clock[0]:
            _check_versions(node)
        prim = node.prim
        ans = node.ans
        kw = node.kw
        if create_graph:
            raws, ans, g = _recorded_inputs(node, g)
        vjps = prim.vjps
        nary = prim.nary
        for i, p in enumerate(node.parents):
            if p is None:
                continue
            rule = vjps[i] if not nary and i < len(vjps) else prim.vjp_rule(i)
            if rule is None:
                _no_rule(prim, "reverse", i)
            gi = rule(g, ans, *raws, **kw) if kw else rule(g, ans, *raws)
            try:
                same = gi.shape == p.shape
            except AttributeError:
                same = False
            if not same:
                gi = _unbroadcast(gi, p.shape)
            if anomaly and not np.all(np.isfinite(_value(gi))):
                _anomaly(node, i, gi)
            prev = adj.get(p)
            adj[p] = gi if prev is None else prev + gi
            c = counts[p] - 1
            counts[p] = c
            if c == 0:
                ready.append(p)
        if not retain_graph:
            node.args = node.raws = node.ans = node.kw = None   # kw: e.g. index arrays
    return found


def _run_hooks(node, g, create_graph):
    for h in node.hooks:
        res = h(g if isinstance(g, Tensor) else _make(g, None, 0, None))
        if res is not None:
            g = res if create_graph else (res.data if isinstance(res, Tensor) else res)
    return g


def _recorded_inputs(node, g):
    """The rules' inputs as tensors of the node's level, so the backward pass is recorded."""
    level = node.level
    raws = tuple(
        (_make(a.data, p, level, None) if p is not None else a.data)
        if isinstance(a, Tensor) and a._level == level else a
        for a, p in zip(node.args, node.parents))
    ans = _make(node.ans, node, level, None) if node.ans is not None else None
    if not isinstance(g, Tensor) or g._level != level:
        g = _make(g, None, level, None)
    return raws, ans, g


def _deposit(leaf, g, create_graph):
    t = leaf.ref()
    if t is None:
        return
    if not isinstance(g, Tensor):
        g = _make(g, None, 0, None)
    if g.dtype != leaf.dtype and np.issubdtype(leaf.dtype, np.inexact):
        g = g.astype(leaf.dtype)
    if leaf.mode == "write" or t.grad is None:
        t.grad = g if create_graph else _make(g.data, None, 0, None)
    else:
        if create_graph:
            t.grad = t.grad + g
        else:
            t.grad = _make(t.grad.data + g.data, None, 0, None)


# bound by chainrule.tensor once the Tensor class exists (the engine and the tensor need each
# other; late binding keeps imports out of the hot path)
Tensor = _make = _refresh_view = None
