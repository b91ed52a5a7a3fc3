"""``import chainrule.numpy as np``: NumPy for code that builds arrays out of traced values.

Plain NumPy already works on tensors (``np.sin(x)``, ``np.dot(x, x)``, ``np.stack([a, b])``),
except where NumPy gives a tensor no say: ``np.array([a, b])`` of tensors, ``np.r_[a, b]``,
or a Python list of tensors passed to a function (``np.mean([a, b])``), which NumPy turns into
an ndarray itself.  This namespace is NumPy with those filled in, the way HIPS autograd's
``autograd.numpy`` and ``jax.numpy`` are written against:

- ``array``, ``asarray``, ``asanyarray`` of (nested) lists holding tensors build a tensor
  differentiably (as ``cr.tensor([...])``); of a tensor, they give a tensor.
- ``r_`` and ``c_`` concatenate tensors, arrays, scalars and slices.
- Every function NumPy dispatches (``mean``, ``linalg.norm``, ``fft.fft``, ...) first builds
  its list or tuple arguments that hold tensors into tensors; other arguments pass unchanged.
- Ufuncs (``sin``, ``add``, ...), types, constants and everything else are NumPy's own
  objects: ``chainrule.numpy.sin is numpy.sin``, so tensors cost nothing extra there.  A
  ufunc of a list of tensors needs ``np.array([...])`` first.
- The integer and bool scalar types (``np.int64(x)``, ``np.bool_(x)``) take tensors (the
  values, which carry no derivative), as casts do in HIPS autograd.
- ``linalg``, ``fft`` and ``random`` are submodules the same way (``random`` is NumPy's).

Examples
--------
>>> import chainrule as cr
>>> import chainrule.numpy as np
>>> f = lambda x: np.sum(np.array([[x, 2.0 * x], [x ** 2, 1.0]]))
>>> float(cr.grad(f)(3.0))
9.0
>>> float(cr.grad(lambda x: np.linalg.norm([x, x + 2.0]))(0.0))
1.0
>>> cr.grad(lambda x: np.sum(np.r_[x, np.zeros(2), 2.0 * x]))(np.ones(2))
array([3., 3.])
>>> np.sin is __import__("numpy").sin
True
"""
import numpy as _np

from ..tensor import Tensor as _Tensor, tensor as _tensor
from . import lists as _lists
from .casts import integer_types as _integer_types
from .index_tricks import CClass as _CClass, RClass as _RClass

globals().update(_lists.namespace(_np, skip=("array", "asarray", "asanyarray", "r_", "c_",
                                             "linalg", "fft", "random")))
globals().update(_integer_types())
__version__ = _np.__version__       # the NumPy underneath, as autograd.numpy reports it

from . import fft, linalg, random  # noqa: E402  (after NumPy's names, which include these)


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """NumPy's ``array``; of a tensor, or a (nested) list that holds tensors, a tensor built
    differentiably (a recorded copy of a tensor; ``copy=False`` keeps the tensor itself).

    Examples
    --------
    >>> import chainrule as cr, chainrule.numpy as np
    >>> cr.grad(lambda x: np.sum(np.array([x, x * x]) ** 2))(1.0)
    array(6.)
    """
    if isinstance(object, _Tensor) or _lists.contains_tensor(object):
        out = _tensor(object) if copy or not isinstance(object, _Tensor) else object
        if dtype is not None and _np.dtype(dtype) != out.dtype:
            out = out.astype(dtype)
        if ndmin > out.ndim:
            out = out.reshape((1,) * (ndmin - out.ndim) + out.shape)
        return out
    kw = {} if like is None else {"like": like}
    return _np.array(object, dtype, copy=copy, order=order, subok=subok, ndmin=ndmin, **kw)


def asarray(a, dtype=None, order=None, **kwargs):
    """NumPy's ``asarray``; a tensor stays a tensor (cast to ``dtype`` if given) and a list
    that holds tensors becomes one, built differentiably."""
    if isinstance(a, _Tensor):
        return a if dtype is None or _np.dtype(dtype) == a.dtype else a.astype(dtype)
    if _lists.contains_tensor(a):
        return array(a, dtype)
    return _np.asarray(a, dtype, order, **kwargs)


def asanyarray(a, dtype=None, order=None, **kwargs):
    """NumPy's ``asanyarray``, tensor-aware as :func:`asarray`."""
    if isinstance(a, _Tensor) or _lists.contains_tensor(a):
        return asarray(a, dtype)
    return _np.asanyarray(a, dtype, order, **kwargs)


# what docs/coverage.md says: reverse, forward, 2nd order, complex, notes
COVERAGE = {name: ("composite", "composite", "yes", "yes", "of lists holding tensors")
            for name in ("array", "asarray", "asanyarray", "r_", "c_")}

r_ = _RClass()
c_ = _CClass()


def __getattr__(name):
    return getattr(_np, name)     # names NumPy loads on first use (testing, ctypeslib, ...)


def __dir__():
    return sorted(set(globals()) | set(dir(_np)))
