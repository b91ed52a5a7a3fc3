"""chainrule's function transforms against JAX's, on generated functions of pytrees.

Each case draws a pytree of arrays (0-d, empty, broadcasting shapes; float32 or float64) and
a function that couples all its leaves and returns a pytree, then compares ``grad``,
``value_and_grad`` (tuple ``argnums``), ``jacfwd``, ``jacrev``, ``hessian``, ``jvp`` and
``vjp`` with JAX's: the nesting (tuples stay tuples, lists lists, dict keys), every shape and
dtype (float32 in, float32 out), and the values.  Complex inputs: ``grad`` of real-valued
functions, ``jvp``/``vjp`` of any, ``holomorphic=True`` Jacobians, and the errors JAX raises.
"""
import numpy as np
import pytest

import chainrule as cr

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

SHAPES = [(), (3,), (2, 3), (0,), (0, 3), (1, 3)]
UNARY = [
    lambda m, x: m.sin(x),
    lambda m, x: m.tanh(x) * x,
    lambda m, x: m.exp(m.tanh(x)),
    lambda m, x: m.log(x * x + 1),
    lambda m, x: m.sqrt(x * x + 0.5),
    lambda m, x: x ** 3 - x,
    lambda m, x: m.maximum(x, 0.2 * x),
    lambda m, x: m.where(x > 0, x * x, -x),
]


def _struct(tree):
    """Nesting with leaves as (shape, dtype): what must agree exactly."""
    if isinstance(tree, dict):
        return ("dict", tuple(sorted((k, _struct(v)) for k, v in tree.items())))
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(_struct(v) for v in tree))
    a = np.asarray(tree)
    return (a.shape, a.dtype.name)


def _leaves(tree):
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in _leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [x for v in tree for x in _leaves(v)]
    return [tree]


def assert_same(jx, ours, rtol):
    assert _struct(jx) == _struct(ours), (_struct(jx), _struct(ours))
    for a, b in zip(_leaves(jx), _leaves(ours)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=rtol, atol=rtol * 1e-2)


def make_case(seed):
    rng = np.random.default_rng(seed)
    dtype = [np.float64, np.float32][seed % 3 == 2]
    shapes = [SHAPES[i] for i in rng.integers(0, len(SHAPES), 3)]
    vals = [rng.uniform(-1.2, 1.2, sh).astype(dtype) for sh in shapes]
    tree = {"w": vals[0], "bs": (vals[1], [vals[2]])}
    ops = [int(i) for i in rng.integers(0, len(UNARY), 3)]
    tangent = {"w": rng.normal(size=shapes[0]).astype(dtype),
               "bs": (rng.normal(size=shapes[1]).astype(dtype),
                      [rng.normal(size=shapes[2]).astype(dtype)])}
    return dtype, tree, ops, tangent


def make_funs(ops):
    def f(m, tree):
        xs = [tree["w"], tree["bs"][0], tree["bs"][1][0]]
        us = [UNARY[k](m, x) for k, x in zip(ops, xs)]
        s = sum(m.sum(u * u) for u in us) / 4
        return {"elem": (us[0] * (1 + s), [us[1] - s]), "total": s * us[2].size + m.sum(us[2])}

    def g(m, tree):
        out = f(m, tree)
        return m.sum(out["elem"][0]) + m.sum(out["elem"][1][0]) + out["total"]
    return f, g


@pytest.mark.parametrize("seed", range(9))
def test_transforms_of_pytree_functions_match_jax(seed):
    dtype, tree, ops, tangent = make_case(seed)
    f, g = make_funs(ops)
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    jtree = jax.tree_util.tree_map(jnp.asarray, tree)
    fj, gj = (lambda t: f(jnp, t)), (lambda t: g(jnp, t))
    fc, gc = (lambda t: f(np, t)), (lambda t: g(np, t))

    jit = jax.jit       # JAX's transforms compiled once: op by op they are slow to run
    assert_same(jit(jax.grad(gj))(jtree), cr.grad(gc)(tree), rtol)
    jr = jit(jax.jacrev(fj))(jtree)
    assert_same(jr, cr.jacrev(fc)(tree), rtol)
    assert_same(jit(jax.jacfwd(fj))(jtree), cr.jacfwd(fc)(tree), rtol)
    assert_same(jr, cr.jacobian(fc)(tree), rtol)
    assert_same(jit(lambda t, v: jax.jvp(fj, (t,), (v,)))(jtree, tangent),
                cr.jvp(fc, (tree,), (tangent,)), rtol)
    out_c, pull_c = cr.vjp(fc, tree)
    ct = jax.tree_util.tree_map(lambda o: np.ones(np.shape(o), dtype), out_c)
    out_j, g_j = jit(lambda t, c: (lambda o, p: (o, p(c)))(*jax.vjp(fj, t)))(jtree, ct)
    assert_same(out_j, out_c, rtol)
    assert_same(g_j, pull_c(ct), rtol)
    if sum(np.size(x) for x in _leaves(tree)) <= 10:
        assert_same(jit(jax.hessian(gj))(jtree), cr.hessian(gc)(tree), max(rtol, 1e-9))

    # two arguments, tuple argnums, has_aux
    def h(m, t, y):
        return g(m, t) * m.sum(y * y), m.sum(y)
    y = np.linspace(0.5, 1.0, 3).astype(dtype)
    (vj, auxj), gj2 = jit(jax.value_and_grad(lambda t, y: h(jnp, t, y), argnums=(1, 0),
                                             has_aux=True))(jtree, y)
    (vc, auxc), gc2 = cr.value_and_grad(lambda t, y: h(np, t, y), argnums=(1, 0),
                                        has_aux=True)(tree, y)
    assert_same((vj, auxj, gj2), (vc, auxc, gc2), rtol)
    jj, aj = jit(jax.jacrev(lambda t, y: (f(jnp, t)["total"] * y, y), argnums=-1,
                            has_aux=True))(jtree, y)
    jc, ac = cr.jacrev(lambda t, y: (f(np, t)["total"] * y, y), argnums=-1,
                       has_aux=True)(tree, y)
    assert_same((jj, aj), (jc, ac), rtol)


# ---------------------------------------------------------------------- complex inputs
@pytest.mark.parametrize("seed", range(4))
def test_complex_inputs_match_jax(seed):
    rng = np.random.default_rng(seed)
    shape = [(), (3,), (2, 2), (0,)][seed % 4]
    z = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    c = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    x = rng.normal(size=shape)

    def real_f(m, z, x):     # real-valued, not holomorphic
        return m.sum(m.abs(z) ** 2 * x) + m.sum(m.real(z * c)) + m.sum(m.imag(m.sin(z)) * x)

    def holo(m, z):
        return m.sin(z) * z + c * z ** 2

    def any_f(m, z, x):      # complex output, not holomorphic
        return m.conj(z) * m.exp(z / 3) + x * z

    jit = jax.jit
    rj, rc = (lambda *a: real_f(jnp, *a)), (lambda *a: real_f(np, *a))
    assert_same(jit(jax.grad(rj, argnums=(0, 1)))(z, x), cr.grad(rc, argnums=(0, 1))(z, x),
                1e-10)
    aj, ac = (lambda *a: any_f(jnp, *a)), (lambda *a: any_f(np, *a))
    tz = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    tx = rng.normal(size=shape)
    assert_same(jit(lambda *a: jax.jvp(aj, a[:2], a[2:]))(z, x, tz, tx),
                cr.jvp(ac, (z, x), (tz, tx)), 1e-10)
    ct = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    assert_same(jit(lambda z, x, c: jax.vjp(aj, z, x)[1](c))(z, x, ct),
                cr.vjp(ac, z, x)[1](ct), 1e-10)
    hj, hc = (lambda z: holo(jnp, z)), (lambda z: holo(np, z))
    for name in ("jacrev", "jacfwd"):
        assert_same(jit(getattr(jax, name)(hj, holomorphic=True))(z),
                    getattr(cr, name)(hc, holomorphic=True)(z), 1e-10)
    if shape == ():
        assert_same(jit(jax.grad(hj, holomorphic=True))(z),
                    cr.grad(hc, holomorphic=True)(z), 1e-10)
        assert_same(jit(jax.hessian(hj, holomorphic=True))(z),
                    cr.hessian(hc, holomorphic=True)(z), 1e-10)


# ---------------------------------------------------------------------- the same errors
def _outcome(call):
    try:
        return "ok", call()
    except TypeError:
        return "TypeError", None


ERRORS = {
    "grad of a complex output": lambda m, lib: lib.grad(lambda z: z * z)(1.0 + 2j),
    "grad of a real input, holomorphic": lambda m, lib: lib.grad(
        lambda z: z * z, holomorphic=True)(1.0),
    "grad of a real output, holomorphic": lambda m, lib: lib.grad(
        lambda z: m.abs(z), holomorphic=True)(1.0 + 2j),
    "grad of an integer input": lambda m, lib: lib.grad(lambda x: x * 1.0)(3),
    "grad of a bool input": lambda m, lib: lib.grad(lambda x: 1.0 * x)(True),
    "grad of a vector output": lambda m, lib: lib.grad(lambda x: x * 2)(m.ones(3)),
    "jacrev of a complex output": lambda m, lib: lib.jacrev(lambda z: z * z)(m.ones(2) * 1j),
    "jacrev of a bool output": lambda m, lib: lib.jacrev(lambda x: x > 0)(m.ones(2)),
    "jacfwd of a complex input": lambda m, lib: lib.jacfwd(lambda z: m.abs(z))(m.ones(2) * 1j),
    "hessian of a complex input": lambda m, lib: lib.hessian(
        lambda z: m.sum(m.abs(z) ** 2))(m.ones(2) * 1j),
    "argnums out of range": lambda m, lib: lib.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0),
    "has_aux without a pair": lambda m, lib: lib.grad(lambda x: x * 2, has_aux=True)(1.0),
    "jacrev of a real-valued function of complex input": lambda m, lib: lib.jacrev(
        lambda z: m.abs(z) ** 2)(m.array([1 + 1j, 2 - 1j])),
    "negative argnums": lambda m, lib: lib.grad(lambda x, y: x * y * y, argnums=-1)(1.0, 2.0),
    "tuple argnums of one": lambda m, lib: lib.grad(lambda x, y: x * y, argnums=(1,))(1.0, 2.0),
    "empty input": lambda m, lib: lib.grad(lambda x: m.sum(x ** 2))(m.zeros((0, 2))),
    "jacfwd of an empty output": lambda m, lib: lib.jacfwd(lambda x: x[:0])(m.ones(3)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_same_outcome_as_jax(name):
    j = _outcome(lambda: ERRORS[name](jnp, jax))
    c = _outcome(lambda: ERRORS[name](np, cr))
    assert j[0] == c[0], f"jax: {j[0]}, chainrule: {c[0]}"
    if j[0] == "ok":
        assert_same(jax.tree_util.tree_map(np.asarray, j[1]), c[1], 1e-12)


def test_duplicate_argnums_raise():
    with pytest.raises((TypeError, ValueError), match="more than once"):
        cr.grad(lambda x, y: x * y, argnums=(0, 0))(1.0, 2.0)


def test_complex_output_error_says_what_to_do():
    with pytest.raises(TypeError, match=r"holomorphic=True.*np\.real.*cr\.vjp"):
        cr.grad(lambda z: z ** 2)(1 + 1j)
    with pytest.raises(TypeError, match="positional argument"):
        cr.jacfwd(lambda x, y: x * y, argnums=3)(1.0, 2.0)
