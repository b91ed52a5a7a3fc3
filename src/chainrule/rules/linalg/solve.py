"""Inverse, determinant and solving: ``inv``, ``det``, ``slogdet``, ``solve``, ``pinv`` (also
``hermitian=True``), ``lstsq``, ``cond``, ``tensorinv``, ``tensorsolve``.
"""
import numbers

import numpy as np

from ..api import batch_ndim, defprim, implements, plain
from .common import (conj, conj_convention, hermitian_part, mH, mT, pad_tangent, reshape_to,
                     result_dtype, result_type_of)
from .decompositions import svdvals_p
from .norms import linalg_norm
from .products import matmul_p

__all__ = ["cofactor", "det_p", "inv_p", "pinv_p", "slogdet_p", "solve_p"]


# ---------------------------------------------------------------- inverse, determinant, solve
inv_p = defprim(np.linalg.inv, name="inv",
                vjp=(lambda g, ans, a: -np.matmul(mT(ans), np.matmul(g, mT(ans))),),
                jvp=(lambda t, ans, a: -np.matmul(ans, np.matmul(t, ans)),), keep=())


@implements(np.linalg.inv)
def _inv(a):
    return inv_p(a)


def _unsq2(x):
    return reshape_to(x, np.shape(x) + (1, 1))


def _inv_T(a):
    return mT(np.linalg.inv(a))


def _singular(a):
    """True if a matrix of the stack is singular to working precision (its determinant is
    below ``n * eps`` times Hadamard's bound, the product of its column norms)."""
    v = plain(a)                # in its own library (a guard when compiled)
    n = np.shape(v)[-1]
    if n == 0:
        return False
    bound = np.prod(np.linalg.norm(v, axis=-2), axis=-1)
    eps = np.finfo(v.dtype).eps if v.dtype.kind in "fc" else np.finfo(float).eps
    return bool(np.any(np.abs(np.linalg.det(v)) <= n * eps * bound))


_MINORS_MAX = 16      # cofactors of a singular matrix from minors up to this size


def cofactor(a, det=None):
    """The cofactor matrix of each matrix in a stack: ``d det(a) = sum(cofactor * da)``.

    ``det * inv(a).T`` where ``a`` is invertible; from the minors (determinants of the
    ``(n-1) x (n-1)`` submatrices, so derivatives of any order exist) where it is singular,
    which NumPy's ``inv`` refuses.  (Above 16 x 16 a singular matrix's cofactors come from its
    SVD: ``U adj(S) V^H`` times the determinants of ``U`` and ``V^H``.)
    """
    n = np.shape(a)[-1]
    if not _singular(a):
        d = np.linalg.det(a) if det is None else det
        return _unsq2(d) * _inv_T(a)
    if n == 1:
        return np.ones_like(a)
    if n <= _MINORS_MAX:
        keep = np.array([[j for j in range(n) if j != i] for i in range(n)])
        minors = a[..., keep[:, None, :, None], keep[None, :, None, :]]   # (..., n, n, n-1, n-1)
        sign = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
        return sign * np.linalg.det(minors)
    u, s, vh = np.linalg.svd(a)
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1)
    scale = np.linalg.det(u) * np.linalg.det(vh)
    return _unsq2(scale) * np.matmul(u * others[..., None, :], vh)


# d det = sum(cofactor * da): holomorphic, so the VJP is g * cofactor (JAX's convention)
det_p = defprim(np.linalg.det, name="det",
                vjp=(lambda g, ans, a: _unsq2(g) * cofactor(a, ans),),
                jvp=(lambda t, ans, a: np.sum(cofactor(a, ans) * t, axis=(-2, -1)),),
                keep=("a",))


def _slogdet_vjp(g, ans, a):
    """Conjugate convention: ``(g_l - i Im(conj(g_s) sign)) inv(a)^H``."""
    gs, gl = g
    sign, _ = ans
    coef = np.real(gl)
    if np.iscomplexobj(sign):
        coef = coef - 1j * np.imag(conj(gs) * sign)
    return _unsq2(coef) * mH(np.linalg.inv(a))


def _slogdet_jvp(t, ans, a):
    sign, _ = ans
    c = np.sum(_inv_T(a) * t, axis=(-2, -1))             # tr(inv(a) da)
    dsign = sign * (1j * np.imag(c)) if np.iscomplexobj(sign) else np.zeros_like(np.real(c))
    return dsign, np.real(c) if np.iscomplexobj(c) else c


# sign = det / |det| (a phase for complex input, +-1 with derivative 0 for real) and log|det|
slogdet_p = defprim(lambda a: tuple(np.linalg.slogdet(a)), name="slogdet", multiple_results=True,
                    vjp=(conj_convention(_slogdet_vjp),), jvp=(_slogdet_jvp,), keep=("a",))


@implements(np.linalg.det)
def _det(a):
    return det_p(a)


_SlogdetResult = result_type_of(np.linalg.slogdet(np.eye(1)))


@implements(np.linalg.slogdet)
def _slogdet(a):
    return _SlogdetResult(*slogdet_p(a))


def _solve_jvp_a(t, ans, a, b):
    nb = batch_ndim(t, a)
    tp = pad_tangent(t, nb, np.ndim(ans))
    return -np.linalg.solve(a, np.matmul(tp, ans))


def _solve_jvp_b(t, ans, a, b):
    return np.linalg.solve(a, pad_tangent(t, batch_ndim(t, b), np.ndim(ans)))


def _solve_vjp(g, ans, a, b):
    """Both cotangents from one solve with ``a^T``."""
    gb = np.linalg.solve(mT(a), g)
    return -np.matmul(gb, mT(ans)), gb


# a x = b for stacks of matrices b (..., M, K); the handler turns a vector b into a column
solve_p = defprim(np.linalg.solve, name="solve", vjp=(_solve_vjp,), joint_vjp=True,
                  jvp=(_solve_jvp_a, _solve_jvp_b), keep=("a",))


_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


@implements(np.linalg.solve)
def _solve(a, b):
    nb = np.ndim(b)
    if nb == 1 or (not _NUMPY2 and nb == np.ndim(a) - 1):   # b is a (stack of) vector(s)
        x = solve_p(a, reshape_to(b, np.shape(b) + (1,)))
        return reshape_to(x, np.shape(x)[:-1])
    return solve_p(a, b)


def _pinv_vjp(g, ans, a, rcond):
    """Conjugate convention (Golub and Pereyra's derivative, transposed)."""
    p = ans
    m, n = np.shape(a)[-2:]
    dt = result_dtype(a)
    q = np.eye(m, dtype=dt) - np.matmul(a, p)        # I - A A+
    r = np.eye(n, dtype=dt) - np.matmul(p, a)        # I - A+ A
    gt = mH(g)
    return (-np.matmul(mH(p), np.matmul(g, mH(p)))
            + np.matmul(q, np.matmul(gt, np.matmul(p, mH(p))))
            + np.matmul(np.matmul(mH(p), p), np.matmul(gt, r)))


def _pinv_jvp(t, ans, a, rcond):
    p = ans
    m, n = np.shape(a)[-2:]
    dt = result_dtype(a)
    q = np.eye(m, dtype=dt) - np.matmul(a, p)
    r = np.eye(n, dtype=dt) - np.matmul(p, a)
    tt = mH(t)
    return (-np.matmul(p, np.matmul(t, p))
            + np.matmul(np.matmul(p, mH(p)), np.matmul(tt, q))
            + np.matmul(r, np.matmul(tt, np.matmul(mH(p), p))))


# the Moore-Penrose inverse; its derivative (Golub & Pereyra) holds where the rank is constant
pinv_p = defprim(lambda a, rcond: np.linalg.pinv(a, rcond=rcond), name="pinv",
                 vjp=(conj_convention(_pinv_vjp),), jvp=(_pinv_jvp,), keep=('a',))


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
    if hermitian:      # NumPy reads only the lower triangle; so does the gradient
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
