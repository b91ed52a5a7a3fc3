"""Decompositions: ``cholesky``, ``eigh``/``eigvalsh``, ``eig``/``eigvals``, ``svd`` (and its
singular values), ``qr``; real and complex input.

``eigh``, ``eig``, ``svd`` and ``qr`` are primitives with several results (one LAPACK call
gives them all).  VJP rules are written in the conjugate convention (the textbook formulas,
with ``mH`` where a real rule has ``.T``) and turned into the engine's (JAX's) convention by
:func:`~.common.conj_convention`.  Couplings ``1 / (w_j - w_i)`` between equal eigenvalues
(or singular values) are infinite; they multiply with a strong zero (:func:`~.common.
masked_times`), so a function of the eigenvalues alone has its derivative at a degenerate
matrix (the identity, say), while the eigenvectors themselves honestly have none there.

``cholesky``, ``eigh`` and ``eigvalsh`` read one triangle of the input, as NumPy does, and
their derivatives are exactly those of NumPy's functions: a tangent is read in that triangle
(:func:`~.common.herm_from`) and gradients lie in it (:func:`~.common.herm_grad`).  The
derivative with respect to a Hermitian input (JAX's and PyTorch's) is that of the function
of ``(a + a^H) / 2`` (docs/complex.md).
"""
import numpy as np

from ..api import constant_like, defprim, maybe_nonzero, plain
from .common import (conj, conj_convention, diag_part, eye_like, herm_from, herm_grad, mH, mT,
                     masked_over, masked_times, offdiag_inv, real_part as _real, reshape_to)

__all__ = ["cholesky_p", "eig_p", "eigh_p", "qr_p", "svd_p", "svdvals_p"]


def _row(v):
    """A vector (stack) as a row matrix: ``(..., 1, n)``."""
    return reshape_to(v, np.shape(v)[:-1] + (1, np.shape(v)[-1]))


def _col(v):
    return reshape_to(v, np.shape(v) + (1,))


# ---------------------------------------------------------------- cholesky
def _phi(x):
    """The strictly lower triangle plus half the diagonal."""
    return np.tril(x, -1) + 0.5 * (x * eye_like(x))


def _cholesky_vjp(g, ans, a):
    li = np.linalg.inv(ans)
    return herm_grad(np.matmul(mH(li), np.matmul(_phi(np.matmul(mH(ans), g)), li)))


def _cholesky_jvp(t, ans, a):
    li = np.linalg.inv(ans)
    return np.matmul(ans, _phi(np.matmul(li, np.matmul(herm_from(t), mH(li)))))


# reads the lower triangle of a, as NumPy does (value and derivative)
cholesky_p = defprim(np.linalg.cholesky, name="cholesky", vjp=(conj_convention(_cholesky_vjp),),
                     jvp=(_cholesky_jvp,), keep=("a",))


# ---------------------------------------------------------------- eigh
def _used_columns(gw, *others):
    """The columns whose values' cotangents ``gw`` are not 0 (in some matrix of the stack),
    or None where a vector's cotangent in ``others`` is not 0 or every column is used.

    A function of the eigenvalues alone then has the VJP ``V[:, k] gw[k] V[:, k]^H`` over
    those columns only: its own derivative (second order) then needs no eigenvector whose
    eigenvalue is repeated, where the eigenvectors have none."""
    if any(np.any(maybe_nonzero(o)) for o in others):
        return None
    used = np.any(np.reshape(maybe_nonzero(gw), (-1, np.shape(gw)[-1])), axis=0)
    return None if used.all() else np.flatnonzero(used)


def _eigh_vjp(g, ans, a, UPLO):
    gw, gv = g
    w, v = ans
    cols = _used_columns(gw, gv)
    if cols is not None:
        vk = v[..., cols]
        return herm_grad(np.matmul(vk * _row(_real(gw[..., cols])), mH(vk)), UPLO == "U")
    f = offdiag_inv(_row(w) - mT(_row(w)))           # F_ij = 1 / (w_j - w_i)
    inner = masked_times(f, np.matmul(mH(v), gv)) + _row(_real(gw)) * eye_like(v)
    return herm_grad(np.matmul(v, np.matmul(inner, mH(v))), UPLO == "U")


def _eigh_jvp(t, ans, a, UPLO):
    w, v = ans
    y = np.matmul(mH(v), np.matmul(herm_from(t, UPLO == "U"), v))
    f = offdiag_inv(_row(w) - mT(_row(w)))
    return _real(diag_part(y)), np.matmul(v, masked_times(f, y))


# eigenvalues and eigenvectors of the Hermitian matrix in one triangle of a (as NumPy reads
# it; value and derivative)
eigh_p = defprim(lambda a, UPLO: tuple(np.linalg.eigh(a, UPLO)), name="eigh", raw=True,
                 multiple_results=True, vjp=(conj_convention(_eigh_vjp),), jvp=(_eigh_jvp,),
                 keep=())


# ---------------------------------------------------------------- eig (general)
def _eig_coupling(w):
    """``F_ij = 1 / (w_j - w_i)``; a repeated eigenvalue has no derivative: say so."""
    d = _row(w) - mT(_row(w))
    if np.any((plain(d) == 0) & ~constant_like(np.eye(np.shape(d)[-1], dtype=bool), d)):
        raise np.linalg.LinAlgError(
            "np.linalg.eig: the matrix has a repeated eigenvalue, where its eigenvalues and "
            "eigenvectors have no derivative. For a Hermitian matrix use np.linalg.eigh, whose "
            "eigenvalues have one; otherwise perturb the matrix")
    return offdiag_inv(d)


def _eig_vjp(g, ans, a):
    gw, gv = g
    w, v = ans
    f = _eig_coupling(w)
    vhgv = np.matmul(mH(v), gv)
    vhgv = vhgv - np.matmul(mH(v), v * _row(_real(diag_part(vhgv))))   # unit-norm columns
    c = vhgv * conj(f) + _row(gw) * eye_like(v)
    res = np.linalg.solve(mH(v), np.matmul(c, mH(v)))                # V^-H C V^H
    return res if np.iscomplexobj(a) else np.real(res)


def _eig_jvp(t, ans, a):
    w, v = ans
    f = _eig_coupling(w)
    y = np.matmul(np.linalg.solve(v, t), v)                           # V^-1 dA V
    dv = np.matmul(v, f * y)
    dv = dv - v * _row(_real(np.sum(conj(v) * dv, axis=-2)))          # keep columns unit-norm
    dw = diag_part(y)
    if not np.iscomplexobj(w):      # NumPy gives real results when all eigenvalues are real
        dw, dv = _real(dw), _real(dv)
    return dw, dv


# eigenvalues and (unit-norm) right eigenvectors of a general matrix
eig_p = defprim(lambda a: tuple(np.linalg.eig(a)), name="eig", raw=True, multiple_results=True,
                vjp=(conj_convention(_eig_vjp),), jvp=(_eig_jvp,), keep=("a",))


# ---------------------------------------------------------------- svd
def _svd_vjp(g, ans, a):
    gu, gs, gvh = g
    u, s, vh = ans
    cols = _used_columns(gs, gu, gvh)
    if cols is not None:
        return np.matmul(u[..., cols] * _row(_real(gs[..., cols])), vh[..., cols, :])
    v, gv = mH(vh), mH(gvh)
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    sr = _row(s)
    s2 = _row(s * s)
    f = offdiag_inv(s2 - mT(s2))                     # F_ij = 1 / (s_j^2 - s_i^2)
    xu = np.matmul(mH(u), gu)
    ju = masked_times(f, xu)
    jv = masked_times(f, np.matmul(mH(v), gv))
    mid = (ju + mH(ju)) * sr + mT(sr) * (jv + mH(jv)) + _row(_real(gs)) * eye_like(s, k)
    if np.iscomplexobj(a):          # the phase of each pair of singular vectors: U carries it
        im = np.imag(xu) * eye_like(s, k)
        mid = mid + 1j * masked_over(im, sr)
    res = np.matmul(u, np.matmul(mid, vh))
    if m > k:
        gus = masked_over(gu, sr)
        res = res + np.matmul(gus - np.matmul(u, np.matmul(mH(u), gus)), vh)
    if n > k:
        gvs = masked_over(gv, sr)
        res = res + np.matmul(u, mH(gvs - np.matmul(v, np.matmul(vh, gvs))))
    return res


def _svd_jvp(t, ans, a):
    u, s, vh = ans
    v = mH(vh)
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    tv = np.matmul(t, v)
    dp = np.matmul(mH(u), tv)
    ds = _real(diag_part(dp))
    sr = _row(s)
    s2 = _row(s * s)
    f = offdiag_inv(s2 - mT(s2))
    du = np.matmul(u, masked_times(f, dp * sr + mH(dp * sr)))
    dv = np.matmul(v, masked_times(f, mT(sr) * dp + mH(mT(sr) * dp)))
    if np.iscomplexobj(dp):
        du = du + np.matmul(u, masked_over(1j * np.imag(dp) * eye_like(dp, k), sr))
    if m > k:
        du = du + masked_over(tv - np.matmul(u, np.matmul(mH(u), tv)), sr)
    if n > k:
        tu = np.matmul(mH(t), u)
        dv = dv + masked_over(tu - np.matmul(v, np.matmul(vh, tu)), sr)
    return du, ds, mH(dv)


# the reduced SVD: U (m x k), s (k), Vh (k x n) with k = min(m, n)
svd_p = defprim(lambda a: tuple(np.linalg.svd(a, full_matrices=False)), name="svd", raw=True,
                multiple_results=True, vjp=(conj_convention(_svd_vjp),), jvp=(_svd_jvp,),
                keep=("a",))


def _svdvals_vjp(g, ans, a):
    """``U diag(g) V^H`` over the singular values whose cotangents are not 0 only, so its own
    derivative needs no singular vector of a repeated value that ``g`` does not use."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    cols = _used_columns(g)
    if cols is not None:
        return np.matmul(u[..., cols] * _row(_real(g[..., cols])), vh[..., cols, :])
    return np.matmul(u * _row(_real(g)), vh)


def _svdvals_jvp(t, ans, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _real(np.sum(conj(u) * np.matmul(t, mH(vh)), axis=-2))


svdvals_p = defprim(lambda a: np.linalg.svd(a, compute_uv=False), name="svdvals", raw=True,
                    vjp=(conj_convention(_svdvals_vjp),), jvp=(_svdvals_jvp,), keep=("a",),
                    keep_ans=False)


# ---------------------------------------------------------------- qr
def _right_solve_r(x, r):
    """``x R^-1`` for the upper-triangular ``r``."""
    return mT(np.linalg.solve(mT(r), mT(x)))


def _qr_jvp(t, ans, a):
    q, r = ans
    tri = _right_solve_r(t, r)                       # dA R^-1
    x = np.matmul(mH(q), tri)
    low = np.tril(x, -1)
    om = low - mH(low)                               # skew-Hermitian
    if np.iscomplexobj(x):
        om = om + 1j * np.imag(x) * eye_like(x)
    dr = np.matmul(x - om, r)
    dq = np.matmul(q, om - x) + tri
    return dq, dr


def _qr_vjp(g, ans, a):
    gq, gr = g
    q, r = ans
    qhgq = np.matmul(mH(q), gq)
    n_ = qhgq - np.matmul(gr, mH(r))
    low = np.tril(n_, -1)
    c = np.matmul(gr, mH(r)) + low - mH(np.triu(n_, 1))
    if np.iscomplexobj(n_):
        c = c + 1j * np.imag(n_) * eye_like(n_)
    tcoef = np.matmul(q, c) + gq - np.matmul(q, qhgq)
    return mH(np.linalg.solve(r, mH(tcoef)))         # T R^-H


# reduced QR (m >= n)
qr_p = defprim(lambda a: tuple(np.linalg.qr(a)), name="qr", raw=True, multiple_results=True,
               vjp=(conj_convention(_qr_vjp),), jvp=(_qr_jvp,), keep=())
