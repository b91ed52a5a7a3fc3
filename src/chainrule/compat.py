"""What differs between the NumPy versions chainrule supports (1.23 to 2.x), in one place.

Rules and tests use these names instead of testing ``np.__version__`` themselves.

>>> import numpy as np
>>> from chainrule.compat import sign
>>> sign(np.array([3 + 4j, 0j, -2.0 + 0j]))
array([ 0.6+0.8j,  0. +0.j , -1. +0.j ])
"""
import numpy as np

__all__ = ["NUMPY_VERSION", "AxisError", "sign"]

NUMPY_VERSION = tuple(int(p) for p in np.__version__.split(".")[:2])

#: ``np.exceptions.AxisError`` (NumPy >= 1.25), ``np.AxisError`` before.
AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError

_COMPLEX_SIGN_IS_UNIT = NUMPY_VERSION >= (2, 0)


def sign(x):
    """``np.sign`` with NumPy 2's meaning for complex input, ``z / |z|`` (0 at 0), on every
    NumPy (NumPy 1.x gives the sign of the real part, which makes ``abs``'s derivative
    wrong).  Written with NumPy calls, so it works on tensors too.
    """
    if _COMPLEX_SIGN_IS_UNIT or not np.iscomplexobj(x):
        return np.sign(x)
    a = np.abs(x)
    zero = a == 0
    return np.where(zero, 0, x / np.where(zero, 1, a))
