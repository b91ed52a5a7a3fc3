"""The NumPy-API layer: NumPy's functions on tensors, their arguments parsed into primitives.

Each handler (registered with :func:`chainrule.dispatch.implements`) takes a NumPy
function's signature as NumPy documents it (``axis``, ``keepdims``, ``out``, ``dtype``,
``ord``, ``mode``, ...), checks and normalizes it, and calls the primitives of
:mod:`chainrule.rules`, which hold the derivatives; a handler has no derivative of its own.
Modules mirror the rule tables: :mod:`.elementwise`, :mod:`.reductions`, :mod:`.shape`,
:mod:`.linalg` (products, norms, solve, decompositions, convolution), :mod:`.fft` and
:mod:`.nondiff`.  This package imports the rule tables (through their public names and
:mod:`chainrule.rules.api`); nothing below it imports this package.  Importing it fills
:data:`chainrule.dispatch.FUNCTIONS`; ``import chainrule`` does.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule import dispatch
>>> dispatch.FUNCTIONS[np.mean].__module__
'chainrule.numpy_api.reductions'
>>> cr.grad(lambda x: np.mean(x, axis=0, keepdims=True).sum())(np.ones((2, 3)))
array([[0.5, 0.5, 0.5],
       [0.5, 0.5, 0.5]])
"""
from . import elementwise, reductions, shape, linalg, nondiff, fft  # noqa: F401

__all__ = []
