"""The derivatives of the regularized incomplete gamma functions ``P(a, x)``
(``scipy.special.gammainc``) and ``Q(a, x) = 1 - P`` (``gammaincc``) in their order ``a``,
which SciPy does not provide: ``d/da P`` and ``d^2/da^2 P``, to double precision.

Below ``x < a + 1 + 4 sqrt(a + 1)``, from the series
``P = sum_n x^(a+n) e^-x / Gamma(a+n+1)`` differentiated term by term; above, from ``Q = e^-x x^(a-1) / Gamma(a) int_0^inf e^-u (1 + u/x)^(a-1) du``
differentiated under the integral (``ln(x+u) - psi(a)`` per order), by Gauss-Laguerre
quadrature after the substitution that makes the rest of the integrand flat.  Checked against
JAX's ``gammainc`` and finite differences (``tests/test_rules_special.py``).

>>> import numpy as np
>>> from chainrule.rules.incomplete_gamma import gammainc_da
>>> bool(abs(gammainc_da(2.0, 1.5) - -0.31349) < 1e-5)
True
"""
import numpy as np
import scipy.special as sc

from .api import constant_like

__all__ = ["gammainc_da", "gammainc_da2"]

_NODES, _WEIGHTS = np.polynomial.laguerre.laggauss(80)


def _series(a, x, order):
    """``d^order/da^order P(a, x)`` from the series (below the switch), with as many terms as
    the largest ``a`` needs: ``50 + 16 sqrt(a + 1)``, rounded up to one of two counts (so
    ``cr.compile`` keeps its program for new values) or, past ``a = 800``, exact."""
    n = constant_like(_terms(a), a)
    an = a[..., None] + n + 1                            # a + n + 1
    lx = np.log(x)[..., None]
    terms = np.exp((an - 1) * lx - x[..., None] - sc.gammaln(an))
    d = lx - sc.psi(an)
    if order == 1:
        return np.sum(terms * d, axis=-1)
    return np.sum(terms * (d * d - sc.zeta(2.0, an)), axis=-1)


def _terms(a):
    if not np.size(a) or not bool(np.any(a > 30)):
        return np.arange(140.0)
    if not bool(np.any(a > 800)):
        return np.arange(512.0)
    return np.arange(float(int(50 + 16 * np.sqrt(float(np.max(a)) + 1))))


def _quadrature(a, x, order):
    """``d^order/da^order Q(a, x)`` by Gauss-Laguerre quadrature (above the switch)."""
    c = np.where(a > 1, 1 - (a - 1) / x, 1.0)[..., None]
    nodes, weights = constant_like(_NODES, c), constant_like(_WEIGHTS, c)
    w = nodes / c                                         # u = w / c
    xs, as_ = x[..., None], a[..., None]
    # e^-u (1 + u/x)^(a-1) du = e^-w * flat(w) dw
    flat = np.exp(nodes - w + (as_ - 1) * np.log1p(w / xs)) / c
    d = np.log(xs + w) - sc.psi(as_)
    f = d if order == 1 else d * d - sc.zeta(2.0, as_)
    pre = np.exp(-x + (a - 1) * np.log(x) - sc.gammaln(a))
    return pre * np.sum(weights * flat * f, axis=-1)


def _switch(a):
    """Where the series hands over to the quadrature: past the peak of the integrand's
    ``t^(a-1) e^-t`` by a few of its widths, so the quadrature's integrand is flat."""
    return a + 1 + 4 * np.sqrt(a + 1)


def _select(a, x, order):
    """Both ways on every entry, each kept where it is accurate (plain NumPy calls only, so
    ``cr.compile`` records them)."""
    a, x = np.broadcast_arrays(np.add(a, 0.0), np.add(x, 0.0))
    with np.errstate(all="ignore"):
        out = np.where(x < _switch(a), _series(a, x, order), -_quadrature(a, x, order))
        out = np.where((x == 0) | np.isinf(x), 0.0, out)
        return np.where((a > 0) & (x >= 0), out, np.nan)


def gammainc_da(a, x):
    """``d/da gammainc(a, x)`` (NaN where ``a <= 0`` or ``x < 0``, as SciPy's value)."""
    return _select(a, x, 1)


def gammainc_da2(a, x):
    """``d^2/da^2 gammainc(a, x)``."""
    return _select(a, x, 2)
