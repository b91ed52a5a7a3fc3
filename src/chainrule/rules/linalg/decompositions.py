"""Decompositions: ``cholesky``, ``eigh``/``eigvalsh``, ``svd`` (and its singular values),
``qr``.  The general ``eig``/``eigvals`` have no rule and say so (use ``eigh`` for symmetric
matrices).
"""
import numpy as np

from ..api import defprim, implements
from .common import hermitian_part, mT, reshape_to, result_dtype, result_type_of

__all__ = ["cholesky_p", "eigh_p", "qr_p", "svd_p", "svdvals_p"]


# ---------------------------------------------------------------- decompositions
# Each returns several arrays; the primitive packs them into one array (stacked along the
# row axis) and the handler slices them apart, so one call computes them all.
def _masks(n, dt):
    """Lower triangle with diagonal, and strictly lower triangle, as 0/1 matrices."""
    low = np.tril(np.ones((n, n), dtype=dt))
    return low, low - np.eye(n, dtype=dt)


def _sym_from_lower(t):
    """The symmetric matrix that LAPACK sees when it reads the lower triangle of ``t``."""
    low, strict = _masks(np.shape(t)[-1], result_dtype(t))
    return t * low + mT(t * strict)


def _lower_grad(s):
    """Cotangent of the input from the cotangent ``s`` of the symmetric matrix it stands for
    (adjoint of :func:`_sym_from_lower`)."""
    low, strict = _masks(np.shape(s)[-1], result_dtype(s))
    return s * low + mT(s) * strict


def _cholesky_vjp(g, ans, a):
    n = np.shape(a)[-1]
    low, strict = _masks(n, result_dtype(a))
    li = np.linalg.inv(ans)
    p = np.matmul(mT(ans), g) * (strict + 0.5 * np.eye(n, dtype=result_dtype(a)))
    return _lower_grad(np.matmul(mT(li), np.matmul(p, li)))


def _cholesky_jvp(t, ans, a):
    n = np.shape(a)[-1]
    low, strict = _masks(n, result_dtype(a))
    li = np.linalg.inv(ans)
    x = np.matmul(li, np.matmul(_sym_from_lower(t), mT(li)))
    return np.matmul(ans, x * (strict + 0.5 * np.eye(n, dtype=result_dtype(a))))


# reads the lower triangle of a, as NumPy does
cholesky_p = defprim(np.linalg.cholesky, name="cholesky", vjp=(_cholesky_vjp,),
                     jvp=(_cholesky_jvp,), keep=('a',))


@implements(np.linalg.cholesky)
def _cholesky(a, /, *, upper=False):
    if upper:   # the upper factor reads the upper triangle: transpose in and out
        return mT(cholesky_p(mT(a)))
    return cholesky_p(a)


def _pack(parts, widths, n):
    """Stack matrices ``parts`` (each ``(..., r_i, n)``) along the row axis, differentiably:
    ``sum_i E_i @ part_i`` with constant selection matrices ``E_i``."""
    total = sum(widths)
    out, row = None, 0
    for p, r in zip(parts, widths):
        e = np.zeros((total, r), dtype=result_dtype(p))
        e[row:row + r] = np.eye(r, dtype=e.dtype)
        term = np.matmul(e, p)
        out = term if out is None else out + term
        row += r
    return out


def _row(v):
    return reshape_to(v, np.shape(v)[:-1] + (1, np.shape(v)[-1]))


def _offdiag_inv(d):
    """``1 / d`` off the diagonal of the last two axes, 0 on it."""
    n = np.shape(d)[-1]
    eye = np.eye(n, dtype=bool)
    return np.where(eye, np.zeros_like(d), 1 / np.where(eye, np.ones_like(d), d))


def _eigh_fn(a):
    w, v = np.linalg.eigh(a)
    return np.concatenate([v, w[..., None, :]], axis=-2)


def _eigh_parts(ans):
    n = np.shape(ans)[-1]
    v, w = ans[..., :n, :], ans[..., n, :]
    return w, v, _offdiag_inv(_row(w) - mT(_row(w)))   # F_ij = 1 / (w_j - w_i)


def _eigh_vjp(g, ans, a):
    w, v, f = _eigh_parts(ans)
    n = np.shape(a)[-1]
    gv, gw = g[..., :n, :], g[..., n, :]
    inner = f * np.matmul(mT(v), gv) + _row(gw) * np.eye(n, dtype=result_dtype(a))
    return _lower_grad(np.matmul(v, np.matmul(inner, mT(v))))


def _eigh_jvp(t, ans, a):
    w, v, f = _eigh_parts(ans)
    y = np.matmul(mT(v), np.matmul(_sym_from_lower(t), v))
    n = np.shape(a)[-1]
    dw = np.sum(y * np.eye(n, dtype=result_dtype(a)), axis=-2)
    dv = np.matmul(v, f * y)
    return _pack([dv, _row(dw)], [n, 1], n)


# eigenvectors (rows :n) and eigenvalues (row n) of the lower triangle of a
eigh_p = defprim(_eigh_fn, name="eigh", raw=True, vjp=(_eigh_vjp,), jvp=(_eigh_jvp,), keep=('a',))

_EighResult = result_type_of(np.linalg.eigh(np.eye(1)))


@implements(np.linalg.eigh)
def _eigh(a, UPLO="L"):
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    if UPLO == "U":
        a = mT(a)   # the upper triangle of a is the lower triangle of a.T
    packed = eigh_p(a)
    n = np.shape(a)[-1]
    return _EighResult(packed[..., n, :], packed[..., :n, :])


@implements(np.linalg.eigvalsh)
def _eigvalsh(a, UPLO="L"):
    return _eigh(a, UPLO).eigenvalues


def _svd_fn(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([u, s[..., None, :], mT(vh)], axis=-2)


def _svd_parts(ans, a):
    m, n = np.shape(a)[-2:]
    u, s, v = ans[..., :m, :], ans[..., m, :], ans[..., m + 1:, :]
    s2 = _row(s * s)
    return u, s, v, _offdiag_inv(s2 - mT(s2))   # F_ij = 1 / (s_j^2 - s_i^2)


def _svd_jvp(t, ans, a):
    u, s, v, f = _svd_parts(ans, a)
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    eye = np.eye(k, dtype=result_dtype(a))
    tv = np.matmul(t, v)
    dp = np.matmul(mT(u), tv)
    ds = np.sum(dp * eye, axis=-2)
    sr = _row(s)
    du = np.matmul(u, f * (dp * sr + mT(dp * sr)))
    dv = np.matmul(v, f * (mT(sr) * dp + mT(mT(sr) * dp)))
    if m > k:
        du = du + (tv - np.matmul(u, np.matmul(mT(u), tv))) / sr
    if n > k:
        tu = np.matmul(mT(t), u)
        dv = dv + (tu - np.matmul(v, np.matmul(mT(v), tu))) / sr
    return _pack([du, _row(ds), dv], [m, 1, n], k)


def _svd_vjp(g, ans, a):
    u, s, v, f = _svd_parts(ans, a)
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    gu, gs, gv = g[..., :m, :], g[..., m, :], g[..., m + 1:, :]
    sr = _row(s)
    j = f * np.matmul(mT(u), gu)
    kk = f * np.matmul(mT(v), gv)
    mid = (j + mT(j)) * sr + mT(sr) * (kk + mT(kk)) + _row(gs) * np.eye(k, dtype=result_dtype(a))
    res = np.matmul(u, np.matmul(mid, mT(v)))
    if m > k:
        gus = gu / sr
        res = res + np.matmul(gus - np.matmul(u, np.matmul(mT(u), gus)), mT(v))
    if n > k:
        gvs = gv / sr
        res = res + np.matmul(u, mT(gvs - np.matmul(v, np.matmul(mT(v), gvs))))
    return res


# reduced SVD packed as rows: U (m), s (1), V = Vh.T (n); all have k = min(m, n) columns
svd_p = defprim(_svd_fn, name="svd", raw=True, vjp=(_svd_vjp,), jvp=(_svd_jvp,), keep=('a',))


def _svdvals_vjp(g, ans, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.matmul(u * _row(g), vh)


def _svdvals_jvp(t, ans, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * np.matmul(t, mT(vh)), axis=-2)


svdvals_p = defprim(lambda a: np.linalg.svd(a, compute_uv=False), name="svdvals", raw=True,
                    vjp=(_svdvals_vjp,), jvp=(_svdvals_jvp,), keep=('a',), keep_ans=False)

_SVDResult = result_type_of(np.linalg.svd(np.eye(1)))


@implements(np.linalg.svd)
def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        if compute_uv:
            raise NotImplementedError(
                "np.linalg.svd(hermitian=True) of a tensor: NumPy's singular vectors then come "
                "from eigh, with other signs and order than svd's; use np.linalg.eigh, or "
                "compute_uv=False for the singular values")
        return svdvals_p(hermitian_part(a))     # NumPy reads only the lower triangle
    if not compute_uv:
        return svdvals_p(a)
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            "np.linalg.svd(full_matrices=True) of a non-square tensor: the extra singular "
            "vectors are not unique, so they have no derivative; pass full_matrices=False")
    packed = svd_p(a)
    return _SVDResult(packed[..., :m, :], packed[..., m, :], mT(packed[..., m + 1:, :]))


if hasattr(np.linalg, "svdvals"):
    implements(np.linalg.svdvals)(lambda x, /: svdvals_p(x))


def _qr_fn(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q, r], axis=-2)


def _qr_parts(ans, a):
    m, n = np.shape(a)[-2:]
    return ans[..., :m, :], ans[..., m:, :]


def _qr_jvp(t, ans, a):
    q, r = _qr_parts(ans, a)
    m, n = np.shape(a)[-2:]
    low, strict = _masks(n, result_dtype(a))
    tri = mT(np.linalg.solve(mT(r), mT(t)))           # dA R^-1
    x = np.matmul(mT(q), tri)
    om = x * strict - mT(x * strict)
    dr = np.matmul(x - om, r)
    dq = np.matmul(q, om) + tri - np.matmul(q, x)
    return _pack([dq, dr], [m, n], n)


def _qr_vjp(g, ans, a):
    q, r = _qr_parts(ans, a)
    m, n = np.shape(a)[-2:]
    low, strict = _masks(n, result_dtype(a))
    gq, gr = g[..., :m, :], g[..., m:, :]
    mm = np.matmul(gr, mT(r)) - np.matmul(mT(q), gq)
    c = mm - (mm - mT(mm)) * strict
    return mT(np.linalg.solve(r, mT(gq + np.matmul(q, c))))   # (gQ + Q C) R^-T


# reduced QR (m >= n) packed as rows: Q (m), R (n)
qr_p = defprim(_qr_fn, name="qr", raw=True, vjp=(_qr_vjp,), jvp=(_qr_jvp,), keep=('a',))

_QRResult = result_type_of(np.linalg.qr(np.eye(1)))


@implements(np.linalg.qr)
def _qr(a, mode="reduced"):
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise NotImplementedError(f"np.linalg.qr(mode={mode!r}) on tensors")
    if m < n or (mode == "complete" and m != n):
        raise NotImplementedError(
            "np.linalg.qr of a tensor needs rows >= columns (and mode='complete' a square "
            "matrix): otherwise the factors are not unique, so they have no derivative")
    packed = qr_p(a)
    r = packed[..., m:, :]
    if mode == "r":
        return r
    return _QRResult(packed[..., :m, :], r)
