"""``np.fft`` on tensors: ``n``/``s``, ``axis``/``axes`` and ``norm`` checked and
normalized; the n-dimensional and Hermitian transforms written with the one-axis
primitives.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.fft`, where the derivatives are.
"""
import numpy as np
import operator

from ..rules.api import implements, real_only
from ..rules.fft import fft_p, ifft_p, irfft_p, rfft_p, SWAP_NORM

__all__ = []

_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'norm must be "backward", "ortho" or "forward" (or None), not '
                         f'{norm!r}')
    return norm or "backward"


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
    return _irfft(np.conj(a), n, axis, SWAP_NORM[_check_norm(norm)])


def _ihfft(a, n=None, axis=-1, norm=None, out=None):
    return np.conj(_rfft(a, n, axis, SWAP_NORM[_check_norm(norm)]))


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
