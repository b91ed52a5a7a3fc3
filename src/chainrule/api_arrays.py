"""Arrays that speak only the array API standard, seen by chainrule through NumPy's protocols.

Dask and CuPy arrays take NumPy calls themselves (NEP 13/18).  An array whose library only
implements the array API standard (``array_api_strict``, and any other with
``__array_namespace__`` but no ``__array_function__``) does not: ``np.sin`` would convert it
to NumPy.  chainrule holds such an array inside an :class:`APIArray`, which answers NumPy's
protocols by calling the array's own namespace (``np.arcsin`` -> ``xp.asin``,
``np.concatenate`` -> ``xp.concat``, ...).  It is as strict as CuPy: it never converts
to NumPy (``__array__`` raises) and refuses NumPy arrays mixed into its operations (numbers
and index arrays are fine).  What the namespace lacks raises ``TypeError`` naming the
array type and the NumPy function.  Transforms wrap their inputs and unwrap their results,
so users only see their own arrays (``cr.grad(f)(array_api_strict.asarray(...))`` returns an
``array_api_strict`` array; tests/test_scale_backends.py).  NumPy's own arrays are never
wrapped:

>>> import numpy as np
>>> from chainrule.api_arrays import needs_wrapping
>>> needs_wrapping(np.zeros(2)), needs_wrapping(2.0)
(False, False)
"""
import builtins
import inspect
import operator

import numpy as np

from .arrays import UnsupportedArrayOperation

__all__ = ["APIArray", "wrap", "unwrap", "needs_wrapping"]

_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "complex64", "complex128")

# NumPy names that the standard spells differently
_RENAMED = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2", "power": "pow",
    "absolute": "abs", "conjugate": "conj", "invert": "bitwise_invert",
    "left_shift": "bitwise_left_shift", "right_shift": "bitwise_right_shift",
    "true_divide": "divide", "rint": "round", "concatenate": "concat",
    "cumsum": "cumulative_sum", "cumprod": "cumulative_prod", "amax": "max", "amin": "min",
}
_NUMPY_ONLY = ("kind", "order", "subok", "casting")
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
           "logical_and": "all", "logical_or": "any"}


_NEEDS = {}     # class -> does it need wrapping (cached: one dict lookup)


def needs_wrapping(x):
    """True for an array of a library that has the array API but not NumPy's protocols."""
    cls = type(x)
    known = _NEEDS.get(cls)
    if known is None:
        known = _NEEDS[cls] = (hasattr(cls, "__array_namespace__")
                               and not hasattr(cls, "__array_function__")
                               and not issubclass(cls, (np.ndarray, np.generic)))
    return known


def wrap(x):
    """``x`` in an :class:`APIArray` if its library needs one, else ``x``."""
    return APIArray(x) if needs_wrapping(x) else x


def unwrap(x):
    """The user's array inside an :class:`APIArray`; anything else as it is."""
    return x.array if type(x) is APIArray else x


def _name(xp_array):
    cls = type(xp_array)
    mod = ".".join(p for p in cls.__module__.split(".") if not p.startswith("_"))
    return f"{mod}.{cls.__qualname__}"


class APIArray:
    """An array API array answering NumPy's ``__array_ufunc__`` and ``__array_function__``."""

    __slots__ = ("array", "xp", "__weakref__")     # weak references: engine.note_write
    __array_priority__ = 500.0
    bool_arithmetic = False      # the standard has no sums or products of booleans

    def __init__(self, array):
        self.array = array
        self.xp = array.__array_namespace__()

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return tuple(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def size(self):
        return builtins.int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self):
        return _np_dtype(self.xp, self.array.dtype)

    @property
    def device(self):
        return self.array.device

    @property
    def T(self):
        return self._new(self.xp.permute_dims(self.array, tuple(range(self.ndim))[::-1]))

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"APIArray({self.array!r})"

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"chainrule does not convert {_name(self.array)} arrays to NumPy implicitly (as "
            "CuPy does not); convert explicitly with that library's own functions")

    def __bool__(self):
        return builtins.bool(self.array)

    def __float__(self):
        return builtins.float(self.array)

    def __int__(self):
        return builtins.int(self.array)

    def __index__(self):
        return operator.index(self.array)

    def _new(self, a):
        return APIArray(a) if hasattr(a, "__array_namespace__") else a

    # ------------------------------------------------------------------ methods
    def astype(self, dtype, copy=True, **_):
        return self._new(self.xp.astype(self.array, _xp_dtype(self.xp, dtype), copy=copy))

    def copy(self):
        return self._new(self.xp.asarray(self.array, copy=True))

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._new(self.xp.reshape(self.array, tuple(shape)))

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def sum(self, axis=None, keepdims=False, **kw):
        return np.sum(self, axis=axis, keepdims=keepdims, **kw)

    def __getitem__(self, idx):
        try:
            return self._new(self.array[self._index(idx)])
        except IndexError as e:
            raise _unsupported(self.array, f"indexing with {idx!r:.80}", e) from None

    def __setitem__(self, idx, value):
        self.array[self._index(idx)] = self._operand(value)

    def _index(self, idx, top=True):
        """NumPy index arrays (index data, not values) become arrays of this library; an
        index that leaves trailing axes out gets the Ellipsis that NumPy implies."""
        if top:
            items = idx if isinstance(idx, tuple) else (idx,)
            if not any(i is Ellipsis or isinstance(i, (np.ndarray, list, APIArray))
                       for i in items):
                items = items + (Ellipsis,)
            return tuple(self._index(i, False) for i in items)
        if type(idx) is APIArray:
            return idx.array
        if isinstance(idx, np.ndarray):
            if idx.ndim == 0:
                return idx.item()
            return self.xp.asarray(idx, device=self.array.device)
        if isinstance(idx, list):
            return self.xp.asarray(np.asarray(idx), device=self.array.device)
        return idx

    def _operand(self, x):
        """An operand in this library: numbers pass, NumPy arrays are refused (no mixing)."""
        if type(x) is APIArray:
            return x.array
        if isinstance(x, np.generic) or isinstance(x, np.ndarray) and x.ndim == 0:
            return x.item()
        if isinstance(x, np.ndarray):
            raise TypeError(
                f"a NumPy array (shape {x.shape}) was mixed into an operation on "
                f"{_name(self.array)} arrays, which chainrule keeps apart as CuPy does; make "
                "the operand with that library (xp.asarray(..., device=x.device))")
        if isinstance(x, (list, tuple)) and any(
                isinstance(i, (APIArray, np.ndarray, list, tuple)) for i in x):
            return type(x)(self._operand(i) for i in x)
        return x

    # ------------------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if kwargs.pop("out", None) is not None or any(_other(x) for x in inputs):
            return NotImplemented
        if method == "__call__":
            if kwargs:
                return NotImplemented
            args = [self._operand(x) for x in inputs]
            if name == "matmul":
                return self._new(self.xp.matmul(*args))
            if name in ("exp2", "cbrt", "fabs", "deg2rad", "rad2deg") and not \
                    hasattr(self.xp, name):
                return self._new(_SPELLED[name](self.xp, *args))
            return self._new(self._call(name, *args))
        if method == "reduce" and name in _REDUCE:
            axis = kwargs.pop("axis", 0)
            keep = kwargs.pop("keepdims", False)
            return self._new(getattr(self.xp, _REDUCE[name])(
                self._operand(inputs[0]), axis=axis, keepdims=keep))
        raise _unsupported(self.array, f"np.{name}.{method}")

    def __array_function__(self, func, types, args, kwargs):
        if any(t is not APIArray and not issubclass(t, np.ndarray) for t in types):
            return NotImplemented           # e.g. chainrule tensors: theirs to handle
        name = func.__name__
        mod = getattr(func, "__module__", "") or ""
        if ".linalg" in mod or ".fft" in mod:       # the standard's extensions
            ext = getattr(self.xp, "linalg" if ".linalg" in mod else "fft", None)
            fn = getattr(ext, name, None)
            if fn is None:
                raise _unsupported(self.array, f"np.{mod.split('.')[-1]}.{name}")
            return _rewrap(self, fn(*[self._operand(a) for a in args],
                                    **{k: self._operand(v) for k, v in kwargs.items()}))
        impl = _FUNCTIONS.get(name)
        if impl is not None:
            return impl(self, *args, **kwargs)
        args = [self._operand(a) for a in args]
        kwargs = {k: self._operand(v) for k, v in kwargs.items()}
        if "dtype" in kwargs and kwargs["dtype"] is not None:
            kwargs["dtype"] = _xp_dtype(self.xp, kwargs["dtype"])
        return _rewrap(self, self._call(name, *args, **kwargs))

    def _call(self, name, *args, **kwargs):
        fn = getattr(self.xp, _RENAMED.get(name, name), None)
        if fn is None:
            raise _unsupported(self.array, f"np.{name}")
        for k in _NUMPY_ONLY:
            kwargs.pop(k, None)
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            # the standard makes most parameters after the array keyword-only: name them as
            # NumPy's signature does
            np_fn = getattr(np, name, None)
            try:
                bound = inspect.signature(np_fn).bind(*args, **kwargs).arguments
            except (TypeError, ValueError):
                raise _unsupported(self.array, f"np.{name} with these arguments", e) from None
            names = [k for k in bound if k not in _NUMPY_ONLY]
            for k in range(1, len(names)):
                try:
                    return fn(*(bound[n] for n in names[:k]),
                              **{n: bound[n] for n in names[k:]})
                except TypeError:
                    continue
            raise _unsupported(self.array, f"np.{name} with these arguments", e) from None


def _other(x):
    """An operand of another array type with its own NumPy protocol (a chainrule tensor)."""
    return type(x) is not APIArray and hasattr(type(x), "__array_ufunc__") and \
        not isinstance(x, (np.ndarray, np.generic))


def _rewrap(ref, res):
    if isinstance(res, (tuple, list)):
        return type(res)(_rewrap(ref, r) for r in res)
    return ref._new(res)


def _unsupported(array, operation, error=None):
    why = f" ({error})" if error is not None else ""
    return UnsupportedArrayOperation(
        f"{_name(array)} arrays (array API namespace {array.__array_namespace__().__name__}) "
        f"cannot do {operation}{why}. Use an operation that the array API standard has, or "
        "compute this part with NumPy arrays.")


def _np_dtype(xp, dt):
    for n in _DTYPES:
        if getattr(xp, n, None) == dt:
            return np.dtype(n)
    raise TypeError(f"no NumPy dtype for {dt!r}")


def _xp_dtype(xp, dtype):
    if dtype is float:
        dtype = np.float64
    return getattr(xp, np.dtype(dtype).name)


# NumPy functions whose signature differs from the standard's
def _xp(a):
    return a.array if type(a) is APIArray else a


def _like(fill):
    def like(a, dtype=None, order="K", subok=True, shape=None, **kw):
        xp = a.xp
        dt = a.array.dtype if dtype is None else _xp_dtype(xp, dtype)
        shp = a.shape if shape is None else (tuple(shape) if np.ndim(shape) else (shape,))
        return APIArray(xp.full(shp, fill, dtype=dt, device=a.array.device))
    return like


def _full_like(a, fill_value, dtype=None, shape=None, **kw):
    return _like(fill_value)(a, dtype=dtype, shape=shape)


def _reshape(ref, a, shape=None, order="C", newshape=None, **kw):
    shape = newshape if shape is None else shape
    return ref._new(ref.xp.reshape(_xp(a), tuple(shape) if np.ndim(shape) else (shape,)))


def _transpose(ref, a, axes=None):
    nd = np.ndim(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(ax % nd for ax in axes)
    return ref._new(ref.xp.permute_dims(_xp(a), axes))


def _swapaxes(ref, a, i, j):
    nd = np.ndim(a)
    perm = list(range(nd))
    perm[i % nd], perm[j % nd] = perm[j % nd], perm[i % nd]
    return ref._new(ref.xp.permute_dims(_xp(a), tuple(perm)))


def _concat(ref, arrays, axis=0, **kw):
    parts = [ref._operand(a) for a in arrays]
    if axis is None:
        parts = [ref.xp.reshape(p, (-1,)) for p in parts]
        axis = 0
    return ref._new(ref.xp.concat(parts, axis=axis))


def _stack(ref, arrays, axis=0, **kw):
    return ref._new(ref.xp.stack([ref._operand(a) for a in arrays], axis=axis))


def _squeeze(ref, a, axis=None):
    if axis is None:
        axis = tuple(i for i, n in enumerate(np.shape(a)) if n == 1)
    return ref._new(ref.xp.squeeze(_xp(a), axis=axis))


def _dot(ref, a, b, out=None):
    a, b = ref._operand(a), ref._operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return ref._new(a * b)
    if b.ndim <= 2:
        return ref._new(ref.xp.matmul(a, b))
    return ref._new(ref.xp.tensordot(a, b, axes=([-1], [-2])))


def _where(ref, cond, x=None, y=None):
    if x is None:
        return _rewrap(ref, ref.xp.nonzero(ref._operand(cond)))
    c, x, y = ref._operand(cond), ref._operand(x), ref._operand(y)
    if not hasattr(x, "__array_namespace__") and not hasattr(y, "__array_namespace__"):
        kind = complex if complex in (type(x), type(y)) else \
            float if float in (type(x), type(y)) else None
        # the standard wants one array among them, and no int/float mixing
        x = ref.xp.asarray(kind(x) if kind else x, device=c.device)
        y = kind(y) if kind else y
    return ref._new(ref.xp.where(c, x, y))


def _shape(ref, a):
    return tuple(a.shape)


def _result_type(ref, *args):
    return np.result_type(*[a.dtype if type(a) is APIArray else a for a in args])


def _real(ref, a):
    if not np.issubdtype(a.dtype, np.complexfloating):
        return a
    return ref._new(ref.xp.real(_xp(a)))


def _imag(ref, a):
    if not np.issubdtype(a.dtype, np.complexfloating):
        return ref._new(ref.xp.zeros_like(_xp(a)))
    return ref._new(ref.xp.imag(_xp(a)))


def _iscomplexobj(ref, a):
    return np.issubdtype(a.dtype, np.complexfloating)


def _cumulative(name):
    def run(ref, a, axis=None, dtype=None, out=None):
        x = _xp(a)
        if axis is None:
            x, axis = ref.xp.reshape(x, (-1,)), 0
        return ref._new(getattr(ref.xp, name)(x, axis=axis))
    return run


def _copy(ref, a, **kw):
    return a.copy()


def _broadcast_to(ref, a, shape, subok=False):
    return ref._new(ref.xp.broadcast_to(ref._operand(a), tuple(shape)))


def _expand_dims(ref, a, axis):
    x = _xp(a)
    for ax in sorted(axis if isinstance(axis, (tuple, list)) else (axis,)):
        x = ref.xp.expand_dims(x, axis=ax)
    return ref._new(x)


def _moveaxis(ref, a, source, destination):
    return ref._new(ref.xp.moveaxis(_xp(a), source, destination))


def _asarray(ref, a, dtype=None, copy=None, **kw):
    """``np.asarray(constant, like=x)``: an explicit move of a constant to x's device."""
    if type(a) is APIArray:
        return a if dtype is None else a.astype(dtype)
    dt = None if dtype is None else _xp_dtype(ref.xp, dtype)
    return APIArray(ref.xp.asarray(a, dtype=dt, device=ref.array.device))


_FUNCTIONS = {
    "asarray": _asarray, "array": _asarray,
    "zeros_like": lambda ref, a, *args, **kw: _like(0)(a, *args, **kw),
    "ones_like": lambda ref, a, *args, **kw: _like(1)(a, *args, **kw),
    "empty_like": lambda ref, a, *args, **kw: _like(0)(a, *args, **kw),
    "full_like": lambda ref, a, *args, **kw: _full_like(a, *args, **kw),
    "reshape": _reshape, "transpose": _transpose, "swapaxes": _swapaxes,
    "concatenate": _concat, "stack": _stack, "squeeze": _squeeze, "dot": _dot,
    "where": _where, "shape": _shape, "ndim": lambda ref, a: np.ndim(a) if type(a) is not
    APIArray else a.ndim, "size": lambda ref, a, axis=None: a.size if axis is None else
    a.shape[axis], "result_type": _result_type, "real": _real, "imag": _imag,
    "iscomplexobj": _iscomplexobj, "cumsum": _cumulative("cumulative_sum"),
    "cumprod": _cumulative("cumulative_prod"), "copy": _copy, "broadcast_to": _broadcast_to,
    "expand_dims": _expand_dims, "moveaxis": _moveaxis,
}

_SPELLED = {
    "exp2": lambda xp, x: xp.pow(2.0, x),
    "cbrt": lambda xp, x: xp.sign(x) * xp.pow(xp.abs(x), 1.0 / 3.0),
    "fabs": lambda xp, x: xp.abs(x),
    "deg2rad": lambda xp, x: x * (np.pi / 180),
    "rad2deg": lambda xp, x: x * (180 / np.pi),
}

_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.divide,
           "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
           "matmul": np.matmul}
for _n, _u in _BINARY.items():
    setattr(APIArray, f"__{_n}__", lambda self, o, _u=_u: _u(self, o))
    setattr(APIArray, f"__r{_n}__", lambda self, o, _u=_u: _u(o, self))
for _n, _u in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
               "eq": np.equal, "ne": np.not_equal, "and": np.bitwise_and,
               "or": np.bitwise_or, "xor": np.bitwise_xor}.items():
    setattr(APIArray, f"__{_n}__", lambda self, o, _u=_u: _u(self, o))
APIArray.__neg__ = lambda self: np.negative(self)
APIArray.__pos__ = lambda self: self
APIArray.__abs__ = lambda self: np.absolute(self)
APIArray.__invert__ = lambda self: np.invert(self)
APIArray.__hash__ = None
