"""Dive into Deep Learning, "Automatic Differentiation", the MXNet tab, on chainrule.

``from mxnet import autograd, np`` becomes ``from chainrule import autograd`` with plain
NumPy; ``np.arange(4.0)`` becomes ``cr.tensor(np.arange(4.0))``.  ``attach_grad``,
``autograd.record()``, ``backward`` on a vector (it sums) and ``autograd.pause()`` behave as in
MXNet.  Every result the chapter states is asserted.
"""
import numpy as np

import chainrule as cr
from chainrule import autograd


def simple_function():
    """y = 2 x.x; its gradient is 4x.  A new backward overwrites x.grad (grad_req='write')."""
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()                                      # x.grad: zeros, overwritten
    assert (x.grad == np.zeros(4)).all()
    with autograd.record():
        assert autograd.is_recording()
        y = 2 * np.dot(x, x)
    assert not autograd.is_recording()
    assert y.item() == 28.0
    y.backward()
    assert (x.grad == 4 * x).all()
    with autograd.record():
        y = x.sum()
    y.backward()                                         # no zeroing needed: overwritten
    assert (x.grad == np.ones(4)).all()
    return x.grad


def non_scalar_backward():
    """backward() on a vector differentiates its sum."""
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    assert (x.grad == 2 * x).all()
    return x.grad


def detaching():
    """u = y.detach() is a constant: z = u * x has the gradient u."""
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    assert (x.grad == u).all()
    y.backward()
    assert (x.grad == 2 * x).all()
    return u


def tracking_off():
    """Inside autograd.pause() nothing is recorded: where parameter updates go."""
    x = cr.tensor(np.arange(4.0))
    x.attach_grad()
    with autograd.record():
        with autograd.pause():
            assert not autograd.is_recording()
            y = 2 * x
        loss = (x * x).sum()
    assert not y.requires_grad
    loss.backward()
    with autograd.pause():                               # SGD: x[:] = x - lr * x.grad
        x[:] = x - 0.1 * x.grad
    assert np.allclose(x.numpy(), 0.8 * np.arange(4.0))
    return y


def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow(seed=0):
    """f is piecewise linear in a, so its derivative is d / a."""
    a = cr.tensor(np.random.default_rng(seed).normal())
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    assert a.grad == d / a
    return a.grad


def higher_order():
    """autograd.grad(..., create_graph=True) gives a derivative that can be differentiated."""
    x = cr.tensor(2.0)
    x.attach_grad()
    with autograd.record():
        y = x ** 3
        (dy,) = autograd.grad(y, [x], create_graph=True, retain_graph=True)
    assert dy.item() == 12.0
    dy.backward()
    assert x.grad.item() == 12.0
    return dy.item(), x.grad.item()


def forward_vs_reverse():
    """MXNet has reverse mode only; chainrule adds forward mode (cr.jvp) on the same engine.
    One forward pass gives a column of the Jacobian, one backward pass a row."""
    fun = lambda x: np.sin(x) * np.sum(x ** 2)           # noqa: E731
    x = np.array([0.5, -1.0, 2.0])
    cols = [cr.jvp(fun, (x,), (e,))[1] for e in np.eye(3)]
    rows = []
    for e in np.eye(3):
        xt = cr.tensor(x)
        xt.attach_grad()
        with autograd.record():
            y = fun(xt)
        y.backward(e)                                    # head gradient: row e of the Jacobian
        rows.append(xt.grad.numpy())
    jac_fwd, jac_rev = np.stack(cols, axis=1), np.stack(rows)
    assert np.allclose(jac_fwd, jac_rev)
    return jac_rev


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
