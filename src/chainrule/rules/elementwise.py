"""Elementwise functions (NumPy ufuncs): one line of calculus each.

VJP rules: ``vjp(g, ans, x, ...)``; JVP rules: ``jvp(t, ans, x, ...)``.  The engine undoes
broadcasting for VJPs and lines tangents up with the output for JVPs, so each rule is the
textbook derivative.
"""
import numpy as np

from ..numpy_bridge import implements, register_ufunc
from ..tensor import _base_array
from .registry import defprim, defufunc

__all__ = []


def _public(**prims):
    globals().update(prims)
    __all__.extend(prims)


def _where0(cond, val):
    """``val`` where ``cond``, else 0 (NaN/inf in the discarded branch do not leak)."""
    return np.where(cond, val, np.zeros_like(val))


# A zero cotangent (or tangent) is a *strong* zero: its product with the local derivative is 0
# even where that derivative is infinite or NaN (sqrt at 0, x/0, log(0), exp overflow).  An
# entry that does not reach the output (masked by np.where, sliced away, or multiplied by an
# exact 0) then gets gradient 0, as it should, instead of 0 * inf = NaN, which a later sum or
# matmul would spread to every other entry.  Where the cotangent is not zero, an infinite or
# NaN derivative shows as it is.  The check costs one pass when everything is finite.
def _finite(a):
    """True if every entry of ``a`` is finite."""
    if type(a) is not np.ndarray:
        a = _base_array(a)
    return bool(_isfinite(a).all()) if type(a) is np.ndarray else bool(_isfinite(a))


_isfinite = np.isfinite


def _times(g, d):
    """``g * d`` with a strong zero ``g`` (see above)."""
    out = g * d
    return out if _finite(out) else _where0(g != 0, out)


def _over(g, d):
    """``g / d`` with a strong zero ``g``."""
    out = g / d
    return out if _finite(out) else _where0(g != 0, out)


def _dpow_dx(x, y):
    live = np.logical_or(y != 0, x != 0)      # d/dx x ** 0 = 0, also at x == 0
    return _where0(live, y * np.power(np.where(live, x, 1), y - 1))


def _dpow_dy(ans, x):
    return _where0(x != 0, ans * np.log(np.where(x != 0, x, 1)))


def _sigmoid(d):
    """``1 / (1 + exp(-d))`` without overflow (and with the right derivative at 0)."""
    pos = d >= 0
    e = np.exp(np.where(pos, -d, d))
    return np.where(pos, np.ones_like(e), e) / (1 + e)


def _diff(x, y):
    """``x - y``, but 0 where ``x == y == +-inf`` (a tie there, not inf - inf = NaN)."""
    if _finite(x) and _finite(y):
        return x - y
    tie = np.logical_and(x == y, np.isinf(x))
    return np.where(tie, 0, x) - np.where(tie, 0, y)


def _over_r2(a, x, y):
    """``a / (x * x + y * y)``, without overflow in the squares."""
    r = np.hypot(x, y)
    return a / r / r


# ---------------------------------------------------------------- arithmetic
_public(
    add_p=defufunc(np.add, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
                   jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: t)),
    subtract_p=defufunc(np.subtract, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
                        jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t)),
    multiply_p=defufunc(np.multiply,
                        vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
                        jvp=(lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x)),
    # d/dy (x / y) = -(x / y) / y: no overflow in y * y when the result is representable
    divide_p=defufunc(np.divide,
                      vjp=(lambda g, ans, x, y: _over(g, y),
                           lambda g, ans, x, y: _times(g, -(x / y) / y)),
                      jvp=(lambda t, ans, x, y: _over(t, y),
                           lambda t, ans, x, y: _times(t, -(x / y) / y))),
    negative_p=defufunc(np.negative, vjp=(lambda g, ans, x: -g,),
                        jvp=(lambda t, ans, x: -t,)),
    positive_p=defufunc(np.positive, vjp=(lambda g, ans, x: g,), jvp=(lambda t, ans, x: t,)),
    # x ** y: d/dx = y x^(y-1), exactly 0 where y == 0 (x ** 0 == 1, also at x == 0);
    # d/dy = log(x) x^y, taken as 0 where x == 0 (the limit for y > 0)
    power_p=defufunc(
        np.power,
        vjp=(lambda g, ans, x, y: _times(g, _dpow_dx(x, y)),
             lambda g, ans, x, y: _times(g, _dpow_dy(ans, x))),
        jvp=(lambda t, ans, x, y: _times(t, _dpow_dx(x, y)),
             lambda t, ans, x, y: _times(t, _dpow_dy(ans, x)))),
    square_p=defufunc(np.square, vjp=(lambda g, ans, x: g * 2 * x,),
                      jvp=(lambda t, ans, x: t * 2 * x,)),
    reciprocal_p=defufunc(np.reciprocal, vjp=(lambda g, ans, x: _times(g, -ans * ans),),
                          jvp=(lambda t, ans, x: _times(t, -ans * ans),)),
    # sqrt'(0) = +inf (the one-sided derivative, as in PyTorch and JAX); norms and np.std
    # know their kink at 0 and give 0 there instead (see docs/reliability.md)
    sqrt_p=defufunc(np.sqrt, vjp=(lambda g, ans, x: _times(g, 0.5 / ans),),
                    jvp=(lambda t, ans, x: _times(t, 0.5 / ans),)),
    cbrt_p=defufunc(np.cbrt, vjp=(lambda g, ans, x: _over(g, 3 * ans * ans),),
                    jvp=(lambda t, ans, x: _over(t, 3 * ans * ans),)),
    absolute_p=defufunc(np.absolute, vjp=(lambda g, ans, x: g * np.sign(x),),
                        jvp=(lambda t, ans, x: t * np.sign(x),)),
    fabs_p=defufunc(np.fabs, vjp=(lambda g, ans, x: g * np.sign(x),),
                    jvp=(lambda t, ans, x: t * np.sign(x),)),
    sign_p=defufunc(np.sign, vjp=(lambda g, ans, x: g * 0,), jvp=(lambda t, ans, x: t * 0,)),
    # x mod y = x - floor(x / y) * y
    mod_p=defufunc(np.remainder,
                   vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: _times(g, -np.floor(x / y))),
                   jvp=(lambda t, ans, x, y: t,
                        lambda t, ans, x, y: _times(t, -np.floor(x / y)))),
    floor_divide_p=defufunc(np.floor_divide, vjp=(lambda g, ans, x, y: g * 0,
                                                  lambda g, ans, x, y: g * 0),
                            jvp=(lambda t, ans, x, y: t * 0, lambda t, ans, x, y: t * 0)),
)

# ---------------------------------------------------------------- exponentials and logs
_LN2, _LN10 = np.log(2.0), np.log(10.0)
_public(
    exp_p=defufunc(np.exp, vjp=(lambda g, ans, x: _times(g, ans),),
                   jvp=(lambda t, ans, x: _times(t, ans),)),
    exp2_p=defufunc(np.exp2, vjp=(lambda g, ans, x: _times(g, ans * _LN2),),
                    jvp=(lambda t, ans, x: _times(t, ans * _LN2),)),
    expm1_p=defufunc(np.expm1, vjp=(lambda g, ans, x: _times(g, ans + 1),),
                     jvp=(lambda t, ans, x: _times(t, ans + 1),)),
    log_p=defufunc(np.log, vjp=(lambda g, ans, x: _over(g, x),),
                   jvp=(lambda t, ans, x: _over(t, x),)),
    log2_p=defufunc(np.log2, vjp=(lambda g, ans, x: _over(g, x * _LN2),),
                    jvp=(lambda t, ans, x: _over(t, x * _LN2),)),
    log10_p=defufunc(np.log10, vjp=(lambda g, ans, x: _over(g, x * _LN10),),
                     jvp=(lambda t, ans, x: _over(t, x * _LN10),)),
    log1p_p=defufunc(np.log1p, vjp=(lambda g, ans, x: _over(g, x + 1),),
                     jvp=(lambda t, ans, x: _over(t, x + 1),)),
    # log(e^x + e^y): the weights are sigmoid(x - y) and sigmoid(y - x), finite everywhere
    # (also where x or y is infinite, and 1/2 each where x == y == +-inf)
    logaddexp_p=defufunc(np.logaddexp,
                         vjp=(lambda g, ans, x, y: g * _sigmoid(_diff(x, y)),
                              lambda g, ans, x, y: g * _sigmoid(_diff(y, x))),
                         jvp=(lambda t, ans, x, y: t * _sigmoid(_diff(x, y)),
                              lambda t, ans, x, y: t * _sigmoid(_diff(y, x)))),
    logaddexp2_p=defufunc(np.logaddexp2,
                          vjp=(lambda g, ans, x, y: g * _sigmoid(_diff(x, y) * _LN2),
                               lambda g, ans, x, y: g * _sigmoid(_diff(y, x) * _LN2)),
                          jvp=(lambda t, ans, x, y: t * _sigmoid(_diff(x, y) * _LN2),
                               lambda t, ans, x, y: t * _sigmoid(_diff(y, x) * _LN2))),
)

# ---------------------------------------------------------------- trigonometry
_public(
    sin_p=defufunc(np.sin, vjp=(lambda g, ans, x: g * np.cos(x),),
                   jvp=(lambda t, ans, x: t * np.cos(x),)),
    cos_p=defufunc(np.cos, vjp=(lambda g, ans, x: -g * np.sin(x),),
                   jvp=(lambda t, ans, x: -t * np.sin(x),)),
    tan_p=defufunc(np.tan, vjp=(lambda g, ans, x: g * (1 + ans * ans),),
                   jvp=(lambda t, ans, x: t * (1 + ans * ans),)),
    arcsin_p=defufunc(np.arcsin, vjp=(lambda g, ans, x: _over(g, np.sqrt(1 - x * x)),),
                      jvp=(lambda t, ans, x: _over(t, np.sqrt(1 - x * x)),)),
    arccos_p=defufunc(np.arccos, vjp=(lambda g, ans, x: _over(-g, np.sqrt(1 - x * x)),),
                      jvp=(lambda t, ans, x: _over(-t, np.sqrt(1 - x * x)),)),
    arctan_p=defufunc(np.arctan, vjp=(lambda g, ans, x: _over_r2(g, x, 1),),
                      jvp=(lambda t, ans, x: _over_r2(t, x, 1),)),
    # d arctan2(y, x) = (x dy - y dx) / r^2 with r = hypot(x, y); NaN at the origin
    arctan2_p=defufunc(np.arctan2,
                       vjp=(lambda g, ans, y, x: _times(g, _over_r2(x, x, y)),
                            lambda g, ans, y, x: _times(g, _over_r2(-y, x, y))),
                       jvp=(lambda t, ans, y, x: _times(t, _over_r2(x, x, y)),
                            lambda t, ans, y, x: _times(t, _over_r2(-y, x, y)))),
    hypot_p=defufunc(np.hypot, vjp=(lambda g, ans, x, y: g * _where0(ans != 0, x / ans),
                                    lambda g, ans, x, y: g * _where0(ans != 0, y / ans)),
                     jvp=(lambda t, ans, x, y: t * _where0(ans != 0, x / ans),
                          lambda t, ans, x, y: t * _where0(ans != 0, y / ans))),
    sinh_p=defufunc(np.sinh, vjp=(lambda g, ans, x: _times(g, np.cosh(x)),),
                    jvp=(lambda t, ans, x: _times(t, np.cosh(x)),)),
    cosh_p=defufunc(np.cosh, vjp=(lambda g, ans, x: _times(g, np.sinh(x)),),
                    jvp=(lambda t, ans, x: _times(t, np.sinh(x)),)),
    tanh_p=defufunc(np.tanh, vjp=(lambda g, ans, x: g * (1 - ans * ans),),
                    jvp=(lambda t, ans, x: t * (1 - ans * ans),)),
    # hypot(x, 1) and sqrt(x - 1) sqrt(x + 1) do not overflow for large x as x * x would
    arcsinh_p=defufunc(np.arcsinh, vjp=(lambda g, ans, x: g / np.hypot(x, 1),),
                       jvp=(lambda t, ans, x: t / np.hypot(x, 1),)),
    arccosh_p=defufunc(np.arccosh,
                       vjp=(lambda g, ans, x: _over(g, np.sqrt(x - 1) * np.sqrt(x + 1)),),
                       jvp=(lambda t, ans, x: _over(t, np.sqrt(x - 1) * np.sqrt(x + 1)),)),
    arctanh_p=defufunc(np.arctanh, vjp=(lambda g, ans, x: _over(g, (1 - x) * (1 + x)),),
                       jvp=(lambda t, ans, x: _over(t, (1 - x) * (1 + x)),)),
    deg2rad_p=defufunc(np.deg2rad, vjp=(lambda g, ans, x: g * (np.pi / 180),),
                       jvp=(lambda t, ans, x: t * (np.pi / 180),)),
    rad2deg_p=defufunc(np.rad2deg, vjp=(lambda g, ans, x: g * (180 / np.pi),),
                       jvp=(lambda t, ans, x: t * (180 / np.pi),)),
)

# ---------------------------------------------------------------- comparisons that pick a side
# ties split the gradient evenly, so maximum(x, x) has derivative 1 (as in JAX)
def _pick(x, y):
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


def _pick_nan(x, y):
    """fmax/fmin ignore NaN: the gradient goes to the non-NaN side."""
    return np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, _pick(x, y)))


_public(
    maximum_p=defufunc(np.maximum, vjp=(lambda g, ans, x, y: g * _pick(x, y),
                                        lambda g, ans, x, y: g * _pick(y, x)),
                       jvp=(lambda t, ans, x, y: t * _pick(x, y),
                            lambda t, ans, x, y: t * _pick(y, x))),
    minimum_p=defufunc(np.minimum, vjp=(lambda g, ans, x, y: g * _pick(y, x),
                                        lambda g, ans, x, y: g * _pick(x, y)),
                       jvp=(lambda t, ans, x, y: t * _pick(y, x),
                            lambda t, ans, x, y: t * _pick(x, y))),
    fmax_p=defufunc(np.fmax, vjp=(lambda g, ans, x, y: g * _pick_nan(x, y),
                                  lambda g, ans, x, y: g * _pick_nan(y, x)),
                    jvp=(lambda t, ans, x, y: t * _pick_nan(x, y),
                         lambda t, ans, x, y: t * _pick_nan(y, x))),
    fmin_p=defufunc(np.fmin, vjp=(lambda g, ans, x, y: g * _pick_nan(y, x),
                                  lambda g, ans, x, y: g * _pick_nan(x, y)),
                    jvp=(lambda t, ans, x, y: t * _pick_nan(y, x),
                         lambda t, ans, x, y: t * _pick_nan(x, y))),
)

# ---------------------------------------------------------------- complex parts
_public(
    conjugate_p=defufunc(np.conjugate, vjp=(lambda g, ans, x: np.conjugate(g),),
                         jvp=(lambda t, ans, x: np.conjugate(t),)),
)

# ---------------------------------------------------------------- selection
def _where_fn(cond, x, y):
    return np.where(cond, x, y)


_public(
    where_p=defprim(_where_fn, name="where", elementwise=True,
                    vjp=(None, lambda g, ans, c, x, y: _where0(c, g),
                         lambda g, ans, c, x, y: _where0(np.logical_not(c), g)),
                    jvp=(None, lambda t, ans, c, x, y: _where0(c, t),
                         lambda t, ans, c, x, y: _where0(np.logical_not(c), t))),
)


@implements(np.where)
def _where(condition, x=None, y=None):
    if x is None and y is None:
        return np.nonzero(condition)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    return where_p(condition, x, y)


@implements(np.clip)
def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    res = a
    if lo is not None:
        res = where_p(res < lo, lo, res)
    if hi is not None:
        res = where_p(res > hi, hi, res)
    if lo is None and hi is None:
        raise ValueError("np.clip needs a_min or a_max")
    if out is not None:
        out[...] = res
        return out
    return res


for _alias, _prim in [(np.radians, deg2rad_p), (np.degrees, rad2deg_p)]:  # noqa: F821
    register_ufunc(_alias, _prim)
