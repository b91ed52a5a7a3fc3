"""Function transforms: grad, jvp/vjp, Jacobians, Hessians, nesting, pytrees, checkpoint."""
import numpy as np
import pytest

import chainrule as cr

rng = np.random.default_rng(0)


def numeric_jacobian(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        jac[(...,) + idx] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return jac


FUNS = {
    "scalar->scalar": (lambda x: np.sin(x) * x, ()),
    "scalar->vector": (lambda x: np.stack([x, x * x, np.exp(x)]), ()),
    "scalar->matrix": (lambda x: np.reshape(np.stack([x, x * 2, x ** 3, np.cos(x)]), (2, 2)), ()),
    "vector->scalar": (lambda x: np.sum(np.tanh(x) * x), (3,)),
    "vector->vector": (lambda x: np.sin(x) * x[::-1], (3,)),
    "vector->matrix": (lambda x: np.outer(x, np.cos(x)), (3,)),
    "matrix->scalar": (lambda x: np.sum(x @ x.T), (2, 3)),
    "matrix->vector": (lambda x: np.sum(np.exp(x), axis=0), (2, 3)),
    "matrix->matrix": (lambda x: x @ x.T, (2, 3)),
}


@pytest.mark.parametrize("name", FUNS)
@pytest.mark.parametrize("jac", [cr.jacfwd, cr.jacrev, cr.jacobian])
def test_jacobian_shapes_and_values(name, jac):
    f, shape = FUNS[name]
    x = rng.uniform(-1, 1, shape)
    out = f(x)
    j = jac(f)(x)
    assert isinstance(j, (np.ndarray, np.generic))
    assert j.shape == np.shape(out) + shape
    np.testing.assert_allclose(j, numeric_jacobian(f, x), rtol=1e-6, atol=1e-6)


def test_jacfwd_equals_jacrev_nested():
    f = lambda x: np.sin(x) * np.sum(x ** 2)  # noqa: E731
    x = rng.standard_normal(3)
    np.testing.assert_allclose(cr.jacfwd(cr.jacrev(f))(x), cr.jacrev(cr.jacfwd(f))(x))
    np.testing.assert_allclose(cr.jacfwd(cr.jacfwd(f))(x), cr.jacrev(cr.jacrev(f))(x))


def test_hessian_quadratic_form():
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    H = cr.hessian(lambda x: x @ A @ x)(x)
    np.testing.assert_allclose(H, A + A.T, atol=1e-12)


def test_hessian_tanh_network():
    n = 5
    W = rng.standard_normal((n, n))
    x = rng.standard_normal(n)
    f = lambda x: np.tanh(W @ x).sum() + 0.5 * x @ x  # noqa: E731
    t = np.tanh(W @ x)
    expect = W.T @ np.diag(-2 * t * (1 - t * t)) @ W + np.eye(n)
    np.testing.assert_allclose(cr.hessian(f)(x), expect, atol=1e-12)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def test_hessian_rosenbrock():
    x = np.array([1.0, 1.0])
    np.testing.assert_allclose(cr.hessian(rosenbrock)(x), [[802.0, -400.0], [-400.0, 200.0]])
    x = rng.standard_normal(4)
    np.testing.assert_allclose(cr.hessian(rosenbrock)(x),
                               numeric_jacobian(cr.grad(rosenbrock), x), rtol=1e-5, atol=1e-5)


def test_hvp_equals_hessian_times_v():
    x = rng.standard_normal(4)
    v = rng.standard_normal(4)
    np.testing.assert_allclose(cr.hvp(rosenbrock, x, v), cr.hessian(rosenbrock)(x) @ v)


def test_perturbation_confusion():
    assert cr.grad(lambda x: x * cr.grad(lambda y: x * y)(1.0))(2.0) == 4.0
    assert cr.grad(lambda x: x * cr.grad(lambda y: x + y)(1.0))(1.0) == 1.0
    # forward mode inside forward mode
    f = lambda x: x * cr.jvp(lambda y: x * y, (1.0,), (1.0,))[1]  # noqa: E731
    assert cr.jvp(f, (2.0,), (1.0,))[1] == 4.0
    # the inner argument is the outer variable itself
    assert cr.grad(lambda x: cr.grad(lambda y: x * y)(x))(3.0) == 1.0


def test_third_order():
    x = 0.7
    assert cr.grad(cr.grad(cr.grad(np.sin)))(x) == pytest.approx(-np.cos(x))
    assert cr.jacfwd(cr.jacfwd(cr.jacfwd(np.sin)))(x) == pytest.approx(-np.cos(x))
    assert cr.jacfwd(cr.grad(cr.grad(np.sin)))(x) == pytest.approx(-np.cos(x))


def test_d2l_higher_order_jax():
    f = lambda x: x ** 3  # noqa: E731
    assert cr.grad(f)(2.0) == 12.0
    assert cr.grad(cr.grad(f))(2.0) == 12.0


def test_grad_argnums_has_aux_value_and_grad():
    f = lambda x, y: (x * y ** 2).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx, gy = cr.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, y ** 2)
    np.testing.assert_allclose(gy, 2 * x * y)
    np.testing.assert_allclose(cr.grad(f, argnums=1)(x, y), 2 * x * y)
    val, g = cr.value_and_grad(f)(x, y)
    assert val == f(x, y)
    g2, aux = cr.grad(lambda x: ((x ** 2).sum(), "aux"), has_aux=True)(x)
    assert aux == "aux"
    np.testing.assert_allclose(g2, 2 * x)
    (v, aux), g3 = cr.value_and_grad(lambda x: ((x ** 2).sum(), x), has_aux=True)(x)
    assert v == 5.0 and np.array_equal(aux, x)


def test_pytrees():
    params = {"w": np.array([1.0, 2.0]), "b": (np.array(0.5), [np.array([3.0])])}

    def loss(p):
        return np.sum(p["w"] ** 2) + p["b"][0] * p["b"][1][0][0]
    g = cr.grad(loss)(params)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple) and isinstance(g["b"][1], list)
    np.testing.assert_allclose(g["w"], [2.0, 4.0])
    assert g["b"][0] == 3.0
    np.testing.assert_allclose(g["b"][1][0], [0.5])
    out, tan = cr.jvp(lambda a, b: (a * b, {"s": a + b}), (1.0, 2.0), (1.0, 0.0))
    assert out[0] == 2.0 and tan[0] == 2.0 and tan[1]["s"] == 1.0
    y, pull = cr.vjp(lambda a, b: a * b, 3.0, 4.0)
    assert y == 12.0 and pull(1.0) == (4.0, 3.0)


def test_jvp_and_vjp_match_jacobian():
    f = lambda x: np.sin(x) * x.sum()  # noqa: E731
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    J = cr.jacobian(f)(x)
    np.testing.assert_allclose(cr.jvp(f, (x,), (v,))[1], J @ v)
    np.testing.assert_allclose(cr.vjp(f, x)[1](v)[0], v @ J)


def test_elementwise_grad():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(cr.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2)


def test_results_are_tensors_inside_transforms():
    seen = []

    def f(x):
        g = cr.grad(lambda y: (y * x).sum())(x)
        seen.append(type(g))
        return (g * x).sum()
    cr.grad(f)(np.ones(2))
    assert seen == [cr.Tensor]


def test_transforms_of_tensor_api_inputs_keep_the_graph():
    w = cr.tensor(2.0, requires_grad=True)
    g = cr.grad(lambda x: w * x ** 2)(3.0)     # d/dx = 2 w x, a function of w
    assert isinstance(g, cr.Tensor) and g.requires_grad
    g.backward()
    assert float(w.grad) == 6.0


def test_checkpoint_recomputes_and_matches():
    calls = []

    def block(x):
        calls.append(1)
        return np.sin(np.sin(x)) * x

    cp = cr.checkpoint(block)
    x = np.array([0.3, 1.2])
    g1 = cr.grad(lambda x: cp(x).sum())(x)
    assert len(calls) == 2        # forward once, recomputed once in the backward pass
    np.testing.assert_allclose(g1, cr.grad(lambda x: block(x).sum())(x))
    np.testing.assert_allclose(cr.hessian(lambda x: cp(x).sum())(x),
                               cr.hessian(lambda x: block(x).sum())(x))
    import gc
    import weakref
    inner = []
    cp2 = cr.checkpoint(lambda x: inner.append(weakref.ref(np.sin(x))) or block(x))
    t = cr.tensor(x, requires_grad=True)
    node = cp2(t)
    gc.collect()
    cp_node = node.grad_fn                    # (outputs are read off one flat array)
    while not cp_node.prim.name.startswith("checkpoint"):
        cp_node = cp_node.parents[0]
    assert cp_node.raws[0] is t.data          # the checkpoint keeps its input...
    assert inner[0]() is None                 # ...and none of the values computed inside
    node.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), g1)
    cr.check_grads(cp, x)


def test_integer_inputs_raise():
    for tr in (cr.grad, cr.jacfwd, cr.jacrev, cr.hessian, cr.elementwise_grad):
        with pytest.raises(TypeError, match="float"):
            tr(lambda x: (x * x).sum())(np.arange(3))
    with pytest.raises(TypeError, match="float"):
        cr.jvp(lambda x: x, (1,), (1,))


def test_check_grads_catches_a_wrong_rule():
    @cr.primitive
    def bad(x):
        return np.sin(x)
    cr.defvjp(bad, lambda ans, x: lambda g: g * np.sin(x))
    cr.defjvp(bad, lambda t, ans, x: t * np.cos(x))
    with pytest.raises(AssertionError, match="reverse mode"):
        cr.check_grads(bad, np.array([0.3, 0.5]), modes=("rev",))
    cr.check_grads(bad, np.array([0.3, 0.5]), modes=("fwd",), order=1)


def test_jacobian_picks_the_mode_from_one_recorded_pass():
    calls = []

    def f(x):
        calls.append(1)
        return np.array([1.0, 2.0]) * np.sum(x ** 2)
    x = np.arange(5.0)
    J = cr.jacobian(f)(x)                 # 5 inputs, 2 outputs: reverse mode, one pass
    assert len(calls) == 1
    np.testing.assert_allclose(J, np.outer([1.0, 2.0], 2 * x))
    np.testing.assert_allclose(cr.jacobian(lambda v: np.outer(v, v))(x[:2]),
                               cr.jacfwd(lambda v: np.outer(v, v))(x[:2]))
