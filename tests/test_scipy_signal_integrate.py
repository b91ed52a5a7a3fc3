"""chainrule.scipy.signal.convolve and chainrule.scipy.integrate.odeint on tensors."""
import numpy as np
import pytest

import chainrule as cr

pytest.importorskip("scipy")
import scipy.integrate  # noqa: E402
import scipy.signal  # noqa: E402
from chainrule.scipy.integrate import odeint  # noqa: E402
from chainrule.scipy.signal import convolve  # noqa: E402

RNG = np.random.default_rng(3)
R = RNG.standard_normal


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("shapes", [((4,), (2,)), ((3,), (5,)), ((4, 3), (2, 2)),
                                    ((3, 5), (4, 2)), ((1,), (1,))])
def test_convolve_matches_scipy_and_differentiates(mode, shapes):
    a, b = R(shapes[0]), R(shapes[1])
    try:
        ref = scipy.signal.convolve(a, b, mode)
    except ValueError:
        with pytest.raises(ValueError, match="at least as large"):
            convolve(cr.tensor(a), b, mode)
        return
    np.testing.assert_allclose(convolve(cr.tensor(a), cr.tensor(b), mode).data, ref,
                               atol=1e-12)
    cr.check_grads(lambda a, b: convolve(a, b, mode), a, b)


def test_convolve_complex_and_scalars():
    a, b = R(4) + 1j * R(4), R(3) + 1j * R(3)
    np.testing.assert_allclose(convolve(cr.tensor(a), b).data, scipy.signal.convolve(a, b))
    cr.check_grads(convolve, a, b)
    assert float(convolve(cr.tensor(2.0), np.array(3.0))) == 6.0


def test_convolve_axes_and_dot_axes():
    a, b = R((3, 5)), R((3, 4, 2))
    # convolve a's axis 1 with b's axis 2, summing a's axis 0 against b's axis 0
    got = convolve(cr.tensor(a), b, axes=([1], [2]), dot_axes=([0], [0]), mode="full")
    ref = sum(scipy.signal.convolve(a[i], b[i, 2]) for i in range(3))
    np.testing.assert_allclose(got.data[2], ref)
    ignore = convolve(cr.tensor(a), R((3, 4)), axes=([1], [0]))   # outer product elsewhere
    assert ignore.shape == (3, 4, 7)       # in1's other axes, in2's, then the convolved
    cr.check_grads(lambda a, b: convolve(a, b, axes=([1], [2]), dot_axes=([0], [0]),
                                         mode="same"), a, b)
    with pytest.raises(ValueError, match="same dimensionality"):
        convolve(cr.tensor(a), b)
    with pytest.raises(ValueError, match="mode"):
        convolve(cr.tensor(a), a, mode="circular")


def test_convolve_without_tensors_is_scipys():
    a, b = R(5), R(3)
    assert np.array_equal(convolve(a, b, "same"), scipy.signal.convolve(a, b, "same"))


def _system(y, t, k, c):
    return -k * y + c * np.sin(t) - 0.1 * y ** 2


def test_odeint_values_and_gradients_in_y0_t_and_args():
    y0, t, k, c = R(3), np.linspace(0.0, 1.0, 4), np.abs(R(3)) + 0.5, 0.7
    ref = scipy.integrate.odeint(_system, y0, t, args=(k, c))
    np.testing.assert_allclose(odeint(_system, cr.tensor(y0), t, args=(k, c)).data, ref)
    f = lambda y0, t, k: odeint(_system, y0, t, args=(k, c))
    cr.check_grads(f, y0, t, k, modes=("rev",), order=2)
    cr.check_grads(f, y0, t, k, modes=("fwd",), order=2)


def test_odeint_gradient_against_the_closed_form():
    # y' = -k y: y(t) = y0 exp(-k (t - t0)); d y(t1)/dk = -(t1 - t0) y(t1), d/dt0 = k y(t1)
    f = lambda y0, t, k: odeint(lambda y, s, k: -k * y, y0, t, args=(k,), rtol=1e-11,
                                atol=1e-11)[-1, 0]
    y0, t, k = np.array([2.0]), np.array([0.5, 1.5]), 0.8
    g_y0, g_t, g_k = cr.grad(f, argnums=(0, 1, 2))(y0, t, k)
    y1 = 2.0 * np.exp(-0.8)
    np.testing.assert_allclose([g_y0[0], g_t[0], g_t[1], g_k],
                               [np.exp(-0.8), 0.8 * y1, -0.8 * y1, -1.0 * y1], rtol=1e-8)
    tan = cr.jvp(lambda k: f(y0, t, k), (k,), (1.0,))[1]
    np.testing.assert_allclose(tan, -y1, rtol=1e-8)


def test_odeint_tfirst_and_errors():
    y0, t = np.ones(2), np.linspace(0, 1, 3)
    a = odeint(lambda t, y: -y, cr.tensor(y0), t, tfirst=True)
    np.testing.assert_allclose(a.data[-1], np.exp(-1.0), rtol=1e-6)
    with pytest.raises(TypeError, match="real"):
        odeint(lambda y, t: -y, cr.tensor(y0 + 0j), t)
    with pytest.raises(TypeError, match="Dfun"):
        odeint(lambda y, t: -y, cr.tensor(y0), t, Dfun=lambda y, t: -np.eye(2))
    assert type(odeint(lambda y, t: -y, y0, t)) is np.ndarray


def test_compiled_scipy_functions():
    from chainrule.scipy.linalg import solve_sylvester, sqrtm
    a, b = R((3, 3)), R((3, 3))
    for fn, x in ((lambda a: np.sum(solve_sylvester(a, b, b) ** 2), a),
                  (lambda a: np.sum(sqrtm(a) ** 2), a @ a.T + np.eye(3)),
                  (lambda a: np.sum(convolve(a, b, mode="same") ** 2), a)):
        f = cr.compile(cr.grad(fn))
        for y in (x, 1.1 * x):          # the second call replays the program
            np.testing.assert_allclose(f(y), cr.grad(fn)(y))
    g = cr.compile(cr.grad(lambda k: np.sum(odeint(lambda y, t, k: -k * y, np.ones(2),
                                                   np.linspace(0, 1, 3), args=(k,)))))
    with pytest.raises(TypeError, match="cr.compile"):
        g(0.5)
