"""Complex numbers (SPEC section 5): JAX's convention in the engine and transforms, PyTorch's
conjugate in the tensor API, complex checking; and the no-silent-detach rules (issue 10)."""
import numpy as np
import pytest

import chainrule as cr

Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 2.0 - 1.0j])


# ---------------------------------------------------------------- check_grads on complex input
def test_check_grads_perturbs_real_and_imaginary_parts():
    cr.check_grads(np.sin, Z)
    cr.check_grads(lambda z: np.real(z * np.conj(z)), Z)
    cr.check_grads(np.conj, Z.astype(np.complex64))


def _wrong_conj_rule():
    """|z|^2 with the rule written as if z were real (2 z instead of 2 conj z)."""
    @cr.primitive
    def abs2(z):
        return np.real(z * np.conj(z))
    cr.defvjp(abs2, lambda ans, z: lambda g: g * 2 * z)
    cr.defjvp(abs2, lambda t, ans, z: np.real(t * 2 * np.conj(z)))
    return abs2


def test_check_grads_catches_a_missing_conjugate():
    f = _wrong_conj_rule()
    cr.check_grads(f, Z, modes=("fwd",), order=1)          # the JVP is right
    with pytest.raises(AssertionError, match="reverse mode"):
        cr.check_grads(f, Z, modes=("rev",), order=1)


def test_check_grads_refuses_a_complex_tangent_of_a_real_output():
    @cr.primitive
    def re(z):
        return np.real(z)
    cr.defjvp(re, lambda t, ans, z: t)                   # should be np.real(t)
    with pytest.raises(AssertionError, match="tangent"):
        cr.check_grads(re, Z, modes=("fwd",), order=1)


# ---------------------------------------------------------------- the tensor API's convention
def test_tensor_api_reports_the_conjugate():
    # |z|^2 = real(z conj z): transforms give 2 conj(z) (JAX), .grad gives 2 z (PyTorch)
    f = lambda z: np.sum(np.real(z * np.conj(z)))           # noqa: E731
    np.testing.assert_allclose(cr.grad(f)(Z), 2 * np.conj(Z))
    z = cr.tensor(Z, requires_grad=True)
    f(z).backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * Z)
    z2 = cr.tensor(Z, requires_grad=True)
    (g,) = cr.autograd.grad(f(z2), z2)
    np.testing.assert_allclose(g.numpy(), 2 * Z)
    # gradient descent with .grad descends
    z3 = cr.tensor(Z, requires_grad=True)
    f(z3).backward()
    assert f(Z - 0.1 * z3.grad.numpy()) < f(Z)


def test_tensor_api_seeds_and_hooks_use_the_conjugate():
    # w = c z with w.grad = v (PyTorch): z.grad = conj(c) v, as torch gives
    c = 2.0 + 1.0j
    z = cr.tensor(np.array([1.0 + 2.0j]), requires_grad=True)
    seen = []
    z.register_hook(lambda g: seen.append(g.numpy().copy()))
    (z * c).backward(gradient=np.array([1.0 + 1.0j]))
    np.testing.assert_allclose(z.grad.numpy(), np.conj(c) * (1 + 1j))
    np.testing.assert_allclose(seen[0], np.conj(c) * (1 + 1j))
    z2 = cr.tensor(np.array([1.0 + 2.0j]), requires_grad=True)
    (g,) = cr.autograd.grad(z2 * c, z2, grad_outputs=np.array([1.0 + 1.0j]))
    np.testing.assert_allclose(g.numpy(), np.conj(c) * (1 + 1j))


def test_tensor_api_second_order_complex():
    z = cr.tensor(np.array([1.0 + 2.0j]), requires_grad=True)
    y = np.sum(np.real(z * np.conj(z)) ** 2)       # |z|^4, grad (PyTorch) 4 |z|^2 z
    (g,) = cr.autograd.grad(y, z, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 4 * 5 * np.array([1.0 + 2.0j]))
    np.real(g * np.conj(g)).sum().backward()
    # |g|^2 = 16 |z|^6: PyTorch's gradient 16 * 6 |z|^4 z = 2400 z at |z|^2 = 5
    np.testing.assert_allclose(z.grad.numpy(), 2400 * np.array([1.0 + 2.0j]))


# ---------------------------------------------------------------- complex var, std, real_if_close
@pytest.mark.parametrize("f", [np.var, np.std, lambda z: np.var(z, axis=0, ddof=1),
                               lambda z: np.nanstd(z, axis=-1)])
def test_complex_var_std(f):
    z = np.stack([Z, Z[::-1] * 1j])
    got = f(cr.tensor(z))
    assert got.dtype == f(z).dtype == np.float64
    np.testing.assert_allclose(got.numpy(), f(z))
    cr.check_grads(f, z)


def test_real_if_close():
    z = np.array([1 + 1e-16j, 2.0])
    out = np.real_if_close(cr.tensor(z))
    assert out.dtype == np.float64
    np.testing.assert_allclose(cr.grad(lambda z: np.sum(np.real_if_close(z) ** 2))(z), 2 * z)
    far = np.array([1 + 1j])
    assert np.real_if_close(cr.tensor(far)).dtype == np.complex128
    np.testing.assert_allclose(
        cr.grad(lambda z: np.sum(np.real(1j * np.real_if_close(z))))(far), [1j])


# ---------------------------------------------------------------- no silent detach
def test_tensor_of_a_traced_tensor_keeps_the_gradient():
    # issue 10: cr.grad(lambda x: cr.tensor(x) * 2)(3.0) gave 0.0
    assert cr.grad(lambda x: cr.tensor(x) * 2)(3.0) == 2.0
    assert cr.grad(lambda x: cr.tensor(x, dtype=np.float32) * 2)(3.0) == 2.0
    t = cr.tensor(2.0, requires_grad=True)
    u = cr.tensor(t)
    (u * u).backward()
    assert float(t.grad) == 4.0
    assert cr.tensor(cr.tensor(1.0)).requires_grad is False       # constants stay constants
    np.testing.assert_allclose(cr.jvp(lambda x: cr.tensor(x) ** 2, (3.0,), (1.0,))[1], 6.0)


@pytest.mark.parametrize("f", [lambda x: np.allclose(x, x), lambda x: np.sum(x > 0),
                               lambda x: x > 1, lambda x: 3])
def test_grad_of_bool_or_integer_output_is_a_type_error(f):
    with pytest.raises(TypeError, match="floating point"):
        cr.grad(f)(2.0)
    with pytest.raises(TypeError, match="floating point"):
        cr.value_and_grad(f)(2.0)


def test_grad_of_a_float_constant_is_zero():
    assert cr.grad(lambda x: 3.0)(1.0) == 0.0


# ---------------------------------------------------------------- the regressions
def test_abs_of_complex_follows_jax():
    # issue 10: cr.grad(np.abs)(1+2j) gave 0.447+0.894j; JAX gives 0.447-0.894j
    g = cr.grad(np.abs)(np.array(1 + 2j))
    np.testing.assert_allclose(g, 0.4472135954999579 - 0.8944271909999159j)
    # and the JVP of a real output is real: Re(conj(z) t) / |z| = (1 + 1) / sqrt(5)
    _, t = cr.jvp(np.abs, (np.array(1 + 2j),), (np.array(1 + 0.5j),))
    assert not np.iscomplexobj(t)
    np.testing.assert_allclose(t, 0.8944271909999159)
    assert cr.grad(np.abs)(np.array(0j)) == 0


def test_abs_squared_agrees_with_z_conj_z():
    # issue 10: d/dz sum(abs(z)**2) was 2z while d/dz sum(real(z*conj(z))) was 2 conj(z)
    a = cr.grad(lambda z: np.sum(np.abs(z) ** 2))(Z)
    b = cr.grad(lambda z: np.sum(np.real(z * np.conj(z))))(Z)
    np.testing.assert_allclose(a, 2 * np.conj(Z))
    np.testing.assert_allclose(b, 2 * np.conj(Z))


@pytest.mark.parametrize("f, df", [(np.arcsinh, lambda z: 1 / np.sqrt(1 + z * z)),
                                   (np.arctan, lambda z: 1 / (1 + z * z))])
def test_arcsinh_arctan_of_complex(f, df):
    # issue 10: both crashed inside their rules (np.hypot of complex)
    z = np.array(1 + 2j)
    _, pull = cr.vjp(f, z)
    np.testing.assert_allclose(pull(np.array(1.0 + 0j))[0], df(z))
    cr.check_grads(f, Z * 0.3)
    # JAX's numbers for grad(real(f)) at 1+2j
    want = {np.arcsinh: 0.24860289393928922 - 0.4022479320953552j,
            np.arctan: -0.1 - 0.2j}[f]
    np.testing.assert_allclose(cr.grad(lambda z: np.real(f(z)))(z), want)


def test_sign_of_complex_is_z_over_abs_z():
    cr.check_grads(np.sign, Z)
    np.testing.assert_allclose(cr.grad(lambda z: np.real(np.sign(z)))(np.array(3 + 4j)),
                               (1 / 5 - 9 / 125) + (12 / 125) * 1j)


def test_real_parts_of_mixed_cotangents():
    # a real intermediate that meets a complex cotangent passes on its real part
    x, y = np.array([0.3, -0.7]), np.array([0.2 + 0.5j, 1 - 1j])
    cr.check_grads(lambda x, y: x * y, x, y)
    cr.check_grads(lambda y: np.abs(y) * (1 + 2j), y)
    cr.check_grads(lambda y: np.real(y) * (1 + 2j) + np.imag(y) * 1j, y)
    cr.check_grads(lambda y: np.real(y).astype(np.float64) * 1j, y)
