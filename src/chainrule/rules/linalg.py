"""Products and linear algebra: dot, matmul, inner, outer, tensordot, einsum, linalg.*."""
import numpy as np

from .registry import batch_ndim, defprim, implements

__all__ = ["matmul_p"]


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _matmul_vjp_a(g, ans, a, b):
    if np.ndim(b) == 1:
        if np.ndim(a) == 1:
            return g * b
        return np.expand_dims(g, -1) * b
    if np.ndim(a) == 1:
        return np.sum(np.expand_dims(g, -2) * b, axis=-1) if np.ndim(b) == 2 else \
            np.matmul(b, np.expand_dims(g, -1))[..., 0]
    return np.matmul(g, _mT(b))


def _matmul_vjp_b(g, ans, a, b):
    if np.ndim(a) == 1:
        if np.ndim(b) == 1:
            return g * a
        return np.expand_dims(a, -1) * np.expand_dims(g, -2)
    if np.ndim(b) == 1:
        return np.matmul(_mT(a), np.expand_dims(g, -1))[..., 0]
    return np.matmul(_mT(a), g)


def _matmul_jvp_a(t, ans, a, b):
    nb = batch_ndim(t, a)
    if np.ndim(a) == 1 and nb:      # t: batch + (n,) acts like a stack of rows
        return np.matmul(t, b)
    return np.matmul(t, b)


def _matmul_jvp_b(t, ans, a, b):
    nb = batch_ndim(t, b)
    if np.ndim(b) == 1 and nb:      # t: batch + (n,): compute a @ t for each batch element
        return np.matmul(np.expand_dims(t, -2), _mT(a))[..., 0, :] if np.ndim(a) == 2 else \
            np.sum(t * a, axis=-1) if np.ndim(a) == 1 else \
            np.matmul(a, np.expand_dims(t, -1))[..., 0]
    if np.ndim(b) >= 2 and np.ndim(a) == 1 and nb:
        return np.matmul(a, t)
    return np.matmul(a, t)


matmul_p = defprim(np.matmul, name="matmul", vjp=(_matmul_vjp_a, _matmul_vjp_b),
                   jvp=(_matmul_jvp_a, _matmul_jvp_b))


@implements(np.matmul)
def _matmul(x1, x2, /, out=None, **kwargs):
    if kwargs:
        raise NotImplementedError(f"np.matmul keywords {sorted(kwargs)} on tensors")
    res = matmul_p(x1, x2)
    if out is not None:
        out[...] = res
        return out
    return res


@implements(np.dot)
def _dot(a, b, out=None):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        res = a * b
    elif np.ndim(b) <= 2:
        res = matmul_p(a, b)
    else:
        res = np.tensordot(a, b, axes=([-1], [-2]))
    if out is not None:
        out[...] = res
        return out
    return res
