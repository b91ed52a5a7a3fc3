"""A CPU stand-in for a GPU array library as strict as CuPy, for tests that run anywhere.

:class:`DeviceArray` holds an ndarray and takes part in NumPy's calls through NEP 13/18, as
``cupy.ndarray`` does, with CuPy's refusals:

- a NumPy array (0-d ones too) mixed into a ufunc or a NumPy function raises ``TypeError``
  (``Unsupported type <class 'numpy.ndarray'>``); NumPy scalars and Python numbers are fine;
- implicit conversion (``np.asarray(x)``, ``__array__``) raises ``TypeError``;
- functions that make arrays take NumPy data when asked with ``like=`` (NEP 35), as
  ``cupy.asarray`` does.

Indexing takes NumPy index arrays, as CuPy's does.  Results are DeviceArrays again, so a
test can check that chainrule never left the "device".  ``.get()`` copies to the host.

>>> import numpy as np
>>> x = DeviceArray(np.arange(3.0))
>>> type(np.sin(x) + 1).__name__
'DeviceArray'
>>> np.sin(x) + np.ones(3)
Traceback (most recent call last):
...
TypeError: Unsupported type <class 'numpy.ndarray'>
"""
import weakref

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

_OWNERS = weakref.WeakValueDictionary()     # id(owning ndarray) -> its DeviceArray

_CREATION = {np.asarray, np.array, np.asanyarray, np.ascontiguousarray, np.zeros, np.ones,
             np.empty, np.full, np.eye, np.identity, np.arange, np.linspace, np.tri,
             np.frombuffer, np.fromfunction}


def _refuse(x):
    """Raise as CuPy does for a NumPy array among the operands (nested in lists too)."""
    if type(x) is np.ndarray:
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        for i in x:
            _refuse(i)


def _foreign(x):
    """An array type other than ours and NumPy's that takes part in NumPy's protocols."""
    t = type(x)
    return t is not DeviceArray and not issubclass(t, (np.ndarray, np.generic)) and \
        hasattr(t, "__array_ufunc__") and t.__array_ufunc__ is not None


def _unwrap(x):
    if type(x) is DeviceArray:
        return x.a
    if type(x) in (list, tuple):
        return type(x)(_unwrap(i) for i in x)
    if type(x) is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    if type(x) is np.ndarray:
        return DeviceArray(x)
    if isinstance(x, np.generic):       # CuPy's reductions give 0-d arrays, never scalars
        return DeviceArray(np.asarray(x))
    if isinstance(x, tuple):
        items = [_wrap(i) for i in x]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)
    if type(x) is list:
        return [_wrap(i) for i in x]
    return x


class DeviceArray(NDArrayOperatorsMixin):
    """An ndarray "on the device": see the module docstring."""

    __slots__ = ("a", "_owner", "__weakref__")

    def __init__(self, a):
        self.a = np.asarray(a)
        self._owner = None
        if self.a.base is None or not isinstance(self.a.base, np.ndarray):
            _OWNERS[id(self.a)] = self

    @property
    def base(self):
        """The DeviceArray that owns this one's memory, ``None`` for an owner (CuPy's views
        point to the array they were made from, as NumPy's do)."""
        root = self.a
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root is self.a:
            return None
        if self._owner is None or self._owner.a is not root:
            found = _OWNERS.get(id(root))
            if found is None or found.a is not root:
                found = DeviceArray(root)
            self._owner = found                 # held: the same object every time
        return self._owner

    # ------------------------------------------------------------------ protocols
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        for x in inputs + tuple(kwargs.get("out", ()) or ()):
            if _foreign(x):             # another array type (a chainrule tensor) decides
                return NotImplemented
            _refuse(x)
        if method == "at":
            a, idx, *rest = inputs
            for r in rest:
                _refuse(r)
            ufunc.at(_unwrap(a), _unwrap(idx), *_unwrap(tuple(rest)))
            return None
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o) for o in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if any(t is not DeviceArray and not issubclass(t, np.ndarray) for t in types):
            return NotImplemented
        kwargs = dict(kwargs)
        kwargs.pop("like", None)
        if func not in _CREATION:
            for x in args:
                _refuse(x)
            for x in kwargs.values():
                _refuse(x)
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # ------------------------------------------------------------------ ndarray's face
    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)
    nbytes = property(lambda self: self.a.nbytes)
    strides = property(lambda self: self.a.strides)
    flags = property(lambda self: self.a.flags)
    T = property(lambda self: DeviceArray(self.a.T))
    mT = property(lambda self: DeviceArray(self.a.mT))
    real = property(lambda self: DeviceArray(self.a.real))
    imag = property(lambda self: DeviceArray(self.a.imag))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self.a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            for x in args:
                _refuse(x)
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        return method

    def __getitem__(self, idx):
        return _wrap(self.a[_unwrap(idx)])

    def __setitem__(self, idx, value):
        _refuse(value)
        self.a[_unwrap(idx)] = _unwrap(value)

    def __len__(self):
        return len(self.a)

    def __iter__(self):
        return (_wrap(v) for v in self.a)

    def __bool__(self):
        return bool(self.a)

    def __float__(self):
        return float(self.a)

    def __int__(self):
        return int(self.a)

    def __complex__(self):
        return complex(self.a)

    def __index__(self):
        return self.a.__index__()

    def __repr__(self):
        return f"DeviceArray({self.a!r})"

    def get(self):
        """A NumPy copy on the host (``cupy.ndarray.get``)."""
        return self.a.copy()
