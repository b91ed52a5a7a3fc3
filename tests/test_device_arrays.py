"""Every rule of the test tables keeps a strict device array's type (tests/devicearray.py:
CuPy's refusals, on the CPU), in reverse mode, forward mode and at second order.

The rule tables (tests/test_rules_*.py) check derivatives against finite differences on
NumPy arrays.  Here each table entry runs once more with its arrays "on the device": any
NumPy constant that a rule mixes into the data (an identity matrix, zeros to scatter into,
a mask) raises there, as it does on a GPU, and the numbers must equal NumPy's.
"""
import types
import warnings

import numpy as np
import pytest

import chainrule as cr
from devicearray import DeviceArray
from rulecheck import fixed_draw, takes_complex
from test_rules_coverage import TABLES


def _loss(out):
    """A real scalar of any result (tuples summed), so that every output gets a cotangent."""
    if isinstance(out, (tuple, list)):
        return sum(_loss(o) for o in out)
    return np.sum(np.real(out * np.conj(out)))


def _to_host(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_to_host(i) for i in x)
    assert not isinstance(x, (np.ndarray, np.generic)), \
        f"a NumPy {type(x).__name__} came back from device inputs"
    return x.get() if isinstance(x, DeviceArray) else x


def _rebind(f, env):
    """``f`` reading its globals from ``env``, its closed-over arrays on the device."""
    cells = f.__closure__
    if cells:
        def moved(c):
            try:
                v = c.cell_contents
            except ValueError:              # an empty cell
                return c
            return types.CellType(DeviceArray(v) if type(v) is np.ndarray else v)
        cells = tuple(moved(c) for c in cells)
    return types.FunctionType(f.__code__, env, f.__name__, f.__defaults__, cells)


def on_device(fun):
    """``fun`` with the NumPy arrays of its module (constants such as a matrix to multiply
    by) on the device, as a CuPy user's code would have them, and likewise for the module's
    helper functions it calls."""
    if not isinstance(fun, types.FunctionType):     # a ufunc, a NumPy function
        return fun
    g = fun.__globals__
    env = {k: DeviceArray(v) if type(v) is np.ndarray else v for k, v in g.items()}
    for k, v in g.items():
        if isinstance(v, types.FunctionType) and v.__globals__ is g:
            env[k] = _rebind(v, env)
    return _rebind(fun, env)


def _draws(case):
    yield fixed_draw(case)
    if takes_complex(case):
        yield fixed_draw(case, np.complex128)


def _results(case, fun, args, to):
    """Value, gradient (reverse), JVP (forward) and one Hessian-vector product of ``fun``, on
    ``to``'s arrays."""
    float_idx = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]
    full = [to(a) for a in args]

    def f(*xs):
        vals = list(full)
        for i, x in zip(float_idx, xs):
            vals[i] = x
        return fun(*vals)
    xs = [full[i] for i in float_idx]
    out = {"value": f(*xs)}
    loss = lambda *xs: _loss(f(*xs))             # noqa: E731
    if not xs:
        return out
    argnums = tuple(range(len(xs)))
    if "rev" in case.modes:
        out["grad"] = cr.grad(loss, argnums=argnums)(*xs)
    if "fwd" in case.modes:
        tangents = tuple(to(np.ones_like(args[i])) for i in float_idx)
        out["jvp"] = cr.jvp(f, tuple(xs), tangents)[1]
    if case.order >= 2 and "rev" in case.modes and len(xs) == 1 and np.isrealobj(args[float_idx[0]]):
        out["hvp"] = cr.hvp(loss, xs[0], to(np.ones_like(args[float_idx[0]])))
    return out


def _same(a, b, where):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b), where
        for x, y in zip(a, b):
            _same(x, y, where)
        return
    if b is None:
        assert a is None, where
        return
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12,
                               err_msg=where)


def _mixes_numpy_arrays(fun, args):
    """The error when ``fun`` itself, on device arrays and without chainrule, mixes in NumPy
    arrays (a literal ``np.array([...])`` in a lambda): CuPy would refuse that code too."""
    try:
        fun(*[DeviceArray(a) for a in args])
    except TypeError as e:
        if "Unsupported type" in str(e) or "Implicit conversion" in str(e):
            return e
    except Exception:                         # noqa: BLE001  (judged with chainrule below)
        pass
    return None


@pytest.mark.parametrize("case", TABLES, ids=str)
def test_rules_keep_device_arrays(case):
    fun = on_device(case.fun)
    for args, dtype in _draws(case):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mixed = _mixes_numpy_arrays(fun, args)
            if mixed is not None:
                pytest.skip(f"the case's own code mixes NumPy arrays into device data ({mixed})")
            want = _results(case, case.fun, args, lambda a: a)
            got = _results(case, fun, args, DeviceArray)
        for key, ref in want.items():
            _same(_to_host(got[key]), ref, f"{case.name} {np.dtype(dtype).name} {key}")
