"""cholesky, eigh/eigvalsh, eig/eigvals, svd/svdvals and qr on tensors: ``UPLO``,
``full_matrices``, ``compute_uv``, ``mode`` and NumPy's result tuples.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.linalg.decompositions`, where the derivatives are.
"""
import numpy as np

from ...rules.api import implements
from ...rules.linalg.common import hermitian_part, mH, result_type_of
from ...rules.linalg.decompositions import cholesky_p, eig_p, eigh_p, qr_p, svd_p, svdvals_p

__all__ = []


@implements(np.linalg.cholesky)
def _cholesky(a, /, *, upper=False):
    """Reads one triangle (NumPy's value); derivatives with respect to the Hermitian input
    (Hermitian gradient, as JAX and PyTorch: docs/complex.md)."""
    if upper:   # the upper factor of a is the conjugate transpose of the lower one of a^H
        return mH(cholesky_p(mH(a)))
    return cholesky_p(a)

_EighResult = result_type_of(np.linalg.eigh(np.eye(1)))


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO


@implements(np.linalg.eigh)
def _eigh(a, UPLO="L"):
    """Reads the ``UPLO`` triangle (NumPy's values); derivatives with respect to the Hermitian
    input (Hermitian gradient, as JAX and PyTorch: docs/complex.md)."""
    return _EighResult(*eigh_p(a, UPLO=_uplo(UPLO)))


@implements(np.linalg.eigvalsh)
def _eigvalsh(a, UPLO="L"):
    """Reads the ``UPLO`` triangle (NumPy's values); derivatives with respect to the Hermitian
    input (Hermitian gradient, as JAX and PyTorch: docs/complex.md)."""
    return eigh_p(a, UPLO=_uplo(UPLO))[0]

_EigResult = result_type_of(np.linalg.eig(np.eye(1)))


@implements(np.linalg.eig)
def _eig(a):
    return _EigResult(*eig_p(a))


@implements(np.linalg.eigvals)
def _eigvals(a):
    return eig_p(a)[0]

_SVDResult = result_type_of(np.linalg.svd(np.eye(1)))


@implements(np.linalg.svd)
def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        if compute_uv:
            raise NotImplementedError(
                "np.linalg.svd(hermitian=True) of a tensor: NumPy's singular vectors then come "
                "from eigh, with other signs and order than svd's; use np.linalg.eigh, or "
                "compute_uv=False for the singular values")
        return svdvals_p(hermitian_part(a))     # NumPy's value; Hermitian derivative
    if not compute_uv:
        return svdvals_p(a)
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            "np.linalg.svd(full_matrices=True) of a non-square tensor: the extra singular "
            "vectors are not unique, so they have no derivative; pass full_matrices=False")
    return _SVDResult(*svd_p(a))


if hasattr(np.linalg, "svdvals"):
    implements(np.linalg.svdvals)(lambda x, /: svdvals_p(x))

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
    q, r = qr_p(a)
    if mode == "r":
        return r
    return _QRResult(q, r)
