"""Helpers the linear-algebra rule modules share: stacked transposes, reshapes, tangent
padding, result dtypes, NumPy result tuples and the Hermitian part NumPy's ``hermitian=True``
reads.

Tangents may carry leading batch dimensions (``batch_ndim``); rules that broadcast a tangent
against another operand first pad it with size-1 axes (:func:`pad_tangent`) so the batch axes
never line up with the other operand's stack axes.
"""
import numpy as np


__all__ = ["mT", "reshape_to", "pad_tangent", "result_dtype", "result_type_of", "hermitian_part"]


def mT(x):
    """Swap the last two axes (a transpose of each matrix in a stack)."""
    nd = np.ndim(x)
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)
    return np.transpose(x, _MT_PERMS[nd] if nd < 8 else
                        tuple(range(nd - 2)) + (nd - 1, nd - 2))


_MT_PERMS = [None, None] + [tuple(range(n - 2)) + (n - 1, n - 2) for n in range(2, 8)]


def reshape_to(x, shape):
    """``np.reshape`` that skips the call when the shape is already right."""
    shape = tuple(shape)
    return x if np.shape(x) == shape else np.reshape(x, shape)


def pad_tangent(t, nb, nd):
    """Give tangent ``t`` (``nb`` batch axes) ``nd`` non-batch axes by inserting 1s after the
    batch, so the batch axes cannot meet another operand's stack axes when broadcasting."""
    shape = np.shape(t)
    extra = nd - (len(shape) - nb)
    if extra <= 0:
        return t
    return np.reshape(t, shape[:nb] + (1,) * extra + shape[nb:])


def result_dtype(*xs):
    return np.result_type(*[getattr(x, "dtype", x) for x in xs])


def result_type_of(example):
    """The namedtuple class NumPy returns (plain tuples on old NumPy)."""
    cls = type(example)
    return cls if cls is not tuple else (lambda *parts: parts)


def hermitian_part(a):
    """The Hermitian matrix NumPy's ``hermitian=True`` reads: the lower triangle of ``a``,
    mirrored (conjugated) above the diagonal."""
    return np.tril(a) + np.conj(np.swapaxes(np.tril(a, -1), -1, -2))
