"""``numpy.random`` for ``chainrule.numpy``: NumPy's own functions and global state
(``np.random.seed`` seeds NumPy's generator), so ``import chainrule.numpy.random as npr``
works as ``autograd.numpy.random`` does.

Examples
--------
>>> import chainrule.numpy as np
>>> np.random.seed(0); a = np.random.randn(2)
>>> import numpy; numpy.random.seed(0); bool((a == numpy.random.randn(2)).all())
True
"""
import numpy.random as _random
from numpy.random import *  # noqa: F401,F403


def __getattr__(name):
    return getattr(_random, name)
