"""The "Automatic Differentiation" chapter of Dive into Deep Learning, in its idioms."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd


def test_first_example_pytorch():
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    assert x.grad is None
    y = 2 * np.dot(x, x)
    assert float(y) == 28.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 4.0, 8.0, 12.0])
    assert bool((x.grad == 4 * x).all())


def test_first_example_mxnet():
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 4 * np.arange(4.0))


def test_sum_gradient_and_accumulation():
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    (2 * np.dot(x, x)).backward()
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(4))
    x.sum().backward()                      # PyTorch accumulates
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.ones(4))


def test_attach_grad_overwrites():
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()
    x.sum().backward()
    x.sum().backward()                      # MXNet's grad_req='write' overwrites
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(4))
    x.attach_grad(grad_req="add")
    x.sum().backward()
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.ones(4))


def test_backward_non_scalar_sums_and_gradient_argument():
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)           # MXNet/TensorFlow: the sum
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.arange(4.0))
    x.grad = None
    y.backward(gradient=np.ones(4))         # PyTorch: explicit vector
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.arange(4.0))
    x.grad = None
    y = x * x
    y.backward(gradient=cr.tensor([1.0, 0.0, 2.0, 0.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 8.0, 0.0])


def test_detach():
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), u.numpy())
    x.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy())


def test_attach_grad_on_computed_tensor():
    # d2l MXNet: u = x * x; u.attach_grad(); z = u * 5; z.backward(); u.grad == 5
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()
    with autograd.record():
        u = x * x
        u.attach_grad()
        z = u * 5
    z.backward()
    np.testing.assert_array_equal(u.grad.numpy(), 5 * np.ones(4))
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))   # u was detached


def test_record_pause_is_training():
    assert not autograd.is_training()
    with autograd.record():
        assert autograd.is_training()
        assert autograd.is_recording()
        with autograd.pause():
            assert not autograd.is_recording()
            assert not autograd.is_training()
    assert not autograd.is_training()
    x = cr.tensor(1.0, requires_grad=True)
    with autograd.pause():
        y = x * 2
    assert not y.requires_grad


def f_control(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_control_flow(shape, seed):
    a = cr.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)
    d = f_control(a)
    d.backward()
    np.testing.assert_allclose(a.grad.numpy(), (d / a).numpy())


def test_control_flow_transform_jacobian():
    a = np.array([0.3, -1.2, 0.7])
    jac = cr.jacobian(f_control)(a)
    ratio = f_control(cr.tensor(a)).numpy() / a
    np.testing.assert_allclose(jac, np.diag(ratio))


def test_higher_order_pytorch():
    x = cr.tensor(2.0, requires_grad=True)
    (dy,) = autograd.grad(x ** 3, x, create_graph=True)
    assert float(dy) == 12.0
    dy.backward()
    assert float(x.grad) == 12.0


def test_higher_order_jax():
    f = lambda x: x ** 3  # noqa: E731
    assert cr.grad(f)(2.0) == 12.0
    assert cr.grad(cr.grad(f))(2.0) == 12.0


def test_gradients_of_sin_for_plotting():
    x = np.linspace(-np.pi, np.pi, 9)
    np.testing.assert_allclose(cr.elementwise_grad(np.sin)(x), np.cos(x))
    t = cr.tensor(x, requires_grad=True)
    np.sin(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), np.cos(x))
