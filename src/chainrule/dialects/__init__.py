"""The frameworks' own spellings of differentiation, on chainrule's one engine.

``tensorflow``: :class:`Variable` and :class:`GradientTape` (``cr.Variable``,
``cr.GradientTape``).  The MXNet and PyTorch spellings live in :mod:`chainrule.autograd`,
the JAX / HIPS autograd ones in :mod:`chainrule.transforms`.
"""
from .tensorflow import GradientTape, UnconnectedGradients, Variable

__all__ = ["GradientTape", "UnconnectedGradients", "Variable"]
