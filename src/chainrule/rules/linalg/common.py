"""Helpers the linear-algebra rule modules share: stacked (conjugate) transposes, reshapes,
tangent padding, result dtypes, NumPy result tuples, the Hermitian part NumPy's
``hermitian=True`` reads, and for complex input the conjugate convention
(:func:`conj_convention`) and products with a strong zero (:func:`masked_times`).

Tangents may carry leading batch dimensions (``batch_ndim``); rules that broadcast a tangent
against another operand first pad it with size-1 axes (:func:`pad_tangent`) so the batch axes
never line up with the other operand's stack axes.
"""
import functools

import numpy as np

from ..api import all_finite, conj_if, conj_transpose, constant_like, maybe_nonzero, plain


__all__ = ["mT", "mH", "conj", "reshape_to", "pad_tangent", "result_dtype", "result_type_of",
           "hermitian_part", "herm_from", "herm_grad", "conj_convention", "masked_times",
           "masked_over", "eye_like", "offdiag_inv", "diag_part", "real_part"]


def mT(x):
    """Swap the last two axes (a transpose of each matrix in a stack)."""
    nd = np.ndim(x)
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)
    return np.transpose(x, _MT_PERMS[nd] if nd < 8 else
                        tuple(range(nd - 2)) + (nd - 1, nd - 2))


conj = conj_if          # conj(x) for complex x; x itself (no copy, no node) for real x
mH = conj_transpose     # the conjugate transpose of each matrix in a stack


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


def _tri(x, upper, strict):
    """The lower (or upper) triangle of each matrix, with or without its diagonal."""
    return np.triu(x, 1 if strict else 0) if upper else np.tril(x, -1 if strict else 0)


def _real_diag(x):
    """The diagonal of ``x`` as a diagonal matrix, real part only (LAPACK ignores the
    imaginary part of a Hermitian matrix's diagonal)."""
    return real_part(x * eye_like(x))


def herm_from(t, upper=False):
    """The Hermitian matrix LAPACK sees when it reads one triangle of ``t`` (the lower one, or
    the upper for ``upper``): that triangle mirrored (conjugated) across the diagonal, whose
    imaginary part is dropped.  Real-linear: the tangent rule of the functions that read one
    triangle (``cholesky``, ``eigh``, ``hermitian=True``) applies it to their tangent, so
    their derivatives are exactly those of NumPy's functions (docs/complex.md)."""
    s = _tri(t, upper, True)
    return s + mH(s) + _real_diag(t)


def herm_grad(m, upper=False):
    """Adjoint of :func:`herm_from` (conjugate convention): the cotangent of the matrix whose
    triangle was read, from the cotangent ``m`` of the Hermitian matrix.  Zero in the other
    triangle; the diagonal's is real."""
    return _tri(m, upper, True) + _tri(mH(m), upper, True) + _real_diag(m)


def hermitian_part(a):
    """The Hermitian matrix NumPy's ``hermitian=True`` reads: the lower triangle of ``a``,
    mirrored (conjugated) above the diagonal, with a real diagonal.  Differentiated as
    written, so the gradient lies in the lower triangle, as NumPy's function reads it."""
    return herm_from(a)


def conj_convention(rule):
    """A VJP rule written in the conjugate convention (the textbook formulas with ``.conj().T``,
    PyTorch's ``.grad``) as the engine calls it, in JAX's convention: ``conj(rule(conj(g)))``.
    For real input both conventions are the same, and nothing is conjugated.  Tuples of
    cotangents (several outputs or inputs) are conjugated item by item."""
    @functools.wraps(rule)
    def run(g, ans, *args, **kwargs):
        res = rule(_conj_all(g), ans, *args, **kwargs)
        return _conj_all(res)
    return run


def _conj_all(x):
    if type(x) is tuple:
        return tuple(None if v is None else conj(v) for v in x)
    return conj(x)


def masked_times(f, x):
    """``f * x`` with 0 where ``x`` is 0, even where ``f`` is infinite (the engine's strong
    zero: a coupling ``1 / (w_j - w_i)`` between equal eigenvalues or singular values meets a
    zero when the result does not depend on those eigenvectors)."""
    if all_finite(f):
        return f * x
    with np.errstate(invalid="ignore"):
        out = f * x
    return np.where(maybe_nonzero(x), out, np.zeros_like(out))


def masked_over(x, d):
    """``x / d`` with 0 where ``x`` is 0, even where ``d`` is 0."""
    dv = plain(d)
    if not np.any(dv == 0):
        return x / d
    return np.where(maybe_nonzero(x), x / np.where(dv == 0, np.ones_like(d), d),
                    np.zeros_like(x))


def eye_like(x, n=None):
    """The ``n x n`` identity (``n``: the last axis of ``x``) in ``x``'s dtype."""
    n = np.shape(x)[-1] if n is None else n
    return constant_like(np.eye(n, dtype=result_dtype(x)), x)


def offdiag_inv(d):
    """``1 / d`` off the diagonal of the last two axes, 0 on it; ``inf`` (a constant) where
    ``d`` is 0 off the diagonal, meant for :func:`masked_times`."""
    n = np.shape(d)[-1]
    eye = constant_like(np.eye(n, dtype=bool), d)
    bad = (plain(d) == 0) & ~eye
    safe = np.where(eye | bad, np.ones_like(d), d)
    inv = 1 / safe
    if bad.any():
        inv = np.where(bad, np.inf, inv)
    return np.where(eye, np.zeros_like(inv), inv)


def diag_part(x):
    """The diagonals of a stack of matrices (a vector per matrix), differentiably (selected,
    not masked: an infinite off-diagonal tangent does not reach them)."""
    return np.diagonal(x, axis1=-2, axis2=-1)


def real_part(x):
    """The real part of complex ``x``; real ``x`` as it is (no copy, no node)."""
    return np.real(x) if np.iscomplexobj(x) else x
