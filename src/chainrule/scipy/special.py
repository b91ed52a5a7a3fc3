"""``scipy.special`` for tensors: SciPy's ufuncs (with chainrule's rules) and the functions
that are not ufuncs, built from primitives so that every order is differentiable.

>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy import special
>>> cr.grad(lambda x: special.log_softmax(x)[0])(np.zeros(2))
array([ 0.5, -0.5])
"""
import math
import operator

import numpy as np
from scipy.special import (beta, betainc, betaln, digamma, erf, erfc, erfcinv, erfinv,  # noqa
                           expit, gamma, gammainc, gammaincc, gammaln, gammasgn, i0, i0e, i1,
                           i1e, iv, ive, j0, j1, jn, jv, log_ndtr, logit, ndtr, ndtri, psi,
                           rgamma, stdtr, xlog1py, xlogy, y0, y1, yn, yv)

from ..rules.special import zeta_p
from ..tensor import plain

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln", "zeta",
           "beta", "betainc", "betaln", "digamma", "erf", "erfc", "erfcinv", "erfinv", "expit",
           "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i0e", "i1", "i1e",
           "iv", "ive",
           "j0", "j1", "jn", "jv", "log_ndtr", "logit", "ndtr", "ndtri", "psi", "rgamma",
           "stdtr", "xlog1py", "xlogy", "y0", "y1", "yn", "yv"]


def _constant(x):
    """The plain values of ``x`` (no tensor at any level), in ``x``'s own array library: a
    shift that carries no gradient."""
    return plain(x)


def _max_real_part(a, axis):
    """The largest real part along ``axis`` (kept dims; 0 where not finite), as a constant."""
    v = np.real(_constant(a))
    if 0 in np.shape(v):
        return np.zeros([1] * np.ndim(v)) if axis is None else np.zeros(
            np.shape(np.sum(v, axis=axis, keepdims=True)))
    m = np.max(v, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a), axis))``, computed stably (SciPy's signature).

    >>> import numpy as np, chainrule as cr
    >>> float(logsumexp(np.log(np.array([1.0, 3.0]))))
    1.3862943611198906
    """
    m = _max_real_part(a, axis)
    e = np.exp(a - m)
    if b is not None:
        e = b * e
    s = np.sum(e, axis=axis, keepdims=True)
    if return_sign:
        sign = np.sign(_constant(s))
        out = np.log(np.abs(s)) + m
        if not keepdims:
            out, sign = np.squeeze(out, axis=axis), np.squeeze(sign, axis=axis)
        return out, sign
    out = np.log(s) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x), axis)`` (SciPy's signature)."""
    e = np.exp(x - _max_real_part(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis)`` (SciPy's signature)."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def zeta(x, q):
    """The Hurwitz zeta function ``zeta(x, q)``, differentiable in ``q``."""
    return zeta_p(x, q)


def polygamma(n, x):
    """The ``n``-th derivative of ``digamma`` at ``x`` (``n`` a non-negative integer)."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"polygamma needs an order n >= 0, not {n}")
    if n == 0:
        return psi(x)
    return (-1) ** (n + 1) * math.factorial(n) * zeta_p(float(n + 1), x)


def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension ``d``, differentiable in
    ``a``: ``d (d - 1) / 4 log(pi) + sum_j gammaln(a - j / 2)``."""
    d = operator.index(d)
    out = d * (d - 1) / 4 * np.log(np.pi)
    for j in range(d):
        out = out + gammaln(a - j / 2)
    return out
