"""Matrix functions from SciPy (when it is installed): ``expm``, ``logm``, ``sqrtm``.

SciPy's functions turn their input into an ndarray, so they cannot see a tensor; these take
tensors and ndarrays alike (as ``autograd.scipy`` does).  Each derivative is the function's
Frechet derivative, read off the function of a block matrix:
``f([[A, E], [0, A]]) = [[f(A), L_f(A, E)], [0, f(A)]]``, so rules are the function again
and derivatives of every order exist.  These functions are holomorphic with real Taylor
coefficients, so the VJP is ``L_f(A^T, G)`` (JAX's convention for complex input too).

>>> import numpy as np, chainrule as cr
>>> from chainrule.rules.linalg.matrix_functions import expm
>>> float(cr.grad(lambda a: expm(a)[0, 0])(np.zeros((2, 2)))[0, 0])
1.0
"""
import numpy as np

from ...arrays import unsupported as unsupported_array
from ..api import defprim, is_other
from .common import mT

__all__ = ["expm", "logm", "sqrtm", "frechet"]


def _stacked(f, name):
    """``f`` (SciPy's ``name``, for one matrix) over a stack of matrices."""
    def run(a):
        host = getattr(type(a), "host_call", None)
        if host is not None:        # cr.compile's traced value: SciPy runs as one step
            return host(a, run, a)
        if is_other(a):
            raise unsupported_array(a, f"scipy.linalg.{name} (SciPy computes on NumPy arrays only)")
        a = np.asarray(a)
        if a.ndim == 2:
            return f(a)
        out = [f(m) for m in a.reshape((-1,) + a.shape[-2:])]
        res = np.stack(out) if out else np.zeros((0,) + a.shape[-2:], a.dtype)
        return res.reshape(a.shape[:-2] + res.shape[-2:])
    run.__name__ = name
    return run


def frechet(f, a, e):
    """``L_f(a, e)``, the derivative of matrix function ``f`` at ``a`` in direction ``e`` (``e``
    may carry leading batch axes), from ``f`` of the block matrix ``[[a, e], [0, a]]``."""
    n = np.shape(a)[-1]
    a = np.broadcast_to(a, np.shape(e)) if np.ndim(e) > np.ndim(a) else a
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros_like(e), a], axis=-1)
    return f(np.concatenate([top, bottom], axis=-2))[..., :n, n:]


def _matrix_function(fn, name):
    prim = defprim(_stacked(fn, name), name=name, raw=True, keep=("a",), keep_ans=False)
    prim.defvjp(lambda g, ans, a: frechet(prim, mT(a), g))
    prim.defjvp(lambda t, ans, a: frechet(prim, a, t))
    return prim


_PRIMS = {}     # made on first use: importing chainrule must not import SciPy


def _prim(name):
    prim = _PRIMS.get(name)
    if prim is None:
        try:
            import scipy.linalg as sl
        except ImportError:
            raise ImportError(f"{name} needs SciPy: pip install scipy") from None
        fn = {"expm": sl.expm, "logm": lambda a: sl.logm(a, disp=False)[0],
              "sqrtm": lambda a: sl.sqrtm(a, disp=False)[0]}[name]
        prim = _PRIMS[name] = _matrix_function(fn, name)
    return prim


def expm(a):
    """``scipy.linalg.expm`` on tensors (and arrays): the matrix exponential."""
    return _prim("expm")(a)


def logm(a):
    """``scipy.linalg.logm`` on tensors: the principal matrix logarithm."""
    return _prim("logm")(a)


def sqrtm(a):
    """``scipy.linalg.sqrtm`` on tensors: the principal matrix square root."""
    return _prim("sqrtm")(a)
