"""Convolution: ``convolve`` and ``correlate`` slice their modes out of two full-convolution
primitives whose VJPs are correlations again.
"""
import numpy as np

from ..api import defprim, implements

__all__ = ["convolve_full_p", "correlate_full_p"]


# ---------------------------------------------------------------- convolution
def _full(np_fn):
    """``np_fn(a, v, 'full')`` over the last axes, looping over (broadcast) leading axes."""
    def fn(a, v):
        from ...arrays import as_array
        a, v = as_array(a), as_array(v)
        if a.ndim == 1 and v.ndim == 1:
            return np_fn(a, v, "full")
        batch = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
        ab = np.broadcast_to(a, batch + a.shape[-1:]).reshape((-1,) + a.shape[-1:])
        vb = np.broadcast_to(v, batch + v.shape[-1:]).reshape((-1,) + v.shape[-1:])
        n = a.shape[-1] + v.shape[-1] - 1
        out = np.empty((ab.shape[0], n), dtype=np.result_type(a, v))
        for i in range(ab.shape[0]):
            out[i] = np_fn(ab[i], vb[i], "full")
        return out.reshape(batch + (n,))
    fn.__name__ = np_fn.__name__ + "_full"
    return fn


def _flip_last(x):
    return x[..., ::-1]


def _lags(x, start, size):
    return x[..., start:start + size]


# Full convolution and cross-correlation along the last axis, with NumPy's values.  Each is
# linear in each argument and its VJPs are correlations again, so every order works; leading
# axes broadcast (the tangents' batch axes ride along).  np.convolve and np.correlate slice
# their modes out of the full result.
convolve_full_p = defprim(
    _full(np.convolve), name="convolve_full", raw=True,
    vjp=(lambda g, ans, a, v: _lags(correlate_full_p(g, v), np.shape(v)[-1] - 1,
                                    np.shape(a)[-1]),
         lambda g, ans, a, v: _lags(correlate_full_p(g, a), np.shape(a)[-1] - 1,
                                    np.shape(v)[-1])),
    jvp=(lambda t, ans, a, v: convolve_full_p(t, v),
         lambda t, ans, a, v: convolve_full_p(a, t)), keep=('a', 'v'), keep_ans=False)

correlate_full_p = defprim(
    _full(np.correlate), name="correlate_full", raw=True,
    vjp=(lambda g, ans, a, v: _lags(convolve_full_p(g, v), np.shape(v)[-1] - 1,
                                    np.shape(a)[-1]),
         lambda g, ans, a, v: _flip_last(_lags(correlate_full_p(g, a), np.shape(a)[-1] - 1,
                                               np.shape(v)[-1]))),
    jvp=(lambda t, ans, a, v: correlate_full_p(t, v),
         lambda t, ans, a, v: correlate_full_p(a, t)), keep=('a', 'v'), keep_ans=False)


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
