"""Inverse, determinant, solve, pinv, lstsq, cond, tensorinv, tensorsolve and the
``np.linalg`` spellings of transpose, diagonal and trace on tensors.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.linalg.solve`, where the derivatives are.
"""
import numbers
import numpy as np

from ...rules.api import implements, plain
from ...rules.linalg.common import (conj, hermitian_part, mT, reshape_to, result_dtype,
                                    result_type_of)
from ...rules.linalg.decompositions import svdvals_p
from .norms import linalg_norm
from ...rules.linalg.products import matmul_p
from ...rules.linalg.solve import det_p, inv_p, pinv_p, slogdet_p, solve_p

__all__ = []


@implements(np.linalg.inv)
def _inv(a):
    return inv_p(a)


@implements(np.linalg.det)
def _det(a):
    return det_p(a)


_SlogdetResult = result_type_of(np.linalg.slogdet(np.eye(1)))


@implements(np.linalg.slogdet)
def _slogdet(a):
    return _SlogdetResult(*slogdet_p(a))


@implements(np.linalg.solve)
def _solve(a, b):
    nb = np.ndim(b)
    if nb == 1:      # b is a vector (NumPy 2: a stack of vectors must be given as columns)
        x = solve_p(a, reshape_to(b, np.shape(b) + (1,)))
        return reshape_to(x, np.shape(x)[:-1])
    return solve_p(a, b)


def _pinv_rcond(a, rcond, rtol):
    if rcond is not None:
        if rtol is not np._NoValue:
            raise ValueError("`rtol` and `rcond` can't be both set.")
        return rcond
    if rtol is np._NoValue:
        return 1e-15
    if rtol is None:
        return max(np.shape(a)[-2:]) * np.finfo(result_dtype(a)).eps
    return rtol


@implements(np.linalg.pinv)
def _pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    if hermitian:      # the value reads the lower triangle (NumPy's); the gradient is Hermitian
        a = hermitian_part(a)
    rc = _pinv_rcond(a, rcond, rtol)
    if not isinstance(rc, numbers.Number):
        rc = float(rc) if np.ndim(rc) == 0 else tuple(np.ravel(rc))
        if isinstance(rc, tuple):
            raise NotImplementedError("np.linalg.pinv with an array rcond on tensors")
    return pinv_p(a, rcond=rc)


@implements(np.linalg.lstsq)
def _lstsq(a, b, rcond=None):
    """Least squares through the pseudo-inverse (full-rank: the same as LAPACK's answer)."""
    m, n = np.shape(a)
    if rcond is None:
        rcond = np.finfo(result_dtype(a, b)).eps * max(m, n)
    x = matmul_p(pinv_p(a, rcond=float(rcond)), b)
    sv = svdvals_p(a)
    sval = plain(sv)
    rank = int(np.sum(sval > rcond * sval.max())) if sval.size else 0
    if rank == n and m > n:
        r = matmul_p(a, x) - b
        resid = np.sum(np.real(r * conj(r)), axis=0)
        if np.ndim(b) == 1:
            resid = np.reshape(resid, (1,))
    else:
        resid = np.zeros((0,), dtype=result_dtype(a, b))
    return x, resid, rank, sv


@implements(np.linalg.cond)
def _cond(x, p=None):
    if p is None or p in (2, -2):
        sv = svdvals_p(x)
        big, small = sv[..., 0], sv[..., -1]
        return small / big if p == -2 else big / small
    return (linalg_norm(x, p, axis=(-2, -1)) * linalg_norm(np.linalg.inv(x), p, axis=(-2, -1)))


@implements(np.linalg.tensorinv)
def _tensorinv(a, ind=2):
    shape = np.shape(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    out, rest = shape[:ind], shape[ind:]
    n = int(np.prod(out, dtype=np.int64))
    if n != int(np.prod(rest, dtype=np.int64)):
        raise np.linalg.LinAlgError("tensorinv: the array is not square in the ind split")
    return np.reshape(inv_p(np.reshape(a, (n, -1))), rest + out)


@implements(np.linalg.tensorsolve)
def _tensorsolve(a, b, axes=None):
    nd = np.ndim(a)
    if axes is not None:
        axes = [int(ax) % nd for ax in axes]
        perm = [i for i in range(nd) if i not in axes] + axes
        a = np.transpose(a, perm)
    shape = np.shape(a)
    res_shape = shape[-(nd - np.ndim(b)):] if nd > np.ndim(b) else ()
    n = int(np.prod(res_shape, dtype=np.int64))
    x = _solve(np.reshape(a, (-1, n)), np.ravel(b))
    return np.reshape(x, res_shape)


def _matrix_transpose(x, /):
    if np.ndim(x) < 2:
        raise ValueError("matrix_transpose needs an array with at least 2 dimensions")
    return mT(x)


for _mod in (np, np.linalg):
    if hasattr(_mod, "matrix_transpose"):
        implements(_mod.matrix_transpose)(_matrix_transpose)

if hasattr(np.linalg, "diagonal"):
    implements(np.linalg.diagonal)(
        lambda x, /, *, offset=0: np.diagonal(x, offset=offset, axis1=-2, axis2=-1))
if hasattr(np.linalg, "trace"):
    implements(np.linalg.trace)(
        lambda x, /, *, offset=0, dtype=None: np.trace(x, offset=offset, axis1=-2, axis2=-1,
                                                       dtype=dtype))
