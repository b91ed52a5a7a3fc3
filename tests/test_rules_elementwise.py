"""Every elementwise primitive against finite differences (both modes, second order)."""
import numpy as np
import pytest

import chainrule as cr
from rulecheck import Arg, Case, table_test

A = Arg
POS = Arg(0.2, 3.0)
UNIT = Arg(-0.9, 0.9)
NZ = Arg(avoid=(0.0,), away=0.2)
NONINT = Arg(avoid=(-2.0, -1.0, 0.0, 1.0, 2.0))    # 0.15 or more from every integer
XP = np.array([0.0, 1.0, 2.5, 3.0])                # knots for np.interp
FP = np.array([1.0, -1.0, 2.0, 0.5])
SPECIAL = np.array([1.0, np.inf, np.nan])


def _complex(x, y):
    """x + iy in the complex dtype that matches x's precision."""
    c = np.result_type(x, np.complex64)
    return x.astype(c) + 1j * y.astype(c)

CASES = [
    Case("add", np.add, [A(), A()]),
    Case("subtract", np.subtract, [A(), A()]),
    Case("multiply", np.multiply, [A(), A()]),
    Case("divide", np.divide, [A(), NZ]),
    Case("operators", lambda x, y: (x + 1.5) * y - x / 2.0 + 3.0 - y, [A(), A()]),
    Case("rtruediv", lambda x: 2.0 / x, [NZ]),
    Case("negative", np.negative, [A()]),
    Case("positive", np.positive, [A()]),
    Case("power_base", lambda x: np.power(x, 3.0), [A()]),
    Case("power_both", np.power, [POS, A()]),
    Case("pow_operator", lambda x, y: x ** y, [POS, A()]),
    Case("rpow", lambda x: 2.0 ** x, [A()]),
    Case("square", np.square, [A()]),
    Case("reciprocal", np.reciprocal, [NZ]),
    Case("sqrt", np.sqrt, [POS]),
    Case("cbrt", np.cbrt, [NZ]),
    Case("abs", np.abs, [NZ]),
    Case("fabs", np.fabs, [NZ]),
    Case("sign", lambda x: np.sign(x) * x, [NZ]),
    # mod, fmod and floor division jump where x / y crosses an integer: the first argument
    # is u * y with u kept away from integers, so x / y never comes near one
    Case("mod", lambda u, y: np.mod(u * y, y), [NONINT, Arg(0.5, 0.9)]),
    Case("mod_negative_divisor", lambda u, y: np.remainder(u * y, -y), [NONINT, Arg(0.5, 0.9)]),
    Case("mod_operator", lambda u, y: (u * y) % y, [NONINT, Arg(0.5, 0.9)]),
    Case("fmod", lambda u, y: np.fmod(u * y, y), [NONINT, Arg(0.5, 0.9)]),
    Case("floor_divide", lambda u, y: np.floor_divide(u * y, y) * y + u, [NONINT, Arg(0.5, 0.9)]),
    Case("floordiv_operator", lambda u, y: (u * y) // y * u, [NONINT, Arg(0.5, 0.9)]),
    Case("divmod", lambda u, y: np.divmod(u * y, y)[1] * np.divmod(u * y, y)[0],
         [NONINT, Arg(0.5, 0.9)]),
    Case("modf", lambda x: np.modf(x)[0] * (np.modf(x)[1] + 0.5), [NONINT]),
    Case("copysign", np.copysign, [NZ, NZ]),
    Case("ldexp", np.ldexp, [A(), Arg(-3, 3, integer=True)]),
    Case("frexp", lambda x: np.frexp(x)[0] + np.frexp(x * -4.0)[0] * x, [Arg(0.55, 0.95)]),
    Case("heaviside", lambda x, h: np.heaviside(x, h) * h + x, [NZ, A()]),
    Case("exp", np.exp, [A()]),
    Case("exp2", np.exp2, [A()]),
    Case("expm1", np.expm1, [A()]),
    Case("log", np.log, [POS]),
    Case("log2", np.log2, [POS]),
    Case("log10", np.log10, [POS]),
    Case("log1p", np.log1p, [Arg(-0.8, 3.0)]),
    Case("logaddexp", np.logaddexp, [A(), A()]),
    Case("logaddexp2", np.logaddexp2, [A(), A()]),
    Case("sin", np.sin, [A()]),
    Case("cos", np.cos, [A()]),
    Case("tan", np.tan, [Arg(-1.2, 1.2)]),
    Case("arcsin", np.arcsin, [UNIT]),
    Case("arccos", np.arccos, [UNIT]),
    Case("arctan", np.arctan, [A()]),
    Case("arctan2", np.arctan2, [A(), Arg(0.3, 2.0)]),
    Case("hypot", np.hypot, [NZ, NZ]),
    Case("sinh", np.sinh, [A()]),
    Case("cosh", np.cosh, [A()]),
    Case("tanh", np.tanh, [A()]),
    Case("arcsinh", np.arcsinh, [A()]),
    Case("arccosh", np.arccosh, [Arg(1.2, 3.0)]),
    Case("arctanh", np.arctanh, [UNIT]),
    Case("deg2rad", np.deg2rad, [A()]),
    Case("rad2deg", np.rad2deg, [A()]),
    # the two sides of a comparison are x and x + d with d away from 0: drawn apart, they
    # could come closer than a finite-difference step, where the kink is
    Case("maximum", lambda x, d: np.maximum(x, x + d), [A(), NZ]),
    Case("minimum", lambda x, d: np.minimum(x + d, x), [A(), NZ]),
    Case("fmax", lambda x, d: np.fmax(x + d, x), [A(), NZ]),
    Case("fmin", lambda x, d: np.fmin(x, x + d), [A(), NZ]),
    Case("sinc", np.sinc, [A()]),
    Case("sinc_near_0", np.sinc, [Arg(-0.3, 0.3)]),   # the Taylor branch of its derivative
    # complex parts, on real inputs made complex inside (check_grads perturbs real numbers)
    Case("conjugate", lambda x, y: np.real(np.conjugate(_complex(x, y)) * _complex(y, x)),
         [A(), A()]),
    Case("conj_real", np.conj, [A()]),
    Case("real_imag", lambda x, y: np.real(_complex(x, y) ** 2) * np.imag(_complex(y, x) ** 3),
         [A(), A()]),
    Case("real_imag_of_real", lambda x: np.real(x) * 2.0 + np.imag(x), [A()]),
    # complex draws of x and y can put x + iy next to 0, where angle's curvature is too
    # large for float32 finite differences at second order: checked in float64/complex128
    Case("angle", lambda x, y: np.angle(_complex(x, y)), [A(), NZ], float32=False),
    Case("angle_deg", lambda x, y: np.angle(_complex(x, y), deg=True), [NZ, NZ]),
    Case("angle_real", np.angle, [NZ]),
    # selection and replacement
    Case("where", lambda x, d: np.where(d > 0, x * (x + d), x), [A(), NZ]),
    Case("clip", lambda x: np.clip(x, -1.0, 0.5), [Arg(avoid=(-1.0, 0.5))]),
    Case("select", lambda x: np.select([x < -0.5, x > 0.5], [x ** 2, np.sin(x)], x * 3.0),
         [Arg(avoid=(-0.5, 0.5))]),
    Case("select_scalar_choice", lambda x, y: np.select([x > 0], [y], default=1.5),
         [NZ, A()]),
    Case("piecewise", lambda x: np.piecewise(x, [x < 0, x > 1], [np.sin, lambda v: v ** 2, 0.5]),
         [Arg(avoid=(0.0, 1.0))]),
    Case("piecewise_otherwise", lambda x: np.piecewise(x, [x < 0], [np.exp, np.cos]), [NZ]),
    Case("nan_to_num", np.nan_to_num, [A()]),
    Case("nan_to_num_replaced", lambda x: np.nan_to_num(x + SPECIAL, nan=-1.0, posinf=5.0,
                                                        neginf=-5.0),
         [Arg(shape=(2, 3), avoid=(0.0,), away=0.2)]),
    # piecewise-linear interpolation (x kept away from the knots)
    Case("interp", lambda x: np.interp(x, XP, FP), [Arg(-1.0, 4.0, avoid=tuple(XP))]),
    Case("interp_left_right", lambda x: np.interp(x, XP, FP, left=-3.0, right=7.0),
         [Arg(-1.0, 4.0, avoid=tuple(XP))]),
    Case("interp_all_args", lambda x, dk, fp: np.interp(x, XP + dk, fp),
         [Arg(-1.0, 4.0, avoid=tuple(XP)), Arg(-0.04, 0.04, shape=(4,)), Arg(shape=(4,))]),
    Case("interp_period", lambda x, fp: np.interp(x, XP, fp, period=3.5),
         [Arg(0.1, 2.4, avoid=(1.0,)), Arg(shape=(4,))]),
]

test_elementwise = table_test(CASES)


# ---------------------------------------------------------------- what finite differences miss
def _both_modes(f, x):
    """The gradient of scalar ``f`` at ``x`` in reverse mode, checked against forward mode."""
    g = cr.grad(f)(x)
    np.testing.assert_allclose(cr.jacfwd(f)(x), g)
    return g


def test_sinc_derivatives_at_zero():
    # sinc'(0) = 0, sinc''(0) = -pi^2 / 3, sinc''''(0) = pi^4 / 5: the Taylor branch
    d1 = cr.elementwise_grad(np.sinc)
    d2 = cr.elementwise_grad(d1)
    x = np.array([0.0, 1e-9, -1e-3])
    np.testing.assert_allclose(d1(x), [0.0, -np.pi ** 2 / 3 * 1e-9, np.pi ** 2 / 3 * 1e-3],
                               rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(d2(x), -np.pi ** 2 / 3, rtol=1e-5)
    np.testing.assert_allclose(cr.hessian(lambda x: np.sinc(x))(0.0), -np.pi ** 2 / 3)
    np.testing.assert_allclose(cr.elementwise_grad(cr.elementwise_grad(d2))(np.zeros(1)),
                               np.pi ** 4 / 5, rtol=1e-12)
    # the two branches meet smoothly
    np.testing.assert_allclose(d2(np.array([0.2499999, 0.2500001])), -2.7030, atol=1e-3)


def test_heaviside_value_argument_counts_only_at_zero():
    x1 = np.array([-1.0, 0.0, 2.0, 0.0])
    g = _both_modes(lambda h: np.sum(np.heaviside(x1, h) * np.arange(1.0, 5.0)),
                    np.full(4, 0.5))
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.0, 4.0])


def test_nan_to_num_passes_gradient_only_at_finite_entries():
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0])
    g = _both_modes(lambda x: np.sum(np.nan_to_num(x, posinf=9.0) * np.arange(5.0)), x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 0.0, 4.0])
    # the replacement values themselves may need a derivative (NumPy dispatches on x only,
    # so x is differentiated too)
    gx, gc = cr.grad(lambda x, c: np.sum(np.nan_to_num(x, nan=c, posinf=c * 2, neginf=-c)),
                     argnums=(0, 1))(x, 1.0)
    assert gc == 1.0 + 2.0 - 1.0
    t = np.nan_to_num(cr.tensor(x.astype(np.float32)))
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), np.nan_to_num(x.astype(np.float32)))


def test_interp_at_and_beyond_the_knots():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    x = np.array([-1.0, 0.0, 0.5, 1.0, 3.0, 4.0])
    np.testing.assert_array_equal(np.interp(cr.tensor(x), xp, fp).numpy(), np.interp(x, xp, fp))
    slope = cr.elementwise_grad(lambda x: np.interp(x, xp, fp))(x)
    # at a knot: the segment to the right; at and past the last knot, before the first: flat
    np.testing.assert_array_equal(slope, [0.0, 2.0, 2.0, 0.5, 0.0, 0.0])
    np.testing.assert_array_equal(cr.jacfwd(lambda x: np.interp(x, xp, fp))(x), np.diag(slope))
    # fp gets the interpolation weights; left/right may be tensors
    np.testing.assert_allclose(cr.grad(lambda fp: np.sum(np.interp(x, xp, fp)))(fp),
                               [1 + 1 + 0.5, 0.5 + 1, 1 + 1])
    # (NumPy dispatches np.interp on x, xp and fp only, so one of them must be a tensor)
    assert cr.grad(lambda fp, r: np.interp(5.0, xp, fp, right=r), argnums=(0, 1))(
        fp, 7.0)[1] == 1.0
    # the knots too: moving xp[1] right moves the kink right, lowering the value at 0.5
    np.testing.assert_allclose(cr.grad(lambda xp: np.interp(0.5, xp, fp))(xp),
                               [-1.0, -1.0, 0.0])


def test_piecewise_functions_see_only_their_values():
    # log of the negative entries is never taken, so no NaN reaches the gradient
    f = lambda x: np.sum(np.piecewise(x, [x > 0], [np.log, lambda v: -v]))
    g = _both_modes(f, np.array([-2.0, 0.5, 4.0]))
    np.testing.assert_allclose(g, [-1.0, 2.0, 0.25])


def test_select_errors_match_numpy():
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(ValueError, match="same length"):
        np.select([x > 0], [x, x])
    with pytest.raises(TypeError, match="boolean"):
        np.select([x], [x])
    with pytest.raises(ValueError, match="empty condition"):
        np.select([], [])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frexp_modf_divmod_values(dtype):
    x = np.array([3.0, -0.1, 0.0, 1e-3, -7.25, np.inf], dtype=dtype)
    for f in (np.frexp, np.modf, lambda x: np.divmod(x, dtype(0.75))):
        got, want = f(cr.tensor(x)), f(x)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g.numpy(), w)


def test_complex_parts_follow_jax_convention():
    # the VJP of real is g + 0j, that of imag is -1j g (multiply's rule g * y agrees)
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    _, pull = cr.vjp(np.real, z)
    np.testing.assert_array_equal(pull(np.ones(2))[0], [1.0, 1.0])
    _, pull = cr.vjp(np.imag, z)
    np.testing.assert_array_equal(pull(np.ones(2))[0], [-1j, -1j])
    assert cr.jvp(np.imag, (z,), (np.array([1j, 2.0]),))[1].tolist() == [1.0, 0.0]
    r = np.real(cr.tensor(np.ones(2)))          # a copy, not a view of the input
    assert r.dtype == np.float64
