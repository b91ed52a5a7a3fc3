"""Dive into Deep Learning, "Automatic Differentiation", the PyTorch tab, on chainrule.

Only the imports change: ``torch.arange(4.0)`` is ``cr.tensor(np.arange(4.0))`` and
``torch.dot`` is ``np.dot`` (NumPy functions take tensors and give tensors).  Run it:
``python examples/d2l_autograd/pytorch_style.py``; every result the chapter states is asserted.
"""
import numpy as np

import chainrule as cr
from chainrule import autograd


def simple_function():
    """y = 2 x.x; its gradient is 4x.  Then the gradient of x.sum(), after zeroing .grad."""
    x = cr.tensor(np.arange(4.0), requires_grad=True)   # torch.arange(4.0, requires_grad=True)
    assert x.grad is None                                # PyTorch: None until a backward
    y = 2 * np.dot(x, x)                                 # 2 * torch.dot(x, x)
    assert y.item() == 28.0
    y.backward()
    assert (x.grad == 4 * x).all()
    x.grad.zero_()                                       # PyTorch accumulates: reset first
    y = x.sum()
    y.backward()
    assert (x.grad == np.ones(4)).all()
    return x.grad


def non_scalar_backward():
    """y = x * x is a vector: backward needs the vector to multiply by (or sum y first)."""
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y = x * x
    y.backward(gradient=np.ones(len(y)))                 # y.backward(gradient=torch.ones(len(y)))
    assert (x.grad == 2 * x).all()
    x.grad.zero_()
    (x * x).sum().backward()                             # the same: y.sum().backward()
    assert (x.grad == 2 * x).all()
    return x.grad


def detaching():
    """u = y.detach() is a constant: z = u * x has the gradient u, not 3 x**2."""
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    assert (x.grad == u).all()
    x.grad.zero_()
    y.sum().backward()                                   # y itself still has its graph
    assert (x.grad == 2 * x).all()
    return u


def tracking_off():
    """Inside torch.no_grad() nothing is recorded (parameter updates go there)."""
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    with cr.no_grad():                                   # with torch.no_grad():
        y = 2 * x
    assert not y.requires_grad
    (x * x).sum().backward()
    with cr.no_grad():                                   # an SGD step, as in PyTorch
        x -= 0.1 * x.grad
    assert np.allclose(x.detach().numpy(), 0.8 * np.arange(4.0))
    assert x.requires_grad and x.is_leaf
    return y


def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:                      # b.norm() < 1000
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow(seed=0):
    """f is piecewise linear in a, so its derivative is d / a."""
    a = cr.tensor(np.random.default_rng(seed).standard_normal(), requires_grad=True)
    d = f(a)
    d.backward()
    assert a.grad == d / a
    return a.grad


def higher_order():
    """torch.autograd.grad(..., create_graph=True) differentiates a derivative again."""
    x = cr.tensor(2.0, requires_grad=True)
    y = x ** 3
    (dy,) = autograd.grad(y, x, create_graph=True)       # torch.autograd.grad
    assert dy.item() == 12.0                             # 3 x**2 at 2
    dy.backward()
    assert x.grad.item() == 12.0                         # 6 x at 2
    return dy.item(), x.grad.item()


def forward_vs_reverse():
    """torch.func.jvp / vjp: forward mode pushes a tangent from the input, reverse mode pulls
    a cotangent from the output; both give the same Jacobian, one column or row at a time."""
    fun = lambda x: np.sin(x) * np.sum(x ** 2)           # noqa: E731  R^3 -> R^3
    x = np.array([0.5, -1.0, 2.0])
    cols = [cr.jvp(fun, (x,), (e,))[1] for e in np.eye(3)]      # forward: one column each
    _, pull = cr.vjp(fun, x)
    rows = [pull(e)[0] for e in np.eye(3)]                       # reverse: one row each
    jac_fwd, jac_rev = np.stack(cols, axis=1), np.stack(rows)
    assert np.allclose(jac_fwd, jac_rev)
    assert np.allclose(jac_fwd, cr.jacobian(fun)(x))
    return jac_fwd


def main():
    print("simple function, x.grad =", simple_function())
    print("non-scalar backward, x.grad =", non_scalar_backward())
    print("detaching, u =", detaching())
    print("tracking off, y =", tracking_off())
    print("control flow, a.grad == d / a:", control_flow())
    print("higher order, dy/dx and d2y/dx2 at 2:", higher_order())
    print("forward vs reverse mode, Jacobian:\n", forward_vs_reverse())


if __name__ == "__main__":
    main()
