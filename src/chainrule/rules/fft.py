"""``np.fft``: four linear primitives (``fft``, ``ifft``, ``rfft``, ``irfft`` along one axis)
and handlers that build the rest from them (the n-dimensional transforms apply them axis by
axis, as NumPy does; ``hfft``/``ihfft`` are ``irfft``/``rfft`` of conjugates).

Every transform is linear, so its JVP is the transform of the tangent.  In JAX's convention a
cotangent pulls back through a complex-linear map ``A`` as ``A.T @ ct`` (no conjugate): the
DFT matrix is symmetric, so ``fft``'s VJP is ``fft`` with the same ``norm``, then cut or
zero-padded back to the input's length; a real input keeps the real part.  ``irfft`` is only
real-linear (it reads the Hermitian half and drops imaginary parts at 0 and n/2): its VJP
is the weighted conjugate of ``rfft`` of the cotangent.
"""
import operator

import numpy as np

from .api import defprim, implements, real_only

__all__ = ["fft_p", "ifft_p", "rfft_p", "irfft_p"]

_NORMS = (None, "backward", "ortho", "forward")
_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'norm must be "backward", "ortho" or "forward" (or None), not '
                         f'{norm!r}')
    return norm or "backward"


def _along(axis, s):
    """An index that applies slice ``s`` along negative ``axis``."""
    return (Ellipsis, s) + (slice(None),) * (-axis - 1)


def _fit(a, m, axis):
    """``a`` cut or zero-padded to length ``m`` along negative ``axis``."""
    k = np.shape(a)[axis]
    if k == m:
        return a
    if k > m:
        return a[_along(axis, slice(0, m))]
    shape = list(np.shape(a))
    shape[axis] = m - k
    return np.concatenate([a, np.zeros(shape, dtype=np.result_type(a))], axis=axis)


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
    spec = np.conj(np.fft.rfft(g, axis=axis, norm=_SWAP[norm]))
    spec = spec * _irfft_weights(n, m, axis, np.finfo(ans.dtype).dtype)
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


def _axis(a, axis):
    nd = np.ndim(a)
    axis = operator.index(axis)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis - nd if axis >= 0 else axis


def _length(n, default):
    n = default if n is None else operator.index(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return n


def _one(prim, a, n, axis, norm, default=None):
    axis = _axis(a, axis)
    norm = _check_norm(norm)
    n = _length(n, np.shape(a)[axis] if default is None else default(np.shape(a)[axis]))
    return prim(a, n=n, axis=axis, norm=norm)


@implements(np.fft.fft)
def _fft(a, n=None, axis=-1, norm=None, out=None):
    return _one(fft_p, a, n, axis, norm)


@implements(np.fft.ifft)
def _ifft(a, n=None, axis=-1, norm=None, out=None):
    return _one(ifft_p, a, n, axis, norm)


def _rfft(a, n=None, axis=-1, norm=None, out=None):
    return _one(rfft_p, a, n, axis, norm)


@implements(np.fft.irfft)
def _irfft(a, n=None, axis=-1, norm=None, out=None):
    return _one(irfft_p, a, n, axis, norm, default=lambda m: 2 * (m - 1))


@implements(np.fft.hfft)
def _hfft(a, n=None, axis=-1, norm=None, out=None):
    return _irfft(np.conj(a), n, axis, _SWAP[_check_norm(norm)])


def _ihfft(a, n=None, axis=-1, norm=None, out=None):
    return np.conj(_rfft(a, n, axis, _SWAP[_check_norm(norm)]))


def _shape_axes(a, s, axes, default_axes=None):
    """NumPy's ``s``/``axes`` rules for the n-dimensional transforms."""
    nd = np.ndim(a)
    if axes is None:
        if s is None:
            axes = default_axes if default_axes is not None else tuple(range(nd))
        else:
            axes = tuple(range(nd - len(s), nd))
    axes = tuple(_axis(a, ax) for ax in axes)
    if s is None:
        s = tuple(np.shape(a)[ax] for ax in axes)
    elif len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return tuple(s), axes


def _each_axis(fn, a, s, axes, norm):
    for n, ax in zip(s, axes):
        a = fn(a, n, ax, norm)
    return a


@implements(np.fft.fftn)
def _fftn(a, s=None, axes=None, norm=None, out=None):
    s, axes = _shape_axes(a, s, axes)
    return _each_axis(_fft, a, s, axes, norm)


@implements(np.fft.ifftn)
def _ifftn(a, s=None, axes=None, norm=None, out=None):
    s, axes = _shape_axes(a, s, axes)
    return _each_axis(_ifft, a, s, axes, norm)


@implements(np.fft.fft2)
def _fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _fftn(a, s, axes, norm)


@implements(np.fft.ifft2)
def _ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _ifftn(a, s, axes, norm)


def _rfftn(a, s=None, axes=None, norm=None, out=None):
    s, axes = _shape_axes(a, s, axes)
    a = _rfft(a, s[-1], axes[-1], norm)
    return _each_axis(_fft, a, s[:-1], axes[:-1], norm)


@implements(np.fft.irfftn)
def _irfftn(a, s=None, axes=None, norm=None, out=None):
    given = s is not None
    s, axes = _shape_axes(a, s, axes)
    if not given:
        s = s[:-1] + (2 * (s[-1] - 1),)
    a = _each_axis(_ifft, a, s[:-1], axes[:-1], norm)
    return _irfft(a, s[-1], axes[-1], norm)


def _rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _rfftn(a, s, axes, norm)


@implements(np.fft.irfft2)
def _irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _irfftn(a, s, axes, norm)


def _shift_axes(x, axes):
    if axes is None:
        return tuple(range(np.ndim(x)))
    return (axes,) if isinstance(axes, int) else tuple(axes)


@implements(np.fft.fftshift)
def _fftshift(x, axes=None):
    axes = _shift_axes(x, axes)
    return np.roll(x, [np.shape(x)[ax] // 2 for ax in axes], axes)


@implements(np.fft.ifftshift)
def _ifftshift(x, axes=None):
    axes = _shift_axes(x, axes)
    return np.roll(x, [-(np.shape(x)[ax] // 2) for ax in axes], axes)


# the real-input transforms: NumPy drops the imaginary part of complex input (with a
# warning); chainrule refuses it rather than differentiate a different function
for _f, _h in [(np.fft.rfft, _rfft), (np.fft.ihfft, _ihfft), (np.fft.rfftn, _rfftn),
               (np.fft.rfft2, _rfft2)]:
    implements(_f)(real_only(_f, f"np.fft.{_f.__name__} takes real input (np.fft.fft takes "
                                 "complex input)", _h))
