"""``np.fft``: four linear primitives (``fft``, ``ifft``, ``rfft``, ``irfft`` along one axis)
with their rules; :mod:`chainrule.numpy_api.fft` builds the rest from them (the
n-dimensional transforms apply them axis by axis, as NumPy does; ``hfft``/``ihfft`` are
``irfft``/``rfft`` of conjugates).

Every transform is linear, so its JVP is the transform of the tangent.  In JAX's convention a
cotangent pulls back through a complex-linear map ``A`` as ``A.T @ ct`` (no conjugate): the
DFT matrix is symmetric, so ``fft``'s VJP is ``fft`` with the same ``norm``, then cut or
zero-padded back to the input's length; a real input keeps the real part.  ``irfft`` is only
real-linear (it reads the Hermitian half and drops imaginary parts at 0 and n/2): its VJP
is the weighted conjugate of ``rfft`` of the cotangent.
"""

import numpy as np

from .api import constant_like, defprim, index_from_end, zeros_as

__all__ = ["fft_p", "ifft_p", "rfft_p", "irfft_p"]
SWAP_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fit(a, m, axis):
    """``a`` cut or zero-padded to length ``m`` along negative ``axis``."""
    k = np.shape(a)[axis]
    if k == m:
        return a
    if k > m:
        return a[index_from_end(axis, slice(0, m))]
    shape = list(np.shape(a))
    shape[axis] = m - k
    return np.concatenate([a, zeros_as(a, shape, np.result_type(a))], axis=axis)


def _real_like(g, x):
    """The cotangent of ``x``: the real part when ``x`` is real (JAX's convention)."""
    return g if np.iscomplexobj(x) else np.real(g)


def _fft_vjp(g, ans, x, n, axis, norm):
    return _real_like(_fit(np.fft.fft(g, axis=axis, norm=norm), np.shape(x)[axis], axis), x)


def _ifft_vjp(g, ans, x, n, axis, norm):
    return _real_like(_fit(np.fft.ifft(g, axis=axis, norm=norm), np.shape(x)[axis], axis), x)


def _rfft_vjp(g, ans, x, n, axis, norm):
    full = _fit(g, n, axis)          # the rows rfft leaves out get no cotangent
    return np.real(_fit(np.fft.fft(full, axis=axis, norm=norm), np.shape(x)[axis], axis))


def _irfft_weights(n, m, axis, dtype):
    """2 for the frequencies irfft counts twice (once as its mirror image), else 1."""
    w = np.full(m, 2.0, dtype=dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((m,) + (1,) * (-axis - 1))


def _irfft_vjp(g, ans, x, n, axis, norm):
    m = n // 2 + 1
    spec = np.conj(np.fft.rfft(g, axis=axis, norm=SWAP_NORM[norm]))
    spec = spec * constant_like(_irfft_weights(n, m, axis, np.finfo(ans.dtype).dtype), spec)
    return _real_like(_fit(spec, np.shape(x)[axis], axis), x)


def _linear(name, fn, vjp, keep):
    """A linear transform along one axis: its JVP is the transform of the tangent."""
    return defprim(lambda x, n, axis, norm: fn(x, n, axis, norm), name=name, vjp=(vjp,),
                   jvp=(lambda t, ans, x, n, axis, norm: fn(t, n, axis, norm),),
                   keep=keep, keep_ans=name == "irfft")


# the VJPs read x only for its length and whether it is real (and irfft's the output dtype)
fft_p = _linear("fft", np.fft.fft, _fft_vjp, ("x", "n", "axis", "norm"))
ifft_p = _linear("ifft", np.fft.ifft, _ifft_vjp, ("x", "n", "axis", "norm"))
rfft_p = _linear("rfft", np.fft.rfft, _rfft_vjp, ("x", "n", "axis", "norm"))
irfft_p = _linear("irfft", np.fft.irfft, _irfft_vjp, ("x", "n", "axis", "norm"))
