"""``numpy.fft`` for ``chainrule.numpy``: NumPy's functions, with list arguments that hold
tensors built into tensors.

Examples
--------
>>> import chainrule as cr, chainrule.numpy as np
>>> float(cr.grad(lambda x: np.fft.fft([x, 1.0]).real.sum())(1.0))
2.0
"""
import numpy.fft as _fft

from .lists import namespace as _namespace

globals().update(_namespace(_fft))


def __getattr__(name):
    return getattr(_fft, name)
