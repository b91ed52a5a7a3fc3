"""Functions of a Hermitian matrix (``cholesky``, ``eigh``, ``eigvalsh``, ``hermitian=True``)
read one triangle of the input, as NumPy does, and chainrule differentiates exactly that
function: gradients lie in the triangle read (real on the diagonal), tangents are read in it.
Checked against finite differences in every direction at non-Hermitian and Hermitian points
(batched, real and complex, both triangles); and the derivative with respect to a Hermitian
input (JAX's and PyTorch's) is recovered by symmetrizing first, ``f((a + a^H) / 2)``: compared
with JAX (both modes, second order) and PyTorch (``.grad``)."""
import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(11)
SPREAD = np.diag([4.0, 8.0, 12.0])        # well-separated eigenvalues, positive definite


def _draw(shape, complex_):
    x = RNG.normal(size=shape)
    return x + 1j * RNG.normal(size=shape) if complex_ else x


def _herm(x):
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


def _point(complex_, hermitian):
    """A batch of matrices whose read triangle is positive definite, eigenvalues apart."""
    x = 0.5 * _draw((2, 3, 3), complex_)
    return (_herm(x) if hermitian else x) + SPREAD


def _funcs(m, uplo):
    """Gauge-invariant functions of each decomposition, written for NumPy or jax.numpy."""
    def eigh_parts(a):
        w, v = m.linalg.eigh(a, UPLO=uplo)
        vh = m.conj(m.swapaxes(v, -1, -2))
        return (v * m.sin(w)[..., None, :]) @ vh + m.abs(v) ** 2 * w[..., None, :]

    def chol(a):
        if uplo == "L":
            return m.linalg.cholesky(a)
        if m is np:
            return m.linalg.cholesky(a, upper=True)
        return m.conj(m.swapaxes(m.linalg.cholesky(a), -1, -2))  # jax.numpy: no `upper`
    return {"eigvalsh": lambda a: m.linalg.eigvalsh(a, UPLO=uplo), "eigh": eigh_parts,
            "cholesky": chol}


NAMES = ("eigvalsh", "eigh", "cholesky")
CASES = [(n, u, c) for n in NAMES for u in ("L", "U") for c in (False, True)]
IDS = ["-".join((n, u, "complex" if c else "real")) for n, u, c in CASES]


def _sym(x):
    """``(x + x^H) / 2`` on tensors or arrays (what a user writes for JAX's derivative)."""
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


# ---------------------------------------------------------------- the exact convention
@pytest.mark.parametrize("hermitian", [False, True], ids=["nonhermitian", "hermitian"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_exact_derivative_against_finite_differences(case, hermitian):
    """Both modes, second order, perturbing in every direction (non-Hermitian ones too)."""
    name, uplo, complex_ = case
    f = _funcs(np, uplo)[name]
    a = _point(complex_, hermitian)
    np.testing.assert_allclose(f(cr.tensor(a)).numpy(), f(a), rtol=1e-13, atol=1e-13)
    cr.check_grads(f, a, order=2)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_lies_in_the_triangle_read(case):
    name, uplo, complex_ = case
    f = _funcs(np, uplo)[name]
    a = _point(complex_, False)
    ct = _draw(np.shape(f(a)), np.iscomplexobj(f(a)))
    g = cr.grad(lambda x: np.sum(np.real(ct * f(x))))(a)
    other = np.triu(g, 1) if uplo == "L" else np.tril(g, -1)
    assert np.all(other == 0)
    i, j = np.tril_indices(3, -1) if uplo == "L" else np.triu_indices(3, 1)
    assert np.all(g[..., i, j] != 0)
    np.testing.assert_array_equal(np.imag(np.diagonal(g, axis1=-2, axis2=-1)), 0)
    # a tangent in the other triangle (and an imaginary diagonal) changes nothing
    t = _draw(a.shape, complex_)
    t_unread = np.triu(t, 1) if uplo == "L" else np.tril(t, -1)
    if complex_:
        t_unread = t_unread + 1j * np.imag(t) * np.eye(3)
    _, d = cr.jvp(f, (a,), (t_unread,))
    np.testing.assert_allclose(d, 0.0, atol=1e-12)


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("hermitian", [False, True], ids=["nonhermitian", "hermitian"])
def test_hermitian_true_paths_against_finite_differences(complex_, hermitian):
    """``pinv`` and ``svd(compute_uv=False)`` with ``hermitian=True`` read the lower
    triangle (NumPy's ``eigh``): exact derivatives, gradient in the lower triangle."""
    a = _point(complex_, hermitian)
    for f in (lambda x: np.linalg.pinv(x, hermitian=True),
              lambda x: np.linalg.svd(x, compute_uv=False, hermitian=True)):
        np.testing.assert_allclose(f(cr.tensor(a)).numpy(), f(a), rtol=1e-12, atol=1e-13)
        cr.check_grads(f, a, order=2)
        g = cr.grad(lambda x: np.sum(np.real(f(x))))(a)
        assert np.all(np.triu(g, 1) == 0)


# ---------------------------------------------------------------- Hermitian-input derivative
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_symmetrized_against_jax(case):
    """``f((a + a^H) / 2)`` has JAX's derivatives (JAX symmetrizes inside its functions): at
    non-Hermitian points, with non-Hermitian tangents, both modes and second order."""
    name, uplo, complex_ = case
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    f = _funcs(np, uplo)[name]
    fj = _funcs(jnp, uplo)[name]
    fs = lambda x: f(_sym(x))       # noqa: E731
    a = _point(complex_, False)
    y = fs(a)
    np.testing.assert_allclose(y, fj(jnp.asarray(_herm(a))), atol=1e-10)
    ct, t, t2 = (_draw(np.shape(y), np.iscomplexobj(y)), _draw(a.shape, complex_),
                 _draw(a.shape, complex_))

    def loss(m, g):
        return lambda x: m.sum(m.real(ct * g(x)))
    g = cr.grad(loss(np, fs))(a)
    np.testing.assert_allclose(g, jax.grad(loss(jnp, fj))(a), atol=1e-10)
    np.testing.assert_allclose(g, _herm(g), atol=1e-12)           # a Hermitian gradient
    _, tan = cr.jvp(fs, (a,), (t,))
    np.testing.assert_allclose(tan, jax.jvp(fj, (a,), (t,))[1], atol=1e-10)
    _, hv = cr.jvp(cr.grad(loss(np, fs)), (a,), (t2,))
    _, jhv = jax.jvp(jax.grad(loss(jnp, fj)), (jnp.asarray(a),), (jnp.asarray(t2),))
    np.testing.assert_allclose(hv, jhv, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_symmetrized_against_pytorch(case):
    """``.grad`` of ``f((a + a^H) / 2)`` against PyTorch's, symmetrized the same way."""
    name, uplo, complex_ = case
    torch = pytest.importorskip("torch")
    a = _point(complex_, False)
    f = _funcs(np, uplo)[name]
    y = f(_herm(a))
    ct = _draw(np.shape(y), np.iscomplexobj(y))

    def tfun(x):
        x = (x + x.mH) / 2
        if name == "eigvalsh":
            return torch.linalg.eigvalsh(x, UPLO=uplo)
        if name == "cholesky":
            return torch.linalg.cholesky(x, upper=uplo == "U")
        w, v = torch.linalg.eigh(x, UPLO=uplo)
        return (v * torch.sin(w)[..., None, :]) @ v.mH + v.abs() ** 2 * w[..., None, :]
    tx = torch.tensor(a, requires_grad=True)
    torch.real(tfun(tx) * torch.tensor(ct)).sum().backward()
    x = cr.tensor(a, requires_grad=True)
    np.sum(np.real(ct * f(_sym(x)))).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.resolve_conj().numpy(), atol=1e-10)


def test_exact_and_symmetrized_agree_through_the_symmetrization():
    """At any point the Hermitian-input gradient is the exact one at ``sym(a)`` pulled back
    through ``sym``, whose VJP is ``sym`` itself."""
    a = _point(True, False)
    ct = _draw((2, 3), False)
    for uplo in ("L", "U"):
        loss = lambda x: np.sum(ct * np.linalg.eigvalsh(x, UPLO=uplo))   # noqa: E731
        g_sym = cr.grad(lambda x: loss(_sym(x)))(a)
        g = cr.grad(loss)(_herm(a))
        np.testing.assert_allclose(g_sym, _herm(g), atol=1e-12)
