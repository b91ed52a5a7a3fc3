"""``np.histogram`` on tensors: counts carry no gradient, and weights that need one are
refused (:mod:`chainrule.rules.nondiff` lists the other functions without a gradient).
"""
import numpy as np

from ..rules.api import implements, is_traced, run_on_values

__all__ = []


@implements(np.histogram)
def _histogram(a, bins=10, range=None, density=None, weights=None):
    """Counts carry no gradient; weights that need one would lose it, so they are refused."""
    if is_traced(weights):
        raise TypeError(
            "np.histogram with weights= that need a gradient has no derivative rule in "
            "chainrule; use np.bincount(np.digitize(a, edges) - 1, weights=w) (differentiable "
            "in w), or pass weights.detach()")
    return run_on_values(np.histogram, (a,), dict(bins=bins, range=range, density=density,
                                                   weights=weights))
