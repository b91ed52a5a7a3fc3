"""Convolution: two full-convolution primitives whose VJPs are correlations again;
``np.convolve`` and ``np.correlate`` slice their modes out of them
(:mod:`chainrule.numpy_api.linalg.convolution`).
"""
import numpy as np

from ..api import defprim

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
