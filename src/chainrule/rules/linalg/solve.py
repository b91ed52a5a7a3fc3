"""Inverse, determinant and solving: the primitives and rules behind ``inv``, ``det``,
``slogdet``, ``solve``, ``pinv`` (also ``hermitian=True``), ``lstsq``, ``cond``,
``tensorinv`` and ``tensorsolve`` (whose NumPy signatures are handled in
:mod:`chainrule.numpy_api.linalg.solve`).
"""

import numpy as np

from ..api import batch_ndim, constant_like, defprim, plain
from .common import conj, conj_convention, mH, mT, pad_tangent, reshape_to, result_dtype

__all__ = ["cofactor", "det_p", "inv_p", "pinv_p", "slogdet_p", "solve_p"]


# ---------------------------------------------------------------- inverse, determinant, solve
inv_p = defprim(np.linalg.inv, name="inv",
                vjp=(lambda g, ans, a: -np.matmul(mT(ans), np.matmul(g, mT(ans))),),
                jvp=(lambda t, ans, a: -np.matmul(ans, np.matmul(t, ans)),), keep=())


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
        sign = constant_like((-1.0) ** np.add.outer(np.arange(n), np.arange(n)), a)
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


def _projectors(a, p):
    """``I - A A+`` and ``I - A+ A`` (``p`` is ``A+``), the identities in ``a``'s library."""
    m, n = np.shape(a)[-2:]
    dt = result_dtype(a)
    return (constant_like(np.eye(m, dtype=dt), a) - np.matmul(a, p),
            constant_like(np.eye(n, dtype=dt), a) - np.matmul(p, a))


def _pinv_vjp(g, ans, a, rcond):
    """Conjugate convention (Golub and Pereyra's derivative, transposed)."""
    p = ans
    q, r = _projectors(a, p)
    gt = mH(g)
    return (-np.matmul(mH(p), np.matmul(g, mH(p)))
            + np.matmul(q, np.matmul(gt, np.matmul(p, mH(p))))
            + np.matmul(np.matmul(mH(p), p), np.matmul(gt, r)))


def _pinv_jvp(t, ans, a, rcond):
    p = ans
    q, r = _projectors(a, p)
    tt = mH(t)
    return (-np.matmul(p, np.matmul(t, p))
            + np.matmul(np.matmul(p, mH(p)), np.matmul(tt, q))
            + np.matmul(r, np.matmul(tt, np.matmul(mH(p), p))))


# the Moore-Penrose inverse; its derivative (Golub & Pereyra) holds where the rank is constant
pinv_p = defprim(lambda a, rcond: np.linalg.pinv(a, rcond=rcond), name="pinv",
                 vjp=(conj_convention(_pinv_vjp),), jvp=(_pinv_jvp,), keep=('a',))
