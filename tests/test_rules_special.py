"""SciPy's special functions (``scipy.special`` ufuncs on tensors, ``chainrule.scipy``)
against finite differences, both modes, second order."""
import numpy as np
import pytest

sc = pytest.importorskip("scipy.special")

import chainrule as cr  # noqa: E402
from chainrule.rules.special import gammainc_da2_p  # noqa: E402
from chainrule.scipy import special, stats  # noqa: E402
from rulecheck import Arg, Case, table_test  # noqa: E402

A = Arg()
POS = Arg(0.3, 3.0)
UNIT = Arg(0.1, 0.9)
OPEN = Arg(-0.9, 0.9)
FAR = Arg(0.5, 6.0)
NZ = Arg(-4.0, 4.0, avoid=(0.0,), away=0.3)
M = Arg(shape=(3, 4))

CASES = [
    Case("expit", sc.expit, [Arg(-4.0, 4.0)]),
    Case("logit", sc.logit, [UNIT]),
    Case("gammaln", sc.gammaln, [POS]),
    Case("gamma", sc.gamma, [POS], complex=False),
    Case("rgamma", sc.rgamma, [POS], complex=False),
    Case("digamma", sc.digamma, [POS], complex=False),
    Case("gammasgn", sc.gammasgn, [POS]),
    Case("beta", sc.beta, [POS, POS]),
    Case("betaln", sc.betaln, [POS, POS]),
    Case("gammainc", lambda x: sc.gammainc(1.5, x), [POS]),
    Case("gammainc_a", sc.gammainc, [POS, FAR]),                  # also in the order a
    Case("gammaincc_a", sc.gammaincc, [Arg(4.0, 40.0), Arg(0.5, 60.0)]),
    Case("gammainc_da2_x", lambda x: gammainc_da2_p(2.5, x), [FAR],   # third order, in x
         complex=False),
    Case("gammaincc", lambda x: sc.gammaincc(2.5, x), [POS]),
    Case("multigammaln", lambda a: special.multigammaln(a, 3), [Arg(2.0, 4.0)]),
    Case("polygamma", lambda x: special.polygamma(2, x), [POS], float32=False),
    Case("zeta", lambda x: special.zeta(3.0, x), [POS], float32=False),
    Case("erf", sc.erf, [A], complex=True),
    Case("erfc", sc.erfc, [A], complex=True),
    Case("erfinv", sc.erfinv, [OPEN]),
    Case("erfcinv", sc.erfcinv, [Arg(0.1, 1.9)]),
    Case("ndtr", sc.ndtr, [A]),
    Case("log_ndtr", sc.log_ndtr, [A]),
    Case("ndtri", sc.ndtri, [UNIT]),
    Case("xlogy", sc.xlogy, [A, POS], complex=True),
    Case("xlog1py", sc.xlog1py, [A, Arg(-0.5, 2.0)]),
    Case("j0", sc.j0, [FAR]),
    Case("j1", sc.j1, [FAR]),
    Case("y0", sc.y0, [FAR]),
    Case("y1", sc.y1, [FAR]),
    Case("i0", sc.i0, [A]),
    Case("i1", sc.i1, [A]),
    Case("i0e", sc.i0e, [NZ]),
    Case("i1e", sc.i1e, [NZ]),
    Case("jv", lambda x: sc.jv(1.5, x), [FAR]),
    Case("yv", lambda x: sc.yv(2.5, x), [FAR]),
    Case("jn_yn", lambda x: sc.jn(2, x) * sc.yn(3, x), [FAR]),
    Case("iv", lambda x: sc.iv(0.5, x), [POS]),
    Case("ive", lambda x: sc.ive(3.0, x), [NZ], complex=False),
    Case("logsumexp", special.logsumexp, [A], allow_empty=False, complex=True),
    Case("logsumexp_axis_b", lambda x, b: special.logsumexp(x, axis=1, b=b, keepdims=True),
         [M, Arg(0.5, 2.0, shape=(3, 4))]),
    Case("softmax", lambda x: special.softmax(x, axis=0), [A], min_dims=1),
    Case("log_softmax", lambda x: special.log_softmax(x, axis=-1), [A], min_dims=1),
    Case("norm_logpdf", stats.norm.logpdf, [A, A, POS]),
    Case("norm_pdf", stats.norm.pdf, [A, A, POS]),
    Case("norm_cdf", stats.norm.cdf, [A, A, POS]),
    Case("norm_logcdf", stats.norm.logcdf, [A, A, POS]),
    Case("norm_sf_logsf", lambda x, m, s: stats.norm.sf(x, m, s) + stats.norm.logsf(x, m, s),
         [A, A, POS]),
    Case("stdtr", lambda x: sc.stdtr(3.5, x), [A]),
    Case("betainc", lambda x: sc.betainc(1.5, 2.5, x), [UNIT]),
    Case("t_logpdf_cdf",
         lambda x, df, s: stats.t.logpdf(x, df, 0.5, s) + stats.t.cdf(x, 3.5, 0.5, s),
         [A, Arg(2.1, 5.0), POS], complex=False),
    Case("gamma_beta_chi2",
         lambda x, a: stats.gamma.logpdf(x + 1, a) + stats.gamma.cdf(x + 1, 2.5)
         + stats.beta.logpdf(x / 4 + 0.5, a, 2.0) + stats.beta.cdf(x / 4 + 0.5, 1.5, 2.0) * a
         + stats.chi2.logpdf(x + 1, 3.0) + stats.chi2.cdf(x + 1, 3.0),
         [OPEN, Arg(1.1, 3.0)], complex=False),
    Case("poisson", lambda mu: stats.poisson.logpmf(2.0, mu) + stats.poisson.cdf(3.0, mu),
         [POS], complex=False),
    Case("dirichlet", lambda x, a: stats.dirichlet.logpdf(x / np.sum(x), a),
         [Arg(0.2, 1.0, shape=(4,)), Arg(1.2, 3.0, shape=(4,))], complex=False),
    Case("mvn_logpdf", lambda x, m, c: stats.multivariate_normal.logpdf(
        x, m, c @ c.T + 3 * np.eye(3)), [Arg(shape=(2, 3)), Arg(shape=(3,)), Arg(shape=(3, 3))],
         float32=False, complex=False),
    Case("norm_ppf_isf", lambda q, m, s: stats.norm.ppf(q, m, s) * stats.norm.isf(q, m, s),
         [UNIT, A, POS]),
]

test_special_rules = table_test(CASES)


def test_scipy_values_agree():
    import scipy.stats as ss
    x, m, s = np.array([-0.5, 0.7]), 0.2, 1.5
    q = np.array([0.2, 0.9])
    for name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        np.testing.assert_allclose(getattr(stats.norm, name)(x, m, s),
                                   getattr(ss.norm, name)(x, m, s))
    for name in ("ppf", "isf"):
        np.testing.assert_allclose(getattr(stats.norm, name)(q, m, s),
                                   getattr(ss.norm, name)(q, m, s))
    a = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    for axis in (None, 0, 1):
        np.testing.assert_allclose(special.logsumexp(a, axis=axis), sc.logsumexp(a, axis=axis))
        np.testing.assert_allclose(special.softmax(a, axis=axis), sc.softmax(a, axis=axis))
        np.testing.assert_allclose(special.log_softmax(a, axis=axis),
                                   sc.log_softmax(a, axis=axis))
    r = np.random.default_rng(0)
    x4, a4 = r.uniform(0.1, 0.9, 4), r.uniform(1.1, 3.0, 4)
    for d, f, args in [("t", "logpdf", (x4, 3.5, 0.2, 1.5)), ("t", "cdf", (x4, 3.5, 0.2, 1.5)),
                       ("gamma", "logpdf", (x4, a4)), ("gamma", "cdf", (x4, a4)),
                       ("beta", "logpdf", (x4, a4, 2.0)), ("beta", "cdf", (x4, a4, 2.0)),
                       ("chi2", "logpdf", (x4, 3)), ("chi2", "cdf", (x4, 3)),
                       ("poisson", "logpmf", (np.arange(4.0), a4)),
                       ("poisson", "cdf", (np.arange(4.0), a4))]:
        np.testing.assert_allclose(getattr(getattr(stats, d), f)(*args),
                                   getattr(getattr(ss, d), f)(*args), err_msg=f"{d}.{f}")
    c = np.array([[2.0, 0.3], [0.3, 1.0]])
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(x4[:2], a4[:2], c),
                               ss.multivariate_normal.logpdf(x4[:2], a4[:2], c))
    np.testing.assert_allclose(stats.dirichlet.logpdf(x4 / x4.sum(), a4),
                               ss.dirichlet.logpdf(x4 / x4.sum(), a4))
    b = np.array([1.0, -2.0, 0.5])
    got, sign = special.logsumexp(a[0], b=b, return_sign=True)
    want, wsign = sc.logsumexp(a[0], b=b, return_sign=True)
    np.testing.assert_allclose([got, sign], [want, wsign])
    for n in range(4):
        np.testing.assert_allclose(special.polygamma(n, a[1] + 1), sc.polygamma(n, a[1] + 1))
    np.testing.assert_allclose(special.multigammaln(3.5, 3), sc.multigammaln(3.5, 3))


def test_scipy_ufuncs_work_on_tensors():
    # the example: scipy.special.expit on a tensor just works, both APIs
    t = cr.tensor([0.0, 1.0], requires_grad=True)
    y = sc.expit(t).sum()
    y.backward()
    s = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    np.testing.assert_allclose(t.grad.numpy(), s * (1 - s))
    np.testing.assert_allclose(cr.grad(sc.gammaln)(3.5), sc.digamma(3.5))


@pytest.mark.parametrize("f", [sc.gammaln, sc.gamma, sc.rgamma, sc.digamma,
                               lambda z: sc.ive(1.0, z)])
def test_real_special_functions_refuse_complex(f):
    with pytest.raises(TypeError):
        cr.grad(lambda z: np.real(f(z)))(1.0 + 1.0j)
    with pytest.raises(TypeError):
        f(cr.tensor(1.0 + 1.0j))


def test_logsumexp_large_values_stay_finite():
    g = cr.grad(special.logsumexp)(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(g, [0.5, 0.5])


def test_rules_load_when_scipy_is_imported_after_chainrule():
    import subprocess
    import sys
    code = ("import sys, numpy as np, chainrule as cr\n"
            "assert 'scipy' not in sys.modules, 'chainrule imported SciPy'\n"
            "import scipy.special as sc\n"
            "print(float(cr.grad(sc.expit)(0.0)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0.25"


def test_gammainc_in_its_order_against_jax():
    """d/da of gammainc and gammaincc: JAX's ``igamma_grad_a`` on a grid spanning the
    series and the quadrature (small and large a, x on both sides of a)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    a, x = np.meshgrid([0.05, 0.7, 2.5, 20.0, 200.0], [1e-3, 0.5, 3.0, 19.0, 25.0, 150.0, 260.0])
    for f, jf in ((sc.gammainc, jax.scipy.special.gammainc),
                  (sc.gammaincc, jax.scipy.special.gammaincc)):
        want = jax.vmap(jax.grad(jf))(a.ravel(), x.ravel()).reshape(a.shape)
        got = cr.grad(lambda a: np.sum(f(a, x)))(a)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-300)
        _, t = cr.jvp(lambda a: f(a, x), (a,), (np.ones_like(a),))
        np.testing.assert_allclose(t, want, rtol=1e-10, atol=1e-300)


def test_gammainc_second_order_in_its_order():
    """JAX has no second derivative in a: finite differences of the first (exact to 1e-13),
    and the mixed derivative d/dx d/da against d/da of the density."""
    a = np.array([0.3, 2.0, 9.0, 60.0])
    x = np.array([0.8, 2.0, 16.0, 58.0])
    d2 = cr.grad(lambda a: np.sum(cr.grad(lambda b: np.sum(sc.gammainc(b, x)))(a)))(a)
    d1 = lambda a: cr.grad(lambda b: np.sum(sc.gammainc(b, x)))(a)     # noqa: E731
    h = 1e-4 * a
    np.testing.assert_allclose(d2, (d1(a + h) - d1(a - h)) / (2 * h), rtol=1e-6)
    mixed = cr.grad(lambda x: np.sum(cr.grad(lambda b: np.sum(sc.gammainc(b, x)))(a)))(x)
    dens = lambda a: np.exp((a - 1) * np.log(x) - x - sc.gammaln(a))  # noqa: E731
    np.testing.assert_allclose(mixed, (dens(a + h) - dens(a - h)) / (2 * h), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="twice"):
        cr.grad(cr.grad(cr.grad(lambda a: sc.gammainc(a, 2.0))))(1.5)


@pytest.mark.parametrize("f, arg, name", [
    (lambda p: sc.stdtr(p, 0.4), 2.5, "df"),
    (lambda p: sc.betainc(p, 2.0, 0.4), 1.5, "parameter a"),
    (lambda p: sc.betainc(2.0, p, 0.4), 1.5, "parameter b")])
def test_parameters_without_a_rule_say_which(f, arg, name):
    """stdtr in df, betainc in a and b: a TypeError naming the parameter, both modes (never
    a silent 0); in x they differentiate."""
    with pytest.raises(TypeError, match=name):
        cr.grad(f)(arg)
    with pytest.raises(TypeError, match=name):
        cr.jvp(f, (arg,), (1.0,))
    assert cr.grad(lambda x: sc.betainc(2.0, 3.0, x))(0.3) == pytest.approx(
        12 * 0.3 * 0.7 ** 2)
