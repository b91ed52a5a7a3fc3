"""Functions of a Hermitian matrix (``cholesky``, ``eigh``, ``eigvalsh``, ``hermitian=True``):
NumPy's values read one triangle; the derivatives are taken with respect to the Hermitian
input, as in JAX, PyTorch, HIPS autograd and TensorFlow.  Compared with JAX and PyTorch on
batched real and complex input, both triangles, both modes and (JAX) second order."""
import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(11)


def _draw(shape, complex_):
    x = RNG.normal(size=shape)
    return x + 1j * RNG.normal(size=shape) if complex_ else x


def _herm(x):
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


def _point(name, complex_):
    """A batch of Hermitian matrices: well-separated eigenvalues, positive definite."""
    return _herm(_draw((2, 3, 3), complex_)) + np.diag([4.0, 8.0, 12.0])


def _funcs(m, uplo):
    """Gauge-invariant functions of each decomposition, written for NumPy or jax.numpy."""
    def eigh_parts(a):
        w, v = m.linalg.eigh(a, UPLO=uplo) if m is np else m.linalg.eigh(a, UPLO=uplo)
        vh = m.conj(m.swapaxes(v, -1, -2))
        return (v * m.sin(w)[..., None, :]) @ vh + m.abs(v) ** 2 * w[..., None, :]

    def chol(a):
        return m.linalg.cholesky(a, upper=True) if uplo == "U" else m.linalg.cholesky(a)
    return {"eigvalsh": lambda a: m.linalg.eigvalsh(a, UPLO=uplo), "eigh": eigh_parts,
            "cholesky": chol}


def _jax_cholesky_upper(jnp):
    return lambda a: jnp.conj(jnp.swapaxes(jnp.linalg.cholesky(a), -1, -2))


CASES = [(n, u, c) for n in ("eigvalsh", "eigh", "cholesky") for u in ("L", "U")
         for c in (False, True)]


def _ids(case):
    return "-".join((case[0], case[1], "complex" if case[2] else "real"))


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_against_jax(case):
    name, uplo, complex_ = case
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    f = _funcs(np, uplo)[name]
    fj = _funcs(jnp, uplo)[name]
    if name == "cholesky" and uplo == "U":        # jax.numpy's cholesky has no `upper`
        fj = _jax_cholesky_upper(jnp)
    a = _point(name, complex_)
    y = f(a)
    np.testing.assert_allclose(y, fj(jnp.asarray(a)), atol=1e-10)
    ct, t, t2 = _draw(np.shape(y), np.iscomplexobj(y)), _draw(a.shape, complex_), \
        _draw(a.shape, complex_)                  # not Hermitian: JAX symmetrizes them too

    def loss(m, g):
        return lambda x: m.sum(m.real(ct * g(x)))
    g = cr.grad(loss(np, f))(a)
    np.testing.assert_allclose(g, jax.grad(loss(jnp, fj))(a), atol=1e-10)
    np.testing.assert_allclose(g, _herm(g), atol=1e-12)           # a Hermitian gradient
    _, tan = cr.jvp(f, (a,), (t,))
    np.testing.assert_allclose(tan, jax.jvp(fj, (a,), (t,))[1], atol=1e-10)
    # second order: forward over reverse, against JAX's
    _, hv = cr.jvp(cr.grad(loss(np, f)), (a,), (t2,))
    _, jhv = jax.jvp(jax.grad(loss(jnp, fj)), (jnp.asarray(a),), (jnp.asarray(t2),))
    np.testing.assert_allclose(hv, jhv, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_against_pytorch(case):
    """``.grad`` against PyTorch's.  PyTorch's complex cholesky gradient is not Hermitian
    (it differs by a part no Hermitian direction sees): compared through its Hermitian part."""
    name, uplo, complex_ = case
    torch = pytest.importorskip("torch")
    a = _point(name, complex_)
    f = _funcs(np, uplo)[name]
    ct = _draw(np.shape(f(a)), np.iscomplexobj(f(a)))

    def tfun(x):
        if name == "eigvalsh":
            return torch.linalg.eigvalsh(x, UPLO=uplo)
        if name == "cholesky":
            return torch.linalg.cholesky(x, upper=uplo == "U")
        w, v = torch.linalg.eigh(x, UPLO=uplo)
        return (v * torch.sin(w)[..., None, :]) @ v.mH + v.abs() ** 2 * w[..., None, :]
    tx = torch.tensor(a, requires_grad=True)
    ty = tfun(tx)
    torch.real(ty * torch.tensor(ct)).sum().backward()
    want = tx.grad.resolve_conj().numpy()
    x = cr.tensor(a, requires_grad=True)
    np.sum(np.real(ct * f(x))).backward()
    np.testing.assert_allclose(x.grad.numpy(), _herm(want), atol=1e-10)
    if not (name == "cholesky" and complex_):
        np.testing.assert_allclose(x.grad.numpy(), want, atol=1e-10)


def test_non_hermitian_input_values_are_numpys_derivatives_are_hermitian():
    """At a non-Hermitian ``a`` the value is NumPy's (one triangle); the derivative is that of
    the Hermitian function: forward mode reads the Hermitian part of the tangent, and the
    gradient is Hermitian (so it is not the lower-triangular derivative of NumPy's
    one-triangle function)."""
    a = RNG.normal(size=(3, 3)) + np.diag([4.0, 8.0, 12.0])
    for uplo in ("L", "U"):
        w = np.linalg.eigvalsh(cr.tensor(a), UPLO=uplo).numpy()
        np.testing.assert_allclose(w, np.linalg.eigvalsh(a, UPLO=uplo), rtol=1e-14)
        w_other = np.linalg.eigvalsh(np.tril(a).T if uplo == "L" else np.triu(a).T,
                                     UPLO="U" if uplo == "L" else "L")
        np.testing.assert_allclose(w, w_other, rtol=1e-14)      # one triangle was read
        g = cr.grad(lambda x: np.linalg.eigvalsh(x, UPLO=uplo)[2])(a)
        np.testing.assert_allclose(g, g.T, atol=1e-12)
        t = RNG.normal(size=(3, 3))
        _, d1 = cr.jvp(lambda x: np.linalg.eigvalsh(x, UPLO=uplo), (a,), (t,))
        _, d2 = cr.jvp(lambda x: np.linalg.eigvalsh(x, UPLO=uplo), (a,), (_herm(t),))
        np.testing.assert_allclose(d1, d2, atol=1e-12)
        _, d3 = cr.jvp(lambda x: np.linalg.eigvalsh(x, UPLO=uplo), (a,), (t - t.T,))
        np.testing.assert_allclose(d3, 0.0, atol=1e-12)   # an anti-Hermitian tangent
    l_ = np.linalg.cholesky(cr.tensor(a)).numpy()
    np.testing.assert_array_equal(l_, np.linalg.cholesky(a))
    g = cr.grad(lambda x: np.sum(np.linalg.cholesky(x)))(a)
    np.testing.assert_allclose(g, g.T, atol=1e-12)
