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
from __future__ import annotations

import functools
import gc
import heapq
import itertools
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Literal, TypeVar

import numpy as np

if TYPE_CHECKING:
    from typing_extensions import ParamSpec
    P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "Primitive", "Node", "Leaf", "new_node", "apply", "apply1", "apply2", "apply_multi",
    "backward_pass", "set_grad_enabled", "no_grad", "enable_grad", "new_level", "watch_ops",
]


# --------------------------------------------------------------------------- state
class _State(threading.local):
    """Per-thread recording state."""

    training = False
    recording = False       # inside autograd.record() (MXNet's is_recording)
    anomaly = False
    off = False             # recording turned off in this thread (no_grad and friends)
    watcher = None          # see watch_ops

    @property
    def grad_enabled(self):
        return not self.off

    @grad_enabled.setter
    def grad_enabled(self, flag):
        off = not flag
        if off != self.off:
            with _off_lock:
                _threads_off[0] += 1 if off else -1
            self.off = off


# How many threads have recording off.  While none has, the hot path skips reading the
# thread-local state.  (A thread that ends inside no_grad only makes that check slower.)
_threads_off = [0]
_off_lock = threading.Lock()
STATE = _State()
_level_ids = itertools.count(1)   # level 0 is the tensor API; transforms take fresh ids
# One clock orders graph nodes and in-place writes.  Nodes are numbered as they are made, so
# a node's inputs always have smaller numbers: the backward pass visits nodes in decreasing
# order and needs no separate topological sort.  A node whose saved arrays were written in
# place after its number was drawn has a wrong gradient: the version check catches that.
_seq = itertools.count(1)
_last_write = [0]                 # clock time of the latest in-place write
_WRITES = {}                      # id(array) -> (weakref to the array, time of its last write)
_anomaly_threads = [0]            # threads inside detect_anomaly: skip the check when none
_anomaly_lock = threading.Lock()


def tick():
    """Advance the clock for an in-place write and return its time."""
    t = _last_write[0] = next(_seq)
    return t


def owner(arr):
    """The array that owns ``arr``'s memory (NumPy views point to it through ``.base``, and
    so do CuPy's); an array of another library without ``.base`` (Dask) is its own owner:
    a write into it changes that object alone.  ``None`` for numbers and NumPy scalars."""
    while isinstance(arr, Tensor):
        arr = arr.data
    if isinstance(arr, np.ndarray):
        while isinstance(arr.base, np.ndarray):
            arr = arr.base
        return arr
    if arr is None or isinstance(arr, (np.generic, int, float, complex)):
        return None
    kind = type(arr)
    base = getattr(arr, "base", None)
    while base is not None and type(base) is kind:
        arr = base
        base = getattr(arr, "base", None)
    return arr


def note_write(data):
    """Record that ``data``'s memory was written in place (called by every in-place write)."""
    t = tick()
    own = owner(data)
    if own is None:
        return t
    key = id(own)

    def forget(ref, key=key):
        entry = _WRITES.get(key)
        if entry is not None and entry[0] is ref:
            del _WRITES[key]
    try:
        ref = weakref.ref(own, forget)
    except TypeError:       # an array type without weak references: not worth a strong one
        return t
    _WRITES[key] = (ref, t)
    return t


def _written_after(x, time):
    own = owner(x)
    if own is None:
        return False
    entry = _WRITES.get(id(own))
    return entry is not None and entry[1] > time and entry[0]() is own


def new_level():
    """A fresh level id, higher than every level made before (so nesting order holds)."""
    return next(_level_ids)


class set_grad_enabled:
    """Turn recording on or off; works as a call, a context manager and a decorator.

    Examples
    --------
    >>> import chainrule as cr
    >>> with cr.set_grad_enabled(False):
    ...     cr.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool = True) -> None:
        self.prev = STATE.grad_enabled
        self.mode = bool(mode)
        STATE.grad_enabled = self.mode

    def __enter__(self) -> set_grad_enabled:
        STATE.grad_enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        STATE.grad_enabled = self.prev
        return False

    def __call__(self, fun: Callable[P, R]) -> Callable[P, R]:
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

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.tensor(1.0, requires_grad=True)
    >>> with cr.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)      # bare decorator: @cr.no_grad (as torch.no_grad)

    def __init__(self, orig_func=None) -> None:
        self.prev = STATE.grad_enabled
        self.mode = False

    def __enter__(self) -> no_grad:
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = False
        return self

    def __call__(self, fun: Callable[P, R]) -> Callable[P, R]:
        import functools

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fun(*args, **kwargs)
        return wrapper


class enable_grad(no_grad):
    """Context manager and decorator that turns recording on (inside ``no_grad``).

    Examples
    --------
    >>> import chainrule as cr
    >>> with cr.no_grad():
    ...     with cr.enable_grad():
    ...         cr.is_grad_enabled()
    True
    """

    def __init__(self, orig_func=None) -> None:
        self.prev = STATE.grad_enabled
        self.mode = True

    def __enter__(self) -> enable_grad:
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = True
        return self

    def __call__(self, fun: Callable[P, R]) -> Callable[P, R]:
        import functools

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fun(*args, **kwargs)
        return wrapper


# --------------------------------------------------------------------------- primitives
_SAME = object()     # "leave as declared" (a default that None cannot be: None keeps all)


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

    A primitive with ``multiple_results=True`` returns a tuple of arrays (``eigh``, ``svd``,
    ``divmod``); its tensors' outputs are a tuple of tensors.  Its rules see ``ans`` as that
    tuple; a VJP rule gets ``g`` as a tuple with one cotangent per output (zeros where an
    output was not used) and a JVP rule returns a tuple with one tangent per output.  Outputs
    that are not floating point (``frexp``'s exponent) carry no derivative.

    Variadic primitives (``nary=True``, such as ``concatenate``) get their argument number as
    the first parameter of each rule.  With ``joint_vjp=True`` the one VJP rule is called once
    per node for all inputs, ``vjp(g, ans, *args, **kwargs)``, and returns a sequence of
    cotangents (``None`` allowed): joins of thousands of pieces then cost one call, not one
    call (reading every input) per piece.

    What a node saves for the backward pass is declared, never read off the rules' code:
    ``keep`` (the inputs the VJP rules read, by name or position; ``None``: all) and
    ``keep_ans`` (whether they read the output).
    """

    __slots__ = ("name", "fn", "vjps", "jvps", "jvp_joint", "nary", "uses_ans", "needs",
                 "pullbacks", "same_shape", "keep1", "keep_a", "keep_b", "keep_ab", "nondiff",
                 "elementwise", "keep", "keep_ans", "vjp_joint", "joint_vjp", "frees",
                 "__weakref__")
    multiple_results = False

    def __new__(cls, *args, multiple_results=False, **kwargs):
        return object.__new__(MultiPrimitive if multiple_results and cls is Primitive else cls)

    def __init__(self, fn, name=None, nary=False, nondiff=False, elementwise=False, keep=None,
                 keep_ans=True, joint_vjp=False, multiple_results=False):
        self.fn = fn
        self.joint_vjp = joint_vjp
        self.vjp_joint = None
        self.nondiff = nondiff
        self.elementwise = elementwise   # broadcasting elementwise: the engine aligns tangents
        self.name = name or getattr(fn, "__name__", repr(fn))
        self.vjps = []
        self.jvps = []
        self.jvp_joint = None
        self.nary = nary
        self.keep = keep
        self.keep_ans = keep_ans
        self.defvjp()

    def __repr__(self):
        return f"<primitive {self.name}>"

    def __call__(self, *args, **kwargs):
        return apply(self, args, kwargs)

    # rules ---------------------------------------------------------------------------
    def defvjp(self, *rules, keep=_SAME, keep_ans=_SAME):
        """Set the VJP rules, one per positional argument (``None``: not differentiable).

        What the backward pass keeps is declared, not guessed: ``keep`` names the inputs the
        rules read (argument names of the rules, after ``g, ans``, or positions), either one
        tuple for all rules or one tuple per rule; ``None`` keeps every input.  ``keep_ans``
        says whether a rule reads the output.  Without them, the primitive's declarations
        stay (its constructor's: everything by default).  Names are turned into positions
        with the first rules given, so later rules (wrappers, say) need not name them.
        """
        if keep is not _SAME:
            self.keep = keep
        if keep_ans is not _SAME:
            self.keep_ans = keep_ans
        self.vjps = list(rules)
        if self.multiple_results:
            rules = tuple(r if r is None else _multi_rule(r) for r in rules)
        if self.joint_vjp:
            self.vjp_joint = rules[0] if rules else None
            rules = ()
        # what the backward pass calls: rule i for input i, the shared identity where a
        # rule only passes g on (the pass then skips the call), per-index rules if variadic
        self.pullbacks = _NaryRules(self, rules[0]) if self.nary and rules else tuple(
            identity if r is identity else _no_rule_for(self, i) if r is None else r
            for i, r in enumerate(rules))
        # a one-input elementwise primitive gives each input gradient the input's shape
        self.same_shape = self.elementwise and len(rules) == 1
        self.uses_ans = bool(self.keep_ans) and (
            any(r is not None for r in rules) or self.vjp_joint is not None)
        self.needs = _declared_needs(self, rules)
        # what the fast paths of apply() save, by which inputs are recorded: one input; two
        # inputs, the first, the second or both recorded
        self.keep1 = _kept(self, (True,), (True,))[0] is not None
        self.keep_a, self.keep_b, self.keep_ab = (
            tuple(r is not None for r in _kept(self, parents, (True, True)))
            for parents in ((True, None), (None, True), (True, True)))
        self.frees = _frees(self)
        return self

    def defjvp(self, *rules, joint=None):
        self.jvps = list(rules)
        if joint is not None:
            self.jvp_joint = joint
        return self

    def jvp_rule(self, i):
        if self.nary:
            rule = self.jvps[0] if self.jvps else None
            if rule is None:
                return None
            return lambda t, ans, *args, **kw: rule(i, t, ans, *args, **kw)
        jvps = self.jvps
        return jvps[i] if i < len(jvps) else None


class MultiPrimitive(Primitive):
    """A primitive whose implementation returns a tuple of arrays (see :class:`Primitive`):
    ``Primitive(fn, multiple_results=True)`` makes one."""

    __slots__ = ()
    multiple_results = True


def _multi_rule(rule):
    """A multiple-results VJP rule as the backward pass calls it: ``g`` arrives as the
    collected cotangents of the outputs, and the rule sees them as a tuple."""
    def run(g, ans, *args, **kwargs):
        return rule(g.parts() if type(g) is Cotangents else g, ans, *args, **kwargs)
    run.rule = rule
    return run


class Cotangents:
    """The cotangents collected for the outputs of a multiple-results node (``None`` for an
    output not reached yet); adding two merges them output by output."""

    __slots__ = ("like", "items")

    def __init__(self, like, items):
        self.like = like            # ((shape, dtype), ...) of the outputs
        self.items = items

    def __add__(self, other):
        items = self.items
        for i, b in enumerate(other.items):
            if b is not None:
                a = items[i]
                items[i] = b if a is None else a + b
        return self

    def parts(self):
        """One cotangent per output, zeros where none arrived (in the library of those that
        did: CuPy's zeros for CuPy cotangents)."""
        from .arrays import zeros_as        # engine.py imports no other chainrule module
        like = next(g for g in self.items if g is not None)
        return tuple(zeros_as(like, s, d) if g is None else g
                     for g, (s, d) in zip(self.items, self.like))


def _select_rule(g, ans, base, i, like):
    """The VJP of output ``i`` of a multiple-results node: ``g`` in its place."""
    items = [None] * len(like)
    items[i] = g
    return Cotangents(like, items)


def identity(g, ans, *args, **kwargs):
    """The VJP rule of an input that the output depends on with derivative 1 (the backward
    pass passes ``g`` on without calling it)."""
    return g


def _param_names(rules, nary):
    """The input names of the rules' signatures (after ``g, ans``; after ``i, g, ans`` for a
    variadic primitive), from the first rule that has a plain signature."""
    import inspect
    skip = 3 if nary else 2
    for r in rules:
        while hasattr(r, "rule"):       # a wrapper made by defvjp: the rule it wraps
            r = r.rule
        if r is None or r is identity:
            continue
        try:
            params = list(inspect.signature(r).parameters.values())
        except (TypeError, ValueError):
            continue
        if any(p.kind is p.VAR_POSITIONAL for p in params[:skip + 1]):
            continue
        return [p.name for p in params[skip:]
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return []


def _positions(prim, names, wanted):
    """The positions of the inputs in ``wanted`` (names or positions)."""
    out = []
    for w in wanted:
        if isinstance(w, str):
            if w not in names:
                raise ValueError(f"'{prim.name}' declares keep={prim.keep!r}, but its rules "
                                 f"have no input named {w!r} (they name {names})")
            out.append(names.index(w))
        else:
            out.append(int(w))
    return tuple(sorted(set(out)))


def _declared_needs(prim, rules):
    """For each rule, the positions of the forward inputs it reads (``None``: all)."""
    keep = prim.keep
    if not rules:
        return ()
    if keep is None or prim.nary:
        return tuple(() if r is None else None for r in rules)
    names = _param_names(rules, prim.nary)
    per_rule = bool(keep) and all(k is None or isinstance(k, (tuple, list)) for k in keep)
    if per_rule:
        if len(keep) != len(rules):
            raise ValueError(f"'{prim.name}' declares {len(keep)} keep tuples for "
                             f"{len(rules)} rules")
        prim.keep = tuple(None if k is None else _positions(prim, names, k) for k in keep)
        return tuple(() if r is None else k for r, k in zip(rules, prim.keep))
    prim.keep = shared = _positions(prim, names, keep)
    return tuple(() if r is None else shared for r in rules)


def _frees(prim):
    """Whether the backward pass frees what a node of ``prim`` saved, decided once here, not
    per node: True if every node saves an array (the output, or an input for each rule),
    False if none saves any (only keyword values such as index arrays may be freed), None
    if that depends on the node (its saved inputs are looked at)."""
    if prim.uses_ans or prim.vjp_joint is not None:
        return True
    needs = prim.needs
    if all(need == () for need in needs):
        return False
    n = len(needs)      # one rule per positional input: positions past it are keywords
    if all(need is None or any(j < n for j in need) for need in needs):
        return True
    return None


def _no_rule_for(prim, i):
    """A rule that says input ``i`` of ``prim`` has no derivative rule (it holds ``prim``
    weakly: the primitive holds it, and a cycle would outlive a checkpoint made in a loop)."""
    ref = weakref.ref(prim)

    def missing(g, ans, *args, **kwargs):
        _no_rule(ref(), "reverse", i)
    return missing


class _NaryRules:
    """Rule ``i`` of a variadic primitive: its one rule with ``i`` bound (made once per i)."""

    def __init__(self, prim, rule):
        self.rule = rule
        self.prim = weakref.ref(prim)
        self.bound = []

    def __getitem__(self, i):
        bound = self.bound
        while len(bound) <= i:
            k = len(bound)
            bound.append(functools.partial(self.rule, k) if self.rule is not None
                         else _no_rule_for(self.prim(), k))
        return bound[i]


def primitive_from(fn, vjp=(), jvp=(), name=None, nary=False, joint=None, nondiff=False,
                   elementwise=False, keep=None, keep_ans=True, joint_vjp=False,
                   multiple_results=False):
    """Declare a primitive with its rules in one place (the rule tables use this)."""
    p = Primitive(fn, name=name, nary=nary, nondiff=nondiff, elementwise=elementwise,
                  keep=keep, keep_ans=keep_ans, joint_vjp=joint_vjp,
                  multiple_results=multiple_results)
    p.defvjp(*vjp)
    p.defjvp(*jvp, joint=joint)
    return p


# --------------------------------------------------------------------------- graph
class Leaf:
    """Where a leaf tensor's gradient arrives; ``mode`` is 'add' (PyTorch) or 'write' (MXNet)."""

    __slots__ = ("ref", "mode", "shape", "dtype", "hooks", "seq", "__weakref__")
    prim = None             # what tells a leaf from a Node in the backward pass

    def __init__(self, tensor, mode="add"):
        self.ref = weakref.ref(tensor)
        self.mode = mode
        self.shape = np.shape(tensor.data)
        self.dtype = tensor.dtype
        self.hooks = None
        self.seq = next(_seq)

    def __repr__(self):
        return "<leaf>"


class Node:
    """One recorded operation: the primitive, the nodes of its inputs, and what it saved.

    ``raws`` are the input values the VJP rules read, at this node's level (``None`` in the
    places no rule of a recorded input reads, so the graph keeps no more arrays than the
    gradient needs); ``ans`` is the output, kept only if a rule reads it.  ``seq`` orders
    nodes: every input of a node was made before it.  Made by :func:`new_node`.
    """

    __slots__ = ("prim", "parents", "raws", "kw", "ans", "shape", "seq", "level", "hooks",
                 "origin", "__weakref__")

    def __repr__(self):
        return f"<node {self.prim.name}>"


_next_seq = _seq.__next__


def new_node(prim, parents, raws, kw, ans, level, shape=None):
    """Record one operation (a plain function, not ``Node(...)``: it runs once per op).
    ``shape``: the output's shape where ``ans`` has none (a multiple-results node, whose
    ``ans`` is a tuple: ``()``)."""
    if not prim.vjps:
        _no_rule(prim, "reverse")
    n = Node()          # Node has no __init__: cheaper than object.__new__(Node)
    n.prim = prim
    n.parents = parents
    n.raws = raws
    n.kw = kw
    n.ans = ans if prim.uses_ans else None
    try:
        n.shape = ans.shape
    except AttributeError:
        n.shape = np.shape(ans) if shape is None else shape
    n.seq = _next_seq()
    n.level = level
    n.hooks = None
    if _anomaly_threads[0] and STATE.anomaly:
        n.origin = user_line()      # unset otherwise (read by _anomaly only)
    return n


def _kept(prim, parents, raws):
    """``raws`` with ``None`` where no VJP rule of a recorded input reads the value."""
    needs = prim.needs
    keep = set()
    for i, p in enumerate(parents):
        if p is not None:
            # past the per-rule needs (n-ary and joint rules): all, unless keep=() says none
            need = needs[i] if i < len(needs) else (None if prim.keep != () else ())
            if need is None:
                return tuple(raws)
            keep.update(need)
    return tuple(r if j in keep else None for j, r in enumerate(raws))


# --------------------------------------------------------------------------- anomalies
class detect_anomaly:
    """Find where a gradient first becomes NaN or infinite.

    Inside this context every recorded operation remembers the line of user code that made
    it, and the backward pass checks each gradient it computes; the first one that is not
    finite raises ``FloatingPointError`` naming the operation and that line.  The state is
    per thread; it also works as a decorator (``@cr.detect_anomaly()``) and inside the
    transforms (``cr.grad`` ...).  Gradients that are exactly zero where a rule's derivative is
    infinite (a masked-out ``sqrt(0)``) are zero, not NaN, so they are not anomalies.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor([0.0, 1.0], requires_grad=True)
    >>> with cr.detect_anomaly():
    ...     y = np.sqrt(x).sum()
    ...     y.backward()                                   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FloatingPointError: the gradient computed by 'sqrt' ... y = np.sqrt(x).sum()...
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = bool(enabled)

    def __enter__(self) -> detect_anomaly:
        self.prev = STATE.anomaly
        STATE.anomaly = self.enabled
        with _anomaly_lock:
            _anomaly_threads[0] += 1
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        STATE.anomaly = self.prev
        with _anomaly_lock:
            _anomaly_threads[0] -= 1
        return False

    def __call__(self, fun: Callable[P, R]) -> Callable[P, R]:
        """Use as a decorator: ``fun`` runs with anomaly detection (on or off)."""
        import functools
        enabled = self.enabled

        @functools.wraps(fun)
        def wrapper(*args, **kwargs):
            with detect_anomaly(enabled):
                return fun(*args, **kwargs)
        return wrapper


_PKG_DIR = __file__.rsplit("/", 1)[0]


def user_line():
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
    where = getattr(node, "origin", None) or "(made outside detect_anomaly: no line recorded)"
    kind = "NaN" if np.any(np.isnan(_value(gi))) else "an infinite value"
    raise FloatingPointError(
        f"the gradient computed by '{node.prim.name}' for its input {i} contains {kind}. The "
        f"operation was made at {where}. Check the inputs of that operation (e.g. sqrt or "
        "log at 0, division by 0) or clip them away from the bad point.")


def _finite(g):
    if type(g) is Cotangents:
        return all(_finite(x) for x in g.items if x is not None)
    return np.all(np.isfinite(_value(g)))


def _value(x):
    while isinstance(x, Tensor):
        x = x.data
    return x


# --------------------------------------------------------------------------- forward
def apply(prim, args, kw):
    """Run ``prim`` on ``args``: value, reverse-mode record and forward-mode tangent."""
    if prim.multiple_results:
        return _apply_general(prim, args, kw)
    if len(args) == 1:
        return apply1(prim, args[0], kw)
    if len(args) == 2 and not kw:
        return apply2(prim, args[0], args[1])
    return _apply_general(prim, args, kw)


# The two fast paths below handle what nearly every operation is: one or two inputs, tensors
# of one level (or constants), no stale views (a view whose base was written in place since
# its graph was made), no forward-mode tangents.  Anything else goes to _apply_general, which
# does the same for any number of inputs, levels, views and tangents.
def apply1(prim, a, kw=None):
    """``apply`` for one positional input (and keywords: the reductions, reshapes, indexing)."""
    if not isinstance(a, Tensor) or a._base is not None and a._vsnap != a._vc[0] or \
            a._tangent is not None:
        return _apply_general(prim, (a,), kw)
    x = a.data
    ans = prim.fn(x, **kw) if kw else prim.fn(x)
    level = a._level
    pa = a._node
    if pa is None or prim.nondiff or _threads_off[0] and STATE.off:
        return _make(ans, None, level, None)
    return _make(ans, new_node(prim, (pa,), (x if prim.keep1 else None,), kw, ans, level),
                 level, None)


def apply2(prim, a, b):
    """``apply`` for two positional inputs and no keywords (the binary operators)."""
    if isinstance(a, Tensor):
        if a._base is not None and a._vsnap != a._vc[0] or a._tangent is not None:
            return _apply_general(prim, (a, b), None)
        if isinstance(b, Tensor):
            if b._level != a._level or b._base is not None and b._vsnap != b._vc[0] or \
                    b._tangent is not None:
                return _apply_general(prim, (a, b), None)
            pb = b._node
            b = b.data
        else:
            pb = None
        pa = a._node
        level = a._level
        a = a.data
    elif isinstance(b, Tensor):
        if b._base is not None and b._vsnap != b._vc[0] or b._tangent is not None:
            return _apply_general(prim, (a, b), None)
        pa = None
        pb = b._node
        level = b._level
        b = b.data
    else:
        return prim.fn(a, b)
    ans = prim.fn(a, b)
    if pa is None:
        if pb is None:
            return _make(ans, None, level, None)
        keep = prim.keep_b
    else:
        keep = prim.keep_ab if pb is not None else prim.keep_a
    if prim.nondiff or _threads_off[0] and STATE.off:
        return _make(ans, None, level, None)
    return _make(ans, new_node(prim, (pa, pb), (a if keep[0] else None, b if keep[1] else None),
                               None, ans, level), level, None)


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
        return prim.fn(*args, **kw) if kw else prim.fn(*args)
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
    if prim.multiple_results:
        return _multi_outputs(prim, args, kw, raws, parents, recorded, tangent, tuple(ans), top)
    node = None
    if prim.nondiff:
        tangent = None
    else:
        if recorded and not STATE.off:
            node = new_node(prim, tuple(parents), _kept(prim, parents, raws), kw, ans, top)
        if tangent:
            tangent = _push_tangents(prim, args, raws, kw or {}, ans, top)
        else:
            tangent = None
    out = _make(ans, node, top, tangent)
    if _watching[0] and STATE.watcher is not None:
        STATE.watcher(prim, args, kw, out)
    return out


class watch_ops:
    """Call ``watcher(prim, args, kw, out)`` for every operation that takes the general path
    of :func:`apply` in this thread (all of them while an input carries a forward-mode
    tangent, as inside :func:`chainrule.jvp`); ``chainrule.visual`` traces graphs with it.
    """

    def __init__(self, watcher):
        self.watcher = watcher

    def __enter__(self):
        self.prev = STATE.watcher
        STATE.watcher = self.watcher
        with _off_lock:
            _watching[0] += 1
        return self

    def __exit__(self, *exc):
        STATE.watcher = self.prev
        with _off_lock:
            _watching[0] -= 1
        return False


_watching = [0]     # threads inside watch_ops: the general path skips the check when none


def apply_multi(prim, args, kw):
    """``apply`` for a primitive with several outputs: a tuple of tensors.

    One node records the operation; each output tensor gets a small node of its own whose
    rule puts the output's cotangent in its place among the node's (:class:`Cotangents`).
    The inputs are gathered as for any operation (the general path of :func:`apply`).
    """
    return _apply_general(prim, args, kw)


def _multi_outputs(prim, args, kw, raws, parents, recorded, tangent, ans, top):
    """The output tensors of a multiple-results primitive, once :func:`_apply_general` has
    gathered its inputs and computed ``ans`` (a tuple)."""
    if prim.nondiff:
        return tuple(_make(a, None, top, None) for a in ans)
    like = tuple((np.shape(a), _dtype(a)) for a in ans)
    nodes = (None,) * len(ans)
    if recorded and not STATE.off:
        node = new_node(prim, tuple(parents), _kept(prim, parents, raws), kw, ans, top, ())
        nodes = _output_nodes(node, like, top)
    tangents = (None,) * len(ans)
    if tangent:
        tangents = _push_tangents(prim, args, raws, kw or {}, ans, top)
    return tuple(_make(a, n, top, t if _inexact(d) else None)
                 for a, n, t, (s, d) in zip(ans, nodes, tangents, like))


def _dtype(a):
    d = getattr(a, "dtype", None)
    return d if d is not None else np.result_type(a)


def _inexact(dtype):
    return dtype.kind in "fc"


# the primitive of the nodes that pick one output of a multiple-results node
_select = Primitive(None, name="output", keep=(), keep_ans=False)
_select.defvjp(_select_rule)
_select.same_shape = True       # its rule hands g on as it is


def _output_nodes(node, like, level):
    """One node per floating-point output of multiple-results ``node`` (None for others)."""
    out = []
    for i, (shape, dtype) in enumerate(like):
        if not _inexact(dtype):
            out.append(None)
            continue
        out.append(new_node(_select, (node,), (None,), {"i": i, "like": like}, None, level,
                            shape))
    return tuple(out)


def _ndim(x):
    return len(np.shape(x))


def _push_tangents(prim, args, raws, kw, ans, top):
    """The output tangent: the sum of the JVP rules of the inputs that carry a tangent.

    Tangents have the shape ``batch + value.shape``; for broadcasting elementwise primitives
    the engine lines each tangent up with the output first, so rules need not care.
    """
    tangents = [a._tangent if isinstance(a, Tensor) and a._level == top else None for a in args]
    batch = None
    multi = prim.multiple_results
    if prim.elementwise:
        out_nd = _ndim(ans[0] if multi else ans)
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
            out = ti if out is None else (
                tuple(_add_tangent(a, b) for a, b in zip(out, ti)) if multi else out + ti)
    if batch is not None:
        if multi:
            return tuple(_batch_broadcast(o, batch, a) for o, a in zip(out, ans))
        out = _batch_broadcast(out, batch, ans)
    return out


def _batch_broadcast(out, batch, ans):
    """The tangent ``out`` broadcast to ``batch + ans.shape`` (a rule may give less)."""
    full = batch + np.shape(ans)
    if out is not None and np.shape(out) != full:
        out = np.broadcast_to(out, full)
    return out


def _add_tangent(a, b):
    return b if a is None else a if b is None else a + b


def _no_rule(prim, mode, i=None):
    which = "" if i is None else f" for argument {i}"
    fn = "cr.defvjp" if mode == "reverse" else "cr.defjvp"
    raise TypeError(
        f"chainrule has no {mode}-mode derivative rule{which} of '{prim.name}'. "
        f"Give it one with {fn}(...), or detach the input (x.detach()) if no gradient "
        "should flow through it.")


# --------------------------------------------------------------------------- backward
def unbroadcast(g, shape):
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
    """Raise if an array this node saved was written in place after the node was made."""
    seq = node.seq
    for j, r in enumerate(node.raws):
        if r is not None and _written_after(r, seq):
            _inplace_error(node, f"input {j}")
    ans = node.ans
    for a in (ans if type(ans) is tuple else (ans,)):
        if a is not None and _written_after(a, seq):
            _inplace_error(node, "its output")


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


class _gc_paused:
    """Pause Python's cyclic garbage collector while backward passes run.

    A backward pass makes no reference cycles, but it allocates as it goes, and on a graph of
    millions of nodes the collector would walk the whole graph again and again.  Nested and
    concurrent passes are counted: the collector comes back when the last one ends, and only
    if it was on when the first one started.
    """

    depth = 0
    resume = False
    lock = threading.Lock()

    def __enter__(self):
        with self.lock:
            if _gc_paused.depth == 0:
                _gc_paused.resume = gc.isenabled()
                gc.disable()
            _gc_paused.depth += 1

    def __exit__(self, *exc):
        with self.lock:
            _gc_paused.depth -= 1
            if _gc_paused.depth == 0 and _gc_paused.resume:
                gc.enable()
        return False


def backward_pass(roots, grads, retain_graph=False, create_graph=False, targets=None,
                  prune=False):
    """Propagate ``grads`` from the ``roots`` nodes back through the graph (see _backward).

    ``prune=True`` (with ``targets``) visits only the nodes that lead to a target, as
    PyTorch's ``autograd.grad`` and ``backward(inputs=...)`` do: the hooks (and
    ``retain_grad``) of other nodes do not run, and no work is spent on them."""
    keep = _leading_to(roots, targets) if prune and targets is not None else None
    # NumPy's floating-point warnings are off: a derivative that is infinite where the
    # cotangent is 0 (a masked-out sqrt(0)) is no problem; rules warn where it is one
    with _gc_paused(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _backward(roots, grads, retain_graph, create_graph, targets, keep)


def _leading_to(roots, targets):
    """The nodes from which one of ``targets`` is reached through parents (an iterative
    depth-first search: graphs may be millions of nodes deep)."""
    want = set(targets)
    leads = {}
    stack = [(r, False) for r in roots]
    while stack:
        node, done = stack.pop()
        if done:
            leads[node] = node in want or any(
                leads.get(p, False) for p in getattr(node, "parents", ()) if p is not None)
            continue
        if node in leads:
            continue
        leads[node] = False         # on the current path; a DAG never meets it again there
        stack.append((node, True))
        for p in getattr(node, "parents", ()):
            if p is not None and p not in leads:
                stack.append((p, False))
    return {n for n, v in leads.items() if v}


def _backward(roots, grads, retain_graph, create_graph, targets, keep=None):
    """Propagate ``grads`` from the ``roots`` nodes back through the graph.

    Nodes are visited in decreasing ``seq``, so each one is reached after every node that
    consumed it has added its part to its adjoint.  Without ``targets``, gradients are
    deposited into the leaves' ``.grad``.  With ``targets`` (a list of nodes), the adjoints
    of those nodes are returned as a list (``None`` where a target was not reached) and no
    ``.grad`` is touched.  With ``create_graph`` the rules run on tensors, so the result is
    differentiable again.
    """
    adj = {}
    heap = []
    push, pop = heapq.heappush, heapq.heappop
    for r, g in zip(roots, grads):
        if r in adj:
            adj[r] = adj[r] + g
        else:
            adj[r] = g
            push(heap, (-r.seq, r))
    want = found = None
    if targets is not None:
        want = {t: i for i, t in enumerate(targets)}
        found = [None] * len(targets)
    last_write = _last_write[0]
    anomaly = STATE.anomaly
    while heap:
        node = pop(heap)[1]
        g = adj.pop(node)
        if node.hooks:
            g = _run_hooks(node, g, create_graph)
        if want is not None and node in want:
            found[want[node]] = g
        prim = node.prim
        if prim is None:                        # a leaf
            if want is None:
                _deposit(node, g, create_graph)
            continue
        raws = node.raws
        if raws is None:
            _freed_error(node)
        if last_write > node.seq:
            _check_versions(node)
        ans = node.ans
        kw = node.kw
        if create_graph:
            raws, ans, g = _recorded_inputs(node, g)
        pullbacks = prim.pullbacks
        same_shape = prim.same_shape
        nraw = len(raws)
        if prim.vjp_joint is not None:      # one call for all inputs (joins): rare
            gis, pullbacks = _joint_vjp(prim, g, ans, raws, kw)
        i = -1
        for p in node.parents:
            i += 1
            if p is None or keep is not None and p not in keep:
                continue
            try:
                rule = pullbacks[i]
            except IndexError:
                _no_rule(prim, "reverse", i)
            # calls with positional arguments are the cheap ones in CPython: use them
            try:
                if rule is identity:
                    gi = g
                elif rule is _given:
                    gi = gis[i]
                    if gi is None:
                        continue
                elif kw:
                    gi = rule(g, ans, *raws, **kw)
                elif nraw == 2:
                    gi = rule(g, ans, raws[0], raws[1])
                elif nraw == 1:
                    gi = rule(g, ans, raws[0])
                else:
                    gi = rule(g, ans, *raws)
            except (TypeError, ValueError, NotImplementedError) as e:
                _library_error(node, i, g, raws, e)
                raise
            if not same_shape:
                try:
                    same = gi.shape == p.shape
                except AttributeError:
                    same = False
                if not same:
                    gi = unbroadcast(gi, p.shape)
            if anomaly and not _finite(gi):
                _anomaly(node, i, gi)
            prev = adj.get(p)
            if prev is None:
                adj[p] = gi
                push(heap, (-p.seq, p))
            else:
                adj[p] = prev + gi
        if not retain_graph:
            # free what it saved (kw: e.g. index arrays); a node that saved nothing stays
            # usable, as in PyTorch (y = (x + 1).sum() may be backed through twice).  What
            # a primitive's nodes save is known from its declarations (Primitive.frees);
            # the node itself is looked at only where it depends on the call
            frees = prim.frees
            if frees or kw and _holds_array(kw) or frees is None and _saved_any(node):
                node.raws = node.ans = node.kw = None
    return found


def _given(g, ans, *args, **kwargs):
    """The rule the backward pass sees for each input of a ``joint_vjp`` primitive: its
    cotangent was computed with the others', by the primitive's one rule (never called)."""
    raise AssertionError("the backward pass takes joint cotangents as given")


def _joint_vjp(prim, g, ans, raws, kw):
    """The cotangents of all inputs of a ``joint_vjp`` node from its one rule, and the
    per-input rules that say so (:func:`_given`)."""
    joint = prim.vjp_joint
    gis = joint(g, ans, *raws, **kw) if kw else joint(g, ans, *raws)
    return gis, (_given,) * len(raws)


def _saved_any(node):
    """Whether ``node`` saved an input or its output."""
    if node.ans is not None:
        return True
    for r in node.raws:
        if r is not None:
            return True
    return False


def _holds_array(kw):
    plain = _PLAIN_TYPES
    for v in kw.values():
        if v.__class__ not in plain and _is_data(v):
            return True
    return False


# keyword values that are never arrays, by exact type (the common ones: a set lookup)
_PLAIN_TYPES = frozenset((bool, int, float, complex, str, slice, type(None), type(Ellipsis)))


def _is_data(v):
    """Whether a keyword value holds arrays (index arrays...), not just numbers and slices."""
    if isinstance(v, tuple):
        for u in v:
            if u.__class__ not in _PLAIN_TYPES and _is_data(u):
                return True
        return False
    return not isinstance(v, (int, float, complex, str, slice, type(None), type(Ellipsis),
                              np.generic, np.dtype, type))


def _library_error(node, i, g, raws, error):
    """Name the array library when a rule failed on an array of a library other than NumPy
    (a function that library lacks); NumPy's own errors pass through unchanged."""
    from .arrays import UnsupportedArrayOperation, is_other, unsupported
    if isinstance(error, UnsupportedArrayOperation):
        return
    for x in (g,) + tuple(raws):
        x = _value(x)
        if is_other(x):
            raise unsupported(x, f"the gradient of '{node.prim.name}' (for its input {i})",
                              error) from error


def _run_hooks(node, g, create_graph):
    for h in node.hooks:
        res = h(g if isinstance(g, Tensor) else _make(g, None, 0, None))
        if res is not None:
            g = res if create_graph else (res.data if isinstance(res, Tensor) else res)
    return g


def _recorded_inputs(node, g):
    """The rules' inputs as tensors of the node's level, so the backward pass is recorded."""
    level = node.level
    raws = tuple(_make(r, p, level, None) if p is not None and r is not None else r
                 for r, p in zip(node.raws, node.parents))
    ans = node.ans
    if type(ans) is tuple:          # a multiple-results node: its outputs, recorded anew
        like = tuple((np.shape(a), _dtype(a)) for a in ans)
        ans = tuple(_make(a, n, level, None) if n is not None else a
                    for a, n in zip(ans, _output_nodes(node, like, level)))
    elif ans is not None:
        ans = _make(ans, node, level, None)
    if type(g) is Cotangents:
        g = Cotangents(g.like, [x if x is None or isinstance(x, Tensor) and x._level == level
                                else _make(x, None, level, None) for x in g.items])
    elif not isinstance(g, Tensor) or g._level != level:
        g = _make(g, None, level, None)
    return raws, ans, g


def _deposit(leaf, g, create_graph):
    t = leaf.ref()
    if t is None:
        return
    if leaf.dtype.kind == "c":
        g = np.conj(g)      # .grad is PyTorch's convention (SPEC section 5); the engine's JAX's
    elif _is_complex(g):
        g = np.real(g)      # a real leaf's gradient is the real part of its cotangent
    if not isinstance(g, Tensor):
        g = _make(g, None, 0, None)
    if g.dtype != leaf.dtype and np.issubdtype(leaf.dtype, np.inexact):
        g = g.astype(leaf.dtype)
    old = t.grad
    if leaf.mode == "write" or old is None:
        t.grad = g if create_graph else _make(g.data, None, 0, None)
    elif create_graph:
        t.grad = old + g
    elif old._node is None and not old._level and old._base is None and \
            np.shape(old.data) == np.shape(g.data):
        old.data = old.data + g.data    # the same .grad tensor, as PyTorch: a held one sees it
    else:
        t.grad = _make(old.data + g.data, None, 0, None)


def _is_complex(g):
    """``np.iscomplexobj(g)``, without its dispatch for what has a dtype (arrays, tensors)."""
    dtype = getattr(g, "dtype", None)
    return dtype.kind == "c" if isinstance(dtype, np.dtype) else np.iscomplexobj(g)


# bound by chainrule.tensor once the Tensor class exists (the tensor is built on the engine,
# so the engine cannot import it; late binding also keeps imports out of the hot path)
Tensor = _make = _refresh_view = None


def bind_tensor(tensor_class, make, refresh_view):
    """Tell the engine the tensor class, its constructor ``make(data, node, level, tangent)``
    and how a view catches up with its base (``chainrule.tensor`` calls this once)."""
    global Tensor, _make, _refresh_view
    Tensor, _make, _refresh_view = tensor_class, make, refresh_view
