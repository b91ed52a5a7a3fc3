"""Every rule-table case through ``cr.compile``: compiled derivatives equal eager ones.

For each table entry (one small fixed draw), a scalar loss of the entry's function is
compiled under ``cr.grad`` (first order), ``cr.grad`` of a gradient-vector product (second
order) and ``cr.jvp``.  Each compiled function is called on the draw (trace), on new values
(replay, guard hit: no new trace) and on values that take the other side of a branch in the
loss (guard miss: a new trace), and every result must equal eager chainrule's
(``rtol=1e-12``).
"""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.compiler import TraceLeak
from rulecheck import fixed_draw
from test_rules_coverage import TABLES


def _split(case):
    args, _ = fixed_draw(case)
    floats = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]
    return args, floats


def _moved(args, floats, k):
    """The draw with each float argument moved a little (same kinks avoided: tiny step)."""
    out = list(args)
    for i in floats:
        out[i] = np.asarray(args[i]) + (1e-3 * k) * np.cos(np.arange(args[i].size) + k).reshape(
            args[i].shape).astype(args[i].dtype)
        out[i] = np.asarray(out[i])
    return out


def _loss(case, floats):
    """sum(w * f(...)) over every output, with a branch on the first float's sum."""
    def loss(*xs, cut):
        out = case.fun(*xs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        total = 0.0
        for k, o in enumerate(outs):
            o = np.real(o)
            w = np.cos(np.arange(np.size(o)) + k).reshape(np.shape(o))
            total = total + np.sum(w * o)
        s = np.sum(xs[floats[0]]) if np.size(xs[floats[0]]) else 0.0
        return total if s > cut else 2.0 * total
    return loss


def _call(fun, args, cut):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fun(*args, cut=cut)


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-13)
    assert np.asarray(a).dtype == np.asarray(b).dtype


def _transforms(case, floats, nargs):
    loss = _loss(case, floats)
    argnums = tuple(floats)

    def grad1(*xs, cut):
        return cr.grad(lambda *ys: loss(*ys, cut=cut), argnums=argnums)(*xs)

    def grad2(*xs, cut):
        def gv(*ys):
            gs = cr.grad(lambda *zs: loss(*zs, cut=cut), argnums=argnums)(*ys)
            return sum(np.sum(np.sin(np.arange(np.size(g)) + 1.0).reshape(np.shape(g)) * g)
                       for g in gs)
        return cr.grad(gv, argnums=argnums)(*xs)

    def jvp(*xs, cut):
        def f(*fl):
            full = list(xs)
            for i, x in zip(floats, fl):
                full[i] = x
            return loss(*full, cut=cut)
        prim = tuple(xs[i] for i in floats)
        tans = tuple(np.cos(np.arange(np.size(x)) * 0.7).reshape(np.shape(x)).astype(x.dtype)
                     for x in prim)
        return cr.jvp(f, prim, tans)

    out = [("grad", grad1), ("jvp", jvp)]
    if case.order >= 2 and "rev" in case.modes:
        out.append(("grad2", grad2))
    return out


# Rules that index a plain array (a constant) with a traced index, or write traced values
# into one: NumPy converts the traced index with np.asarray, which cr.compile refuses
# (TraceLeak) rather than baking the index in as a constant.
# Functions whose NumPy calls no protocol sees fail loudly (TraceLeak), never with a
# baked-in constant.  SciPy's matrix functions (expm, logm, sqrtm) are recorded as one host
# call each (Traced.host_call) and so compile.
LEAKS = set()


@pytest.mark.parametrize("case", TABLES, ids=str)
def test_compiled_equals_eager(case):
    if case.name in LEAKS:
        with pytest.raises(TraceLeak):
            _run(case)
        return
    _run(case)


def _run(case):
    args, floats = _split(case)
    if not floats:
        pytest.skip("no float argument to differentiate")
    modes = _transforms(case, floats, len(args))
    if "rev" not in case.modes:
        modes = [m for m in modes if m[0] == "jvp"]
    if "fwd" not in case.modes:
        modes = [m for m in modes if m[0] != "jvp"]
    x0 = args
    x1 = _moved(args, floats, 1)
    s0 = float(np.sum(x0[floats[0]]))
    s1 = float(np.sum(x1[floats[0]]))
    cut = min(s0, s1) - 1.0       # both draws on the first branch
    for name, fun in modes:
        comp = cr.compile(fun)
        _same(_call(comp, x0, cut), _call(fun, x0, cut))          # trace
        assert comp.traces == 1
        _same(_call(comp, x1, cut), _call(fun, x1, cut))          # guard hit: replay
        assert comp.traces == 1, f"{name}: new values of the same path retraced"
        if np.size(x0[floats[0]]):
            # the other branch: same shapes, a guard differs, so a new trace
            other = (s0 + s1) / 2
            lo, hi = (x0, x1) if s0 < s1 else (x1, x0)
            _same(_call(comp, lo, other), _call(fun, lo, other))
            _same(_call(comp, hi, other), _call(fun, hi, other))
            _same(_call(comp, lo, other), _call(fun, lo, other))
            assert comp.traces == 2, f"{name}: {comp.traces} traces for two paths"
