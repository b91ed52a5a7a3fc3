"""``scipy.stats`` distributions for tensors, built from differentiable special functions.

>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy.stats import norm
>>> float(cr.grad(norm.logpdf)(1.0))
-1.0
"""
import numpy as np
import scipy.stats as _stats
from scipy.special import (betainc, betaln, gammainc, gammaincc, gammaln, log_ndtr, ndtr,
                           ndtri, stdtr, xlog1py, xlogy)

from ..rules.special import LOG_SQRT_2PI

__all__ = ["norm", "t", "gamma", "beta", "chi2", "poisson", "dirichlet",
           "multivariate_normal"]


class norm:
    """The normal distribution (``loc``, ``scale``), as ``scipy.stats.norm``'s functions."""

    @staticmethod
    def logpdf(x, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        return -0.5 * z * z - np.log(scale) - LOG_SQRT_2PI

    @staticmethod
    def pdf(x, loc=0.0, scale=1.0):
        return np.exp(norm.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0.0, scale=1.0):
        return ndtr((x - loc) / scale)

    @staticmethod
    def logcdf(x, loc=0.0, scale=1.0):
        return log_ndtr((x - loc) / scale)

    @staticmethod
    def sf(x, loc=0.0, scale=1.0):
        return ndtr((loc - x) / scale)

    @staticmethod
    def logsf(x, loc=0.0, scale=1.0):
        return log_ndtr((loc - x) / scale)

    @staticmethod
    def ppf(q, loc=0.0, scale=1.0):
        return loc + scale * ndtri(q)

    @staticmethod
    def isf(q, loc=0.0, scale=1.0):
        return loc - scale * ndtri(q)


class t:
    """Student's t distribution (``df``, ``loc``, ``scale``); ``cdf`` is differentiable in
    ``x``, ``loc`` and ``scale``."""

    @staticmethod
    def logpdf(x, df, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        return (gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * np.log(df * np.pi)
                - np.log(scale) - (df + 1) / 2 * np.log1p(z * z / df))

    @staticmethod
    def pdf(x, df, loc=0.0, scale=1.0):
        return np.exp(t.logpdf(x, df, loc, scale))

    @staticmethod
    def cdf(x, df, loc=0.0, scale=1.0):
        return stdtr(df, (x - loc) / scale)

    @staticmethod
    def logcdf(x, df, loc=0.0, scale=1.0):
        return np.log(t.cdf(x, df, loc, scale))


class gamma:
    """The gamma distribution (shape ``a``, ``loc``, ``scale``)."""

    @staticmethod
    def logpdf(x, a, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        return xlogy(a - 1, z) - z - gammaln(a) - np.log(scale)

    @staticmethod
    def pdf(x, a, loc=0.0, scale=1.0):
        return np.exp(gamma.logpdf(x, a, loc, scale))

    @staticmethod
    def cdf(x, a, loc=0.0, scale=1.0):
        return gammainc(a, (x - loc) / scale)


class beta:
    """The beta distribution (``a``, ``b``) on [0, 1]."""

    @staticmethod
    def logpdf(x, a, b, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        return xlogy(a - 1, z) + xlog1py(b - 1, -z) - betaln(a, b) - np.log(scale)

    @staticmethod
    def pdf(x, a, b, loc=0.0, scale=1.0):
        return np.exp(beta.logpdf(x, a, b, loc, scale))

    @staticmethod
    def cdf(x, a, b, loc=0.0, scale=1.0):
        return betainc(a, b, (x - loc) / scale)


class chi2:
    """The chi-squared distribution with ``df`` degrees of freedom."""

    @staticmethod
    def logpdf(x, df, loc=0.0, scale=1.0):
        return gamma.logpdf(x, df / 2, loc, 2 * scale)

    @staticmethod
    def pdf(x, df, loc=0.0, scale=1.0):
        return np.exp(chi2.logpdf(x, df, loc, scale))

    @staticmethod
    def cdf(x, df, loc=0.0, scale=1.0):
        return gammainc(df / 2, (x - loc) / (2 * scale))


class poisson:
    """The Poisson distribution with mean ``mu`` (differentiable in ``mu``)."""

    @staticmethod
    def logpmf(k, mu, loc=0):
        k = k - loc
        return xlogy(k, mu) - mu - gammaln(k + 1)

    @staticmethod
    def pmf(k, mu, loc=0):
        return np.exp(poisson.logpmf(k, mu, loc))

    @staticmethod
    def cdf(k, mu, loc=0):
        return gammaincc(np.floor(k - loc) + 1, mu)


class dirichlet:
    """The Dirichlet distribution with concentrations ``alpha`` (last axis)."""

    rvs = staticmethod(_stats.dirichlet.rvs)

    @staticmethod
    def logpdf(x, alpha):
        return (np.sum(xlogy(alpha - 1, x), axis=-1) + gammaln(np.sum(alpha, axis=-1))
                - np.sum(gammaln(alpha), axis=-1))

    @staticmethod
    def pdf(x, alpha):
        return np.exp(dirichlet.logpdf(x, alpha))


class multivariate_normal:
    """The multivariate normal distribution (``mean``, positive definite ``cov``)."""

    rvs = staticmethod(_stats.multivariate_normal.rvs)

    @staticmethod
    def logpdf(x, mean=None, cov=1, allow_singular=False):
        cov = np.asarray(cov) if not hasattr(cov, "shape") else cov
        d = np.shape(cov)[-1]
        dev = x - mean if mean is not None else x
        if allow_singular:
            inv = np.linalg.pinv(cov)
            w, _ = np.linalg.eigh(cov)
            w = w[w > 1e-10 * np.max(w)]
            logdet, rank = np.sum(np.log(w)), np.shape(w)[0]
        else:
            inv = np.linalg.inv(cov)
            logdet, rank = np.linalg.slogdet(cov)[1], d
        maha = np.sum(dev * np.einsum("ij,...j->...i", inv, dev), axis=-1)
        return -0.5 * (rank * np.log(2 * np.pi) + logdet + maha)

    @staticmethod
    def pdf(x, mean=None, cov=1, allow_singular=False):
        return np.exp(multivariate_normal.logpdf(x, mean, cov, allow_singular))

    @staticmethod
    def entropy(mean=None, cov=1):
        d = np.shape(cov)[-1]
        return 0.5 * (d * (1 + np.log(2 * np.pi)) + np.linalg.slogdet(cov)[1])
