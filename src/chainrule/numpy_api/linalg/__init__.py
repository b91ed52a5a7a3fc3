"""``np.linalg`` (and the products NumPy keeps at the top level) on tensors, one module per
family as in :mod:`chainrule.rules.linalg`: :mod:`.products`, :mod:`.decompositions`,
:mod:`.norms`, :mod:`.solve` and :mod:`.convolution`.
"""
from . import products, decompositions, norms, solve, convolution  # noqa: F401

__all__ = []
