"""chainrule.scipy.linalg: SciPy's spellings on tensors, values as SciPy's, derivatives in
both modes to second order, real and complex."""
import numpy as np
import pytest

import chainrule as cr

sl = pytest.importorskip("scipy.linalg")
from chainrule.scipy import linalg  # noqa: E402

RNG = np.random.default_rng(7)


def _m(n, m=None, dtype=float, rng=RNG):
    shape = (n, n if m is None else m)
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _spd(n, dtype=float):
    a = _m(n, dtype=dtype)
    return a @ a.conj().T + n * np.eye(n)


def _values(fn, ref, *args, **kw):
    got = fn(*[cr.tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kw)
    np.testing.assert_allclose(cr.tensor(got).data if isinstance(got, cr.Tensor) else got,
                               ref(*args, **kw), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_matrix_functions(dtype):
    a = _spd(3, dtype) / 3
    for name in ("expm", "logm", "sqrtm"):
        _values(getattr(linalg, name), getattr(sl, name), a)
        cr.check_grads(getattr(linalg, name), a)
    cr.check_grads(linalg.expm, _m(3, dtype=dtype) / 2)


def test_sqrtm_of_a_real_matrix_with_a_complex_root():
    s = _m(3)
    a = (s + s.T) / 2
    assert np.min(np.linalg.eigvalsh(a)) < 0       # the root is complex; the input real
    cr.check_grads(linalg.sqrtm, a)
    x, err = linalg.sqrtm(cr.tensor(a), disp=False)
    assert np.allclose(x.data @ x.data, a) and err < 1e-10


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_solve_sylvester(dtype):
    a, b, q = _m(3, dtype=dtype), _m(2, dtype=dtype), _m(3, 2, dtype=dtype)
    _values(linalg.solve_sylvester, sl.solve_sylvester, a, b, q)
    cr.check_grads(linalg.solve_sylvester, a, b, q)
    # complex a with real b: one dtype for all (SciPy alone gets this mixed case wrong)
    x = linalg.solve_sylvester(_m(3, dtype=complex), b.real, q)
    assert x.dtype == np.complex128


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_inv_det_solve(dtype):
    a, b = _m(3, dtype=dtype) + 3 * np.eye(3), _m(3, 2, dtype=dtype)
    for fn in ("inv", "det"):
        _values(getattr(linalg, fn), getattr(sl, fn), a)
        cr.check_grads(getattr(linalg, fn), a)
    h = _spd(3, dtype)
    for assume_a, mat in ((None, a), ("sym", a), ("her", h), ("pos", h), ("diagonal", a),
                          ("upper triangular", a), ("lower triangular", a)):
        for lower in (False, True):
            _values(linalg.solve, sl.solve, mat, b, lower=lower, assume_a=assume_a)
            cr.check_grads(lambda m, b: linalg.solve(m, b, lower=lower, assume_a=assume_a),
                           mat, b)
    if dtype == np.float64:          # SciPy refuses transposed complex systems
        _values(linalg.solve, sl.solve, a, b[:, 0], transposed=True)


def test_solve_reads_one_triangle_as_scipy_does():
    a, b = _m(3) + 3 * np.eye(3), _m(3)
    g = cr.grad(lambda a: linalg.solve(a, b, assume_a="sym").sum())(a)
    assert np.all(np.tril(g, -1) == 0) and np.any(np.triu(g) != 0)
    g = cr.grad(lambda a: linalg.solve_triangular(a, b, lower=True, unit_diagonal=True).sum())(a)
    assert np.all(np.triu(g) == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_solve_triangular(dtype):
    a, b = _m(3, dtype=dtype) + 3 * np.eye(3), _m(3, 2, dtype=dtype)
    for trans in (0, 1, 2, "N", "T", "C"):
        for lower in (False, True):
            for unit in (False, True):
                kw = dict(trans=trans, lower=lower, unit_diagonal=unit)
                _values(linalg.solve_triangular, sl.solve_triangular, a, b, **kw)
                if trans in (0, "C"):
                    cr.check_grads(lambda a, b: linalg.solve_triangular(a, b, **kw), a, b)
    with pytest.raises(ValueError, match="trans"):
        linalg.solve_triangular(cr.tensor(a), b, trans=3)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_solve_banded(dtype):
    ab, b = _m(4, 5, dtype=dtype), _m(5, dtype=dtype)
    ab[1] += 4                                  # the main diagonal (l=2, u=1): well posed
    _values(lambda ab, b: linalg.solve_banded((2, 1), ab, b),
            lambda ab, b: sl.solve_banded((2, 1), ab, b), ab, b)
    cr.check_grads(lambda ab, b: linalg.solve_banded((2, 1), ab, b), ab, b)
    with pytest.raises(ValueError, match="ab.shape"):
        linalg.solve_banded((1, 1), cr.tensor(ab), b)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_cholesky_and_cho_solve(dtype):
    a, b = _spd(3, dtype), _m(3, 2, dtype=dtype)
    for lower in (False, True):
        _values(lambda a: linalg.cholesky(a, lower=lower),
                lambda a: sl.cholesky(a, lower=lower), a)
        c, low = linalg.cho_factor(cr.tensor(a), lower=lower)
        assert low == lower
        np.testing.assert_allclose(linalg.cho_solve((c, low), b).data, np.linalg.solve(a, b))
        # derivatives for Hermitian input, as np.linalg.cholesky's (JAX's and PyTorch's
        # convention): checked along Hermitian directions
        cr.check_grads(lambda a, b: linalg.cho_solve(
            linalg.cho_factor((a + np.conj(np.swapaxes(a, -1, -2))) / 2, lower=lower), b), a, b)
    g = cr.grad(lambda a: np.real(linalg.cholesky(a)).sum())(a.real)
    np.testing.assert_allclose(g, g.T)


def test_block_diag():
    parts = [_m(2), np.array([1.0, 2.0, 3.0]), np.array(4.0), _m(1, 2)]
    _values(lambda *p: linalg.block_diag(*p), sl.block_diag, *parts)
    cr.check_grads(lambda a, b: linalg.block_diag(a, np.ones((1, 1)), b), parts[0], parts[1])
    with pytest.raises(ValueError, match="2 or fewer"):
        linalg.block_diag(cr.tensor(np.ones((1, 1, 1))))


def test_without_tensors_scipy_itself_answers():
    a = _spd(3)
    assert type(linalg.expm(a)) is np.ndarray
    np.testing.assert_array_equal(linalg.solve_triangular(a, np.ones(3)),
                                  sl.solve_triangular(a, np.ones(3)))
