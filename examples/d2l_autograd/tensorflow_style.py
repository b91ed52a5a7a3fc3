"""Dive into Deep Learning, "Automatic Differentiation", the TensorFlow tab, on chainrule.

``tf.Variable`` and ``tf.GradientTape`` are ``cr.Variable`` and ``cr.GradientTape``;
``tf.tensordot(x, x, axes=1)`` is ``np.dot(x, x)``, ``tf.reduce_sum`` is ``np.sum``.  Every
result the chapter states is asserted.
"""
import numpy as np

import chainrule as cr


def simple_function():
    """y = 2 x.x; its gradient is 4x.  A new tape for each gradient (tapes answer once)."""
    x = cr.Variable(np.arange(4.0))                      # tf.Variable(tf.range(4, dtype=float))
    with cr.GradientTape() as t:
        y = 2 * np.dot(x, x)                             # 2 * tf.tensordot(x, x, axes=1)
    assert y.item() == 28.0
    x_grad = t.gradient(y, x)
    assert (x_grad == 4 * x).all()
    with cr.GradientTape() as t:
        y = np.sum(x)                                    # tf.reduce_sum(x)
    assert (t.gradient(y, x) == np.ones(4)).all()
    return x_grad


def non_scalar_backward():
    """The gradient of a vector target is the gradient of its sum."""
    x = cr.Variable(np.arange(4.0))
    with cr.GradientTape() as t:
        y = x * x
    x_grad = t.gradient(y, x)                            # same as y = tf.reduce_sum(x * x)
    assert (x_grad == 2 * x).all()
    return x_grad


def detaching():
    """u = tf.stop_gradient(y) is a constant; a persistent tape answers twice."""
    x = cr.Variable(np.arange(4.0))
    with cr.GradientTape(persistent=True) as t:
        y = x * x
        u = cr.stop_gradient(y)
        z = u * x
    x_grad = t.gradient(z, x)
    assert (x_grad == u).all()
    assert (t.gradient(y, x) == 2 * x).all()
    return u


def tracking_off():
    """What is computed inside tape.stop_recording() is a constant to the tape; a plain
    tensor (tf.constant) is one unless watched."""
    x, c = cr.Variable(2.0), cr.tensor(3.0)
    with cr.GradientTape() as t:
        with t.stop_recording():
            y = x * x
        z = x * c + y
    assert t.gradient(z, x) == 3.0
    with cr.GradientTape(persistent=True) as t:
        w = c * c
    assert t.gradient(w, c) is None
    assert t.gradient(w, c, unconnected_gradients="zero") == 0.0
    with cr.GradientTape() as t:
        t.watch(c)
        w = c * c
    assert t.gradient(w, c) == 6.0
    return z


def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:                      # tf.norm(b) < 1000
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow(seed=0):
    """f is piecewise linear in a, so its derivative is d / a."""
    a = cr.Variable(np.random.default_rng(seed).normal())
    with cr.GradientTape() as t:
        d = f(a)
    d_grad = t.gradient(d, a)
    assert d_grad == d / a
    return d_grad


def higher_order():
    """Nested tapes: the inner gradient is recorded by the outer tape."""
    x = cr.Variable(2.0)
    with cr.GradientTape() as t2:
        with cr.GradientTape() as t1:
            y = x ** 3
        dy_dx = t1.gradient(y, x)
    d2y_dx2 = t2.gradient(dy_dx, x)
    assert dy_dx.item() == 12.0 and d2y_dx2.item() == 12.0
    return dy_dx.item(), d2y_dx2.item()


def forward_vs_reverse():
    """tape.jacobian is reverse mode, one backward pass per output element (a row each);
    forward mode (tf.autodiff.ForwardAccumulator there, cr.jvp here) gives a column per pass."""
    fun = lambda x: np.sin(x) * np.sum(x ** 2)           # noqa: E731
    x0 = np.array([0.5, -1.0, 2.0])
    x = cr.Variable(x0)
    with cr.GradientTape() as t:
        y = fun(x)
    jac_rev = t.jacobian(y, x).numpy()
    jac_fwd = np.stack([cr.jvp(fun, (x0,), (e,))[1] for e in np.eye(3)], axis=1)
    assert np.allclose(jac_fwd, jac_rev)
    return jac_rev


def main():
    print("simple function, x_grad =", simple_function())
    print("non-scalar target, x_grad =", non_scalar_backward())
    print("detaching, u =", detaching())
    print("tracking off, z =", tracking_off())
    print("control flow, d_grad == d / a:", control_flow())
    print("higher order, dy/dx and d2y/dx2 at 2:", higher_order())
    print("forward vs reverse mode, Jacobian:\n", forward_vs_reverse())


if __name__ == "__main__":
    main()
