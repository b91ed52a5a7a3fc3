"""Every elementwise primitive against finite differences (both modes, second order)."""
import numpy as np

from rulecheck import Arg, Case, table_test

A = Arg
POS = Arg(0.2, 3.0)
UNIT = Arg(-0.9, 0.9)
NZ = Arg(avoid=(0.0,), away=0.2)

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
    Case("mod", np.mod, [A(avoid=(0.0, 1.0, -1.0, 2.0, -2.0)), Arg(0.5, 0.9)]),
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
    Case("maximum", np.maximum, [A(), A()]),
    Case("minimum", np.minimum, [A(), A()]),
    Case("fmax", np.fmax, [A(), A()]),
    Case("fmin", np.fmin, [A(), A()]),
]

test_elementwise = table_test(CASES)
