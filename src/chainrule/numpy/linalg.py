"""``numpy.linalg`` for ``chainrule.numpy``: NumPy's functions, with list arguments that hold
tensors built into tensors (``np.linalg.norm([x, y])``).

Examples
--------
>>> import chainrule as cr, chainrule.numpy as np
>>> float(cr.grad(lambda x: np.linalg.norm([x, 2.0 * x]))(1.0))
2.23606797749979
"""
import numpy.linalg as _linalg

from .lists import namespace as _namespace

globals().update(_namespace(_linalg))


def __getattr__(name):
    return getattr(_linalg, name)
