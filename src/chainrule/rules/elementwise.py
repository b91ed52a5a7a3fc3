"""Elementwise functions (NumPy ufuncs): one line of calculus each.

VJP rules: ``vjp(g, ans, x, ...)``; JVP rules: ``jvp(t, ans, x, ...)``.  The engine undoes
broadcasting for VJPs and lines tangents up with the output for JVPs, so each rule is the
textbook derivative.
"""
import numpy as np

from ..numpy_bridge import implements, register_ufunc
from .registry import defprim, defufunc

__all__ = []


def _public(**prims):
    globals().update(prims)
    __all__.extend(prims)


def _where0(cond, val):
    """``val`` where ``cond``, else 0 (NaN/inf in the discarded branch do not leak)."""
    return np.where(cond, val, np.zeros_like(val))


# ---------------------------------------------------------------- arithmetic
_public(
    add_p=defufunc(np.add, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
                   jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: t)),
    subtract_p=defufunc(np.subtract, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
                        jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t)),
    multiply_p=defufunc(np.multiply,
                        vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
                        jvp=(lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x)),
    divide_p=defufunc(np.divide,
                      vjp=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * x / (y * y)),
                      jvp=(lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * x / (y * y))),
    negative_p=defufunc(np.negative, vjp=(lambda g, ans, x: -g,),
                        jvp=(lambda t, ans, x: -t,)),
    positive_p=defufunc(np.positive, vjp=(lambda g, ans, x: g,), jvp=(lambda t, ans, x: t,)),
    # x ** y: d/dx = y x^(y-1); d/dy = log(x) x^y, taken as 0 where x == 0 (the limit for y > 0)
    power_p=defufunc(
        np.power,
        vjp=(lambda g, ans, x, y: g * y * np.power(x, y - 1),
             lambda g, ans, x, y: g * _where0(x != 0, ans * np.log(np.where(x != 0, x, 1)))),
        jvp=(lambda t, ans, x, y: t * y * np.power(x, y - 1),
             lambda t, ans, x, y: t * _where0(x != 0, ans * np.log(np.where(x != 0, x, 1))))),
    square_p=defufunc(np.square, vjp=(lambda g, ans, x: g * 2 * x,),
                      jvp=(lambda t, ans, x: t * 2 * x,)),
    reciprocal_p=defufunc(np.reciprocal, vjp=(lambda g, ans, x: -g * ans * ans,),
                          jvp=(lambda t, ans, x: -t * ans * ans,)),
    sqrt_p=defufunc(np.sqrt, vjp=(lambda g, ans, x: g * 0.5 / ans,),
                    jvp=(lambda t, ans, x: t * 0.5 / ans,)),
    cbrt_p=defufunc(np.cbrt, vjp=(lambda g, ans, x: g / (3 * ans * ans),),
                    jvp=(lambda t, ans, x: t / (3 * ans * ans),)),
    absolute_p=defufunc(np.absolute, vjp=(lambda g, ans, x: g * np.sign(x),),
                        jvp=(lambda t, ans, x: t * np.sign(x),)),
    fabs_p=defufunc(np.fabs, vjp=(lambda g, ans, x: g * np.sign(x),),
                    jvp=(lambda t, ans, x: t * np.sign(x),)),
    sign_p=defufunc(np.sign, vjp=(lambda g, ans, x: g * 0,), jvp=(lambda t, ans, x: t * 0,)),
    # x mod y = x - floor(x / y) * y
    mod_p=defufunc(np.remainder,
                   vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.floor(x / y)),
                   jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t * np.floor(x / y))),
    floor_divide_p=defufunc(np.floor_divide, vjp=(lambda g, ans, x, y: g * 0,
                                                  lambda g, ans, x, y: g * 0),
                            jvp=(lambda t, ans, x, y: t * 0, lambda t, ans, x, y: t * 0)),
)

# ---------------------------------------------------------------- exponentials and logs
_LN2, _LN10 = np.log(2.0), np.log(10.0)
_public(
    exp_p=defufunc(np.exp, vjp=(lambda g, ans, x: g * ans,), jvp=(lambda t, ans, x: t * ans,)),
    exp2_p=defufunc(np.exp2, vjp=(lambda g, ans, x: g * ans * _LN2,),
                    jvp=(lambda t, ans, x: t * ans * _LN2,)),
    expm1_p=defufunc(np.expm1, vjp=(lambda g, ans, x: g * (ans + 1),),
                     jvp=(lambda t, ans, x: t * (ans + 1),)),
    log_p=defufunc(np.log, vjp=(lambda g, ans, x: g / x,), jvp=(lambda t, ans, x: t / x,)),
    log2_p=defufunc(np.log2, vjp=(lambda g, ans, x: g / (x * _LN2),),
                    jvp=(lambda t, ans, x: t / (x * _LN2),)),
    log10_p=defufunc(np.log10, vjp=(lambda g, ans, x: g / (x * _LN10),),
                     jvp=(lambda t, ans, x: t / (x * _LN10),)),
    log1p_p=defufunc(np.log1p, vjp=(lambda g, ans, x: g / (x + 1),),
                     jvp=(lambda t, ans, x: t / (x + 1),)),
    # log(e^x + e^y): the weights are softmax of (x, y), computed without overflow
    logaddexp_p=defufunc(np.logaddexp,
                         vjp=(lambda g, ans, x, y: g * np.exp(x - ans),
                              lambda g, ans, x, y: g * np.exp(y - ans)),
                         jvp=(lambda t, ans, x, y: t * np.exp(x - ans),
                              lambda t, ans, x, y: t * np.exp(y - ans))),
    logaddexp2_p=defufunc(np.logaddexp2,
                          vjp=(lambda g, ans, x, y: g * np.exp2(x - ans),
                               lambda g, ans, x, y: g * np.exp2(y - ans)),
                          jvp=(lambda t, ans, x, y: t * np.exp2(x - ans),
                               lambda t, ans, x, y: t * np.exp2(y - ans))),
)

def _dtanh(g, ans):
    """``(1 - ans**2) * g``: tanh's derivative times ``g``, the activation functions' hot rule.

    On plain arrays of one dtype and shape it works in place on its one temporary (one new
    array, three passes); on tensors (a recorded backward pass) it is the formula as written.
    """
    t = ans * ans
    if type(t) is np.ndarray and type(g) is np.ndarray and t.shape == g.shape and \
            t.dtype == g.dtype:
        np.subtract(1, t, out=t)
        return np.multiply(t, g, out=t)
    return (1 - t) * g


# ---------------------------------------------------------------- trigonometry
_public(
    sin_p=defufunc(np.sin, vjp=(lambda g, ans, x: g * np.cos(x),),
                   jvp=(lambda t, ans, x: t * np.cos(x),)),
    cos_p=defufunc(np.cos, vjp=(lambda g, ans, x: -g * np.sin(x),),
                   jvp=(lambda t, ans, x: -t * np.sin(x),)),
    tan_p=defufunc(np.tan, vjp=(lambda g, ans, x: g * (1 + ans * ans),),
                   jvp=(lambda t, ans, x: t * (1 + ans * ans),)),
    arcsin_p=defufunc(np.arcsin, vjp=(lambda g, ans, x: g / np.sqrt(1 - x * x),),
                      jvp=(lambda t, ans, x: t / np.sqrt(1 - x * x),)),
    arccos_p=defufunc(np.arccos, vjp=(lambda g, ans, x: -g / np.sqrt(1 - x * x),),
                      jvp=(lambda t, ans, x: -t / np.sqrt(1 - x * x),)),
    arctan_p=defufunc(np.arctan, vjp=(lambda g, ans, x: g / (1 + x * x),),
                      jvp=(lambda t, ans, x: t / (1 + x * x),)),
    arctan2_p=defufunc(np.arctan2,
                       vjp=(lambda g, ans, y, x: g * x / (x * x + y * y),
                            lambda g, ans, y, x: -g * y / (x * x + y * y)),
                       jvp=(lambda t, ans, y, x: t * x / (x * x + y * y),
                            lambda t, ans, y, x: -t * y / (x * x + y * y))),
    hypot_p=defufunc(np.hypot, vjp=(lambda g, ans, x, y: g * _where0(ans != 0, x / ans),
                                    lambda g, ans, x, y: g * _where0(ans != 0, y / ans)),
                     jvp=(lambda t, ans, x, y: t * _where0(ans != 0, x / ans),
                          lambda t, ans, x, y: t * _where0(ans != 0, y / ans))),
    sinh_p=defufunc(np.sinh, vjp=(lambda g, ans, x: g * np.cosh(x),),
                    jvp=(lambda t, ans, x: t * np.cosh(x),)),
    cosh_p=defufunc(np.cosh, vjp=(lambda g, ans, x: g * np.sinh(x),),
                    jvp=(lambda t, ans, x: t * np.sinh(x),)),
    tanh_p=defufunc(np.tanh, vjp=(lambda g, ans, x: _dtanh(g, ans),),
                    jvp=(lambda t, ans, x: _dtanh(t, ans),)),
    arcsinh_p=defufunc(np.arcsinh, vjp=(lambda g, ans, x: g / np.sqrt(x * x + 1),),
                       jvp=(lambda t, ans, x: t / np.sqrt(x * x + 1),)),
    arccosh_p=defufunc(np.arccosh, vjp=(lambda g, ans, x: g / np.sqrt(x * x - 1),),
                       jvp=(lambda t, ans, x: t / np.sqrt(x * x - 1),)),
    arctanh_p=defufunc(np.arctanh, vjp=(lambda g, ans, x: g / (1 - x * x),),
                       jvp=(lambda t, ans, x: t / (1 - x * x),)),
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
