"""cr.compile: replay, guards and retraces, impurity, errors, the generated source."""
import re
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.compiler import ImpureFunction, TraceLeak
from test_d2l import f_control    # the d2l control-flow function f(a)


def test_d2l_control_flow_retraces_a_new_path_and_replays_an_old_one():
    g = cr.compile(cr.grad(lambda a: np.sum(f_control(a))))
    eager = cr.grad(lambda a: np.sum(f_control(a)))
    a1 = np.array([0.3, -0.2])                       # positive sum
    a1b = np.array([0.31, -0.2])                     # same loop count and branch as a1
    a2 = -a1                                         # the other branch
    a3 = a1 * 50                                     # fewer loop iterations
    np.testing.assert_array_equal(g(a1), eager(a1))
    assert g.traces == 1
    np.testing.assert_array_equal(g(a1b), eager(a1b))
    assert g.traces == 1                             # old path: replayed
    np.testing.assert_array_equal(g(a2), eager(a2))
    assert g.traces == 2                             # new branch: traced
    np.testing.assert_array_equal(g(a3), eager(a3))
    assert g.traces == 3                             # new loop count: traced
    for a in (a1, a2, a3, a1b, -a3):
        np.testing.assert_array_equal(g(a), eager(a))
    assert g.traces == 4 and g.replays >= 5          # -a3: new branch at that count


def test_d2l_control_flow_with_tensors_inside():
    @cr.compile
    def grad_of_f(a):
        t = cr.tensor(a, requires_grad=True)
        d = f_control(t)
        d.backward()
        return t.grad, (d / t).detach()
    for seed in range(3):
        a = np.random.default_rng(seed).standard_normal(3)
        ga, ratio = grad_of_f(a)
        np.testing.assert_allclose(ga, ratio)


def test_random_inside_is_refused():
    @cr.compile
    def noisy(x):
        return np.sum(x * np.random.standard_normal(x.shape))
    with pytest.raises(ImpureFunction, match="(?s)np.multiply.*Pass such values as arguments"):
        noisy(np.ones(3))


def test_global_counter_is_refused():
    count = [0]

    def counted(x):
        count[0] += 1
        return x * count[0]
    with pytest.raises(ImpureFunction, match="as arguments"):
        cr.compile(counted)(np.ones(2))


def test_random_numbers_passed_in_are_fine():
    f = cr.compile(cr.grad(lambda w, noise: np.sum((w + noise) ** 2)))
    rng = np.random.default_rng(0)
    for _ in range(3):
        w, n = rng.standard_normal(3), rng.standard_normal(3)
        np.testing.assert_allclose(f(w, n), 2 * (w + n))
    assert f.traces == 1


def test_pytrees_value_and_grad_and_static_arguments():
    def loss(params, x, y, power):
        h = np.tanh(x @ params["W"] + params["b"])
        return np.mean((h.sum(axis=1) - y) ** power)
    vg = cr.compile(cr.value_and_grad(loss))
    rng = np.random.default_rng(1)
    params = {"W": rng.standard_normal((3, 4)), "b": np.zeros(4)}
    x, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    for power in (2, 2, 4):
        v, g = vg(params, x, y, power)
        ve, ge = cr.value_and_grad(loss)(params, x, y, power)
        np.testing.assert_allclose(v, ve, rtol=1e-12)
        for k in params:
            np.testing.assert_allclose(g[k], ge[k], rtol=1e-12)
    assert vg.traces == 2                 # power is part of the key: 2, then 4


def test_nested_pytrees_and_keywords_keep_their_leaf_order():
    from collections import namedtuple
    Pair = namedtuple("Pair", "a b")

    def f(tree, x, *, scale, extra):
        (p, q), d = tree
        return (np.sum(p.a * 1.0 + p.b * 2.0 + q[0] * 3.0 + q[1] * 4.0) + np.sum(d["u"] * 5.0)
                + np.sum(d["v"][0] * 6.0) + np.sum(x * 7.0) + scale * np.sum(extra["w"] * 8.0))
    rng = np.random.default_rng(3)
    leaves = [rng.standard_normal(2) + 10.0 * k for k in range(8)]
    tree = ((Pair(leaves[0], leaves[1]), [leaves[2], leaves[3]]),
            {"u": leaves[4], "v": (leaves[5],)})
    kw = dict(scale=0.5, extra={"w": leaves[7]})
    g = cr.compile(cr.grad(f))
    for _ in range(2):
        got, want = g(tree, leaves[6], **kw), cr.grad(f)(tree, leaves[6], **kw)
        (gp, gq), gd = got
        assert isinstance(gp, Pair)
        for a, b in ((gp.a, 1.0), (gp.b, 2.0), (gq[0], 3.0), (gq[1], 4.0), (gd["u"], 5.0),
                     (gd["v"][0], 6.0)):
            np.testing.assert_array_equal(a, np.full(2, b))
        np.testing.assert_array_equal(got[1]["v"][0], want[1]["v"][0])
    vg = cr.compile(cr.value_and_grad(f))
    for scale in (0.5, 0.25):        # a float is a traced leaf, not a key: no new trace
        v, _ = vg(tree, leaves[6], scale=scale, extra=kw["extra"])
        assert v == cr.value_and_grad(f)(tree, leaves[6], scale=scale, extra=kw["extra"])[0]
    assert g.traces == 1 and vg.traces == 1


def test_hessian_jacobian_and_nested_transforms():
    f = lambda x: np.sum(np.sin(x) * x ** 2)
    x = np.linspace(-1, 1, 4)
    second = cr.grad(lambda v: np.sum(cr.grad(lambda u: f(u) * 2)(v) ** 2))
    for t in (cr.hessian(f), cr.jacobian(cr.grad(f)), second,
              lambda v: cr.jvp(f, (v,), (np.ones(4),))):
        c = cr.compile(t)
        c(x)
        got, want = c(x + 0.1), t(x + 0.1)
        for a, b in zip(np.atleast_1d(got), np.atleast_1d(want)):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_float_of_a_traced_value_is_a_guard():
    @cr.compile
    def scaled(x, s):
        return x * float(s)
    x = np.ones(2)
    np.testing.assert_array_equal(scaled(x, np.array(2.0)), 2 * x)
    with pytest.warns(RuntimeWarning, match="Python number"):
        np.testing.assert_array_equal(scaled(x, np.array(3.0)), 3 * x)   # never stale
    assert scaled.traces == 2


def test_retrace_limit_warns_once_and_runs_eagerly():
    f = cr.compile(lambda x: x[: int(x[0])], retrace_limit=3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 7):
            x = np.full(8, float(n))
            np.testing.assert_array_equal(f(x), x[:n])
    assert f.traces == 3
    limits = [m for m in w if "took 3 paths" in str(m.message)]
    assert len(limits) == 1


def test_in_place_writes_in_user_code():
    @cr.compile
    def running(x):
        out = np.zeros_like(x)
        out[0] = x[0]
        for i in range(1, x.shape[0]):
            out[i] = out[i - 1] * 0.5 + x[i]
        out += 1
        return out
    for x in (np.arange(4.0), np.ones(4)):
        expect = np.zeros(4)
        expect[0] = x[0]
        for i in range(1, 4):
            expect[i] = expect[i - 1] * 0.5 + x[i]
        np.testing.assert_allclose(running(x), expect + 1)
    assert running.traces == 1


def test_errors_as_eager():
    x = np.ones(3)
    with pytest.raises(TypeError, match="requires grad"):
        cr.compile(lambda v: cr.tensor(v, requires_grad=True) * 2)(x)
    with pytest.raises(TypeError, match="no array arguments"):
        cr.compile(lambda n: np.arange(n) * 2.0)(3)
    # a NumPy function with no derivative rule: the eager message
    for fn in (lambda v: np.sum(np.spacing(v)), lambda v: np.sum(np.vander(v))):
        with pytest.raises(TypeError, match="no derivative rule") as eager:
            cr.grad(fn)(x)
        with pytest.raises(TypeError) as compiled:
            cr.compile(cr.grad(fn))(x)
        assert str(compiled.value) == str(eager.value)


def test_plain_array_conversion_is_refused_not_baked_in():
    with pytest.raises(TraceLeak, match="np.asarray"):
        cr.compile(lambda v: np.sum(np.asarray(v)) * v)(np.ones(2))


def test_source_is_readable_numpy_with_comments():
    f = cr.compile(cr.grad(lambda x: np.log(x ** 2) * np.sin(x) + 1 / x))
    src = f.source(2.0)
    assert src.startswith("def _program(x):")
    assert "np.sin(x)" in src and "np.cos(x)" in src
    assert "# sin" in src and "backward of" in src
    body = [ln for ln in src.splitlines()[1:]
            if ln.strip() and not ln.strip().startswith("del")]
    assert all(ln.count("np.") <= 1 for ln in body)            # one NumPy call per line
    assert "ones" not in src                                    # the seed is folded
    # no no-op lines at 0-d either (a NumPy scalar and a 0-d array are the same value)
    assert "** 1" not in src and "np.where" not in src, src
    for x in (2.0, -0.5, np.float64(3.0), np.array(1.5)):
        np.testing.assert_allclose(
            f(x), cr.grad(lambda x: np.log(x ** 2) * np.sin(x) + 1 / x)(x), rtol=1e-15)


def test_decorator_with_options_and_methods():
    class Model:
        @cr.compile(retrace_limit=2)
        def predict(self, x):
            return np.tanh(x) * 2
    m = Model()
    np.testing.assert_allclose(m.predict(np.zeros(2)), np.zeros(2))


def test_program_memory_is_released_and_buffers_reused():
    f = cr.compile(cr.grad(lambda x: np.sum(np.exp(np.sin(x) * 2.0) / 3.0)))
    src = f.source(np.ones(10000))
    assert "out=" in src and "del " in src


def test_static_arguments_are_constants_keyed_by_value():
    def step(w, x, lr, mode="sgd"):
        g = cr.grad(lambda w: np.sum(np.tanh(x @ w) ** 2))(w)
        return w - lr * g if mode == "sgd" else w + lr * g
    f = cr.compile(step, static=("lr", 3))
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    for lr, mode in ((0.1, "sgd"), (0.1, "sgd"), (0.25, "sgd"), (0.1, "up")):
        np.testing.assert_allclose(f(w, x, lr, mode), step(w, x, lr, mode), rtol=1e-12)
    assert f.traces == 3                       # 0.1 replayed; 0.25 and "up" are new keys
    np.testing.assert_allclose(f(w + 1, x, lr=0.25, mode="sgd"),
                               step(w + 1, x, 0.25, "sgd"), rtol=1e-12)
    assert f.traces == 4                       # by keyword: a key of its own, same values
    src = f.source(w, x, 0.1, "sgd")
    assert src.startswith("def _program(w, x):") and "0.1" in src
    plain = cr.compile(step).source(w, x, 0.1, "sgd")
    assert plain.startswith("def _program(w, x, lr):")   # not static: a traced input
    with pytest.raises(TypeError, match="not hashable"):
        cr.compile(lambda v, s: v * s[0], static=1)(np.ones(2), [2.0])
    with pytest.raises(TypeError, match="positions"):
        cr.compile(step, static=1.5)


def test_new_shapes_are_new_entries_not_retraces():
    f = cr.compile(cr.grad(lambda x: np.sum(np.sin(x))), retrace_limit=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # no fall-back warning
        for n in range(1, 6):
            np.testing.assert_allclose(f(np.ones(n)), np.cos(np.ones(n)))
    assert f.traces == 5 and len(f.cache) == 5


def test_guard_miss_after_writing_into_an_input_writes_once():
    def bump(x):
        x += 1.0                                 # writes into the caller's array, as eager
        return x * 2.0 if np.sum(x) > 0 else x * 3.0
    f = cr.compile(bump)
    a = np.ones(3)
    np.testing.assert_array_equal(f(a), np.full(3, 4.0))
    np.testing.assert_array_equal(a, np.full(3, 2.0))
    b, b_eager = np.full(3, -5.0), np.full(3, -5.0)
    np.testing.assert_array_equal(f(b), bump(b_eager))   # the first program misses on b
    np.testing.assert_array_equal(b, b_eager)             # -4: written once, not twice
    assert f.traces == 2
    c = np.ones(3)
    f(c)                                                  # a replay that hits
    np.testing.assert_array_equal(c, np.full(3, 2.0))


def test_results_have_eager_types_and_dtypes():
    f = lambda x: np.sum(np.sin(x) * x)
    x = np.linspace(-1, 1, 3)
    for fn, args in ((cr.grad(lambda s: np.sin(s) * s), (0.5,)),
                     (cr.grad(lambda s: np.sin(s) * s), (np.array(0.5, np.float32),)),
                     (cr.value_and_grad(f), (x,)),
                     (cr.value_and_grad(f), (x.astype(np.float32),)),
                     (lambda v: cr.jvp(f, (v,), (np.ones(3),)), (x,)),
                     (f, (x,))):                          # plain NumPy: np.float64, as eager
        c = cr.compile(fn)
        want = fn(*args)
        for got in (c(*args), c(*args)):                  # trace, replay
            for g, e in zip(np.atleast_1d(got) if not isinstance(got, tuple) else got,
                            np.atleast_1d(want) if not isinstance(want, tuple) else want):
                assert type(g) is type(e) and g.dtype == e.dtype and np.shape(g) == np.shape(e)
                np.testing.assert_array_equal(g, e)


def test_dead_values_give_their_names_to_new_ones():
    def chain(x):
        for _ in range(20):
            x = np.sin(x) * 1.01
        return np.sum(x)
    x = np.linspace(-1, 1, 5)
    defined = re.findall(r"^\s*(v\d+) = ", cr.compile(chain).source(x), re.M)
    assert len(defined) == 41 and len(set(defined)) <= 2     # rebound, as y = ... by hand
    f = cr.compile(cr.grad(chain))        # the backward pass needs the 20 forward values
    defined = re.findall(r"^\s*(v\d+) = ", f.source(x), re.M)
    assert len(defined) > 90 and len(set(defined)) <= 20 + 3
    np.testing.assert_array_equal(f(x), cr.grad(chain)(x))
    np.testing.assert_array_equal(f(x + 0.5), cr.grad(chain)(x + 0.5))


def test_scipy_matrix_functions_are_one_host_call_each():
    pytest.importorskip("scipy")
    from chainrule.rules.linalg.matrix_functions import expm
    loss = lambda a: np.sum(expm(a) * a)
    f = cr.compile(cr.grad(loss))
    a = np.array([[0.1, 0.2], [0.3, 0.4]])
    src = f.source(a)
    assert "= expm(a)" in src and src.count("expm(") == 2    # forward, and its Frechet block
    for m in (a, 2 * a, -a):                                   # replays on new values
        np.testing.assert_allclose(f(m), cr.grad(loss)(m), rtol=1e-12)
    assert f.traces == 1


def test_eager_fallback_gets_the_arguments_as_given():
    seen = []

    def f(x, s):
        seen.append(type(s))
        return x[: int(x[0])] * s
    c = cr.compile(f, retrace_limit=1)
    x32 = np.full(4, 2.0, np.float32)
    with pytest.warns(RuntimeWarning, match="paths"):
        for n in (1.0, 2.0, 3.0):
            x32[0] = n
            got = c(x32, 0.5)
    assert got.dtype == f(x32, 0.5).dtype == np.float32       # eager: a Python float
    assert seen[-2:] == [float, float]


def _mlp(Ws, X, Y):
    h = np.tanh(X @ Ws[0])
    z = h @ Ws[1]
    m = np.max(z, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)) + m
    return -np.sum(Y * (z - lse)) / X.shape[0]


def test_program_is_written_as_by_hand():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 4))
    Y = np.eye(3)[rng.integers(0, 3, 6)]
    Ws = (rng.standard_normal((4, 5)), rng.standard_normal((5, 3)))
    vg = cr.compile(cr.value_and_grad(_mlp))
    src = vg.source(Ws, X, Y)
    assert "transpose" not in src and "@ Ws_1.T" in src and "X.T @" in src   # a.T, inline
    assert "reshape" not in src and "keepdims=True)" in src    # sum + reshape: keepdims
    assert "_finite(" in src and not re.search(r"= v\d+\.all\(\)", src)   # one-line guards
    assert src.count("np.errstate(") == 1 and "all='ignore'" in src
    assert src.count("np.") <= 12      # from 24 calls before these rewrites
    for scale in (1.0, 3.0):
        (v, g), (ve, ge) = vg(Ws, X * scale, Y), cr.value_and_grad(_mlp)(Ws, X * scale, Y)
        assert v == ve and all(np.array_equal(a, b) for a, b in zip(g, ge))   # bit for bit
    assert vg.traces == 1


def test_uniform_constant_is_a_scalar_with_the_same_dtype():
    f = cr.compile(cr.grad(lambda x: np.sum(x * x) / 4))     # the seed: a constant array
    for x in (np.arange(3.0), np.arange(3, dtype=np.float32)):
        g = f(x)
        e = cr.grad(lambda x: np.sum(x * x) / 4)(x)
        assert g.dtype == e.dtype and np.array_equal(g, e)


def test_finite_is_exact_where_the_sum_overflows():
    from chainrule.compiler.program import finite
    with np.errstate(all="ignore"):
        assert finite(np.array([1e308, 1e308, -1e308, -1e308])) and finite(np.float64(2.0))
        assert finite(np.full((3, 2), 3e38, np.float32))      # float32 sum overflows
        for bad in ([1.0, np.inf], [np.nan, 0.0], [np.inf, -np.inf], [1e308, 1e308, np.nan]):
            assert not finite(np.array(bad))


def test_finiteness_guard_hit_and_false_miss():
    grad_log = cr.grad(lambda x: np.sum(np.log(x)))
    f = cr.compile(grad_log)
    assert "if not _finite(" in f.source(np.ones(2))     # the sum test, exact test after it
    np.testing.assert_array_equal(f(np.ones(2)), [1.0, 1.0])
    # finite entries whose sum overflows: the exact test runs, no miss, no new trace
    tiny = np.full(2, 6e-309)
    with np.errstate(all="raise"):
        g = f(tiny)
    with np.errstate(over="ignore"):
        assert np.isfinite(g).all() and np.isinf(g.sum()) and np.array_equal(g, grad_log(tiny))
    assert f.traces == 1
    # a real miss: an infinite entry traces the other path, which agrees with eager
    with np.errstate(divide="ignore"):
        z = np.array([0.0, 2.0])
        np.testing.assert_array_equal(f(z), grad_log(z))
    assert f.traces == 2
    np.testing.assert_array_equal(f(tiny), grad_log(tiny))
    assert f.traces == 2


def test_backward_error_state_is_restored_after_a_guard_miss():
    grad_log = cr.grad(lambda x: np.sum(np.log(x)))
    f = cr.compile(grad_log)
    assert "with np.errstate(all='ignore'):" in f.source(np.ones(2))
    with np.errstate(divide="warn", over="raise", invalid="print", under="ignore"):
        before = np.geterr()
        np.testing.assert_array_equal(f(np.array([1.0, 4.0])), [1.0, 0.25])
        assert np.geterr() == before
        with pytest.warns(RuntimeWarning):        # the forward log(0), as eager
            g = f(np.array([0.0, 2.0]))           # a guard miss inside the block
        assert np.geterr() == before and f.traces == 2
        np.testing.assert_array_equal(g, [np.inf, 0.5])


def test_max_ties_and_nans_compiled_as_eager():
    loss = lambda x: np.sum(np.max(x, axis=1) * np.arange(1.0, 4.0))
    x = np.array([[1.0, 3.0, 3.0], [2.0, np.nan, 0.0], [5.0, 5.0, 5.0]])
    g = cr.grad(loss)(x)
    np.testing.assert_array_equal(g, [[0, 0.5, 0.5], [0, 2, 0], [1, 1, 1]])
    f = cr.compile(cr.grad(loss))
    np.testing.assert_array_equal(f(x), g)
    np.testing.assert_array_equal(f(x[::-1].copy()), cr.grad(loss)(x[::-1].copy()))


def _dense_grad(W, X):
    return cr.grad(lambda W: np.sum(np.tanh(X @ W) ** 2))(W)


def test_big_products_are_written_in_the_faster_form_with_the_same_numbers(monkeypatch):
    import chainrule.compiler.program as program
    rng = np.random.default_rng(5)
    X, W = rng.standard_normal((64, 300)), rng.standard_normal((300, 128))   # X.T @ d: 2.5M
    key = ((300, 64), "F", (64, 128), "C", np.dtype(np.float64))
    want = _dense_grad(W, X)
    for wins in (True, False):
        monkeypatch.setitem(program._PRODUCT_FORMS, key, wins)
        f = cr.compile(_dense_grad)
        src = f.source(W, X)
        assert ("= (v" in src and ".T @ X).T" in src) == wins, src
        assert "X.T @" in src or wins
        g = f(W, X)
        assert g.flags.f_contiguous == wins and g.shape == want.shape
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(f(W * 0.5, X), _dense_grad(W * 0.5, X), rtol=1e-12)
    monkeypatch.setitem(program._PRODUCT_FORMS, key, True)
    plain = cr.compile(_dense_grad, tune=False)
    assert ".T @ X).T" not in plain.source(W, X) and plain(W, X).flags.c_contiguous


def test_product_timing_keeps_a_form_only_with_the_same_numbers(monkeypatch):
    from chainrule.compiler.program import transposed_product_wins, _PRODUCT_FORMS
    shapes = ((200, 48), "F", (48, 128), "C", np.dtype(np.float64))
    monkeypatch.delitem(_PRODUCT_FORMS, shapes, raising=False)
    wins = transposed_product_wins(*shapes)
    assert isinstance(wins, bool) and _PRODUCT_FORMS[shapes] is wins     # asked once
    rng = np.random.default_rng(0)
    a = np.asfortranarray(rng.standard_normal((200, 48)))
    b = rng.standard_normal((48, 128))
    if wins:                  # only where this machine's BLAS gives both forms equal
        assert np.array_equal(a @ b, (b.T @ a.T).T)
    # a form whose numbers differ is never taken, however fast
    shapes2 = ((64, 300), "C", (300, 128), "C", np.dtype(np.float32))
    monkeypatch.delitem(_PRODUCT_FORMS, shapes2, raising=False)
    real_equal = np.array_equal
    monkeypatch.setattr(np, "array_equal", lambda x, y: False)
    try:
        assert transposed_product_wins(*shapes2) is False
    finally:
        monkeypatch.setattr(np, "array_equal", real_equal)
    monkeypatch.delitem(_PRODUCT_FORMS, shapes2)
    # small products are never timed
    small = cr.compile(_dense_grad)
    small(np.ones((3, 2)), np.ones((4, 3)))
    assert not any(k[0] == (3, 4) for k in _PRODUCT_FORMS)


def test_quick_argument_check_replays_only_matching_arguments():
    from collections import namedtuple
    f = lambda p, x, s: np.sum(np.tanh(x @ p["W"]) * p["b"]) * s
    vg = cr.compile(cr.value_and_grad(f))
    rng = np.random.default_rng(2)
    p = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    x = rng.standard_normal((5, 3))

    def same(*args):
        v, g = vg(*args)
        ve, ge = cr.value_and_grad(f)(*args)
        assert v == ve and all(np.array_equal(g[k], ge[k]) for k in ge)
    same(p, x, 2.0)
    same(p, x, 3.0)                               # the key replays: the check is made
    assert vg._fast and vg._fast[0](( p, x, 2.0), {}) is not None
    check = vg._fast[0]
    for args in [(p, x[:4], 2.0),                                 # another shape
                 (p, x.astype(np.float32), 2.0),                  # another dtype
                 ({"b": p["b"], "W": p["W"]}, x, 2.0),            # another key order
                 (dict(p, c=p["b"]), x, 2.0),                     # another key
                 (p, x, 2),                                       # an int, not a float
                 (p, x, np.float64(2.0)),                         # a NumPy scalar
                 (p, list(x), 2.0)]:                              # not an array
        assert check(args, {}) is None
    assert check((p, x, 2.0), {"s": 1.0}) is None
    for args in [(p, x[:4], 2.0), ({"b": p["b"], "W": p["W"]}, x, 2.0),
                 (p, x.astype(np.float32), 2.0)]:
        same(*args)                               # the long way: still right
    same(p, x, 1.5)
    q = {"W": p["W"], "b": p["b"][:3]}            # the same structure, a new shape inside
    with pytest.raises(ValueError):
        vg(q, x, 1.0)                             # as eager: shapes that do not broadcast
    # a pytree the check does not cover (a namedtuple) takes the long way every call
    P = namedtuple("P", "W b")
    g2 = cr.compile(cr.grad(lambda p, x: np.sum(x @ p.W + p.b)))
    for _ in range(3):
        got = g2(P(p["W"], p["b"]), x)
        np.testing.assert_allclose(got.W, x.T @ np.ones((5, 4)), rtol=1e-12)
    assert g2._fast is False


def test_a_product_written_in_place_keeps_its_layout(monkeypatch):
    """A swapped product is a transposed (Fortran-order) array, whose reshape copies; one
    written in place (through a reshaped view) is kept as traced."""
    import chainrule.compiler.program as program
    rng = np.random.default_rng(6)
    A, B = rng.standard_normal((300, 64)), rng.standard_normal((64, 128))
    monkeypatch.setitem(program._PRODUCT_FORMS,
                        ((128, 64), "F", (64, 300), "F", np.dtype(np.float64)), True)
    monkeypatch.setitem(program._PRODUCT_FORMS,
                        ((300, 64), "C", (64, 128), "C", np.dtype(np.float64)), True)

    def f(A, B):
        y = cr.tensor(A, requires_grad=True) @ B
        y.reshape(-1)[:5] = 0.0            # through a view: y changes too
        z = np.sum(np.tanh(y) * y)
        z.backward()
        return z.detach().data, y.detach().data
    c = cr.compile(f)
    for scale in (1.0, 0.5):
        (v, y), (ve, ye) = c(A * scale, B), f(A * scale, B)
        np.testing.assert_allclose(v, ve, rtol=1e-12)
        np.testing.assert_array_equal(y.ravel()[:5], 0.0)
        np.testing.assert_allclose(y, ye, rtol=1e-12)
