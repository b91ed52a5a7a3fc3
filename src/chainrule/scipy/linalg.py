"""``scipy.linalg`` for tensors: SciPy's spellings of the linear-algebra functions.

SciPy's functions turn their inputs into ndarrays, so they cannot see a tensor (chainrule
refuses with ``TypeError`` rather than drop the gradient).  These take tensors and ndarrays
alike, with SciPy's signatures, and without a tensor among the inputs they are SciPy's own
functions.  Derivatives exist in both modes and to every order, for complex input too
(JAX's convention, see ``docs/complex.md``):

- ``expm``, ``logm``: primitives whose rules are the functions' Frechet derivatives
  (:mod:`chainrule.rules.linalg.matrix_functions`).
- ``sqrtm``, ``solve_sylvester``: primitives whose rules solve Sylvester equations
  (``X dX + dX X = dA`` for the square root).
- ``inv``, ``det``, ``solve``, ``solve_triangular``, ``solve_banded``, ``cholesky``,
  ``cho_factor``, ``cho_solve``, ``block_diag``: written with the NumPy functions chainrule
  differentiates (a triangular or banded matrix is solved as a dense one, in ``O(n^3)``).
  Where SciPy reads one triangle of a matrix (``lower=``, ``assume_a="sym"``), only that
  triangle gets a gradient: the exact derivative of SciPy's function (for the Hermitian-input
  one of JAX and PyTorch, pass ``(a + a^H) / 2``: docs/complex.md).  ``cho_factor`` returns
  the factor with zeros in the other triangle (SciPy leaves arbitrary values there).

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy import linalg
>>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
>>> cr.grad(lambda a: linalg.solve_triangular(a, np.ones(2)).sum())(a)
array([[-0.16666667, -0.16666667],
       [ 0.        , -0.05555556]])
>>> x = linalg.solve_sylvester(cr.tensor(a), cr.tensor(np.eye(2)), cr.tensor(np.ones((2, 2))))
>>> bool(np.allclose(a @ x.data + x.data, 1.0))
True
"""
import numpy as np

from ..numpy.lists import contains_tensor
from ..rules.api import defprim
from . import host
from ..rules.linalg import matrix_functions
from ..rules.linalg.common import mT

__all__ = ["expm", "logm", "sqrtm", "solve_sylvester", "inv", "det", "solve",
           "solve_triangular", "solve_banded", "cholesky", "cho_factor", "cho_solve",
           "block_diag"]

# what docs/coverage.md says of each function: reverse, forward, 2nd order, complex, notes
COVERAGE = {
    "expm": ("rule", "rule", "yes", "yes", "Frechet derivative, from a block matrix"),
    "logm": ("rule", "rule", "yes", "yes", "Frechet derivative, from a block matrix"),
    "sqrtm": ("rule", "rule", "yes", "yes", "derivatives solve Sylvester equations"),
    "solve_sylvester": ("rule", "rule", "yes", "yes", ""),
    **{name: ("composite", "composite", "yes", "yes", note) for name, note in (
        ("inv", ""), ("det", ""), ("solve", "assume_a reads one triangle, as SciPy"),
        ("solve_triangular", "solved as a dense system"),
        ("solve_banded", "solved as a dense system"), ("cholesky", "reads one triangle"),
        ("cho_factor", "other triangle zero"), ("cho_solve", ""), ("block_diag", ""))},
}


def _scipy():
    import scipy.linalg
    return scipy.linalg


def _conj_t(x):
    return mT(np.conj(x)) if np.iscomplexobj(x) else mT(x)


# ---------------------------------------------------------------- Sylvester equations
def _sylvester_values(a, b, q):
    """``X`` with ``a X + X b = q``, for stacks (broadcast over leading axes)."""
    return host.call(_sylvester_arrays, a, b, q)


def _sylvester_arrays(a, b, q):
    # one dtype for all three: SciPy 1.16 solves complex a with real b wrongly
    dtype = np.result_type(a, b, q, np.float64)
    a, b, q = (np.asarray(x, dtype) for x in (a, b, q))
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    if not batch:
        return _scipy().solve_sylvester(a, b, q)
    a, b, q = (np.broadcast_to(x, batch + x.shape[-2:]).reshape((-1,) + x.shape[-2:])
               for x in (a, b, q))
    out = np.stack([_scipy().solve_sylvester(*m) for m in zip(a, b, q)])
    return out.reshape(batch + out.shape[-2:])


def _sylvester_vjp(g, ans, a, b, q):
    # the adjoint equation a^T y + y b^T = g (JAX's convention: plain transposes)
    y = sylvester_p(mT(a), mT(b), g)
    return -np.matmul(y, mT(ans)), -np.matmul(mT(ans), y), y


# differentiating a X + X b = q: a dX + dX b = dq - da X - X db
sylvester_p = defprim(
    _sylvester_values, name="solve_sylvester", raw=True, joint_vjp=True,
    vjp=(_sylvester_vjp,),
    jvp=(lambda t, ans, a, b, q: sylvester_p(a, b, -np.matmul(t, ans)),
         lambda t, ans, a, b, q: sylvester_p(a, b, -np.matmul(ans, t)),
         lambda t, ans, a, b, q: sylvester_p(a, b, t)),
    keep=("a", "b"))


# ---------------------------------------------------------------- matrix functions
def expm(A):
    """The matrix exponential (``scipy.linalg.expm``), of a matrix or a stack of them."""
    if not contains_tensor(A):
        return _scipy().expm(A)
    return matrix_functions.expm(A)


def _plain_matrix_function(name, A, disp):
    """SciPy's ``name`` of an array, with ``disp`` as SciPy before 1.16 took it on every SciPy
    (1.18 removed it): ``disp=False`` returns ``(X, error estimate)``, quietly."""
    fn = getattr(_scipy(), name)
    if matrix_functions.takes_disp(fn):        # SciPy < 1.16: its own disp
        return fn(A) if disp else fn(A, disp=False)
    if disp:
        return fn(A)                            # SciPy's own message where it has one
    x = matrix_functions.scipy_value(name, A)
    return x, matrix_functions.error_estimate(name, x, A)


def logm(A, disp=True):
    """The principal matrix logarithm (``scipy.linalg.logm``); ``disp=False`` also returns
    SciPy's error estimate ``||expm(X) - A||_1 / ||A||_1`` (of the values; it carries no
    gradient), on every SciPy (1.18 removed ``disp``)."""
    if not contains_tensor(A):
        return _plain_matrix_function("logm", A, disp)
    out = matrix_functions.logm(A)
    return out if disp else (out, matrix_functions.error_estimate("logm", _values(out),
                                                                  _values(A)))


def _real_for(x, g):
    """``g`` as the cotangent of ``x``: its real part where ``x`` is real."""
    return g if np.iscomplexobj(x) or not np.iscomplexobj(g) else np.real(g)


# X @ X = A, so X dX + dX X = dA: a Sylvester equation, as well conditioned as X is at every
# order (the Frechet derivative of sqrtm read off a block matrix is not, from second order on)
sqrtm_p = defprim(matrix_functions.sqrtm, name="sqrtm", raw=True,
                  vjp=(lambda g, ans, a: _real_for(a, sylvester_p(mT(ans), mT(ans), g)),),
                  jvp=(lambda t, ans, a: sylvester_p(ans, ans, t),), keep=("a",))


def sqrtm(A, disp=True, blocksize=64):
    """The principal matrix square root (``scipy.linalg.sqrtm``); ``disp=False`` also
    returns SciPy's error estimate ``||X @ X - A||_F ** 2 / ||A||_F`` (a number, no
    gradient), on every SciPy (1.18 removed ``disp``; ``blocksize`` is ignored, as SciPy
    1.16 on ignores it).  Its derivatives solve Sylvester equations ``X dX + dX X = dA``."""
    if not contains_tensor(A):
        return _plain_matrix_function("sqrtm", A, disp)
    out = sqrtm_p(A)
    if disp:
        return out
    return out, matrix_functions.error_estimate("sqrtm", _values(out), _values(A))


def _values(x):
    from ..tensor import plain
    return np.asarray(plain(x))


def solve_sylvester(a, b, q):
    """``X`` with ``a @ X + X @ b = q`` (``scipy.linalg.solve_sylvester``)."""
    if not contains_tensor((a, b, q)):
        return _sylvester_values(a, b, q)
    if any(np.ndim(x) != 2 for x in (a, b, q)):
        raise ValueError("solve_sylvester: a, b and q must be 2-d arrays (as in SciPy)")
    return sylvester_p(a, b, q)


# ---------------------------------------------------------------- solving
def inv(a, overwrite_a=False, check_finite=True):
    """The inverse of a matrix (``scipy.linalg.inv``)."""
    return np.linalg.inv(a) if contains_tensor(a) else _scipy().inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """The determinant of a matrix (``scipy.linalg.det``)."""
    return np.linalg.det(a) if contains_tensor(a) else _scipy().det(a)


def _from_triangle(a, lower, conjugate):
    """The symmetric (Hermitian, for ``conjugate``) matrix read from one triangle of ``a``."""
    t = np.tril(a) if lower else np.triu(a)
    rest = np.tril(a, -1) if lower else np.triu(a, 1)
    rest = _conj_t(rest) if conjugate else mT(rest)
    if conjugate and np.iscomplexobj(a):
        t = t - 1j * np.imag(np.tril(np.triu(a)))      # a Hermitian diagonal is real
    return t + rest


_ASSUME = {None: "gen", "gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym",
           "her": "her", "hermitian": "her", "pos": "her", "positive definite": "her",
           "diagonal": "diagonal", "upper triangular": "upper", "lower triangular": "lower"}


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Solve ``a @ x = b`` (``scipy.linalg.solve``).

    ``assume_a`` ``"sym"``, ``"her"`` and ``"pos"`` read the triangle ``lower`` selects,
    ``"diagonal"`` the diagonal, ``"upper triangular"`` / ``"lower triangular"`` that
    triangle, as SciPy does; ``transposed=True`` solves ``a.T @ x = b``.
    """
    if not contains_tensor((a, b)):
        kw = {} if assume_a is None else {"assume_a": assume_a}
        return _scipy().solve(a, b, lower=lower, transposed=transposed, **kw)
    kind = _ASSUME.get(assume_a)
    if kind is None:
        raise ValueError(f"solve: assume_a={assume_a!r} is not one of {sorted(map(str, _ASSUME))}")
    if kind in ("sym", "her"):
        a = _from_triangle(a, lower, kind == "her")
    elif kind == "diagonal":
        a = np.diag(np.diagonal(a))
    elif kind in ("upper", "lower"):
        a = np.tril(a) if kind == "lower" else np.triu(a)
    if transposed:
        a = mT(a)
    return np.linalg.solve(a, b)


_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) @ x = b`` for triangular ``a`` (``scipy.linalg.solve_triangular``):
    ``op`` is the identity, the transpose (``trans=1`` or ``'T'``) or the conjugate
    transpose (``2``, ``'C'``); only the triangle ``lower`` selects is read (and, with
    ``unit_diagonal``, not the diagonal)."""
    if not contains_tensor((a, b)):
        return _scipy().solve_triangular(a, b, trans=trans, lower=lower,
                                         unit_diagonal=unit_diagonal)
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', not "
                         f"{trans!r}")
    if unit_diagonal:
        n = np.shape(a)[-1]
        t = (np.tril(a, -1) if lower else np.triu(a, 1)) + np.eye(n, dtype=np.result_type(a))
    else:
        t = np.tril(a) if lower else np.triu(a)
    op = _TRANS[trans]
    t = t if op == 0 else mT(t) if op == 1 else _conj_t(t)
    return np.linalg.solve(t, b)


def _banded_index(l, u, n):
    """Indices into ``ab.ravel()`` (``n`` the past-the-end one, a zero) of the dense matrix."""
    i, j = np.indices((n, n))
    row = u + i - j
    inside = (row >= 0) & (row <= l + u)
    return np.where(inside, row * n + j, (l + u + 1) * n)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve ``a @ x = b`` for the banded ``a`` stored in ``ab`` (``scipy.linalg.solve_banded``:
    ``a[i, j] = ab[u + i - j, j]``, ``l`` and ``u`` the numbers of sub- and
    superdiagonals)."""
    if not contains_tensor((ab, b)):
        return _scipy().solve_banded(l_and_u, ab, b)
    l, u = (int(v) for v in l_and_u)
    rows, n = np.shape(ab)
    if rows != l + u + 1:
        raise ValueError(f"solve_banded: invalid values for the number of lower and upper "
                         f"diagonals: l+u+1 ({l + u + 1}) does not equal ab.shape[0] ({rows})")
    flat = np.concatenate([np.reshape(ab, (-1,)), np.zeros(1, np.result_type(ab))])
    return np.linalg.solve(flat[_banded_index(l, u, n)], b)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor (``scipy.linalg.cholesky``): upper ``U`` with ``a = U^H U`` by
    default (reading the upper triangle), lower ``L`` with ``a = L L^H`` for ``lower``."""
    if not contains_tensor(a):
        return _scipy().cholesky(a, lower=lower)
    return np.linalg.cholesky(a) if lower else _conj_t(np.linalg.cholesky(_conj_t(a)))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for :func:`cho_solve` (``scipy.linalg.cho_factor``); ``c`` is the
    factor, with zeros in its other triangle."""
    if not contains_tensor(a):
        return _scipy().cho_factor(a, lower=lower)
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a @ x = b`` given :func:`cho_factor`'s ``(c, lower)``
    (``scipy.linalg.cho_solve``)."""
    c, lower = c_and_lower
    if not contains_tensor((c, b)):
        return _scipy().cho_solve((c, lower), b)
    if lower:       # a = L L^H
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans="C", lower=True)
    y = solve_triangular(c, b, trans="C")     # a = U^H U
    return solve_triangular(c, y)


def block_diag(*arrs):
    """The block-diagonal matrix of the given arrays (``scipy.linalg.block_diag``; 0-d and
    1-d arrays count as ``1 x 1`` and ``1 x n`` blocks)."""
    if not contains_tensor(arrs):
        return _scipy().block_diag(*arrs)
    from ..numpy import atleast_2d, asarray
    blocks = [atleast_2d(asarray(a)) for a in arrs]
    if any(np.ndim(x) > 2 for x in blocks):
        raise ValueError("block_diag: arguments must have 2 or fewer dimensions")
    dtype = np.result_type(*blocks)
    widths = [np.shape(x)[1] for x in blocks]
    total = sum(widths)
    rows, left = [], 0
    for x, w in zip(blocks, widths):
        h = np.shape(x)[0]
        rows.append(np.concatenate([np.zeros((h, left), dtype), x.astype(dtype)
                                    if x.dtype != dtype else x,
                                    np.zeros((h, total - left - w), dtype)], axis=1))
        left += w
    return np.concatenate(rows, axis=0)
