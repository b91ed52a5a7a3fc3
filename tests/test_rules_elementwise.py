"""Every elementwise primitive against finite differences (both modes, second order)."""
import numpy as np

from rulecheck import Arg, Case, table_test

A = Arg
POS = Arg(0.2, 3.0)
UNIT = Arg(-0.9, 0.9)
NZ = Arg(avoid=(0.0,), away=0.2)
NONINT = Arg(avoid=(-2.0, -1.0, 0.0, 1.0, 2.0))    # 0.15 or more from every integer

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
    # mod and floor division jump where x / y crosses an integer: the first argument is
    # u * y with u kept away from integers, so x / y never comes near one
    Case("mod", lambda u, y: np.mod(u * y, y), [NONINT, Arg(0.5, 0.9)]),
    Case("mod_negative_divisor", lambda u, y: np.remainder(u * y, -y), [NONINT, Arg(0.5, 0.9)]),
    Case("mod_operator", lambda u, y: (u * y) % y, [NONINT, Arg(0.5, 0.9)]),
    Case("floor_divide", lambda u, y: np.floor_divide(u * y, y) * y + u, [NONINT, Arg(0.5, 0.9)]),
    Case("floordiv_operator", lambda u, y: (u * y) // y * u, [NONINT, Arg(0.5, 0.9)]),
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
]

test_elementwise = table_test(CASES)
