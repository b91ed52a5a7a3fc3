"""SciPy's special functions (``scipy.special`` ufuncs): one local derivative each.

Imported only when SciPy is: :mod:`chainrule.rules` loads this table when ``scipy.special``
is already imported, and the NumPy bridge loads it the first time a SciPy ufunc meets a
tensor, so ``scipy.special.expit(t)`` works on tensors without chainrule importing SciPy.
Functions of SciPy that are not ufuncs (``logsumexp``, ``softmax``, ``polygamma``,
``scipy.stats.norm``) are in :mod:`chainrule.scipy`.

Each derivative is written with primitives, so every order is differentiable.  The Bessel
functions differentiate through the order-``v`` families (``jv``, ``yv``, ``iv``, ``ive``,
differentiable in ``x``; the order ``v`` has no derivative).  ``gammainc`` and
``gammaincc`` are differentiable in their order ``a`` too (twice; computed by
:mod:`.incomplete_gamma`, as JAX's ``igamma_grad_a``); the shape parameters of ``stdtr``
(``df``) and ``betainc`` (``a``, ``b``) have no rule, and asking for one raises a
``TypeError`` naming the parameter (never a silent 0).  Complex input: ``erf``,
``erfc`` (holomorphic: the same rule, JAX's convention); the others are real functions in
SciPy and refuse complex input with NumPy's ``TypeError``.

>>> import numpy as np, scipy.special, chainrule as cr
>>> float(cr.grad(scipy.special.expit)(0.0))
0.25
"""
import numpy as np
import scipy.special as sc

from . import incomplete_gamma as _ig
from .api import defprim, defufunc
from .complex import real_only

__all__ = ["LOG_SQRT_2PI"]

_SQRT_PI = np.sqrt(np.pi)
LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _declare(ufunc, d, real):
    """``ufunc`` with local derivative(s) ``d`` (see ``defufunc``); ``real``: why it refuses
    complex input (SciPy computes it, but the rule is for real input only)."""
    p = defufunc(ufunc, d=d, fn=real_only(ufunc, real) if real else None)
    globals()[ufunc.__name__ + "_p"] = p
    __all__.append(ufunc.__name__ + "_p")
    return p


def _unary(ufunc, d, real=None):
    """A one-argument ufunc whose derivative at ``x`` is ``d(ans, x)``."""
    return _declare(ufunc, d, real)


def _order_x(ufunc, d, real=None):
    """``ufunc(v, x)`` differentiable in ``x`` with derivative ``d(ans, v, x)``; not in ``v``."""
    return _declare(ufunc, (None, d), real)


def _binary(ufunc, dx, dy):
    """A two-argument ufunc with partial derivatives ``dx(ans, x, y)`` and ``dy(ans, x, y)``."""
    return _declare(ufunc, (dx, dy), None)


def _sign(x):
    return np.sign(np.real(x))


# logistic and its inverse
_unary(sc.expit, lambda ans, x: ans * (1 - ans))
_unary(sc.logit, lambda ans, x: 1 / (x * (1 - x)))
# gamma family: the Hurwitz zeta function zeta(s, x) carries the polygamma functions
# (polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1); d/dx zeta(s, x) = -s zeta(s+1, x)
def _dzeta(v, ans, s, x):
    return v * -s * zeta_p(s + 1, x)


zeta_p = defprim(lambda s, x: sc.zeta(s, x), name="zeta", elementwise=True, raw=True,
                 vjp=(None, _dzeta), jvp=(None, _dzeta), keep=("s", "x"), keep_ans=False)
__all__.append("zeta_p")
_NO_TRIGAMMA = "SciPy has no complex polygamma for the derivative"
_unary(sc.psi, lambda ans, x: zeta_p(2.0, x), real=_NO_TRIGAMMA)
_unary(sc.gammaln, lambda ans, x: sc.psi(x))
_unary(sc.gamma, lambda ans, x: ans * sc.psi(x), real=_NO_TRIGAMMA)
_unary(sc.rgamma, lambda ans, x: -ans * sc.psi(x), real=_NO_TRIGAMMA)
_unary(sc.gammasgn, lambda ans, x: x * 0)
_binary(sc.beta, lambda ans, a, b: ans * (sc.psi(a) - sc.psi(a + b)),
        lambda ans, a, b: ans * (sc.psi(b) - sc.psi(a + b)))
_binary(sc.betaln, lambda ans, a, b: sc.psi(a) - sc.psi(a + b),
        lambda ans, a, b: sc.psi(b) - sc.psi(a + b))
# regularized incomplete gamma functions P = gammainc, Q = gammaincc = 1 - P: in x the
# density, in the order a d/da P (computed: incomplete_gamma), itself differentiable once
# more in a and in any order in x (d/dx d^k/da^k P = d^k/da^k (dP/dx), in closed form)
def _dgammainc_dx(a, x):
    return np.exp((a - 1) * np.log(x) - x - sc.gammaln(a))


def _dx_of_da(v, ans, a, x):
    return v * _dgammainc_dx(a, x) * (np.log(x) - sc.psi(a))


def _dx_of_da2(v, ans, a, x):
    d = np.log(x) - sc.psi(a)
    return v * _dgammainc_dx(a, x) * (d * d - zeta_p(2.0, a))


def _no_third(what):
    def rule(v, ans, a, x):
        raise NotImplementedError(
            f"chainrule differentiates scipy.special.{what} in its order a twice, not three "
            "times; detach a (or differentiate in x) for higher orders")
    rule.refuses = True         # a rule that only says why there is none
    return rule


_DA2_RULES = (_no_third("gammainc"), _dx_of_da2)         # each serves both modes
gammainc_da2_p = defprim(_ig.gammainc_da2, name="gammainc_da2", elementwise=True, raw=True,
                         vjp=_DA2_RULES, jvp=_DA2_RULES, keep=("a", "x"), keep_ans=False)
_DA_RULES = (lambda v, ans, a, x: v * gammainc_da2_p(a, x), _dx_of_da)
gammainc_da_p = defprim(_ig.gammainc_da, name="gammainc_da", elementwise=True, raw=True,
                        vjp=_DA_RULES, jvp=_DA_RULES, keep=("a", "x"), keep_ans=False)
__all__ += ["gammainc_da_p", "gammainc_da2_p"]
_declare(sc.gammainc, (lambda ans, a, x: gammainc_da_p(a, x),
                       lambda ans, a, x: _dgammainc_dx(a, x)), None)
_declare(sc.gammaincc, (lambda ans, a, x: -gammainc_da_p(a, x),
                        lambda ans, a, x: -_dgammainc_dx(a, x)), None)
# error functions (erf, erfc holomorphic: complex input follows the same rule)
_unary(sc.erf, lambda ans, x: 2 / _SQRT_PI * np.exp(-x * x))
_unary(sc.erfc, lambda ans, x: -2 / _SQRT_PI * np.exp(-x * x))
_unary(sc.erfinv, lambda ans, x: _SQRT_PI / 2 * np.exp(ans * ans))
_unary(sc.erfcinv, lambda ans, x: -_SQRT_PI / 2 * np.exp(ans * ans))
# the normal distribution's CDF, its log and its inverse (scipy.stats.norm reduces to them)
_unary(sc.ndtr, lambda ans, x: np.exp(-0.5 * x * x - LOG_SQRT_2PI))
_unary(sc.log_ndtr, lambda ans, x: np.exp(-0.5 * x * x - LOG_SQRT_2PI - ans))
_unary(sc.ndtri, lambda ans, x: np.exp(0.5 * ans * ans + LOG_SQRT_2PI))
# the CDFs of Student's t and of the beta distribution, differentiable in x; their shape
# parameters (df; a and b) have no rule: asking for one raises, naming the parameter
def _no_parameter_rule(func, param, index):
    def d(ans, *args):
        raise TypeError(
            f"chainrule has no derivative of scipy.special.{func} with respect to its "
            f"parameter {param} (argument {index}); differentiate in x only: pass {param} "
            "as a constant or detach it (`t.detach()`)")
    return d


def _mark_refusing(p, *indexes):
    """Mark the rules of ``p`` that only say why there is none (``refuses``)."""
    for i in indexes:
        p.vjps[i].refuses = True
        p.jvps[i].refuses = True


_declare(sc.stdtr, (_no_parameter_rule("stdtr", "df", 0), lambda ans, df, x: np.exp(
    sc.gammaln((df + 1) / 2) - sc.gammaln(df / 2) - 0.5 * np.log(df * np.pi)
    - (df + 1) / 2 * np.log1p(x * x / df))), None)
_mark_refusing(stdtr_p, 0)  # noqa: F821  (stdtr_p, betainc_p: declared by _declare)
_declare(sc.betainc, (_no_parameter_rule("betainc", "a", 0), _no_parameter_rule("betainc", "b", 1),
                      lambda ans, a, b, x: np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
                                                  - sc.betaln(a, b))), None)
_mark_refusing(betainc_p, 0, 1)  # noqa: F821
# x log y and x log(1 + y); the x-derivative at x == 0 is log y, as in JAX
_binary(sc.xlogy, lambda ans, x, y: np.log(y), lambda ans, x, y: x / y)
_binary(sc.xlog1py, lambda ans, x, y: np.log1p(y), lambda ans, x, y: x / (1 + y))
# Bessel functions: the order-v families first, then the named orders through them
_order_x(sc.jv, lambda ans, v, x: (sc.jv(v - 1, x) - sc.jv(v + 1, x)) / 2)   # also jn
_order_x(sc.yn, lambda ans, n, x: (sc.yn(n - 1, x) - sc.yn(n + 1, x)) / 2)
_order_x(sc.yv, lambda ans, v, x: (sc.yv(v - 1, x) - sc.yv(v + 1, x)) / 2)
_order_x(sc.iv, lambda ans, v, x: (sc.iv(v - 1, x) + sc.iv(v + 1, x)) / 2)
_order_x(sc.ive, lambda ans, v, x: (sc.ive(v - 1, x) + sc.ive(v + 1, x)) / 2 - _sign(x) * ans,
         real="exp(-|Re z|) is not holomorphic; its rule is written for real x")
_unary(sc.j0, lambda ans, x: -sc.j1(x))
_unary(sc.j1, lambda ans, x: (sc.j0(x) - sc.jv(2, x)) / 2)
_unary(sc.y0, lambda ans, x: -sc.y1(x))
_unary(sc.y1, lambda ans, x: (sc.y0(x) - sc.yv(2, x)) / 2)
_unary(sc.i0, lambda ans, x: sc.i1(x))
_unary(sc.i1, lambda ans, x: (sc.i0(x) + sc.iv(2, x)) / 2)
_unary(sc.i0e, lambda ans, x: sc.i1e(x) - _sign(x) * ans)
_unary(sc.i1e, lambda ans, x: (sc.i0e(x) + sc.ive(2, x)) / 2 - _sign(x) * ans)
