"""``np.convolve`` and ``np.correlate`` on tensors: the ``mode`` cut from the full
convolution.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.linalg.convolution`, where the derivatives are.
"""
import numpy as np

from ...rules.api import implements
from ...rules.linalg.convolution import convolve_full_p, correlate_full_p

__all__ = []


def _conv_args(a, v, name):
    a, v = (x if hasattr(x, "shape") and not isinstance(x, np.generic) else np.asarray(x)
            for x in (a, v))
    a = np.ravel(a) if np.ndim(a) == 0 else a
    v = np.ravel(v) if np.ndim(v) == 0 else v
    if np.ndim(a) != 1 or np.ndim(v) != 1:
        raise ValueError("object too deep for desired array")
    if np.shape(a)[0] == 0:
        raise ValueError("a cannot be empty" if name == "convolve" else
                         "correlate: a cannot be empty")
    if np.shape(v)[0] == 0:
        raise ValueError("v cannot be empty" if name == "convolve" else
                         "correlate: v cannot be empty")
    return a, v


def _by_parts(f, a, v, mode, conj):
    """``f`` (convolve or correlate) of complex ``a``, ``v`` from four real ones; ``conj``:
    ``f`` conjugates ``v`` (np.correlate does)."""
    ar, ai, vr, vi = np.real(a), np.imag(a), np.real(v), np.imag(v)
    s = -1 if conj else 1
    return (f(ar, vr, mode) - s * f(ai, vi, mode)) + 1j * (f(ai, vr, mode) + s * f(ar, vi, mode))


def _mode_slice(full, n, m, mode, same_start):
    if mode in ("full", 2):
        return full
    if mode in ("valid", 0):
        start, size = min(n, m) - 1, abs(n - m) + 1
    elif mode in ("same", 1):
        start, size = same_start, max(n, m)
    else:
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return full[start:start + size]


@implements(np.correlate)
def _correlate(a, v, mode="valid"):
    a, v = _conv_args(a, v, "correlate")
    if np.iscomplexobj(a) or np.iscomplexobj(v):
        return _by_parts(_correlate, a, v, mode, conj=True)
    n, m = np.shape(a)[0], np.shape(v)[0]
    return _mode_slice(correlate_full_p(a, v), n, m, mode, (m - 1) // 2 if n >= m else n // 2)


@implements(np.convolve)
def _convolve(a, v, mode="full"):
    a, v = _conv_args(a, v, "convolve")
    if np.iscomplexobj(a) or np.iscomplexobj(v):
        return _by_parts(_convolve, a, v, mode, conj=False)
    n, m = np.shape(a)[0], np.shape(v)[0]
    return _mode_slice(convolve_full_p(a, v), n, m, mode, (min(n, m) - 1) // 2)
