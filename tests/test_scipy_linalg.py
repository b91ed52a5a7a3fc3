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
        # the factor reads one triangle, like SciPy's: exact derivatives of that function,
        # in every direction, at a Hermitian point and at one whose other triangle differs
        cr.check_grads(lambda a, b: linalg.cho_solve(linalg.cho_factor(a, lower=lower), b),
                       a, b)
        other = 0.3 * _m(3, 3, dtype=dtype)
        skew = a + (np.triu(other, 1) if lower else np.tril(other, -1))
        _values(lambda a: linalg.cholesky(a, lower=lower),
                lambda a: sl.cholesky(a, lower=lower), skew)
        cr.check_grads(lambda a: linalg.cholesky(a, lower=lower), skew)
        g = cr.grad(lambda a: np.real(linalg.cholesky(a, lower=lower)).sum())(skew)
        assert np.all((np.triu(g, 1) if lower else np.tril(g, -1)) == 0)


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


# ---------------------------------------------------------------- disp across SciPy versions
# SciPy < 1.16: disp=False returns (X, errest), disp=True prints; 1.16 and 1.17 deprecate
# disp; 1.18 removed it.  The installed SciPy is one of these; the others are simulated by
# replacing scipy.linalg's functions (where chainrule looks them up) with ones of that shape.
from chainrule.rules.linalg import matrix_functions as mf  # noqa: E402


def _quiet_real(name):
    """The installed SciPy's ``name``, called its own way, as a function of the matrix."""
    fn = getattr(sl, name)
    old = mf.takes_disp(fn)

    def value(a):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(a, disp=False)[0] if old else fn(a)
    return value


@pytest.fixture
def scipy_without_disp(monkeypatch):
    """SciPy 1.18's ``logm`` and ``sqrtm``: no ``disp``; ``logm`` warns on a large error
    estimate (here always, so a leak shows)."""
    calls = []

    def fake(name):
        real = _quiet_real(name)

        def fn(A):
            calls.append(name)
            if name == "logm":
                import warnings
                warnings.warn("logm result may be inaccurate, approximate err = 1e-12",
                              RuntimeWarning, stacklevel=2)
            return real(A)
        fn.__name__ = name
        return fn
    for name in ("logm", "sqrtm"):
        monkeypatch.setattr(sl, name, fake(name))
    return calls


def test_matrix_functions_on_a_scipy_without_disp(scipy_without_disp):
    import warnings
    a = _spd(3) / 3
    assert mf.takes_disp(sl.logm) is None and mf.takes_disp(sl.sqrtm) is None
    for name in ("logm", "sqrtm"):
        f = getattr(linalg, name)
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            warnings.filterwarnings("ignore", "logm result", RuntimeWarning)
            cr.check_grads(f, a)                # (it calls f on ndarrays too: SciPy's path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")     # no DeprecationWarning, no message leaks
            x, err = f(a, disp=False)          # an ndarray: the estimate computed here
            xt, err_t = f(cr.tensor(a), disp=False)
            y = getattr(mf, name)(cr.tensor(a))
            cr.grad(lambda a: f(a).sum())(a)
        np.testing.assert_allclose(xt.data, x, rtol=1e-12)
        np.testing.assert_allclose(y.data, x, rtol=1e-12)
        assert isinstance(err, float) and err == pytest.approx(err_t) and err < 1e-10
        want = (np.linalg.norm(sl.expm(x) - a, 1) / np.linalg.norm(a, 1) if name == "logm"
                else np.linalg.norm(x @ x - a) ** 2 / np.linalg.norm(a))
        assert err == pytest.approx(want, abs=1e-300)
    assert set(scipy_without_disp) == {"logm", "sqrtm"}      # the replacements answered
    with pytest.warns(RuntimeWarning, match="inaccurate"):
        linalg.logm(a)                          # disp=True on an ndarray: SciPy's own message


def test_matrix_functions_on_a_scipy_whose_disp_returns_the_estimate(monkeypatch, capsys):
    """SciPy < 1.16: ``disp=True`` prints, ``disp=False`` returns ``(X, errest)``."""
    def fake(name):
        real = _quiet_real(name)

        def fn(A, disp=True):
            x = real(A)
            if disp:
                print(f"{name}: the message disp=True prints")
                return x
            return x, 0.125                     # SciPy's own estimate, passed through
        return fn
    for name in ("logm", "sqrtm"):
        monkeypatch.setattr(sl, name, fake(name))
    a = _spd(3) / 3
    for name in ("logm", "sqrtm"):
        assert mf.takes_disp(getattr(sl, name)) is True
        g = cr.grad(lambda a: getattr(linalg, name)(a)[0, 1])(a)
        assert capsys.readouterr().out == ""    # tensors: called with disp=False
        np.testing.assert_allclose(g, cr.grad(lambda a: getattr(mf, name)(a)[0, 1])(a))
        assert np.any(g != 0)
        assert getattr(linalg, name)(a, disp=False)[1] == 0.125
        getattr(linalg, name)(a)
        assert "disp=True prints" in capsys.readouterr().out


def test_error_estimates_are_scipys():
    """Where the installed SciPy still returns its estimate, chainrule's is the same."""
    import warnings
    b = _spd(3) / 3 + 0.1 * _m(3)
    for name in ("logm", "sqrtm"):
        fn = getattr(sl, name)
        if mf.takes_disp(fn) is None:
            pytest.skip("this SciPy no longer returns an error estimate to compare with")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            x, err = fn(b, disp=False)
        assert err > 0
        assert mf.error_estimate(name, x, b) == pytest.approx(err, rel=1e-6)
