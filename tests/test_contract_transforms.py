"""Contract battery for SPEC §2: every transform against JAX on the same functions."""
import numpy as np
import pytest

import chainrule as cr

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


class jx:
    """JAX's transforms, jitted: compiled once per check (op by op, JAX's compile time
    would dominate this file's run time)."""


for _name in ["grad", "value_and_grad", "jacobian", "jacfwd", "jacrev", "hessian"]:
    setattr(jx, _name, staticmethod(
        lambda *a, _t=getattr(jax, _name), **k: jax.jit(_t(*a, **k))))


def _same(a, b):
    ta, tb = jax.tree_util.tree_structure(a), jax.tree_util.tree_structure(b)
    assert ta == tb, (ta, tb)
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        assert isinstance(u, np.ndarray), type(u)          # plain ndarrays come back
        assert u.shape == np.shape(v)
        np.testing.assert_allclose(u, np.asarray(v), rtol=1e-10, atol=1e-12)


X = np.array([0.3, -1.2, 2.0])
Y = np.array([[1.0, 2.0], [3.0, -4.0]])


def _pair(np_body):
    """The same program for chainrule (NumPy names) and JAX (jax.numpy names)."""
    return np_body(np), np_body(jnp)


F = _pair(lambda m: lambda a: m.sum(m.sin(a) * a ** 2))
G2 = _pair(lambda m: lambda a, b: m.sum(a * m.tanh(b)))
H = _pair(lambda m: lambda y: m.tanh(y @ y))
P = _pair(lambda m: lambda a, b: {"s": m.sum(a * b), "v": a * m.sum(b)})


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0)])
def test_grad_and_value_and_grad_argnums(argnums):
    (f, fj) = G2
    _same(cr.grad(f, argnums=argnums)(X, 2 * X), jx.grad(fj, argnums=argnums)(X, 2 * X))
    _same(cr.value_and_grad(f, argnums=argnums)(X, 2 * X),
          jx.value_and_grad(fj, argnums=argnums)(X, 2 * X))


def test_has_aux_vjp_jvp():
    aux, auxj = _pair(lambda m: lambda a: (m.sum(a ** 2), {"m": a * 2}))
    _same(cr.grad(aux, has_aux=True)(X), jx.grad(auxj, has_aux=True)(X))
    _same(cr.value_and_grad(aux, has_aux=True)(X), jx.value_and_grad(auxj, has_aux=True)(X))
    two, twoj = _pair(lambda m: lambda a, b: (a * b, m.sum(b)))
    out, fn = cr.vjp(two, X, X + 1)
    outj, ctj = jax.jit(lambda a, b, ct: (lambda o, f: (o, f(ct)))(*jax.vjp(twoj, a, b)))(
        X, X + 1, (jnp.ones(3), 2.0))
    _same(out, outj)
    _same(fn((np.ones(3), 2.0)), ctj)
    _same(cr.jvp(two, (X, X + 1), (np.ones(3), X)), jax.jit(lambda p, t: jax.jvp(twoj, p, t))((X, X + 1), (jnp.ones(3), X)))


@pytest.mark.parametrize("name", ["jacrev", "jacfwd", "jacobian"])
def test_jacobians_have_out_shape_plus_in_shape(name):
    mine, theirs = getattr(cr, name), getattr(jax, name)
    _same(mine(H[0])(Y), theirs(H[1])(Y))
    assert mine(H[0])(Y).shape == (2, 2, 2, 2)
    _same(mine(P[0], argnums=(0, 1))(X, X + 1), theirs(P[1], argnums=(0, 1))(X, X + 1))
    _same(mine(lambda a: a * np.ones(2) * a)(1.5), theirs(lambda a: a * jnp.ones(2) * a)(1.5))


def test_hessian_hvp_elementwise_grad_and_nesting():
    f, fj = _pair(lambda m: lambda a: m.sum(a ** 3) * a[0])
    _same(cr.hessian(f)(X), jx.hessian(fj)(X))
    _same(cr.hessian(G2[0], argnums=(0, 1))(X, X), jx.hessian(G2[1], argnums=(0, 1))(X, X))
    v = np.array([1.0, 0.5, -1.0])
    _same(cr.hvp(f, X, v), jx.hessian(fj)(X) @ v)
    _same(cr.elementwise_grad(np.tanh)(X), jax.jit(jax.vmap(jax.grad(jnp.tanh)))(X))
    _same(cr.jacfwd(cr.jacrev(F[0]))(X), jx.jacfwd(jx.jacrev(F[1]))(X))
    _same(cr.jacrev(cr.jacfwd(np.sin))(X), jx.jacrev(jx.jacfwd(jnp.sin))(X))
    assert np.isclose(cr.grad(cr.grad(cr.grad(cr.grad(np.sin))))(0.7), np.sin(0.7))


def test_perturbation_confusion_in_every_mode_mix():
    assert cr.grad(lambda x: x * cr.grad(lambda y: x * y)(1.0))(2.0) == 4.0
    assert np.isclose(cr.grad(lambda x: x * cr.jacfwd(lambda y: x * y)(1.0))(2.0), 4.0)
    inner = lambda x: cr.jvp(lambda y: x * y, (1.0,), (1.0,))[1]   # noqa: E731
    assert np.isclose(cr.jvp(lambda x: x * inner(x), (2.0,), (1.0,))[1], 4.0)


@pytest.mark.parametrize("transform", [
    lambda f: cr.grad(f)(np.array([1, 2])), lambda f: cr.jacfwd(f)(np.array([1, 2])),
    lambda f: cr.jacrev(f)(np.array([1, 2])), lambda f: cr.hessian(f)(np.array([1, 2])),
    lambda f: cr.grad(f)(3), lambda f: cr.jvp(f, (3,), (1,)), lambda f: cr.vjp(f, 3)])
def test_integer_inputs_are_a_type_error_that_says_float(transform):
    with pytest.raises(TypeError, match="float"):
        transform(lambda a: np.sum(a * 1.0))


def test_pytrees_with_none_as_an_empty_subtree_as_in_jax():
    p = {"w": np.ones((2, 2)), "b": [np.zeros(2), (1.0,)], "frozen": None}
    loss, lossj = _pair(lambda m: lambda p: m.sum(m.tanh(p["w"] @ m.ones(2) + p["b"][0]))
                        * p["b"][1][0])
    _same(cr.grad(loss)(p), jx.grad(lossj)(p))
    _same(cr.jacobian(lambda d: d["a"] * 2)({"a": X, "b": None}),
          jx.jacobian(lambda d: d["a"] * 2)({"a": X, "b": None}))
    _same(cr.hessian(lambda d: np.sum(d["a"] ** 3))({"a": X, "b": None}),
          jx.hessian(lambda d: jnp.sum(d["a"] ** 3))({"a": X, "b": None}))
    _same(cr.jacfwd(lambda x: {"y": x * 2, "n": None})(X),
          jx.jacfwd(lambda x: {"y": x * 2, "n": None})(X))
    with pytest.raises(TypeError, match="structure"):        # JAX's class
        cr.jvp(np.sin, (1.0,), (None,))
    with pytest.raises(TypeError, match="numbers"):          # None as the whole result
        cr.grad(lambda x: None)(1.0)
