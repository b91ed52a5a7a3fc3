"""``cr.compile``: trace a differentiated function once, replay it as plain NumPy code.

>>> import numpy as np, chainrule as cr
>>> f = cr.compile(cr.grad(lambda x: np.sum(np.sin(x) * x)))
>>> f(np.array([0.0, 1.0]))                  # first call traces, later calls replay
array([0.        , 1.38177329])
>>> print(f.source(np.array([0.0, 1.0])).splitlines()[0])
def _program(x):
"""
import functools
import gc
import inspect
import warnings

import numpy as np

from ..tensor import Tensor
from .program import GuardMiss, Program
from .tracing import ImpureFunction, Trace, TraceLeak, Traced, Var

__all__ = ["compile", "Compiled", "ImpureFunction", "TraceLeak"]


def compile(fun=None, *, static=(), retrace_limit=8, tune=True):
    """Compile ``fun`` into straight NumPy code, forward and backward (also a decorator).

    The first call with a given argument structure, shapes, dtypes and non-array values
    (ints, bools, strings) traces ``fun``, which may use any transform (``cr.grad``,
    ``cr.jvp``, ``cr.hessian`` ...) or the tensor API inside, into a program of NumPy calls;
    later calls replay that program.  Python floats and complex numbers are inputs like
    arrays, passed as ``np.float64`` / ``np.complex128`` (NumPy's strong scalars: with a
    float32 array they compute in float64, where eager NumPy code keeps float32; pass
    ``np.float32(s)`` to stay in float32).  Every point where a traced value becomes a
    Python value (``bool``, ``float``, ``int``, an index, ``.item()``) is a guard: a call on
    which it differs traces a new path, and each path keeps its program.  New argument
    shapes, dtypes or values are new cache entries (as with ``jax.jit``); past
    ``retrace_limit`` paths for one of them, calls that would need another trace run eagerly
    (with one warning), as ``torch.compile`` does.

    The first trace runs twice: a function whose two traces differ (``np.random`` inside, a
    global counter) raises :class:`ImpureFunction`; pass such values as arguments.  Arrays
    that the function reads from globals or closures are constants of the program (a later
    in-place change to them is not seen).

    Parameters
    ----------
    fun : callable
        A function of arrays, numbers and pytrees (dicts, lists, tuples) of them.
    static : int, str or sequence of them
        Positions and names of arguments that are not traced: their values (which must be
        hashable: numbers, strings, tuples) are part of the cache key and constants of the
        program, as ``jax.jit``'s ``static_argnums`` / ``static_argnames``: a float
        learning rate fixed for a run, a flag, a value drawn outside.
    retrace_limit : int
        How many paths through the guards one argument kind may trace before its calls fall
        back to eager.
    tune : bool
        Time the two forms of each big matrix product, ``a @ b`` and ``(b.T @ a.T).T`` (the
        same BLAS call with the operands' roles swapped), once per shape in the process,
        and write the faster where both give the same numbers (the weight gradient of a
        dense layer, ``X.T @ d``, is 13% faster swapped with single-threaded OpenBLAS).
        A swapped product's result is in Fortran order. ``tune=False`` writes every
        product as traced.

    Returns
    -------
    Compiled
        Callable like ``fun``; ``.source(*args)`` gives the generated Python source.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> @cr.compile
    ... def step(w, x):
    ...     return w - 0.1 * cr.grad(lambda w: np.sum(np.tanh(x @ w) ** 2))(w)
    >>> step(np.ones(2), np.eye(2)).round(4)
    array([0.936, 0.936])
    """
    if fun is None:
        return functools.partial(compile, static=static, retrace_limit=retrace_limit,
                                 tune=tune)
    if not callable(fun):
        raise TypeError(f"cr.compile needs a function, got {type(fun).__name__}")
    return Compiled(fun, retrace_limit, static, tune)


class Compiled:
    """A compiled function: a cache of programs, one per argument kind and path."""

    def __init__(self, fun, retrace_limit=8, static=(), tune=True):
        self.fun = fun
        self.tune = bool(tune)
        self.retrace_limit = int(retrace_limit)
        self.cache = {}          # key -> list of Program (one per path)
        self.traces = 0          # how many times fun was traced (the impurity check's
        self.replays = 0         # second trace not counted)
        self._warned = False
        self._value_guard_warned = False
        self._fast = None        # (check, key, programs) for the first key that replays
        try:
            self._params = list(inspect.signature(fun).parameters)
        except (TypeError, ValueError):
            self._params = []
        self._static_pos, self._static_names = _static_spec(static, self._params, fun)
        functools.update_wrapper(self, fun)

    def _mark_static(self, args, kwargs):
        """The arguments with the static ones wrapped, so that they are keyed by value."""
        pos, names = self._static_pos, self._static_names
        if pos:
            args = tuple(_Static(a, i) if i in pos else a for i, a in enumerate(args))
        if names and kwargs:
            kwargs = {k: _Static(v, k) if k in names else v for k, v in kwargs.items()}
        return args, kwargs

    def __repr__(self):
        return f"<cr.compile of {getattr(self.fun, '__name__', self.fun)!r}>"

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        given = args, kwargs
        fast = self._fast
        leaves = fast[0](args, kwargs) if fast else None
        if leaves is not None:
            key, progs = fast[1], fast[2]     # (the cache's own list of programs)
        else:
            if self._static_pos or self._static_names:
                args, kwargs = self._mark_static(args, kwargs)
            leaves, key, nested = _flatten(args, kwargs)
            if nested:          # called inside another compiled function's trace: inline
                return self.fun(*given[0], **given[1])
            if fast is None and key in self.cache and not (
                    self._static_pos or self._static_names):
                self._fast = fast = (_argument_check(args, kwargs), key, self.cache[key])
                if fast[0] is None:
                    self._fast = False      # not a simple structure: always the long way
            progs = self.cache.get(key)
        miss = None
        if progs:
            for p in progs:
                if p.writes_inputs:
                    res = _replay_on_copies(p, leaves)
                    if res is _MISSED:
                        miss = p.missed
                        continue
                else:
                    try:
                        res = p.fn(*leaves)
                    except GuardMiss as e:
                        miss = p.guard_kinds[e.args[0]]
                        continue
                self.replays += 1
                return res
            if len(progs) >= self.retrace_limit:
                if not self._warned:
                    self._warned = True
                    warnings.warn(
                        f"cr.compile: {getattr(self.fun, '__name__', 'the function')} took "
                        f"{len(progs)} paths through its guards for the same argument shapes, "
                        "dtypes and values (a Python value read from an array with float(), "
                        "int(), bool() or .item() that keeps changing); from now on calls "
                        "that need a new trace run eagerly. Keep such values as arrays "
                        "(np.where instead of if), or raise retrace_limit",
                        RuntimeWarning, stacklevel=2)
                return self.fun(*given[0], **given[1])
        if miss in ("float", "int", "index", "item", "complex", "eq", "tolist") and \
                not self._value_guard_warned:
            self._value_guard_warned = True
            warnings.warn(
                "cr.compile: the function turns a traced value into a Python number "
                f"({miss}: float(x), int(x), x.item() or a comparison result) and it changed, "
                "so it traces anew; each new value costs a trace. Keep such values as arrays "
                "(np.where instead of if, x * s instead of float(s)) to replay one program",
                RuntimeWarning, stacklevel=2)
        prog = self._compile(args, kwargs, leaves, check=not progs)
        self.cache.setdefault(key, []).insert(0, prog)
        try:
            if prog.writes_inputs:
                res = _replay_on_copies(prog, leaves)
                if res is _MISSED:
                    raise GuardMiss(0)
            else:
                res = prog.fn(*leaves)
        except GuardMiss:    # cannot happen for a pure function: the trace saw these values
            raise ImpureFunction(
                "cr.compile: the program traced from these arguments does not replay on "
                "them; the function depends on something other than its arguments") from None
        return res

    def _trace(self, args, kwargs, leaves, reference=None, annotate=False):
        trace = Trace(Tensor, reference=reference, annotate=annotate)
        ins = [trace.new(_copy(x)) for x in leaves]
        targs, tkwargs = _rebuild(args, kwargs, iter(ins))
        out = self.fun(*targs, **tkwargs)
        return trace, _output(out, trace, self.fun)

    def _compile(self, args, kwargs, leaves, check=True, annotate=False):
        # tracing makes many small objects that live until the program is made: the cyclic
        # collector's passes over them are wasted work (a third of a 400-op compile)
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._compile_now(args, kwargs, leaves, check, annotate)
        finally:
            if enabled:
                gc.enable()

    def _compile_now(self, args, kwargs, leaves, check, annotate):
        if not leaves:
            raise TypeError(
                f"cr.compile: {getattr(self.fun, '__name__', 'the function')} was called "
                "with no array arguments (arrays, floats, or pytrees of them), so there is "
                "nothing to trace: its result would be a constant. Pass the arrays it "
                "computes with as arguments")
        trace, out = self._trace(args, kwargs, leaves, annotate=annotate)
        if not annotate:
            self.traces += 1
        if check:
            trace2, out2 = self._trace(args, kwargs, leaves, reference=trace)
            if len(trace2.steps) != len(trace.steps) or not _same_output(out, out2):
                raise ImpureFunction(
                    "cr.compile: two traces of the same inputs differ in "
                    + ("their length" if len(trace2.steps) != len(trace.steps) else
                       "their result") +
                    ": the function reads something other than its arguments (np.random, a "
                    "global counter, the time). Pass such values as arguments (draw random "
                    "numbers outside and pass them in), or do not compile this function")
        names = _input_names(args, kwargs, self._params)
        return Program(trace, len(leaves), out, names,
                       notes=trace.notes if annotate else None, tune=self.tune)

    def source(self, *args, **kwargs):
        """The generated Python source of the program these arguments replay.

        One NumPy call per line; a comment names the primitive that made it and, in the
        backward pass, the forward value whose derivative it computes.
        """
        if self._static_pos or self._static_names:
            args, kwargs = self._mark_static(args, kwargs)
        leaves, key, nested = _flatten(args, kwargs)
        if nested:
            raise TypeError("source() takes arrays, not traced values")
        prog = self._compile(args, kwargs, leaves, check=False, annotate=True)
        return prog.source


# ---------------------------------------------------------------------- arguments
_DYNAMIC = (np.ndarray, np.generic, float, complex)


class _Static:
    """An argument named in ``static=``: keyed by value, passed to the function as it is."""

    __slots__ = ("value", "where")

    def __init__(self, value, where):
        self.value = value
        self.where = where


def _static_spec(static, params, fun):
    """(positions, names) from ``static=``; a parameter's name stands for its position too."""
    items = (static,) if isinstance(static, (int, str)) or not isinstance(
        static, (tuple, list, set, frozenset)) else tuple(static)
    pos, names = set(), set()
    for s in items:
        if isinstance(s, bool) or not isinstance(s, (int, str)):
            raise TypeError(f"cr.compile: static= takes argument positions (int) and names "
                            f"(str), got {s!r}")
        if isinstance(s, str):
            names.add(s)
            if s in params:
                pos.add(params.index(s))
        else:
            pos.add(s if s >= 0 or not params else len(params) + s)
            if 0 <= s < len(params):
                names.add(params[s])
    return frozenset(pos), frozenset(names)


_MISSED = object()


def _replay_on_copies(prog, leaves):
    """Run a program that writes into its inputs on copies of them, and copy the results
    back only when no guard missed: a miss leaves the caller's arrays untouched, so the
    next program (or trace) does not repeat the writes."""
    args = list(leaves)
    written = prog.writes_inputs
    for i in written:
        args[i] = leaves[i].copy()
    try:
        res = prog.fn(*args)
    except GuardMiss as e:
        prog.missed = prog.guard_kinds[e.args[0]]
        return _MISSED
    for i in written:
        np.copyto(leaves[i], args[i])
    return res


def _flatten(args, kwargs):
    """(array leaves, cache key, whether a traced value is among them).

    One loop over an explicit stack, in the order a recursive walk would take: this runs on
    every call of a compiled function, and a Python frame per container costs more than the
    rest of the key."""
    leaves = []
    key = []
    nested = False
    stack = [kwargs, _KWARGS, args] if kwargs else [args]
    pop, push, append, leaf = stack.pop, stack.extend, key.append, leaves.append
    while stack:
        x = pop()
        t = type(x)
        if t is np.ndarray:
            leaf(x)
            append((x.shape, x.dtype.char, x.dtype.num))
        elif t is tuple or t is list:
            append((t, len(x)))
            push(reversed(x))
        elif t is float or t is complex:
            leaf(np.float64(x) if t is float else np.complex128(x))
            append(t)
        elif t is dict:
            append((dict, tuple(x)))
            push(reversed(x.values()))
        elif x is _KWARGS:
            append("kw")
        elif t is _Static:
            try:
                hash(x.value)
            except TypeError:
                raise TypeError(
                    f"cr.compile: the static argument {x.where!r} is a "
                    f"{type(x.value).__name__}, which is not hashable; static values are "
                    "part of the cache key. Pass a tuple (or a number, a string), or make "
                    "the argument an ordinary (traced) one") from None
            append((_Static, type(x.value), x.value))
        elif isinstance(x, Traced):
            nested = True
        elif isinstance(x, Tensor):
            raise TypeError(
                "cr.compile: pass arrays, numbers and pytrees of them to a compiled function, "
                "not tensors; make tensors inside it (cr.tensor(x, requires_grad=True))")
        elif isinstance(x, (np.ndarray, np.generic)):
            leaf(x)
            append((t, np.shape(x), x.dtype.char, x.dtype.num))
        elif isinstance(x, (tuple, list)):       # namedtuples and subclasses
            append((t, len(x)))
            push(reversed(x))
        elif isinstance(x, dict):
            append((t, tuple(x)))
            push(reversed(x.values()))
        elif hasattr(x, "__array_function__") or hasattr(x, "__array_namespace__"):
            raise TypeError(
                f"cr.compile: an argument is a {t.__module__}.{t.__qualname__}; compiled "
                "programs are NumPy code and take NumPy arrays. Call the function without "
                "cr.compile (eager chainrule keeps CuPy, Dask and array-API arrays as they "
                "are: docs/scale.md), or pass np.asarray(x) if a host copy is what you want")
        else:
            try:
                hash(x)
            except TypeError:
                raise TypeError(
                    f"cr.compile: an argument of type {t.__name__} is neither an array nor a "
                    "hashable value (the cache key holds non-array arguments by value)") from None
            append((t, x))
    return leaves, tuple(key), nested


_KWARGS = object()      # on _flatten's stack: the keyword arguments start here


def _argument_check(args, kwargs):
    """A function ``check(args, kwargs)`` that returns the leaves of arguments with the
    structure, shapes and dtypes of these (as :func:`_flatten` orders them) and None for any
    others; None where the structure is not simple enough (arrays, floats, and tuples,
    lists and dicts of them, one level deep, no keywords).

    ``_flatten`` builds a key per call; this is one straight-line function with no loop and
    no key, made for the first key that replays: a compiled call's dispatch ran 14 µs of
    an MLP step's 1.7 ms (its Python code runs with cold caches after the matrix products),
    the check about a third of that.
    """
    if kwargs or not args:
        return None
    lines, leaves, consts = [], [], {"ndarray": np.ndarray, "float64": np.float64}

    def leaf(name, x):
        if type(x) is np.ndarray:
            d = f"d{len(consts)}"
            consts[d] = x.dtype
            lines.append(f"    if type({name}) is not ndarray or {name}.shape != {x.shape!r} "
                         f"or {name}.dtype is not {d}: return None")
            leaves.append(name)
        elif type(x) is float:
            lines.append(f"    if type({name}) is not float: return None")
            leaves.append(f"float64({name})")
        else:
            raise TypeError

    names = [f"a{i}" for i in range(len(args))]
    lines.append(f"    if kwargs or len(args) != {len(args)}: return None")
    lines.append(f"    {', '.join(names)}, = args")
    try:
        for name, a in zip(names, args):
            t = type(a)
            if t is tuple or t is list:
                inner = [f"{name}_{j}" for j in range(len(a))]
                lines.append(f"    if type({name}) is not {t.__name__} or len({name}) != "
                             f"{len(a)}: return None")
                if inner:
                    lines.append(f"    {', '.join(inner)}, = {name}")
                for n, x in zip(inner, a):
                    leaf(n, x)
            elif t is dict:
                if not all(type(k) is str for k in a):
                    return None
                keys = tuple(a)
                consts[f"{name}_keys"] = keys
                lines.append(f"    if type({name}) is not dict or tuple({name}) != {name}_keys: "
                             "return None")
                for j, k in enumerate(keys):
                    lines.append(f"    {name}_{j} = {name}[{k!r}]")
                    leaf(f"{name}_{j}", a[k])
            else:
                leaf(name, a)
    except TypeError:
        return None
    lines.append(f"    return [{', '.join(leaves)}]")
    namespace = dict(consts)
    exec("def check(args, kwargs):\n" + "\n".join(lines) + "\n", namespace)
    return namespace["check"]


def _rebuild(args, kwargs, ins):
    def walk(x):
        t = type(x)
        if t is _Static:
            return x.value
        if t is np.ndarray or t is float or t is complex or isinstance(x, (np.ndarray,
                                                                          np.generic)):
            return next(ins)
        if isinstance(x, (tuple, list)):
            items = [walk(i) for i in x]
            if hasattr(x, "_fields"):
                return t(*items)
            return t(items)
        if isinstance(x, dict):
            return t((k, walk(v)) for k, v in x.items())
        return x
    return walk(args), walk(kwargs) if kwargs else {}


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


def _input_names(args, kwargs, params):
    """Source names for the leaves: parameter names, with keys and positions for pytrees."""
    names = []

    def walk(x, name):
        if isinstance(x, (np.ndarray, np.generic, float, complex)):
            names.append(name)
        elif isinstance(x, (tuple, list)):
            for i, v in enumerate(x):
                walk(v, f"{name}_{i}")
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{name}_{k}")

    for i, a in enumerate(args):
        walk(a, params[i] if i < len(params) and params[i].isidentifier() else f"arg{i}")
    for k, v in (kwargs or {}).items():
        walk(v, k)
    out, seen = [], set()
    for n in names:
        n = "".join(c if c.isalnum() or c == "_" else "_" for c in str(n))
        if not n.isidentifier() or n in seen or n in ("np", "_Miss", "_finite") or \
                n.startswith("v") and n[1:].isdigit() or n.startswith("c") and n[1:].isdigit():
            n = f"a{len(out)}_{n}" if n.isidentifier() else f"a{len(out)}"
        seen.add(n)
        out.append(n)
    return out


def _output(out, trace, fun):
    """The result template: traced values as Vars, tensors without grad as their data."""
    if isinstance(out, Traced):
        return Var(out.var)
    if isinstance(out, Tensor):
        if out.requires_grad:
            raise TypeError(
                f"cr.compile: {getattr(fun, '__name__', 'the function')} returns a tensor "
                "that requires grad; a compiled function returns plain arrays. Return "
                "t.detach() (or call .backward() inside and return the gradients)")
        data = out.data
        while isinstance(data, Tensor):
            data = data.data
        return _output(data, trace, fun)
    if isinstance(out, tuple):
        items = [_output(x, trace, fun) for x in out]
        return type(out)(*items) if hasattr(out, "_fields") else tuple(items)
    if isinstance(out, list):
        return [_output(x, trace, fun) for x in out]
    if isinstance(out, dict):
        return type(out)((k, _output(v, trace, fun)) for k, v in out.items())
    return out


def _same_output(a, b):
    from .tracing import same_value
    return same_value(a, b)
