"""Recording arrays: run a function once on values that write down every NumPy call.

A :class:`Traced` holds a concrete value (an ndarray or NumPy scalar) and a variable number in
a :class:`Trace`.  NumPy hands it every ufunc and public function call it takes part in
(NEP 13 / NEP 18); the call runs on the values and is appended to the trace, so the forward
pass, the transforms and the derivative rules (which are NumPy code too) are recorded alike.
Wherever a traced value becomes a Python value (``bool``, ``float``, ``int``, an index,
``.item()``) the trace keeps a *guard*: the replayed program checks it and gives way to a new
trace when it differs.  ``np.asarray`` of a traced value raises, so no value can turn into a
constant of the program unnoticed.
"""
import operator
import weakref

import numpy as np

__all__ = ["Traced", "Trace", "Var", "TraceLeak", "ImpureFunction"]


class TraceLeak(TypeError):
    """A traced value was turned into a plain ndarray (``np.asarray``) inside the function."""


class ImpureFunction(RuntimeError):
    """Two traces of the same inputs recorded different programs."""


class Var:
    """A reference to variable ``n`` of a trace (in argument templates)."""

    __slots__ = ("n",)

    def __init__(self, n):
        self.n = n

    def __repr__(self):
        return f"v{self.n}"

    def __eq__(self, other):
        return type(other) is Var and other.n == self.n

    def __hash__(self):
        return self.n


# Functions that read only shapes and dtypes: they run on the values and are not recorded.
_META = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
         np.can_cast, np.min_scalar_type, np.may_share_memory, np.shares_memory}
_LIFT = {np.asarray, np.asanyarray, np.array, np.ascontiguousarray}


def copy_array(a):
    return np.array(a, copy=True)


_VIEW_ATTRS = frozenset(("T", "mT", "real", "imag"))
# Functions and ufunc methods whose result shape depends on the values: a shape guard follows.
_VALUE_SHAPED = {np.nonzero, np.argwhere, np.flatnonzero, np.unique, np.extract, np.compress,
                 np.trim_zeros, np.intersect1d, np.union1d, np.setdiff1d, np.setxor1d}
for _n in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
    if hasattr(np, _n):
        _VALUE_SHAPED.add(getattr(np, _n))
_IN_PLACE_METHODS = frozenset(("fill", "sort", "put", "partition", "itemset", "setflags",
                               "resize", "byteswap"))


class Trace:
    """The steps recorded by one run of a function on :class:`Traced` values.

    ``steps`` are tuples ``(kind, op, args, kwargs, out, line)`` with argument templates in
    which :class:`Var` stands for a traced value; ``kind`` is ``'call'``, ``'getitem'``,
    ``'setitem'``, ``'attr'``, ``'method'`` or ``'guard'``.  ``reference`` is an earlier trace
    of the same inputs: each step is compared with it as it is recorded, so an impure
    function is stopped at the first operation that differs.
    """

    def __init__(self, tensor_type, reference=None, annotate=False):
        self.annotate = annotate
        self.notes = {}              # step index -> what made it (when annotating)
        self.defined = {}            # var -> step index that made it
        self.steps = []
        # NumPy's floating-point error state where it changes (the backward pass runs with
        # warnings off): step index -> np.geterr() from that step on
        self.entry_errstate = np.geterr()
        self.errstates = {}
        self._errstate = self.entry_errstate
        self._extobj = _EXTOBJ.get() if _EXTOBJ is not None else None
        self.nvars = 0
        self.writes = set()          # variables written in place
        self.tensor_type = tensor_type
        self.reference = reference
        # What the optimizer needs to know of every variable, without keeping its value
        # (tracing holds no more memory than an eager run): (type, shape, dtype, nbytes,
        # variable owning its memory).  Values are kept only for the variables computed from
        # constants alone (``constant``), which the optimizer folds.
        self.meta = {}
        self.values = {}
        self.constant = set()
        self._owners = {}            # id(memory-owning array) -> (weakref, variable)
        self.layout = {}             # var -> "C" or "F" for matrices (the products' tuning)

    # -- variables ---------------------------------------------------------------------
    def new(self, value, constant=False):
        n = self.nvars
        self.nvars += 1
        if type(value) is np.ndarray:
            own = value if value.base is None else _root(value)
            entry = self._owners.get(id(own))
            if entry is not None and entry[0]() is own:
                owner = entry[1]
            else:
                owner = n
                self._owners[id(own)] = (weakref.ref(own), n)
            self.meta[n] = (np.ndarray, value.shape, value.dtype, value.nbytes, owner)
            if value.ndim == 2:
                flags = value.flags
                self.layout[n] = "C" if flags.c_contiguous else "F" if flags.f_contiguous \
                    else None
        else:
            self.meta[n] = (type(value), np.shape(value), getattr(value, "dtype", None), 0, n)
        if constant:
            self.constant.add(n)
            self.values[n] = value
        return Traced(value, n, self)

    def written(self, var):
        """Note an in-place write into ``var`` (and so into its memory's owner)."""
        self.writes.add(self.meta[var][4])

    def _unwrap(self, x):
        """(value, template) of an argument: traced values become their values and Vars."""
        if isinstance(x, Traced):
            if x.trace is not self:
                raise TypeError("a value traced by one cr.compile call was used inside "
                                "another one; return it and pass it as an argument instead")
            return x.value, Var(x.var)
        if isinstance(x, (list, tuple)):
            if not any(isinstance(i, (Traced, list, tuple, dict, slice)) for i in x):
                return x, x
            pairs = [self._unwrap(i) for i in x]
            vals = [p[0] for p in pairs]
            temps = [p[1] for p in pairs]
            if isinstance(x, tuple):
                return (type(x)(*vals), type(x)(*temps)) if hasattr(x, "_fields") else \
                    (tuple(vals), tuple(temps))
            return vals, temps
        if isinstance(x, dict):
            pairs = {k: self._unwrap(v) for k, v in x.items()}
            return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
        if isinstance(x, slice):
            (a, ta), (b, tb), (c, tc) = (self._unwrap(i) for i in (x.start, x.stop, x.step))
            return slice(a, b, c), slice(ta, tb, tc)
        if isinstance(x, self.tensor_type):
            raise TypeError("a tensor reached a NumPy call on traced values by a path "
                            "cr.compile does not follow; please report this")
        return x, x

    def _wrap(self, res, constant=False):
        """Traced values for the arrays in a result, and the output template."""
        if isinstance(res, (np.ndarray, np.generic)):
            t = self.new(res, constant)
            return t, t.var
        if isinstance(res, (tuple, list)) and res and all(
                isinstance(r, (np.ndarray, np.generic)) for r in res):
            ts = [self.new(r, constant) for r in res]
            out = tuple(t.var for t in ts)
            if isinstance(res, list):
                return ts, out
            return (type(res)(*ts) if hasattr(res, "_fields") else tuple(ts)), out
        return None, None

    # -- recording -----------------------------------------------------------------------
    def record(self, kind, op, args, kwargs, out):
        step = (kind, op, args, kwargs, out)
        ref = self.reference
        if ref is not None:
            self._compare(step)
        if _EXTOBJ is None:
            state = np.geterr()
            if state != self._errstate:
                self.errstates[len(self.steps)] = self._errstate = state
        else:
            obj = _EXTOBJ.get()
            if obj is not self._extobj:      # np.errstate entered or left: read it
                self._extobj = obj
                state = np.geterr()
                if state != self._errstate:
                    self.errstates[len(self.steps)] = self._errstate = state
        if self.annotate:
            i = len(self.steps)
            for o in (out if isinstance(out, tuple) else (out,)) if kind != "guard" else ():
                if isinstance(o, int):
                    self.defined[o] = i
            note = _origin(self)
            if note:
                self.notes[i] = note
        self.steps.append(step)

    def _compare(self, step):
        i = len(self.steps)
        ref = self.reference.steps
        if i < len(ref):
            try:
                if ref[i] == step:        # fast: numbers, names, Vars (arrays may raise)
                    return
            except (ValueError, TypeError):
                pass
            if _same_step(ref[i], step):
                return
        from ..engine import user_line   # the line of user code, only when reporting
        what = _describe(step)
        raise ImpureFunction(
            f"cr.compile: two traces of the same inputs differ at {what} (made at "
            f"{user_line()}): the function reads something other than its arguments "
            "(np.random, a global counter, the time). Pass such values as arguments (draw "
            "the random numbers outside and pass them in), or do not compile this function.")

    def call(self, op, args, kwargs, kind="call"):
        vals, targs = self._unwrap(args)
        kvals, tkw = self._unwrap(kwargs) if kwargs else ({}, {})
        out_arg = kwargs.get("out") if kwargs else None
        if kind == "call":
            res = op(*vals, **kvals)
        elif kind == "method":
            obj, name = op
            res = getattr(obj.value, name)(*vals, **kvals)
            targs = (Var(obj.var),) + tuple(targs)
            op = name
        if out_arg is not None:
            # writes into existing traced arrays: they keep their variables
            outs = out_arg if isinstance(out_arg, tuple) else (out_arg,)
            for o in outs:
                if isinstance(o, Traced):
                    self.written(o.var)
            self.record(kind, op, targs, tkw, None)
            return out_arg if not isinstance(out_arg, tuple) or len(out_arg) > 1 else out_arg[0]
        const = self.constant
        used = var_numbers(targs) + (var_numbers(tkw) if tkw else [])
        wrapped, out = self._wrap(res, constant=(kind == "call" and (
            op in SHAPE_ONLY or op is copy_array)) or bool(used) and all(u in const for u in used))
        if out is None:
            # a Python value computed from traced values: record it and guard it
            t = self.new(res)
            self.record(kind, op, targs, tkw, t.var)
            self.guard(t.var, "eq", res)
            return res
        self.record(kind, op, targs, tkw, out)
        if op in _VALUE_SHAPED or op is GETITEM and _has_bool_index(args[1]):
            for v in (out if isinstance(out, tuple) else (out,)):
                self.guard(v, "shape", self.meta[v][1])
        return wrapped

    def ufunc_call(self, ufunc, vals, temps, used):
        """``ufunc(*vals)``, one output and no keywords (the common case, kept lean)."""
        res = ufunc(*vals)
        op = _UFUNC_OPS.get(ufunc)
        if op is None:
            op = _UFUNC_OPS[ufunc] = Op(ufunc, ufunc)
        const = self.constant
        t = self.new(res, bool(const) and all(u in const for u in used))
        self.record("call", op, temps, {}, t.var)
        return t

    def guard(self, var, kind, expected):
        self.record("guard", kind, (Var(var),), None, expected)
        return expected


def _origin(trace):
    """What made the current step: the primitive, and for a backward rule which forward line.

    Reads the engine's frames (their ``prim`` and ``node`` locals); used only by ``.source``.
    """
    import sys
    from .. import engine
    f = sys._getframe(2)
    forward = backward = None
    while f is not None:
        if f.f_code.co_filename == engine.__file__:
            loc = f.f_locals
            node = loc.get("node")
            prim = loc.get("prim")
            if node is not None and getattr(node, "prim", None) is not None and \
                    "pullbacks" in loc or f.f_code.co_name.endswith("backward"):
                if node is not None and getattr(node, "prim", None) is not None:
                    backward = node
                    break
            elif forward is None and isinstance(prim, engine.Primitive):
                forward = prim
        f = f.f_back
    if forward is None and backward is None:
        return None
    var = None
    if backward is not None:
        ans = getattr(backward, "ans", None)
        cands = [ans] + list(getattr(backward, "raws", ()) or ())
        var = next((c.var for c in cands if isinstance(c, Traced)), None)
    return (forward.name if forward is not None else None,
            backward.prim.name if backward is not None else None, var)


# ops that read only the shapes and dtypes of their traced arguments
SHAPE_ONLY = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}


def _root(arr):
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def var_numbers(t, out=None):
    """The variable numbers in a template, in order."""
    if out is None:
        out = []
    tt = type(t)
    if tt is Var:
        out.append(t.n)
    elif tt is tuple or tt is list or isinstance(t, tuple):
        for x in t:
            var_numbers(x, out)
    elif tt is dict:
        for x in t.values():
            var_numbers(x, out)
    elif tt is slice:
        var_numbers((t.start, t.stop, t.step), out)
    return out


def _has_bool_index(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if isinstance(i, Traced):
            if i.value.dtype == bool:
                return True
        elif isinstance(i, np.ndarray) and i.dtype == bool:
            return True
        elif isinstance(i, list):
            return True      # a list may hold booleans or traced values: guard to be safe
    return False


def same_value(a, b):
    if a is b:
        return True
    if isinstance(a, Var) or isinstance(b, Var):
        return isinstance(a, Var) and isinstance(b, Var) and a.n == b.n
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        try:
            return (type(a) is type(b) and np.shape(a) == np.shape(b)
                    and np.result_type(a) == np.result_type(b)
                    and bool(np.array_equal(a, b, equal_nan=np.result_type(a).kind in "fc")))
        except TypeError:
            return False
    if isinstance(a, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same_value(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        return (type(b) is dict and a.keys() == b.keys()
                and all(same_value(a[k], b[k]) for k in a))
    if isinstance(a, slice):
        return isinstance(b, slice) and all(same_value(getattr(a, n), getattr(b, n))
                                            for n in ("start", "stop", "step"))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _same_step(a, b):
    return (a[0] == b[0] and (a[1] is b[1] or a[1] == b[1] if a[0] != "guard" else a[1] == b[1])
            and same_value(a[2], b[2]) and same_value(a[3] or {}, b[3] or {})
            and same_value(a[4], b[4]))


def _describe(step):
    kind, op = step[0], step[1]
    if kind == "call":
        return f"the call of {_op_name(op.key if isinstance(op, Op) else op)}"
    if kind == "method":
        return f"the method .{op}()"
    if kind == "guard":
        return f"a {op} test of a traced value"
    return f"an indexing step ({kind})"


def _op_name(op):
    if isinstance(op, np.ufunc):
        return f"np.{op.__name__}"
    if isinstance(op, tuple):       # (ufunc, method)
        return f"np.{op[0].__name__}.{op[1]}"
    mod = getattr(op, "__module__", "") or ""
    name = getattr(op, "__qualname__", getattr(op, "__name__", repr(op)))
    if mod.startswith("numpy"):
        mod = "np" + mod[5:].replace("._core", "").replace(".fromnumeric", "")
    return f"{mod}.{name}" if mod else name


def _ufunc_op(ufunc, method):
    return ufunc if method == "__call__" else (ufunc, method)


def _scalar_guard(kind, convert):
    def method(self):
        value = convert(self.value)
        return self.trace.guard(self.var, kind, value)
    method.__name__ = f"__{kind}__"
    return method


class Traced:
    """A value being traced: NumPy calls on it are recorded in its :class:`Trace`."""

    __slots__ = ("value", "var", "trace")
    __array_priority__ = 20
    # a value is at hand: the rules' checks that read one (the strong zero's all-finite test)
    # run as eager, and become guards, instead of taking the form for lazy arrays
    holds_values = True

    def __init__(self, value, var, trace):
        self.value = value
        self.var = var
        self.trace = trace

    def __repr__(self):
        return f"Traced(v{self.var}, {self.value!r})"

    def __array__(self, dtype=None, copy=None):
        raise TraceLeak(
            "cr.compile: a traced value was converted to a plain ndarray (np.asarray, "
            "np.array or a NumPy C routine); the compiled program could not replay it. "
            "Use NumPy functions on it instead, or call the function without cr.compile")

    # -- NumPy protocols -------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and ufunc.nout == 1:
            tr = self.trace
            vals, temps, used = [], [], []
            for x in inputs:
                tx = type(x)
                if tx is Traced and x.trace is tr:
                    vals.append(x.value)
                    temps.append(Var(x.var))
                    used.append(x.var)
                elif tx is float or tx is int or tx is complex or tx is bool:
                    vals.append(x)
                    temps.append(x)
                else:
                    break
            else:
                return tr.ufunc_call(ufunc, vals, tuple(temps), used)
        T = self.trace.tensor_type
        for x in inputs:
            if isinstance(x, T):
                return NotImplemented
        out = kwargs.get("out")
        if out is not None and any(isinstance(o, T) for o in out):
            return NotImplemented
        if out is not None and len(out) == 1:
            kwargs["out"] = out[0]
        op = _ufunc_op(ufunc, method)
        if method == "at" and not isinstance(inputs[0], Traced) or out is not None and any(
                not isinstance(o, Traced) for o in out):
            raise TraceLeak(
                f"cr.compile: np.{ufunc.__name__}{'.at' if method == 'at' else ''} writes "
                "traced values into a plain ndarray (a constant of the program, which a replay "
                "would keep changing). Make the target from the traced values "
                "(np.zeros_like(x) rather than np.zeros(shape))")
        if method == "at":
            self.trace.written(inputs[0].var)
            vals, targs = self.trace._unwrap(inputs)
            ufunc.at(*vals)
            self.trace.record("call", op, targs, {}, None)
            return None
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        return self.trace.call(Op(fn, op), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        T = self.trace.tensor_type
        for t in types:
            if issubclass(t, T):
                return NotImplemented
        if func in _LIFT:
            # np.asarray(a, like=traced): a constant that becomes a traced value; a copy,
            # since the function may write into it
            return self.trace.call(copy_array, args[:1], None)
        if func in _META:
            vals, _ = self.trace._unwrap(args)
            kvals, _ = self.trace._unwrap(kwargs)
            return func(*vals, **kvals)
        return self.trace.call(func, args, kwargs)

    # -- what stays static: shapes and dtypes ----------------------------------------------
    shape = property(lambda self: self.value.shape)
    dtype = property(lambda self: self.value.dtype)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    itemsize = property(lambda self: self.value.itemsize)
    nbytes = property(lambda self: self.value.nbytes)
    strides = property(lambda self: self.value.strides)
    flags = property(lambda self: self.value.flags)

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self.value)))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self.value, name)
        if name in _VIEW_ATTRS:
            wrapped, out = self.trace._wrap(attr)
            self.trace.record("attr", name, (Var(self.var),), None, out)
            return wrapped
        if callable(attr):
            trace, obj = self.trace, self
            if name in _IN_PLACE_METHODS:
                trace.written(self.var)

            def method(*args, **kwargs):
                return trace.call((obj, name), args, kwargs, kind="method")
            return method
        return attr

    # -- indexing -----------------------------------------------------------------------
    def __getitem__(self, idx):
        return self.trace.call(GETITEM, (self, idx), None, kind="call")

    def __setitem__(self, idx, value):
        tr = self.trace
        if isinstance(value, tr.tensor_type) or isinstance(idx, tr.tensor_type):
            raise TypeError("cr.compile: writing a tensor into a plain array drops its "
                            "gradient; write into a tensor instead")
        (v_idx, v_val), (t_idx, t_val) = tr._unwrap((idx, value))
        self.value[v_idx] = v_val
        tr.written(self.var)
        tr.record("setitem", None, (Var(self.var), t_idx, t_val), None, None)

    # -- Python values: guards ---------------------------------------------------------
    __bool__ = _scalar_guard("bool", bool)
    __float__ = _scalar_guard("float", float)
    __int__ = _scalar_guard("int", int)
    __index__ = _scalar_guard("index", operator.index)
    __complex__ = _scalar_guard("complex", complex)

    def item(self, *args):
        if args:
            return self[args if len(args) > 1 else args[0]].item()
        value = self.value.item()
        # a tensor's bool() reads .item(): a branch, not a number
        return self.trace.guard(self.var, "bool" if type(value) is bool else "item", value)

    def host_call(self, fn, *args):
        """``fn(*args)`` recorded as one step of the program: for functions that convert
        their inputs to ndarrays inside (SciPy's ``expm``), so that no protocol sees their
        NumPy calls.  ``fn`` must be a pure function of its array arguments; it runs on the
        values now and on the replayed values later."""
        return self.trace.call(fn, args, None)

    def as_result(self):
        """What a transform returns for this value: a NumPy scalar as a 0-d array."""
        if isinstance(self.value, np.generic):
            return self.trace.call(np.asarray, (self,), None)
        return self

    def tolist(self):
        value = self.value.tolist()
        return self.trace.guard(self.var, "tolist", value)

    __hash__ = None

    # -- operators: the ufuncs --------------------------------------------------------------
    def _binary(ufunc, reflected=False):
        lean = ufunc.nout == 1

        def op(self, other):
            t = type(other)
            tr = self.trace
            if lean:       # straight to the recorder (as __array_ufunc__'s lean path)
                if t is Traced and other.trace is tr:
                    a, b = (other, self) if reflected else (self, other)
                    return tr.ufunc_call(ufunc, [a.value, b.value], (Var(a.var), Var(b.var)),
                                         (a.var, b.var))
                if t is float or t is int:
                    if reflected:
                        return tr.ufunc_call(ufunc, [other, self.value],
                                             (other, Var(self.var)), (self.var,))
                    return tr.ufunc_call(ufunc, [self.value, other], (Var(self.var), other),
                                         (self.var,))
            if t is Traced or t is float or t is int:     # what NumPy's dispatch would do
                return self.__array_ufunc__(ufunc, "__call__", *(
                    (other, self) if reflected else (self, other)))
            if isinstance(other, self.trace.tensor_type):
                return NotImplemented
            return ufunc(other, self) if reflected else ufunc(self, other)
        return op

    def _inplace(ufunc):
        def op(self, other):
            if isinstance(other, self.trace.tensor_type):
                return NotImplemented
            return ufunc(self, other, out=self)
        return op

    __add__, __radd__, __iadd__ = _binary(np.add), _binary(np.add, True), _inplace(np.add)
    __sub__, __rsub__, __isub__ = (_binary(np.subtract), _binary(np.subtract, True),
                                   _inplace(np.subtract))
    __mul__, __rmul__, __imul__ = (_binary(np.multiply), _binary(np.multiply, True),
                                   _inplace(np.multiply))
    __truediv__, __rtruediv__, __itruediv__ = (_binary(np.true_divide),
                                               _binary(np.true_divide, True),
                                               _inplace(np.true_divide))
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __pow__, __rpow__, __ipow__ = _binary(np.power), _binary(np.power, True), _inplace(np.power)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    _eq, _ne = _binary(np.equal), _binary(np.not_equal)

    # ``None in (traced, ...)`` (how index tuples are inspected) asks ``traced == None``
    def __eq__(self, other):
        return False if other is None else self._eq(other)

    def __ne__(self, other):
        return True if other is None else self._ne(other)
    __divmod__ = _binary(np.divmod)
    del _binary, _inplace

    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return np.positive(self)

    def __abs__(self):
        return np.absolute(self)

    def __invert__(self):
        return np.invert(self)


class Op:
    """A ufunc (or ufunc method) to call, with the name the program records for it."""

    __slots__ = ("fn", "key")

    def __init__(self, fn, key):
        self.fn = fn
        self.key = key

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __eq__(self, other):
        return isinstance(other, Op) and other.key == self.key

    def __hash__(self):
        return hash(self.key)


GETITEM = operator.getitem
_UFUNC_OPS = {}
try:        # NumPy 2: np.errstate swaps the object in this context variable
    from numpy._core.umath import _extobj_contextvar as _EXTOBJ
except ImportError:
    _EXTOBJ = None
