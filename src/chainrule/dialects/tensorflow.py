"""TensorFlow's spelling: ``cr.Variable`` and ``cr.GradientTape``.

The engine records every operation on a tensor that requires grad, whether a tape is open
or not.  A tape gives that record TensorFlow's meaning: it remembers when it was recording
(its *windows* on the engine's clock, which numbers every graph node as it is made) and from
when it watched each tensor and variable, and its ``gradient`` counts an operation only if it
was made in a window from at least one input watched at that moment (TensorFlow's rule); every
other operation is a constant.  So a target computed before the tape, or inside
``stop_recording()``, carries no gradient, as in TensorFlow.  (The constants are unhooked from
their inputs for the duration of the backward sweep: two threads must not differentiate
through one graph at the same moment, with a tape in one of them.)  Gradients are computed by
:func:`chainrule.autograd.grad` (so the tensor API's complex convention applies), with
``create_graph`` whenever a tape is recording, so nested tapes give higher derivatives.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> x = cr.Variable(3.0)
>>> with cr.GradientTape() as tape:
...     y = x ** 2
>>> tape.gradient(y, x)
Tensor(6.)
>>> c = cr.tensor(2.0)                   # a plain tensor is watched only when asked
>>> with cr.GradientTape() as g:
...     g.watch(c)
...     with cr.GradientTape() as gg:
...         gg.watch(c)
...         y = c ** 3
...     dy = gg.gradient(y, c)            # recorded by g: a second derivative follows
>>> float(dy), float(g.gradient(dy, c))
(12.0, 12.0)
"""
import enum
import threading
import warnings
import weakref

import numpy as np

from .. import autograd
from ..engine import Leaf
from ..pytree import tree_flatten
from ..arrays import is_other
from ..tensor import Tensor, plain, tensor

__all__ = ["Variable", "GradientTape", "UnconnectedGradients"]


# ---------------------------------------------------------------------- the clock
_CLOCK = tensor(0.0)


def _now():
    """The engine's clock: graph nodes made after this call have larger ``seq`` numbers
    (a Leaf draws its number from the same counter as the nodes)."""
    return Leaf(_CLOCK).seq


class _Local(threading.local):
    def __init__(self):
        self.tapes = []          # the tapes recording in this thread, innermost last


_LOCAL = _Local()
_TAPE_LEAVES = weakref.WeakSet()     # leaves a tape made by watching a plain tensor


# ---------------------------------------------------------------------- nested structures
def _flatten(tree):
    """The leaves of a nest of tensors (tuples, lists, dicts; dict keys sorted, as
    ``tf.nest`` does) and a function that rebuilds the nest from new leaves.  ``None`` is a
    leaf here, not an empty subtree: a source or target that is ``None`` is reported, not
    dropped."""
    return tree_flatten(tree, is_leaf=_is_none)


def _is_none(x):
    return x is None


# ---------------------------------------------------------------------- Variable
_DATA = Tensor.data          # the slot that holds a tensor's values


class Variable(Tensor):
    """A trainable value (``tf.Variable``): a leaf tensor that requires grad.

    Reading it inside a :class:`GradientTape` makes the tape watch it (unless the tape was
    made with ``watch_accessed_variables=False``).  ``assign``, ``assign_add`` and
    ``assign_sub`` change its value; they are allowed while tapes record (an in-place write
    on a leaf tensor is not), the tape sees the new value in what is computed afterwards,
    and, as in TensorFlow, no gradient flows through an assignment: what was read before it
    keeps the old value, and the assigned expression is not differentiated.

    Examples
    --------
    >>> import chainrule as cr
    >>> v = cr.Variable([1.0, 2.0])
    >>> v
    <cr.Variable 'Variable:0' shape=(2,) dtype=float64, numpy=array([1., 2.])>
    >>> with cr.GradientTape() as tape:
    ...     _ = v.assign_add([1.0, 1.0])      # returns v
    ...     y = (v * v).sum()
    >>> tape.gradient(y, v)
    Tensor([4., 6.])
    """

    __slots__ = ("_name", "_trainable")

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None):
        if initial_value is None:
            raise ValueError("a Variable needs an initial_value (a number, list, array or tensor)")
        if callable(initial_value):
            initial_value = initial_value()
        if isinstance(initial_value, Tensor):
            initial_value = plain(initial_value)
        if is_other(initial_value):     # a CuPy or Dask array: a copy in its own library
            value = initial_value.astype(dtype) if dtype is not None else initial_value.copy()
        else:
            value = np.array(initial_value, dtype=dtype)
        Tensor.__init__(self, value)
        if shape is not None and tuple(shape) != self.shape:
            raise ValueError(f"initial_value has shape {self.shape}, not the shape {tuple(shape)} "
                             "given")
        self._name = "Variable:0" if name is None else (name if ":" in name else f"{name}:0")
        self._trainable = bool(trainable)
        if trainable and np.issubdtype(self.dtype, np.inexact):
            self.requires_grad_(True)

    # reads are what a tape watches (TensorFlow watches a trainable variable when it is read)
    @property
    def data(self):
        tapes = _LOCAL.tapes
        if tapes:
            for tape in tapes:
                tape._accessed(self)
        return _DATA.__get__(self)

    @data.setter
    def data(self, value):
        _DATA.__set__(self, value)

    @property
    def name(self):
        return self._name

    @property
    def trainable(self):
        return self._trainable

    def __repr__(self):
        arr = np.array(_DATA.__get__(self))
        return (f"<cr.Variable '{self._name}' shape={self.shape} dtype={self.dtype}, "
                f"numpy={arr!r}>")

    __str__ = __repr__

    def numpy(self):
        """A copy of the current value, as an ndarray (as TensorFlow's ``numpy()``)."""
        return np.array(_DATA.__get__(self))

    def value(self):
        """The current value as a tensor (a differentiable read)."""
        return self.copy()

    read_value = value

    # ------------------------------------------------------------------ assignment
    def _new_value(self, value, what):
        if isinstance(value, Tensor):
            value = value.detach().numpy()
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"{what}: a Variable holds numbers, got {type(value).__name__} of "
                            f"dtype {arr.dtype}")
        if not np.can_cast(arr.dtype, self.dtype, "same_kind"):
            raise TypeError(f"{what}: cannot store a {arr.dtype} value in a {self.dtype} "
                            "Variable; cast it first (value.astype(...))")
        if arr.shape != self.shape:
            raise ValueError(f"{what}: the value has shape {arr.shape} but the Variable has shape "
                             f"{self.shape}; a Variable keeps its shape")
        return np.array(arr, dtype=self.dtype)

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Set the value (the shape stays); returns the Variable."""
        self.data = self._new_value(value, "assign")
        return self

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        """Add ``delta`` to the value; returns the Variable."""
        delta = self._new_value(np.broadcast_to(_values(delta), self.shape), "assign_add")
        self.data = _DATA.__get__(self) + delta
        return self

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        """Subtract ``delta`` from the value; returns the Variable."""
        delta = self._new_value(np.broadcast_to(_values(delta), self.shape), "assign_sub")
        self.data = _DATA.__get__(self) - delta
        return self

    def _inplace(self, *args):
        raise RuntimeError(
            "`variable += value` and the other in-place operators are not supported on a "
            "cr.Variable (as in TensorFlow): use variable.assign_add(value) / "
            "assign_sub(value) / assign(variable * value) to change it, or "
            "`out = variable + value` for a new tensor")

    __iadd__ = __isub__ = __imul__ = __itruediv__ = __ifloordiv__ = __imod__ = __ipow__ = \
        __imatmul__ = _inplace

    # ------------------------------------------------------------------ copies
    def __deepcopy__(self, memo):
        out = Variable(self.numpy(), trainable=self._trainable, name=self._name)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (Variable, (self.numpy(), self._trainable, self._name))


def _values(x):
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


# ---------------------------------------------------------------------- GradientTape
class UnconnectedGradients(enum.Enum):
    """What ``gradient`` gives for a source the target does not depend on.

    Examples
    --------
    >>> import chainrule as cr
    >>> x, y = cr.Variable(2.0), cr.Variable(3.0)
    >>> with cr.GradientTape() as tape:
    ...     z = x * x
    >>> tape.gradient(z, [x, y], unconnected_gradients=cr.UnconnectedGradients.ZERO)
    [Tensor(4.), Tensor(0.)]
    """

    NONE = "none"
    ZERO = "zero"


def _unconnected(value):
    try:
        return UnconnectedGradients(value.value if isinstance(value, UnconnectedGradients)
                                    else str(value).lower()) is UnconnectedGradients.ZERO
    except ValueError:
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero' (or "
                         f"cr.UnconnectedGradients.NONE / ZERO), not {value!r}") from None


class GradientTape:
    """Record operations for differentiation, as ``tf.GradientTape``.

    Inside ``with cr.GradientTape() as tape:``, the tape watches the trainable
    :class:`Variable` s that are read (and any leaf tensor that requires grad), and the tensors
    given to :meth:`watch`; plain tensors are constants unless watched.  Afterwards
    ``tape.gradient(target, sources)`` differentiates ``target`` (summed if it is not a
    scalar) with respect to each source, in the structure of ``sources``, with ``None`` for a
    source the target does not depend on through what the tape recorded.  A tape made with
    ``persistent=False`` answers ``gradient`` (or ``jacobian``) once.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor(np.arange(4.0))
    >>> with cr.GradientTape() as t:
    ...     t.watch(x)
    ...     y = 2 * np.dot(x, x)
    >>> t.gradient(y, x)
    Tensor([ 0.,  4.,  8., 12.])
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._fresh()

    def _fresh(self):
        self._windows = []           # [start, end) on the engine clock; end None while open
        self._recording = False
        self._used = False
        self._watched = {}           # id -> [tensor, node, turned_on_by_this_tape]
        self._variables = {}         # id -> Variable, watched or read, in order
        self._since = {}             # graph node -> clock time from which it is watched

    # ------------------------------------------------------------------ recording
    def __enter__(self):
        if self._recording:
            raise RuntimeError("this GradientTape is already recording; a tape cannot be "
                               "entered again while it is active")
        self._start()
        return self

    def __exit__(self, *exc):
        if self._recording:
            self._stop()
        for entry in self._watched.values():
            _detach(entry)
        return False

    def _start(self):
        self._windows.append([_now(), None])
        self._recording = True
        _LOCAL.tapes.append(self)
        for entry in self._watched.values():
            self._watch_node(entry)

    def _stop(self):
        self._windows[-1][1] = _now()
        self._recording = False
        tapes = _LOCAL.tapes
        if self in tapes:
            tapes.remove(self)

    def _in_window(self, seq):
        for start, end in self._windows:
            if start < seq and (end is None or seq < end):
                return True
        return False

    def stop_recording(self):
        """A context in which this tape records nothing (other tapes go on recording).

        Examples
        --------
        >>> import chainrule as cr
        >>> x, y = cr.Variable(2.0), cr.Variable(3.0)
        >>> with cr.GradientTape() as t:
        ...     with t.stop_recording():
        ...         y2 = y * y
        ...     z = x * x + y2
        >>> t.gradient(z, {"x": x, "y": y})
        {'x': Tensor(4.), 'y': None}
        """
        if not self._recording:
            raise RuntimeError("stop_recording() on a GradientTape that is not recording; use "
                               "it inside `with tape:`")
        return _Paused(self)

    def reset(self):
        """Forget everything recorded and watched, as a new tape would (recording goes on
        if the tape was recording)."""
        recording = self._recording
        if recording:
            self._stop()
        for entry in self._watched.values():
            _detach(entry)
        self._fresh()
        if recording:
            self._start()

    def watch(self, tensor):
        """Watch ``tensor`` (a tensor, a Variable, or a list/tuple/dict of them): operations on
        it are recorded, and it can be a source of :meth:`gradient`."""
        for t in _flatten(tensor)[0]:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"watch() takes tensors and Variables, not {type(t).__name__}; make it "
                    "with cr.tensor(...) (or cr.Variable(...)) and compute from that tensor")
            if isinstance(t, Variable):
                self._variables.setdefault(id(t), t)
            if not np.issubdtype(t.dtype, np.inexact):
                warnings.warn(f"the watched tensor has dtype {t.dtype}; only floating point and "
                              "complex tensors have gradients, so its gradient will be None",
                              stacklevel=2)
                continue
            if id(t) in self._watched:
                continue
            entry = [t, t._node, False]
            self._watched[id(t)] = entry
            if self._recording or entry[1] is not None:
                self._watch_node(entry)

    def _watch_node(self, entry):
        """Watch the node of a watched tensor from now on (giving a plain tensor one)."""
        if self._recording:
            _attach(entry)
        if entry[1] is not None:
            self._since.setdefault(entry[1], _now())

    def watched_variables(self):
        """The Variables this tape watched (explicitly, or by reading them), in order."""
        return tuple(self._variables.values())

    def _accessed(self, variable):
        if (self._watch_accessed and self._recording and variable._trainable
                and id(variable) not in self._variables):
            self._variables[id(variable)] = variable
            if variable._node is not None:
                self._since.setdefault(variable._node, _now())

    # ------------------------------------------------------------------ gradients
    def _use(self, what):
        if self._used and not self._persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians); make it with cr.GradientTape(persistent=True) to "
                f"call {what}() more than once")
        self._used = True
        if self._recording and not self._persistent:
            self._stop()             # as TensorFlow: the tape stops recording once used

    def _source(self, s, recorded):
        """The graph node ``s`` is differentiated at, or None when the tape does not watch it."""
        if not isinstance(s, Tensor):
            raise TypeError(f"sources must be tensors or Variables, not {type(s).__name__}")
        if not np.issubdtype(s.dtype, np.inexact):
            warnings.warn(f"a source has dtype {s.dtype}; only floating point and complex "
                          "sources have gradients, so its gradient is None", stacklevel=3)
            return None
        entry = self._watched.get(id(s))
        if entry is not None and entry[0] is s and entry[1] is not None:
            return entry[1]
        node = s._node
        if node is None:
            return None
        if node.prim is None:
            return node if self._watches_leaf(node, None) else None
        return node if recorded.get(node) else None

    def _watches_leaf(self, leaf, seq):
        """Whether ``leaf`` (a graph leaf) is watched by this tape (before time ``seq``)."""
        since = self._since.get(leaf)
        if since is not None:
            return seq is None or since < seq
        # a leaf made with requires_grad=True counts as a variable read when it is used;
        # Variables are watched from their first read, leaves another tape made, never
        return (self._watch_accessed and leaf not in _TAPE_LEAVES
                and not isinstance(leaf.ref(), Variable))

    def _recorded(self, roots):
        """For each operation the ``roots`` reach, whether this tape recorded it.

        TensorFlow's rule: an operation is recorded when it runs while the tape records and
        one of its inputs is watched by the tape at that moment (a watched tensor, a read
        variable, or the result of a recorded operation).
        """
        rec = {}
        stack = [n for n in roots if n is not None and n.prim is not None]
        while stack:
            n = stack[-1]
            if n in rec:
                stack.pop()
                continue
            if not self._in_window(n.seq):
                rec[n] = False
                stack.pop()
                continue
            todo = [p for p in n.parents if p is not None and p.prim is not None and p not in rec]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            seq = n.seq
            rec[n] = any(self._feeds(p, seq, rec) for p in n.parents if p is not None)
        return rec

    def _feeds(self, p, seq, rec):
        """Whether input ``p`` of an operation made at time ``seq`` was watched then."""
        since = self._since.get(p)
        if since is not None and since < seq:
            return True
        if p.prim is None:
            return self._watches_leaf(p, seq)
        return rec.get(p, False)

    def _grads(self, targets, seed_sets, sources):
        """For each seed list in ``seed_sets``, the gradients of ``targets`` (seeded so) with
        respect to ``sources``: a list (per seed set) of lists (per source, None if none)."""
        live = [(t, i) for i, t in enumerate(targets)
                if isinstance(t, Tensor) and t._node is not None]
        if any(t._tangent is not None for t, _ in live):
            raise RuntimeError(
                "a GradientTape cannot differentiate a target that a forward-mode transform "
                "(cr.jvp, cr.jacfwd) is pushing a tangent through: the tape's gradient would "
                "drop that tangent. Use cr.jacrev (or cr.grad) around the function instead")
        recorded = self._recorded([t._node for t, _ in live])
        nodes = [self._source(s, recorded) for s in sources]
        empty = [[None] * len(sources) for _ in seed_sets]
        if not live or all(n is None for n in nodes):
            return empty
        unique, where = [], {}
        for s, n in zip(sources, nodes):
            if n is not None and id(n) not in where:
                where[id(n)] = len(unique)
                unique.append((s, n))
        # record the backward sweep when a tape records it, or when a transform (cr.grad ...)
        # differentiates this function again: its tensors have a level above 0
        create = bool(_LOCAL.tapes) or any(t._level for t, _ in live)
        cuts = [n for n, r in recorded.items() if not r]     # constants to this tape
        saved = [(n, n.parents) for n in cuts]
        swapped = []
        try:
            for n, parents in saved:
                n.parents = (None,) * len(parents)
            for s, n in unique:
                if s._node is not n:
                    swapped.append((s, s._node))
                    s._node = n
            out = []
            for seeds in seed_sets:
                # retain: a graph can be shared by several tapes and the tensor API; it is
                # freed with the tensors that hold it
                gs = autograd.grad([t for t, _ in live], [s for s, _ in unique],
                                   grad_outputs=[seeds[i] for _, i in live],
                                   retain_graph=True, create_graph=create,
                                   allow_unused=True)
                row = []
                for s, n in zip(sources, nodes):
                    g = None if n is None else gs[where[id(n)]]
                    if g is not None and g.dtype != s.dtype:
                        g = g.astype(s.dtype)
                    row.append(g)
                out.append(row)
            return out
        finally:
            for s, node in swapped:
                s._node = node
            for n, parents in saved:
                n.parents = parents

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """The gradient of ``target`` with respect to ``sources``, in the structure of
        ``sources`` (a tensor, or a list/tuple/dict nest of them).

        ``target`` may be a tensor or a nest of tensors; a non-scalar target is summed (the
        product with ones), or multiplied by ``output_gradients`` (same structure and shapes
        as ``target``).  A source the target does not depend on through recorded operations
        gets ``None``, or zeros with ``unconnected_gradients="zero"``.  Complex sources get
        the tensor API's convention (``z.grad``'s: ``2 z`` for ``|z|**2``).
        """
        zero = _unconnected(unconnected_gradients)
        self._use("gradient")
        targets = _flatten(target)[0]
        if output_gradients is None:
            seeds = [None] * len(targets)
        else:
            seeds = _flatten(output_gradients)[0]
            if len(seeds) != len(targets):
                raise ValueError(f"output_gradients has {len(seeds)} entries for "
                                 f"{len(targets)} targets; give one per target")
        src, build = _flatten(sources)
        grads = self._grads(targets, [seeds], src)[0]
        return build([_fill(g, s, zero) for g, s in zip(grads, src)])

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of ``target`` with respect to each source: shape
        ``target.shape + source.shape``, in the structure of ``sources``.

        Examples
        --------
        >>> import numpy as np, chainrule as cr
        >>> x = cr.Variable([1.0, 2.0])
        >>> with cr.GradientTape() as t:
        ...     y = x * x
        >>> t.jacobian(y, x)
        Tensor([[2., 0.],
                [0., 4.]])
        """
        zero = _unconnected(unconnected_gradients)
        self._use("jacobian")
        target = _as_target(target)
        src, build = _flatten(sources)
        size = target.size
        seed_sets = []
        for k in range(size):
            seed = np.zeros(target.shape, dtype=target.dtype)
            seed.flat[k] = 1
            seed_sets.append([seed])
        rows = self._grads([target], seed_sets, src) if size else []
        out = []
        for j, s in enumerate(src):
            col = [r[j] for r in rows]
            if size and all(g is None for g in col):
                out.append(_fill(None, s, zero, target.shape + s.shape))
                continue
            parts = [g if g is not None else np.zeros(s.shape, s.dtype) for g in col]
            jac = np.stack(parts) if parts else tensor(np.zeros((0,) + s.shape, s.dtype))
            out.append(np.reshape(jac, target.shape + s.shape))
        return build(out)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: for ``target`` of shape ``(b, *y)`` and ``source`` of shape
        ``(b, *x)`` where example ``i`` of the target depends only on example ``i`` of the
        source, the result has shape ``(b, *y, *x)``.

        Examples
        --------
        >>> import numpy as np, chainrule as cr
        >>> x = cr.Variable([[1.0, 2.0], [3.0, 4.0]])
        >>> with cr.GradientTape() as t:
        ...     y = x ** 2
        >>> t.batch_jacobian(y, x)[1]
        Tensor([[6., 0.],
                [0., 8.]])
        """
        zero = _unconnected(unconnected_gradients)
        self._use("batch_jacobian")
        target = _as_target(target)
        if not isinstance(source, Tensor):
            raise TypeError(f"source must be a tensor or Variable, not {type(source).__name__}")
        if target.ndim < 1 or source.ndim < 1 or target.shape[0] != source.shape[0]:
            raise ValueError(
                f"batch_jacobian needs a target and a source with the same first (batch) "
                f"dimension, got shapes {target.shape} and {source.shape}")
        b = target.shape[0]
        inner = target.shape[1:]
        m = int(np.prod(inner))
        seed_sets = []
        for j in range(m):
            seed = np.zeros((b, m), dtype=target.dtype)
            seed[:, j] = 1
            seed_sets.append([seed.reshape(target.shape)])
        rows = [r[0] for r in self._grads([target], seed_sets, [source])] if m else []
        shape = (b,) + inner + source.shape[1:]
        if m and all(g is None for g in rows):
            return _fill(None, source, zero, shape)
        if not m:
            return tensor(np.zeros(shape, source.dtype))
        parts = [g if g is not None else np.zeros(source.shape, source.dtype) for g in rows]
        return np.reshape(np.stack(parts, axis=1), shape)


class _Paused:
    def __init__(self, tape):
        self.tape = tape

    def __enter__(self):
        self.tape._stop()
        return self

    def __exit__(self, *exc):
        self.tape._start()
        return False


def _attach(entry):
    """Make a watched plain tensor require grad while its tape records."""
    t = entry[0]
    if entry[1] is None:
        if t._node is None:
            t.requires_grad_(True)
            entry[2] = True
            _TAPE_LEAVES.add(t._node)
        entry[1] = t._node
    elif entry[2] and t._node is None:
        t._node = entry[1]


def _detach(entry):
    """Give a tensor back as it was before the tape watched it."""
    t, node, owned = entry
    if owned and t._node is node:
        t._node = None


def _as_target(target):
    if not isinstance(target, Tensor):
        return tensor(target)
    return target


def _fill(g, source, zero, shape=None):
    if g is not None or not zero:
        return g
    return tensor(np.zeros(source.shape if shape is None else shape, dtype=source.dtype))
