"""Elementwise functions (NumPy ufuncs and friends): one line of calculus each.

Each derivative is stated once: ``d=lambda ans, x: ...`` is the local derivative, from which
``defufunc`` makes the VJP ``g * d`` and the JVP ``t * d`` (with a strong zero unless
``finite=True``); ``linear=``/``bilinear=`` for linear and multiply-like functions, ``both=``
for a rule ``(v, ans, *args)`` that serves both modes.  ``keep``/``keep_ans`` declare what the
rules read.  The engine undoes broadcasting for VJPs and lines tangents up with the output for
JVPs, so each derivative is the textbook one.

``frexp``, ``modf`` and ``divmod`` are primitives with two results.  Functions built from the
primitives (in :mod:`chainrule.numpy_api.elementwise`, with the NumPy arguments of ``where``,
``clip``, ``real``, ...) need no rules of their own: ``angle``, ``select``, ``piecewise``,
``nan_to_num`` and ``interp`` (piecewise linear, differentiable in ``x``, ``xp`` and ``fp``;
at a knot, the slope of the segment to its right).  Where NumPy's function jumps (``mod``,
``floor_divide``, ``sign``, ``heaviside`` in x1), the derivative is that of the piece the
value is on.

>>> import numpy as np, chainrule as cr
>>> float(cr.grad(lambda x: np.interp(x, [0.0, 1.0, 3.0], [0.0, 2.0, 3.0]))(1.0))
0.5
"""
import numpy as np

from .api import (all_finite, defprim, defufunc, is_other, local_rule, real_cotangent,
                  register_ufunc, strong_over, strong_times, where0)

__all__ = []


def _public(**prims):
    globals().update(prims)
    __all__.extend(prims)


def _where0(cond, val):
    """``val`` where ``cond``, else 0 (NaN/inf in the discarded branch do not leak)."""
    return np.where(cond, val, np.zeros_like(val))


_times = strong_times
_over = strong_over
_where0 = where0


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


def _diff_tie0(x, y):
    """``x - y``, but 0 where ``x == y == +-inf`` (a tie there, not inf - inf = NaN)."""
    if all_finite(x) and all_finite(y):
        return x - y
    tie = np.logical_and(x == y, np.isinf(x))
    return np.where(tie, 0, x) - np.where(tie, 0, y)


def _over_r2(a, x, y):
    """``a / (x * x + y * y)``, without overflow in the squares."""
    r = np.hypot(x, y)
    return a / r / r


# ---------------------------------------------------------------- complex |z| and sign(z)
def _unit_conj(x, ans):
    """``conj(x) / |x|``, 0 where ``x == 0``."""
    return np.conj(x) / np.where(ans == 0, 1, ans)


def _abs_vjp(g, ans, x):
    if np.iscomplexobj(x):      # |x| again rather than kept: the output may be written to
        return real_cotangent(g) * _unit_conj(x, np.abs(x))
    return g * np.sign(x)


def _abs_jvp(t, ans, x):
    if np.iscomplexobj(x):
        return np.real(t * _unit_conj(x, ans))
    return t * np.sign(x)


def _sign_vjp(g, ans, x):
    """sign(z) = z / r: ct_z = (ct - conj(sign) Re(ct sign)) / r (0 at z = 0, for real x)."""
    if not np.iscomplexobj(x):
        return g * 0
    r = np.abs(x)
    inv = 1 / np.where(r == 0, 1, r) * (r != 0)
    return (g - np.conj(ans) * np.real(g * ans)) * inv


def _sign_jvp(t, ans, x):
    if not np.iscomplexobj(x):
        return t * 0
    r = np.abs(x)
    inv = 1 / np.where(r == 0, 1, r) * (r != 0)
    return (t - ans * np.real(np.conj(ans) * t)) * inv


# ---------------------------------------------------------------- arithmetic
# Each derivative is stated once (``d``: the local derivative, see ``defufunc``), from which
# the VJP ``g * d`` and the JVP ``t * d`` follow; ``keep`` names what ``d`` reads.
_public(
    add_p=defufunc(np.add, d=(1, 1), keep=(), keep_ans=False),
    subtract_p=defufunc(np.subtract, d=(1, -1), keep=(), keep_ans=False),
    multiply_p=defufunc(np.multiply, bilinear=True),
    # d/dy (x / y) = -(x / y) / y: no overflow in y * y when the result is representable
    divide_p=defufunc(np.divide, both=(lambda v, ans, x, y: _over(v, y),
                                       lambda v, ans, x, y: _times(v, -(x / y) / y)),
                      keep=(("y",), ("x", "y")), keep_ans=False),
    negative_p=defufunc(np.negative, linear=True),
    positive_p=defufunc(np.positive, d=1, keep=(), keep_ans=False),
    # x ** y: d/dx = y x^(y-1), exactly 0 where y == 0 (x ** 0 == 1, also at x == 0);
    # d/dy = log(x) x^y, taken as 0 where x == 0 (the limit for y > 0)
    # x ** y again for d/dy rather than the kept output, which may be written to in place
    # (PyTorch keeps only the inputs too); only a traced exponent pays for it
    power_p=defufunc(np.power, d=(lambda ans, x, y: _dpow_dx(x, y),
                                  lambda ans, x, y: _dpow_dy(np.power(x, y), x)),
                     keep=(("x", "y"), ("x", "y")), keep_ans=False),
    square_p=defufunc(np.square, d=lambda ans, x: 2 * x, finite=True, keep=("x",),
                      keep_ans=False),
    reciprocal_p=defufunc(np.reciprocal, d=lambda ans, x: -ans * ans, keep=()),
    # sqrt'(0) = +inf (the one-sided derivative, as in PyTorch and JAX); norms and np.std
    # know their kink at 0 and give 0 there instead (see docs/reliability.md)
    sqrt_p=defufunc(np.sqrt, d=lambda ans, x: 0.5 / ans, keep=()),
    cbrt_p=defufunc(np.cbrt, both=(lambda v, ans, x: _over(v, 3 * ans * ans),), keep=()),
    # |z| of complex z: d|z| = Re(conj(z) dz) / |z|, so the VJP is g conj(z) / |z| (JAX's
    # convention, 0 at z = 0) and the JVP is real
    absolute_p=defufunc(np.absolute, vjp=(_abs_vjp,), jvp=(_abs_jvp,), keep=("x",),
                        keep_ans=False),
    fabs_p=defufunc(np.fabs, d=lambda ans, x: np.sign(x), finite=True, keep=("x",),
                    keep_ans=False),
    # sign(z) = z / |z| for complex z (NumPy 2): a derivative off 0; 0 for real x
    sign_p=defufunc(np.sign, vjp=(_sign_vjp,), jvp=(_sign_jvp,), keep=("x",)),
    # x mod y = x - floor(x / y) * y
    mod_p=defufunc(np.remainder, d=(1, lambda ans, x, y: -np.floor(x / y)),
                   keep=((), ("x", "y")), keep_ans=False),
    floor_divide_p=defufunc(np.floor_divide, both=(lambda v, ans, x, y: v * 0,
                                                   lambda v, ans, x, y: v * 0),
                            keep=(), keep_ans=False),
    # C's fmod: x - trunc(x / y) * y (the sign of x, where mod has the sign of y)
    fmod_p=defufunc(np.fmod, d=(1, lambda ans, x, y: -np.trunc(x / y)), finite=True,
                    keep=((), ("x", "y")), keep_ans=False),
    # |x| with the sign bit of y (so y = -0.0 counts as negative); flat in y
    copysign_p=defufunc(np.copysign,
                        both=(lambda v, ans, x, y: v * np.sign(x) * np.copysign(1.0, y),
                              lambda v, ans, x, y: v * 0),
                        keep=(("x", "y"), ()), keep_ans=False),
    # x * 2**n for integer n: linear in x, and n has no derivative
    ldexp_p=defufunc(np.ldexp, both=(lambda v, ans, x, n: np.ldexp(v, n), None),
                     keep=("n",), keep_ans=False),
    # the step function; x2 is its value where x1 == 0, so only there does x2 count
    heaviside_p=defufunc(np.heaviside, both=(lambda v, ans, x1, x2: v * 0,
                                             lambda v, ans, x1, x2: _where0(x1 == 0, v)),
                         keep=((), ("x1",)), keep_ans=False),
)


# ufuncs with two results: primitives with multiple results (one NumPy call for both)
_public(
    # x = m * 2**e: the mantissa m = ldexp(x, -e) has slope 2**-e; the exponent is an integer
    frexp_p=defprim(np.frexp, name="frexp", multiple_results=True, elementwise=True,
                    vjp=(lambda g, ans, x: np.ldexp(g[0], -ans[1]),),
                    jvp=(lambda t, ans, x: (np.ldexp(t, -ans[1]), None),), keep=()),
    # (x - trunc(x), trunc(x)): slope 1 for the fraction, 0 for the integral part
    modf_p=defprim(np.modf, name="modf", multiple_results=True, elementwise=True,
                   vjp=(lambda g, ans, x: g[0],), jvp=(lambda t, ans, x: (t, t * 0),), keep=(),
                   keep_ans=False),
    # (x // y, x % y) with x % y = x - (x // y) * y; the quotient is flat
    divmod_p=defprim(np.divmod, name="divmod", multiple_results=True, elementwise=True,
                     vjp=(lambda g, ans, x, y: g[1], lambda g, ans, x, y: -g[1] * ans[0]),
                     jvp=(lambda t, ans, x, y: (t * 0, t),
                          lambda t, ans, x, y: (t * 0, -t * ans[0])), keep=()),
)

# ---------------------------------------------------------------- exponentials and logs
_LN2, _LN10 = np.log(2.0), np.log(10.0)
_public(
    exp_p=defufunc(np.exp, d=lambda ans, x: ans, keep=()),
    exp2_p=defufunc(np.exp2, d=lambda ans, x: ans * _LN2, keep=()),
    expm1_p=defufunc(np.expm1, d=lambda ans, x: ans + 1, keep=()),
    log_p=defufunc(np.log, both=(lambda v, ans, x: _over(v, x),), keep=("x",), keep_ans=False),
    log2_p=defufunc(np.log2, both=(lambda v, ans, x: _over(v, x * _LN2),), keep=("x",),
                    keep_ans=False),
    log10_p=defufunc(np.log10, both=(lambda v, ans, x: _over(v, x * _LN10),), keep=("x",),
                     keep_ans=False),
    log1p_p=defufunc(np.log1p, both=(lambda v, ans, x: _over(v, x + 1),), keep=("x",),
                     keep_ans=False),
    # log(e^x + e^y): the weights are sigmoid(x - y) and sigmoid(y - x), finite everywhere
    # (also where x or y is infinite, and 1/2 each where x == y == +-inf)
    logaddexp_p=defufunc(np.logaddexp, d=(lambda ans, x, y: _sigmoid(_diff_tie0(x, y)),
                                          lambda ans, x, y: _sigmoid(_diff_tie0(y, x))),
                         finite=True, keep=("x", "y"), keep_ans=False),
    logaddexp2_p=defufunc(np.logaddexp2, d=(lambda ans, x, y: _sigmoid(_diff_tie0(x, y) * _LN2),
                                            lambda ans, x, y: _sigmoid(_diff_tie0(y, x) * _LN2)),
                          finite=True, keep=("x", "y"), keep_ans=False),
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
    sin_p=defufunc(np.sin, d=lambda ans, x: np.cos(x), finite=True, keep=("x",),
                   keep_ans=False),
    cos_p=defufunc(np.cos, d=lambda ans, x: -np.sin(x), finite=True, keep=("x",),
                   keep_ans=False),
    tan_p=defufunc(np.tan, d=lambda ans, x: 1 + ans * ans, finite=True, keep=()),
    arcsin_p=defufunc(np.arcsin, both=(lambda v, ans, x: _over(v, np.sqrt(1 - x * x)),),
                      keep=("x",), keep_ans=False),
    arccos_p=defufunc(np.arccos, both=(lambda v, ans, x: _over(-v, np.sqrt(1 - x * x)),),
                      keep=("x",), keep_ans=False),
    arctan_p=defufunc(np.arctan, both=(lambda v, ans, x: _over(v, 1 + x * x)
                                       if np.iscomplexobj(x) else _over_r2(v, x, 1),),
                      keep=("x",),
                      keep_ans=False),
    # d arctan2(y, x) = (x dy - y dx) / r^2 with r = hypot(x, y); NaN at the origin
    arctan2_p=defufunc(np.arctan2, d=(lambda ans, y, x: _over_r2(x, x, y),
                                      lambda ans, y, x: _over_r2(-y, x, y)),
                       keep=("y", "x"), keep_ans=False),
    hypot_p=defufunc(np.hypot, d=(lambda ans, x, y: _where0(ans != 0, x / ans),
                                  lambda ans, x, y: _where0(ans != 0, y / ans)),
                     finite=True, keep=(("x",), ("y",))),
    sinh_p=defufunc(np.sinh, d=lambda ans, x: np.cosh(x), keep=("x",), keep_ans=False),
    cosh_p=defufunc(np.cosh, d=lambda ans, x: np.sinh(x), keep=("x",), keep_ans=False),
    tanh_p=defufunc(np.tanh, both=(lambda v, ans, x: _dtanh(v, ans),), keep=()),
    # hypot(x, 1) and sqrt(x - 1) sqrt(x + 1) do not overflow for large x as x * x would
    arcsinh_p=defufunc(np.arcsinh, both=(lambda v, ans, x: v / np.sqrt(1 + x * x)
                                         if np.iscomplexobj(x) else v / np.hypot(x, 1),),
                       keep=("x",),
                       keep_ans=False),
    arccosh_p=defufunc(np.arccosh,
                       both=(lambda v, ans, x: _over(v, np.sqrt(x - 1) * np.sqrt(x + 1)),),
                       keep=("x",), keep_ans=False),
    arctanh_p=defufunc(np.arctanh, both=(lambda v, ans, x: _over(v, (1 - x) * (1 + x)),),
                       keep=("x",), keep_ans=False),
    deg2rad_p=defufunc(np.deg2rad, linear=True),
    rad2deg_p=defufunc(np.rad2deg, linear=True),
)

# ---------------------------------------------------------------- comparisons that pick a side
# ties split the gradient evenly, so maximum(x, x) has derivative 1 (as in JAX)
def _pick(x, y):
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


def _pick_nan(x, y):
    """fmax/fmin ignore NaN: the gradient goes to the non-NaN side."""
    return np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, _pick(x, y)))


_public(
    maximum_p=defufunc(np.maximum, d=(lambda ans, x, y: _pick(x, y),
                                      lambda ans, x, y: _pick(y, x)),
                       finite=True, keep=("x", "y"), keep_ans=False),
    minimum_p=defufunc(np.minimum, d=(lambda ans, x, y: _pick(y, x),
                                      lambda ans, x, y: _pick(x, y)),
                       finite=True, keep=("x", "y"), keep_ans=False),
    fmax_p=defufunc(np.fmax, d=(lambda ans, x, y: _pick_nan(x, y),
                                lambda ans, x, y: _pick_nan(y, x)),
                    finite=True, keep=("x", "y"), keep_ans=False),
    fmin_p=defufunc(np.fmin, d=(lambda ans, x, y: _pick_nan(y, x),
                                lambda ans, x, y: _pick_nan(x, y)),
                    finite=True, keep=("x", "y"), keep_ans=False),
)

# ---------------------------------------------------------------- complex parts
# Complex cotangents follow JAX's convention (the VJP is the transpose of the real-linear
# tangent map, without conjugation), as multiply's rule ``g * y`` already does: so the VJP of
# ``real`` is ``g + 0j`` and that of ``imag`` is ``-1j * g``.  For real inputs, ``real`` is the
# identity and ``imag`` is zero.
def _real_vjp(g, ans, x):
    return real_cotangent(g).astype(np.result_type(x)) if np.iscomplexobj(x) else g


def _copy_in_library(a):
    """A copy in ``a``'s own library."""
    return a.copy() if is_other(a) else np.array(a)


def _imag_vjp(g, ans, x):
    return -1j * real_cotangent(g).astype(np.result_type(x)) if np.iscomplexobj(x) else g * 0


_public(
    conjugate_p=defufunc(np.conjugate, linear=True),
    # copies, where NumPy gives views of the input: a write into the result must not
    # change x behind the graph's back
    real_p=defprim(lambda x: _copy_in_library(np.real(x)), name="real", raw=True, vjp=(_real_vjp,),
                   jvp=(lambda t, ans, x: np.real(t),), keep=("x",), keep_ans=False),
    imag_p=defprim(lambda x: _copy_in_library(np.imag(x)), name="imag", raw=True, vjp=(_imag_vjp,),
                   jvp=(lambda t, ans, x: np.imag(t),), keep=("x",), keep_ans=False),
)


# ---------------------------------------------------------------- sinc
# sinc(x) = sin(pi x) / (pi x).  Its derivative (cos(pi x) - sinc(x)) / x cancels badly near
# 0, so there it is the Taylor series (to x^21): every derivative is right at and near 0.
_SINC_NEAR = 0.25
_SINC_SERIES = [(-1) ** k * np.pi ** (2 * k) * 2 * k / float(np.prod(np.arange(1, 2 * k + 2)))
                for k in range(1, 12)]     # coefficient of x^(2k-1) in sinc'(x)


def _dsinc(x):
    near = np.abs(x) < _SINC_NEAR
    x_far = np.where(near, np.ones_like(x), x)
    far = (np.cos(np.pi * x_far) - np.sinc(x_far)) / x_far
    x_near = np.where(near, x, np.zeros_like(x))
    x2 = x_near * x_near
    acc = _SINC_SERIES[-1] + x2 * 0
    for c in reversed(_SINC_SERIES[:-1]):   # Horner in x^2: sum c_k x^(2k-2), then times x
        acc = acc * x2 + c
    return np.where(near, acc * x_near, far)


_SINC_RULES = (local_rule(lambda ans, x: _dsinc(x), finite=True),)


_public(
    sinc_p=defprim(np.sinc, name="sinc", elementwise=True,
                   vjp=_SINC_RULES, jvp=_SINC_RULES, keep=(0,), keep_ans=False),
)

# ---------------------------------------------------------------- selection
def _where_fn(cond, x, y):
    return np.where(cond, x, y)


# the same rules serve both modes: v is g (reverse) or t (forward)
_WHERE_RULES = (None, lambda v, ans, c, x, y: _where0(c, v),
                lambda v, ans, c, x, y: _where0(np.logical_not(c), v))


_public(
    where_p=defprim(_where_fn, name="where", elementwise=True,
                    vjp=_WHERE_RULES, jvp=_WHERE_RULES, keep=("c",), keep_ans=False),
)


for _alias, _prim in [(np.radians, deg2rad_p), (np.degrees, rad2deg_p)]:  # noqa: F821
    register_ufunc(_alias, _prim)
