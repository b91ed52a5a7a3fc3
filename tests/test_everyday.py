"""What learners and scientists type every day around the maths (issue 15): 0-d results,
in-place arithmetic, scalar conversions, checkpoint, big joins, nested Jacobians, PyTorch
habits.  Numbers are checked against PyTorch or JAX where installed, else closed forms."""
import math
import operator
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import transforms


def _torch():
    torch = pytest.importorskip("torch")
    return torch


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


# ------------------------------------------------------------------ 1. in-place on 0-d
def test_inplace_arithmetic_on_0d_results():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = x.sum()
    s += 1
    s *= 2                                  # 2 (sum + 1) = 14, gradient 2
    s -= x[0]
    s /= 2                                  # (2 sum + 2 - x0) / 2
    assert s.item() == 6.5
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1.0, 1.0])


def test_total_plus_loss_loop_matches_torch():
    torch = _torch()
    w = cr.tensor([0.5, -1.0], requires_grad=True)
    wt = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    data = [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 0.5])]
    total, total_t = 0.0, 0.0
    for d in data:
        total += np.tanh(w @ d) ** 2
        total_t += torch.tanh(wt @ torch.tensor(d)) ** 2
    total.backward()
    total_t.backward()
    np.testing.assert_allclose(total.item(), total_t.item())
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())


def test_setitem_plus_equals_on_0d_elements():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = np.zeros_like(x)
    for i in range(3):
        y[i] += x[i] ** 2
        y[i] += x[i]
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [2.0, 6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0, 7.0])     # 2x + 1


def test_inplace_on_0d_values_inside_nested_transforms():
    def f(x):
        s = x.sum()
        s += 1
        s *= x[0]
        y = np.zeros_like(x)
        y[0] += s
        y[1] += x[1] ** 2
        return y.sum()                  # (x0 + x1 + 1) x0 + x1^2
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(cr.grad(f)(x), [5.0, 5.0])
    np.testing.assert_allclose(cr.hessian(f)(x), [[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(cr.grad(lambda x: cr.grad(f)(x).sum())(x), [3.0, 3.0])
    np.testing.assert_allclose(cr.jacfwd(cr.grad(f))(x), [[2.0, 1.0], [1.0, 2.0]])


def test_sum_into_0d_out_and_zero_grad():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    o = np.zeros_like(x.sum())
    res = np.sum(x * x, out=o)
    assert res is o and o.item() == 14.0
    o.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    b = cr.tensor(2.0, requires_grad=True)
    (b * b).backward()
    assert b.grad.item() == 4.0
    assert b.grad.zero_() is b.grad and b.grad.item() == 0.0
    (b * 3).backward()
    assert b.grad.item() == 3.0
    c = cr.tensor(1.0)
    c.fill_(7.5)
    assert c.item() == 7.5


# ------------------------------------------------------------------ 2. np.asarray of 0-d
def test_asarray_of_0d_tensors_without_grad():
    t = cr.tensor([1.0, 2.0, 3.0])
    a = np.asarray(t.sum())
    assert isinstance(a, np.ndarray) and a.shape == () and a == 6.0
    w = cr.tensor(1.5, requires_grad=True)
    losses = []
    for _ in range(3):
        loss = w * w
        loss.backward()
        losses.append(loss.detach())
    np.testing.assert_allclose(np.array(losses), [2.25] * 3)
    np.testing.assert_allclose(np.asarray(w.grad), 9.0)        # 3 accumulated backward passes
    np.testing.assert_allclose(t.mean(), 2.0)
    np.testing.assert_allclose(np.asarray(cr.tensor(2.0), dtype=np.float32), 2.0)
    with pytest.raises(TypeError, match=r"detach\(\)"):
        np.asarray(w * 2)


# ------------------------------------------------------------------ 4. checkpoint
def test_checkpoint_tuple_int_keywords_recompute_once():
    calls = []

    def block(x, y, n, scale=1.0):
        calls.append(1)
        return x ** n * scale, np.sin(y) * x.sum()

    cp = cr.checkpoint(block)

    def loss(f, x, y, z):
        a, b = f(x, y * z, 3, scale=2.0)
        return a.sum() + b.sum()
    x, y, z = np.array([1.0, 2.0]), np.array([0.5, -0.3]), np.array(1.5)
    g = cr.grad(lambda *a: loss(cp, *a), argnums=(0, 1, 2))(x, y, z)
    assert len(calls) == 2                  # forward once, recomputed once for all inputs
    want = cr.grad(lambda *a: loss(block, *a), argnums=(0, 1, 2))(x, y, z)
    for gi, wi in zip(g, want):
        np.testing.assert_allclose(gi, wi)
    # closed form: d/dx [2 x^3 + sum(sin(y z)) * sum(x)] = 6 x^2 + sum(sin(y z))
    np.testing.assert_allclose(g[0], 6 * x ** 2 + np.sin(y * z).sum())
    # forward mode and second order through the checkpoint
    h = cr.hessian(lambda x: loss(cp, x, y, z))(x)
    np.testing.assert_allclose(h, cr.hessian(lambda x: loss(block, x, y, z))(x))
    # tensor API, keyword tensors and a dict result
    cpd = cr.checkpoint(lambda x, *, w: {"p": x * w, "q": (x * x).sum()})
    xt = cr.tensor([1.0, 2.0], requires_grad=True)
    wt = cr.tensor(3.0, requires_grad=True)
    out = cpd(xt, w=wt)
    (out["p"].sum() + out["q"]).backward()
    np.testing.assert_allclose(xt.grad.numpy(), [5.0, 7.0])
    np.testing.assert_allclose(wt.grad.numpy(), 3.0)


# ------------------------------------------------------------------ 5. reduce with where
def test_ufunc_reduce_with_where():
    t = cr.tensor([1.0, 3.0, 5.0], requires_grad=True)
    m = np.array([False, True, True])
    r = np.add.reduce(t, where=m)
    assert r.shape == () and r.item() == 8.0
    r.backward()
    np.testing.assert_allclose(t.grad.numpy(), [0.0, 1.0, 1.0])
    assert np.multiply.reduce(cr.tensor([1.0, 3.0, 5.0]), where=m).item() == 15.0
    np.testing.assert_allclose(cr.grad(lambda x: np.multiply.reduce(x, where=m))(
        np.array([1.0, 3.0, 5.0])), [0.0, 5.0, 3.0])
    x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    mm = np.array([[True, False, True], [True, True, False]])
    for f, kw in [(np.add.reduce, {}), (np.maximum.reduce, {"initial": -np.inf}),
                  (np.sum, {}), (np.mean, {}), (np.var, {"ddof": 1}), (np.std, {}),
                  (np.max, {"initial": 0.0}), (np.min, {"initial": 9.0}), (np.nansum, {}),
                  (np.nanmean, {}), (np.nanvar, {}), (np.nanmax, {"initial": 0.0})]:
        for axis in (0, 1):
            np.testing.assert_allclose(f(cr.tensor(x), axis=axis, where=mm, **kw).numpy(),
                                       f(x, axis=axis, where=mm, **kw))
    with pytest.raises(ValueError, match="initial"):
        np.max(cr.tensor(x), where=mm)


def test_reduce_with_where_gradients_match_torch():
    torch = _torch()
    x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    m = np.array([[True, False, True], [True, True, False]])
    g = cr.grad(lambda x: np.var(x, where=m) + np.max(x, where=m, initial=0.0)
                + np.mean(x, where=m))(x)
    xt = torch.tensor(x, requires_grad=True)
    v = xt[torch.tensor(m)]
    (v.var(unbiased=False) + v.max() + v.mean()).backward()
    np.testing.assert_allclose(g, xt.grad.numpy())


# ------------------------------------------------------------------ 6. conversions in transforms
@pytest.mark.parametrize("convert", [float, math.exp, math.sin, np.float64, complex,
                                     lambda v: int(v) * v],
                         ids=["float", "math.exp", "math.sin", "np.float64", "complex", "int"])
def test_scalar_conversion_inside_transform_raises(convert):
    with pytest.raises(TypeError, match=r"np\.exp") as info:
        cr.grad(lambda x: x * convert(x))(1.0)
    assert "test_everyday.py" in str(info.value)        # names the line that converted
    with pytest.raises(TypeError, match="differentiating"):
        cr.jvp(lambda x: x * convert(x), (1.0,), (1.0,))


def test_constants_inside_transforms_still_convert():
    def f(x):
        i = int(np.argmax(x))                   # an index: no derivative to lose
        return x[i] * float(np.sum(x > 0)) + x.sum() * np.asarray(x > 1).sum()
    np.testing.assert_allclose(cr.grad(f)(np.array([1.0, 3.0, 2.0])), [2.0, 5.0, 2.0])
    # math.exp of the value: grad is now right or raises, never e instead of 2e
    assert float(cr.grad(lambda x: x * np.exp(x))(1.0)) == pytest.approx(2 * math.e)


# ------------------------------------------------------------------ 7. backward in a transform
def test_backward_inside_transform_raises_clearly():
    def f(x):
        loss = (x * 2) ** 2
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="return the loss"):
        cr.grad(f)(3.0)

    def g(x):                           # the tensor API on its own tensors still works inside
        w = cr.tensor(2.0, requires_grad=True)
        (w * w).backward()
        return x * w.grad.item()
    assert float(cr.grad(g)(1.0)) == 4.0


# ------------------------------------------------------------------ 8. aux
def test_has_aux_returns_plain_values():
    g, aux = cr.grad(lambda x: ((x ** 2).sum(), {"y": x * 3, "n": 2}), has_aux=True)(
        np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0])
    assert isinstance(aux["y"], np.ndarray) and aux["n"] == 2
    np.testing.assert_allclose(np.asarray(aux["y"]), [3.0, 6.0])
    (v, aux2), _ = cr.value_and_grad(lambda x: (x ** 2, x * 3), has_aux=True)(2.0)
    assert isinstance(aux2, np.ndarray) and float(aux2) == 6.0
    # inside another transform aux stays differentiable by the outer one
    outer = cr.grad(lambda y: cr.grad(lambda x: (x * y, y ** 2), has_aux=True)(1.0)[1])(3.0)
    assert float(outer) == 6.0


# ------------------------------------------------------------------ 9. autograd.grad inside grad
def test_autograd_grad_create_graph_inside_transform():
    def first(x):
        (dy,) = cr.autograd.grad(x ** 2, x, create_graph=True)
        return dy
    assert float(cr.grad(first)(3.0)) == 2.0
    torch = _torch()
    from torch.func import grad as tgrad
    want = tgrad(lambda x: torch.autograd.grad((x ** 3).sum(), x, create_graph=True)[0].sum())(
        torch.tensor([1.0, 2.0], dtype=torch.float64))
    got = cr.grad(lambda x: cr.autograd.grad((x ** 3).sum(), x, create_graph=True)[0].sum())(
        np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, want.numpy())


# ------------------------------------------------------------------ 10. nested jacobians
def test_hessian_argnums_and_dict_inputs_match_jax():
    jax = _jax()
    jnp = jax.numpy

    def f(x, y):
        return (x ** 2 * y).sum() + np.sin(x * y).sum() if not isinstance(x, jax.Array) else \
            (x ** 2 * y).sum() + jnp.sin(x * y).sum()
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.5])
    got = cr.hessian(f, argnums=(0, 1))(x, y)
    want = jax.hessian(f, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(y))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(got[i][j], want[i][j], atol=1e-12)

    def g(d):
        return d["a"] * np.sin(d["b"])
    def gj(d):
        return d["a"] * jnp.sin(d["b"])
    d = {"a": np.array([1.0, 2.0]), "b": np.array([0.3, 0.4])}
    dj = {k: jnp.asarray(v) for k, v in d.items()}
    for ours, theirs in [(cr.jacrev, jax.jacrev), (cr.jacfwd, jax.jacfwd),
                         (cr.jacobian, jax.jacrev)]:
        got, want = ours(g)(d), theirs(gj)(dj)
        assert set(got) == {"a", "b"}
        for k in d:
            np.testing.assert_allclose(got[k], want[k], atol=1e-12)
    hg = cr.hessian(lambda d: (d["a"] ** 2 * d["b"]).sum())(d)
    hw = jax.hessian(lambda d: (d["a"] ** 2 * d["b"]).sum())(dj)
    for k1 in d:
        for k2 in d:
            np.testing.assert_allclose(hg[k1][k2], hw[k1][k2], atol=1e-12)
    # several outputs: the output's structure outside
    jo = cr.jacrev(lambda x: (x * 2, x.sum()))(x)
    np.testing.assert_allclose(jo[0], 2 * np.eye(2))
    np.testing.assert_allclose(jo[1], [1.0, 1.0])


# ------------------------------------------------------------------ 11. custom rule shapes
def test_custom_rule_with_wrong_shape_is_named():
    @cr.primitive
    def sq(x):
        return np.sum(x ** 2)
    cr.defvjp(sq, lambda ans, x: lambda g: g * 2 * x[:2])
    cr.defjvp(sq, lambda t, ans, x: 2 * x * t)
    with pytest.raises(ValueError, match=r"'sq' for input 0.*\(2,\).*\(3,\)"):
        cr.grad(sq)(np.ones(3))
    with pytest.raises(ValueError, match=r"'sq' for input 0.*\(3,\).*shape \(\)"):
        cr.jvp(sq, (np.ones(3),), (np.ones(3),))
    cr.defvjp(sq, lambda ans, x: lambda g: g * 2 * x)        # right shapes still work
    cr.defjvp(sq, lambda t, ans, x: np.sum(2 * x * t, axis=-1))
    np.testing.assert_allclose(cr.grad(sq)(np.ones(3)), [2.0] * 3)
    np.testing.assert_allclose(cr.jacfwd(sq)(np.array([1.0, 2.0])), [2.0, 4.0])


# ------------------------------------------------------------------ 12. integer results
def test_integer_valued_results_just_run():
    def f(a):
        return np.linalg.matrix_rank(a) * a.sum()
    np.testing.assert_allclose(cr.grad(f)(np.eye(3)), 3 * np.ones((3, 3)))
    a = cr.tensor(np.array([[1.0, 2.0], [2.0, 4.0]]), requires_grad=True)
    assert int(np.linalg.matrix_rank(a)) == 1
    with pytest.raises(TypeError, match="no derivative rule"):
        np.i0(a)                               # a float result still needs a rule


# ------------------------------------------------------------------ 13. joins are linear
def test_joins_call_their_rule_once_per_node():
    from chainrule import rules
    calls = []
    for prim in (rules.concatenate_p, rules.stack_p):
        rule = prim.vjp_joint

        def counted(*a, _rule=rule, **k):
            calls.append(1)
            return _rule(*a, **k)
        prim.defvjp(counted)
    try:
        n = 3000
        x = cr.tensor(np.linspace(0.0, 1.0, n), requires_grad=True)
        y = cr.tensor([x[i] for i in range(n)])
        z = np.concatenate([x[i:i + 1] for i in range(n)])
        ((y * y).sum() + (z ** 3).sum()).backward()
        assert len(calls) == 2
        xv = np.linspace(0.0, 1.0, n)
        np.testing.assert_allclose(x.grad.numpy(), 2 * xv + 3 * xv ** 2)
        # second order through the joins: one rule call per recorded join
        h = cr.hessian(lambda v: (np.stack([v[0], v[1] * v[0]]) ** 2).sum())(np.array([1., 2.]))
        np.testing.assert_allclose(h, [[2 + 2 * 4, 2 * 2 * 2 * 1], [8, 2]])
    finally:
        for prim, rule in ((rules.concatenate_p, rules.shape._concat_vjp),
                           (rules.stack_p, rules.shape._stack_vjp)):
            prim.defvjp(rule)


# ------------------------------------------------------------------ 14, 15. jacobian passes
def test_jacobian_runs_the_function_once_and_jacrev_batches(monkeypatch):
    calls = []

    def f(x):
        calls.append(1)
        return np.tanh(np.outer(x, x)).ravel()
    x = np.array([0.3, -0.5])
    J = cr.jacobian(f)(x)                     # 2 inputs, 4 outputs: forward mode
    assert len(calls) == 1
    np.testing.assert_allclose(J, cr.jacfwd(f)(x))
    passes = []
    real = transforms.backward_pass
    monkeypatch.setattr(transforms, "backward_pass",
                        lambda *a, **k: passes.append(1) or real(*a, **k))
    W = np.random.default_rng(0).standard_normal((30, 30))
    Jr = cr.jacrev(lambda v: np.tanh(W @ v))(np.linspace(-1, 1, 30))
    assert len(passes) == 1                   # one backward pass for all 30 rows
    t = np.tanh(W @ np.linspace(-1, 1, 30))
    np.testing.assert_allclose(Jr, (1 - t ** 2)[:, None] * W, atol=1e-12)


def test_jacrev_matches_torch_func():
    torch = _torch()
    W = np.random.default_rng(1).standard_normal((5, 4))
    x = np.array([0.1, -0.2, 0.3, 0.4])
    got = cr.jacrev(lambda v: np.sin(W @ v) * v.sum())(x)
    want = torch.func.jacrev(lambda v: torch.sin(torch.tensor(W) @ v) * v.sum())(
        torch.tensor(x))
    np.testing.assert_allclose(got, want.numpy(), atol=1e-12)


# ------------------------------------------------------------------ 16, 17. PyTorch habits
def test_retain_grad_stores_the_gradient_after_hooks_like_torch():
    torch = _torch()
    got = []
    for lib, mk in (("cr", lambda: cr.tensor([1.0, 2.0], requires_grad=True)),
                    ("torch", lambda: torch.tensor([1.0, 2.0], dtype=torch.float64,
                                                   requires_grad=True))):
        x = mk()
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        got.append((np.asarray(y.grad.detach().numpy()), np.asarray(x.grad.detach().numpy())))
    np.testing.assert_allclose(got[0][0], got[1][0])      # 60, 120: after the hook
    np.testing.assert_allclose(got[0][1], got[1][1])


def test_pytorch_spellings_match_torch():
    torch = _torch()
    a = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.0]])
    x, xt = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    outs = []
    for t in (x, xt):
        r = (t.sum(dim=1, keepdim=True).pow(2).sum() + t.mean(dim=0).sum()
             + t.relu().sum() + t.sigmoid().sum() + t.unsqueeze(0).sum()
             + t.max(dim=1).values.sum() + t.std(dim=0, keepdim=True).sum()
             + t.var(dim=1, unbiased=False).sum())
        outs.append(r)
    np.testing.assert_allclose(outs[0].item(), outs[1].item())
    outs[0].backward()
    outs[1].backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    vals, idx = cr.tensor(a).max(dim=1)
    np.testing.assert_array_equal(idx.numpy(), [2, 1])
    assert x.unsqueeze(1).shape == (2, 1, 3)
    r = round(cr.tensor([1.5, 2.5, -0.4]))
    np.testing.assert_array_equal(r.numpy(), torch.round(torch.tensor([1.5, 2.5, -0.4])))
    # backward(inputs=...) fills only those
    w, b = cr.tensor(2.0, requires_grad=True), cr.tensor(1.0, requires_grad=True)
    (w * b * 3).backward(inputs=[w])
    assert w.grad.item() == 3.0 and b.grad is None
    # .size is NumPy's attribute; calling it says to use .shape
    assert x.size == 6 and x.numel() == 6 and np.zeros(x.size).shape == (6,)
    with pytest.raises(TypeError, match=r"\.shape"):
        x.size()
    with pytest.raises(TypeError, match=r"\.shape"):
        x.size(0)


# ------------------------------------------------------------------ 18. live-graph warnings
def test_scalar_conversion_of_live_graph_warns_once_per_line():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = np.zeros(3)
    with pytest.warns(cr.ScalarConversionWarning, match=r"np\.zeros_like"):
        for i in range(3):
            out[i] = x[i] ** 2                  # NumPy calls float(): the gradient is lost
    s = x.sum()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(3):
            v = math.exp(s) * s                 # warned once, not three times
        int(x[0] * 2)
        complex(x[1] * 2)
        operator.index(cr.tensor(3) + 1)        # an integer tensor has no graph: silent
    kinds = [w for w in rec if issubclass(w.category, cr.ScalarConversionWarning)]
    assert len(kinds) == 3                      # math.exp once; int(); complex()
    assert all(issubclass(w.category, cr.ChainruleWarning) for w in kinds)
    assert "math.exp" in str(kinds[0].message) and "item()" in str(kinds[0].message)
    # closed form of what the user meant, with np.exp: d/ds [exp(s) s] = exp(s)(1 + s)
    y = np.exp(s) * s
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.exp(6.0) * 7.0] * 3)
    assert v.item() == pytest.approx(np.exp(6.0) * 6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        float(y)                                # graph freed by backward(): silent
        loss = (x * x).sum()
        loss.item(), loss.tolist()              # the explicit ways: silent
        with cr.no_grad():
            float(loss)                         # not recording: silent


# ------------------------------------------------------------------ 19. 0-d arrays
def test_0d_results_are_0d_arrays():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    n = x.sum().numpy()
    assert type(n) is np.ndarray and n.shape == ()
    y, pull = cr.vjp(np.sin, 0.0)
    (g,) = pull(2.0)
    assert type(y) is np.ndarray and type(g) is np.ndarray and g.shape == () and g == 2.0
    out, t = cr.jvp(np.sin, (0.0,), (1.0,))
    assert type(out) is np.ndarray and type(t) is np.ndarray
    assert type(cr.grad(np.sin)(0.0)) is np.ndarray


# ------------------------------------------------------------------ 20. messages
def test_messages_lead_with_the_likely_fix():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        np.asarray(x * 2)
    msg = str(info.value)
    assert msg.index("item()") < msg.index("detach()") and "cr.primitive" not in msg
    scipy_linalg = pytest.importorskip("scipy.linalg")
    with pytest.raises(TypeError, match=r"inside a library .*scipy.*cr\.primitive"):
        scipy_linalg.expm(cr.tensor(np.eye(2), requires_grad=True))
    y = x * 2
    with pytest.warns(cr.NonLeafGradWarning, match="retain_grad"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None                   # retained: no warning
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w = w - 0.1 * w.grad                         # rebinding: w is now a computed tensor
    with pytest.warns(cr.NonLeafGradWarning, match=r"w -= lr \* w\.grad"):
        assert w.grad is None


# ------------------------------------------------------------------ 21. gradient modes
def test_gradient_modes_are_visible_and_as_documented():
    a = cr.tensor([1.0, 2.0]).attach_grad()
    assert "grad_req='write'" in repr(a)
    b = cr.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(b) and "grad_req" not in repr(b)
    a.requires_grad_()                          # documented: accumulates from now on
    assert "grad_req" not in repr(a)
    for _ in range(2):
        (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 8.0])
    c = cr.tensor([1.0, 2.0]).attach_grad()
    for _ in range(2):
        (c * c).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), [2.0, 4.0])     # overwritten
