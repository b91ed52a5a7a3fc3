"""``scipy.stats`` distributions for tensors, built from differentiable special functions.

>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy.stats import norm
>>> float(cr.grad(norm.logpdf)(1.0))
-1.0
"""
import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

__all__ = ["norm"]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


class norm:
    """The normal distribution (``loc``, ``scale``), as ``scipy.stats.norm``'s functions."""

    @staticmethod
    def logpdf(x, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        return -0.5 * z * z - np.log(scale) - _LOG_SQRT_2PI

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
