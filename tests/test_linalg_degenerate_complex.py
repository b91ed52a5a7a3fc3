"""Regressions: linear algebra at degenerate matrices (issue 15 item 3) and of complex input
(issue 10), with multiple-results primitives (issue 9 item 5).  Numbers from the issues,
checked against closed forms, finite differences and JAX (when installed)."""
import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(7)


def rc(*shape):
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


def fd_directional(f, x, t, eps=1e-6):
    return (f(x + eps * t) - f(x - eps * t)) / (2 * eps)


# ---------------------------------------------------------------- degenerate matrices
def test_det_of_a_singular_matrix_is_its_cofactor_matrix():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(cr.grad(np.linalg.det)(a), [[4.0, -2.0], [-2.0, 1.0]])
    _, t = cr.jvp(np.linalg.det, (a,), (np.eye(2),))
    assert t == 5.0                                   # tr(adj(a)) = 4 + 1
    h = cr.hessian(np.linalg.det)(a)                  # det = a00 a11 - a01 a10
    expect = np.zeros((2, 2, 2, 2))
    expect[0, 0, 1, 1] = expect[1, 1, 0, 0] = 1.0
    expect[0, 1, 1, 0] = expect[1, 0, 0, 1] = -1.0
    np.testing.assert_allclose(h, expect)


def test_det_of_outer_products():
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(cr.grad(lambda v: np.linalg.det(np.outer(v, v)))(v), 0.0)
    # rank 1 in 3 x 3: every cofactor is 0; rank 2 in 3 x 3: cofactors from the minors
    a = np.outer(v, v)
    np.testing.assert_allclose(cr.grad(np.linalg.det)(a), 0.0)
    b = np.outer(v, v) + np.outer([0.0, 1.0, -1.0], [1.0, 0.0, 2.0])
    m = b + 1e-7 * np.eye(3)          # nearby invertible matrix: det * inv^T
    np.testing.assert_allclose(cr.grad(np.linalg.det)(b),
                               np.linalg.det(m) * np.linalg.inv(m).T, atol=1e-5)
    cr.check_grads(np.linalg.det, b, modes=("fwd", "rev"), order=2)


def test_eigvalsh_at_the_identity():
    g = cr.grad(lambda a: np.linalg.eigvalsh(a).sum())(np.eye(3))
    np.testing.assert_array_equal(g, np.eye(3))
    _, t = cr.jvp(lambda a: np.linalg.eigvalsh(a).sum(), (np.eye(3),), (np.diag([1.0, 2, 3]),))
    assert t == pytest.approx(6.0)
    g = cr.grad(lambda a: np.linalg.eigh(a)[0].sum())(np.eye(3))
    np.testing.assert_array_equal(g, np.eye(3))


def test_simple_eigenvalue_next_to_a_repeated_pair():
    a = np.diag([1.0, 1.0, 2.0])
    top = lambda a: np.linalg.eigvalsh(a)[2]          # noqa: E731
    np.testing.assert_allclose(cr.grad(top)(a), np.diag([0.0, 0.0, 1.0]), atol=1e-15)
    s = RNG.normal(size=(3, 3))
    s = s + s.T
    _, t = cr.jvp(top, (a,), (s,))
    assert t == pytest.approx(s[2, 2])
    # second derivative of a simple eigenvalue: 2 sum_j s_2j**2 / (w_2 - w_j) (along the
    # symmetric s: derivatives are with respect to the symmetric input)
    want = 2 * (s[2, 0] ** 2 + s[2, 1] ** 2) / 1.0
    for hess in (cr.hessian(top), cr.jacfwd(cr.jacfwd(top)), cr.jacrev(cr.jacrev(top))):
        h = np.asarray(hess(a))
        assert np.all(np.isfinite(h))
        assert np.einsum("ij,ijkl,kl->", s, h, s) == pytest.approx(want)


def test_repeated_singular_values():
    q, _ = np.linalg.qr(RNG.normal(size=(3, 3)))
    a = q @ np.diag([2.0, 2.0, 1.0])
    g = cr.grad(lambda a: np.linalg.svd(a)[1].sum())(a)
    np.testing.assert_allclose(g, q, atol=1e-12)         # U V^T
    _, t = cr.jvp(lambda a: np.linalg.svd(a)[1], (a,), (a,))
    np.testing.assert_allclose(t, [2.0, 2.0, 1.0])       # d s = s along a itself
    np.testing.assert_allclose(cr.grad(lambda a: np.linalg.svd(a)[1][2])(a),
                               q[:, 2:] @ np.eye(3)[2:], atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3)])
def test_simple_singular_value_next_to_a_repeated_pair(shape):
    """The smallest singular value (simple) of diag(2, 2, 1): its Hessian exists and is
    finite in every mode (JAX's is NaN: it differentiates all singular vectors)."""
    a = np.zeros(shape)
    a[0, 0] = a[1, 1] = 2.0
    a[2, 2] = 1.0
    for f in (lambda x: np.linalg.svd(x, compute_uv=False)[2],
              lambda x: np.linalg.norm(x, -2), lambda x: np.linalg.svdvals(x)[-1]):
        g = cr.grad(f)
        t = RNG.normal(size=shape)
        for hess in (cr.hessian(f), cr.jacrev(cr.jacrev(f)), cr.jacfwd(cr.jacfwd(f))):
            h = np.asarray(hess(a))
            assert np.all(np.isfinite(h))
            np.testing.assert_allclose(np.tensordot(h, t, 2), fd_directional(g, a, t),
                                       atol=1e-6)


def test_hessian_at_a_repeated_singular_value_is_not_a_number():
    """Functions of a repeated singular value (or of a repeated pair, like the nuclear norm)
    differentiate their singular vectors, which have no derivative there: NaN, as in JAX
    (docs/reliability.md), never a silently wrong number."""
    a = np.diag([2.0, 2.0, 1.0])
    for f in (lambda x: np.linalg.norm(x, "nuc"), lambda x: np.linalg.norm(x, 2)):
        assert not np.all(np.isfinite(cr.hessian(f)(a)))
        np.testing.assert_allclose(cr.grad(f)(a), np.diag([1.0, 1.0, 1.0]) if f(a) == 5
                                   else np.diag([0.5, 0.5, 0.0]), atol=1e-12)   # a tie: split


def test_eigenvectors_at_a_repeated_eigenvalue_are_not_a_number():
    g = cr.grad(lambda a: np.linalg.eigh(a)[1][1, 0])(np.eye(2))
    assert not np.all(np.isfinite(g))


# ---------------------------------------------------------------- multiple results
def test_decompositions_return_tuples_of_tensors_from_one_node():
    a = cr.tensor(np.diag([1.0, 2.0, 3.0]) + 0.1, requires_grad=True)
    w, v = np.linalg.eigh(a)
    assert isinstance(w, cr.Tensor) and isinstance(v, cr.Tensor)
    assert w.shape == (3,) and v.shape == (3, 3)
    (w.sum() + (v ** 2).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-12)
    m, e = np.frexp(cr.tensor([3.0, -10.0], requires_grad=True))
    assert not e.requires_grad and e.dtype.kind == "i"
    q, r = np.divmod(cr.tensor([7.5]), 2.0)
    assert float(q[0]) == 3.0 and float(r[0]) == 1.5


def test_multiple_results_primitive_of_ones_own():
    def sincos(x):
        return np.sin(x), np.cos(x)
    p = cr.primitive(sincos) if hasattr(cr, "primitive") else None
    from chainrule.rules.api import Primitive
    prim = Primitive(sincos, name="sincos", multiple_results=True, keep=("x",), keep_ans=False)
    prim.defvjp(lambda g, ans, x: g[0] * np.cos(x) - g[1] * np.sin(x))
    prim.defjvp(lambda t, ans, x: (t * np.cos(x), -t * np.sin(x)))
    f = lambda x: prim(x)[0] * prim(x)[1]            # noqa: E731
    cr.check_grads(f, np.array([0.3, 1.1]), modes=("fwd", "rev"), order=2)
    del p


# ---------------------------------------------------------------- complex input
def test_slogdet_of_complex_input():
    a = rc(3, 3)
    t = rc(3, 3)
    _, (ts, tl) = cr.jvp(np.linalg.slogdet, (a,), (t,))
    assert np.isrealobj(tl)
    c = np.trace(np.linalg.solve(a, t))
    assert tl == pytest.approx(c.real)
    sign = np.linalg.slogdet(a)[0]
    assert ts == pytest.approx(1j * c.imag * sign)       # sign = det/|det| moves
    assert ts == pytest.approx(fd_directional(lambda x: np.linalg.slogdet(x)[0], a, t))


@pytest.mark.parametrize("name", ["eigvalsh", "svdvals", "qr", "cholesky", "slogdet_sign",
                                  "pinv", "lstsq", "norm_nuc", "norm_2", "norm_p3",
                                  "eigvals", "det", "inv", "solve"])
def test_complex_gradients_against_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    h = rc(3, 3)
    h = h + h.conj().T + 8 * np.eye(3)
    b = rc(4, 3)
    fs = {"eigvalsh": (lambda m: lambda a: m.linalg.eigvalsh(a), h),
          "svdvals": (lambda m: lambda a: m.linalg.svd(a, compute_uv=False), b),
          "qr": (lambda m: lambda a: m.linalg.qr(a)[0] + m.linalg.qr(a)[1][0], b),
          "cholesky": (lambda m: lambda a: m.linalg.cholesky(a), h),
          "slogdet_sign": (lambda m: lambda a: m.linalg.slogdet(a)[0], h + b[:3]),
          "pinv": (lambda m: lambda a: m.linalg.pinv(a), b),
          "lstsq": (lambda m: lambda a: m.linalg.lstsq(a, a[:, 0], rcond=None)[0], b),
          "norm_nuc": (lambda m: lambda a: m.linalg.norm(a, "nuc"), b),
          "norm_2": (lambda m: lambda a: m.linalg.norm(a, 2), b),
          "norm_p3": (lambda m: lambda a: m.linalg.norm(a[0], 3), b),
          "eigvals": (lambda m: lambda a: m.linalg.eigvals(a), b[:3]),
          "det": (lambda m: lambda a: m.linalg.det(a), b[:3]),
          "inv": (lambda m: lambda a: m.linalg.inv(a), b[:3]),
          "solve": (lambda m: lambda a: m.linalg.solve(a, a[0]), b[:3])}
    mk, x = fs[name]
    c = rc(*np.shape(mk(np)(x)))
    got = cr.grad(lambda a: np.sum(np.real(c * mk(np)(a))))(x)
    # cholesky, eigvalsh: NumPy reads one triangle, JAX the Hermitian part; the derivatives
    # are both with respect to the Hermitian input (a Hermitian gradient)
    want = jax.grad(lambda a: jnp.sum(jnp.real(c * mk(jnp)(a))))(jnp.asarray(x))
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-7, atol=1e-9)


def test_svd_vectors_of_complex_input_have_the_phase_term():
    a = rc(4, 3)
    c = rc(4, 3)

    def f(a):       # invariant to the phases of the singular pairs: U diag(s) V^H
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return np.sum(np.real(c * ((u * s[None, :]) @ vh) * np.abs(u[0, 0]) ** 0))
    g = cr.grad(f)(a)
    np.testing.assert_allclose(g, c, atol=1e-10)
    t = rc(4, 3)

    def g2(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return np.real(u[:, :1] @ vh[:1, :1]).sum()
    _, tan = cr.jvp(g2, (a,), (t,))
    assert tan == pytest.approx(fd_directional(g2, a, t), rel=1e-6)


def test_eigh_of_complex_hermitian_input():
    h = rc(3, 3)
    h = h + h.conj().T
    t = rc(3, 3)

    def f(a):   # |v|^2 and w: invariant to the eigenvectors' phases
        w, v = np.linalg.eigh(a)
        return np.sum(w * np.real(v * np.conj(v))[0])
    g = cr.grad(f)(h)
    assert np.real(np.sum(g * t)) == pytest.approx(fd_directional(f, h, t), rel=1e-6)
    _, tan = cr.jvp(f, (h,), (t,))
    assert tan == pytest.approx(fd_directional(f, h, t), rel=1e-6)


def test_eigh_upper_is_numpys():
    a = RNG.normal(size=(4, 3, 3))
    w, v = np.linalg.eigh(cr.tensor(a, requires_grad=True), "U")
    wn, vn = np.linalg.eigh(a, "U")
    np.testing.assert_array_equal(v.detach().numpy(), vn)
    np.testing.assert_array_equal(w.detach().numpy(), wn)
    h = rc(2, 3, 3)
    np.testing.assert_array_equal(np.linalg.eigh(cr.tensor(h), "U")[1].numpy(),
                                  np.linalg.eigh(h, "U")[1])
    cr.check_grads(lambda a: np.linalg.eigh(a + a.T + np.diag([0.0, 5, 10]), "U")[1] ** 2,
                   a[0], modes=("fwd", "rev"), order=2)


def test_eig_of_a_real_matrix_with_complex_eigenpairs():
    a = np.array([[0.0, -3.0, 0.1], [3.0, 0.2, 0.0], [0.3, 0.0, 8.0]])
    t = RNG.normal(size=(3, 3))
    f = lambda a: np.sum(np.real(np.linalg.eigvals(a) ** 2 * [1, 2j, 3]))   # noqa: E731
    g = cr.grad(f)(a)
    assert np.isrealobj(g)
    assert np.sum(g * t) == pytest.approx(fd_directional(f, a, t), rel=1e-6)
    _, tan = cr.jvp(np.linalg.eigvals, (a,), (t,))
    np.testing.assert_allclose(tan, fd_directional(np.linalg.eigvals, a, t), atol=1e-7)


@pytest.mark.parametrize("name", ["expm", "logm", "sqrtm"])
def test_scipy_matrix_functions(name):
    sl = pytest.importorskip("scipy.linalg")
    from chainrule.rules.linalg import matrix_functions as mf
    f, ref = getattr(mf, name), getattr(sl, name)
    a = RNG.normal(size=(3, 3)) * 0.3 + 2 * np.eye(3)
    np.testing.assert_allclose(f(cr.tensor(a)).numpy(), ref(a))
    cr.check_grads(f, a, modes=("fwd", "rev"), order=2)
    cr.check_grads(f, np.stack([a, a.T]), modes=("fwd", "rev"), order=1)
    z = a + 0.3j * RNG.normal(size=(3, 3))
    t, c = rc(3, 3), rc(3, 3)
    loss = lambda z: np.sum(np.real(c * f(z)))       # noqa: E731
    g = cr.grad(loss)(z)
    assert np.real(np.sum(g * t)) == pytest.approx(fd_directional(loss, z, t), rel=1e-6)


def test_expm_against_jax():
    jax = pytest.importorskip("jax")
    pytest.importorskip("scipy")
    jax.config.update("jax_enable_x64", True)
    from chainrule.rules.linalg.matrix_functions import expm
    a = RNG.normal(size=(3, 3))
    want = jax.grad(lambda a: jax.numpy.sum(jax.numpy.sin(jax.scipy.linalg.expm(a))))(a)
    np.testing.assert_allclose(cr.grad(lambda a: np.sum(np.sin(expm(a))))(a), want, rtol=1e-9)


@pytest.mark.parametrize("name", ["eigh", "svd", "qr", "cholesky", "slogdet", "eig", "pinv",
                                  "norm"])
def test_second_order_of_complex_input(name):
    """Hessian-vector products (forward over reverse) against finite differences of the
    gradient, for real losses of complex matrices."""
    rng = np.random.default_rng(3)

    def rc_(*s):
        return rng.normal(size=s) + 1j * rng.normal(size=s)
    h = rc_(3, 3)
    h = h + h.conj().T + np.diag([0.0, 5.0, 10.0])
    b, c = rc_(4, 3), rc_(3, 3) + 3 * np.eye(3)
    c3, c33, c43 = rc_(3), rc_(3, 3), rc_(4, 3)

    def re(z):
        return np.real(z * np.conj(z))
    fs = {"eigh": (lambda a: np.sum(np.real(c3 * np.linalg.eigh(a)[0]))
                   + np.sum(re(np.linalg.eigh(a)[1]) * np.real(c33)), h),
          "svd": (lambda a: np.sum(np.real(c43 * (lambda u, s, vh: (u * s) @ vh)(
              *np.linalg.svd(a, full_matrices=False)))), b),
          "qr": (lambda a: np.sum(np.real(c43 * np.linalg.qr(a)[0])), b),
          "cholesky": (lambda a: np.sum(np.real(c33 * np.linalg.cholesky(a))), h),
          "slogdet": (lambda a: np.real(c3[0] * np.linalg.slogdet(a)[0])
                      + np.linalg.slogdet(a)[1], c),
          "eig": (lambda a: np.sum(np.real(c3 * np.linalg.eigvals(a))), c),
          "pinv": (lambda a: np.sum(np.real(c43.T * np.linalg.pinv(a))), b),
          "norm": (lambda a: np.linalg.norm(a, "nuc") + np.linalg.norm(a[0], 3), b)}
    f, x = fs[name]
    t = rc_(*x.shape)
    if name in ("eigh", "cholesky"):    # derivatives with respect to the Hermitian input
        t = t + t.conj().T
    g = cr.grad(f)
    _, hv = cr.jvp(g, (x,), (t,))
    np.testing.assert_allclose(hv, fd_directional(g, x, t, 1e-5), atol=1e-6)


@pytest.mark.parametrize("name", ["vdot", "inner", "einsum", "tensordot", "dot", "matmul",
                                  "outer"])
def test_complex_products_against_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    fs = {"vdot": lambda m: lambda a, b: m.vdot(a, b) * (1 + 2j),
          "inner": lambda m: lambda a, b: m.inner(a, b),
          "einsum": lambda m: lambda a, b: m.einsum("ij,jk->ik", a, b),
          "tensordot": lambda m: lambda a, b: m.tensordot(a, b, axes=1),
          "dot": lambda m: lambda a, b: m.dot(a, b),
          "matmul": lambda m: lambda a, b: a @ b,
          "outer": lambda m: lambda a, b: m.outer(a[0], b[1])}
    a, b = rc(3, 3), rc(3, 3)
    c = rc(*np.shape(fs[name](np)(a, b)))
    for arg in (0, 1):
        want = jax.grad(lambda a, b: jnp.sum(jnp.real(c * fs[name](jnp)(a, b))), argnums=arg)(
            jnp.asarray(a), jnp.asarray(b))
        got = cr.grad(lambda a, b: np.sum(np.real(c * fs[name](np)(a, b))), argnums=arg)(a, b)
        np.testing.assert_allclose(got, np.asarray(want), atol=1e-12)
