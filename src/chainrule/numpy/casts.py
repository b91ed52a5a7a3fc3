"""Integer and bool scalar types that take tensors: ``np.int64(x)`` of a tensor gives its
values as integers (an ndarray, or a NumPy scalar for a 0-d tensor), which carry no
derivative, as the same cast does in HIPS autograd.  NumPy's own ``np.int64(x)`` would refuse
a traced tensor, since converting to an array would drop a gradient.

Each type is a subclass of NumPy's, so ``dtype=np.int64``, ``np.issubdtype`` and
``isinstance(v, np.int64)`` behave as with NumPy's type, and a call without a tensor returns
NumPy's own scalar.

Examples
--------
>>> import numpy, chainrule as cr
>>> from chainrule.numpy import int64
>>> int64(cr.tensor([1.5, 2.5], requires_grad=True))
array([1, 2])
>>> isinstance(numpy.int64(3), int64), numpy.dtype(int64)
(True, dtype('int64'))
"""
import numpy as np

from ..tensor import plain
from .lists import as_array, contains_tensor

__all__ = ["integer_types"]


class _CastType(type):
    """Instance and subclass checks answered by the NumPy type a cast type stands for."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.numpy_type)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.numpy_type)


def _cast_new(cls, *args, **kwargs):
    if args and contains_tensor(args[0]):
        return cls.numpy_type(plain(as_array(args[0])), *args[1:], **kwargs)
    return cls.numpy_type(*args, **kwargs)


def _cast_type(t):
    return _CastType(t.__name__, (t,), {"numpy_type": t, "__new__": _cast_new,
                                         "__module__": "chainrule.numpy",
                                         "__doc__": f"``numpy.{t.__name__}`` that takes "
                                                    "tensors (their values, no derivative)."})


def integer_types():
    """NumPy's concrete integer and bool scalar types by their public names, as cast types."""
    made, out = {}, {}
    for name, t in vars(np).items():
        if name.startswith("_") or not isinstance(t, type) or \
                not issubclass(t, (np.integer, np.bool_)) or t.__module__ != "numpy":
            continue
        try:
            t(0)
        except TypeError:       # the abstract ones (np.integer, np.signedinteger, ...)
            continue
        if t not in made:
            made[t] = _cast_type(t)
        out[name] = made[t]
    return out
