"""Dive into Deep Learning, "Automatic Differentiation", the JAX tab, on chainrule.

``jax.grad`` and friends are ``cr.grad`` and friends, ``jnp`` is plain NumPy, and
``jax.lax.stop_gradient`` is ``cr.stop_gradient``.  Functions in, functions out; results are
plain ndarrays.  Every result the chapter states is asserted.
"""
import numpy as np

import chainrule as cr


def simple_function():
    """y = 2 x.x; its gradient is 4x.  No buffers: each call returns a fresh gradient."""
    x = np.arange(4.0)
    y = lambda x: 2 * np.dot(x, x)                       # noqa: E731  2 * jnp.dot(x, x)
    assert y(x) == 28.0
    x_grad = cr.grad(y)(x)
    assert (x_grad == 4 * x).all()
    y = lambda x: x.sum()                                # noqa: E731
    assert (cr.grad(y)(x) == np.ones(4)).all()
    return x_grad


def non_scalar_backward():
    """grad needs a scalar function: sum the vector (or take a vjp with ones)."""
    x = np.arange(4.0)
    y = lambda x: x * x                                  # noqa: E731
    x_grad = cr.grad(lambda x: y(x).sum())(x)
    assert (x_grad == 2 * x).all()
    _, pull = cr.vjp(y, x)
    assert (pull(np.ones(4))[0] == x_grad).all()
    return x_grad


def detaching():
    """u = stop_gradient(y(x)) is a constant inside the differentiated function."""
    x = np.arange(4.0)
    y = lambda x: x * x                                  # noqa: E731
    u = cr.stop_gradient(y(x))
    z = lambda x: u * x                                  # noqa: E731
    assert (cr.grad(lambda x: z(x).sum())(x) == y(x)).all()
    inside = lambda x: (cr.stop_gradient(y(x)) * x).sum()   # noqa: E731  x is traced here
    assert (cr.grad(inside)(x) == y(x)).all()
    assert (cr.grad(lambda x: y(x).sum())(x) == 2 * x).all()
    return u


def tracking_off():
    """JAX records nothing outside a transform: calling f is plain evaluation, and an array
    is differentiated only with respect to the arguments named by argnums."""
    f = lambda a, b: np.sum(a * b)                       # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    assert isinstance(f(a, b), (float, np.floating, np.ndarray))
    assert (cr.grad(f)(a, b) == b).all()                 # argnums=0: b is a constant
    ga, gb = cr.grad(f, argnums=(0, 1))(a, b)
    assert (ga == b).all() and (gb == a).all()
    return ga, gb


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
    """Python control flow works under grad (no jit here): d f / d a == f(a) / a."""
    a = np.random.default_rng(seed).normal(size=())         # random.normal(key, ())
    d_grad = cr.grad(f)(a)
    assert d_grad == f(a) / a
    return d_grad


def higher_order():
    """grad of grad."""
    y = lambda x: x ** 3                                 # noqa: E731
    d1, d2 = cr.grad(y)(2.0), cr.grad(cr.grad(y))(2.0)
    assert d1 == 12.0 and d2 == 12.0
    assert cr.hessian(lambda x: np.sum(x ** 3))(np.array([2.0]))[0, 0] == 12.0
    return float(d1), float(d2)


def forward_vs_reverse():
    """jacfwd pushes one tangent per input (columns); jacrev pulls one cotangent per output
    (rows); both give the same Jacobian."""
    fun = lambda x: np.sin(x) * np.sum(x ** 2)           # noqa: E731
    x = np.array([0.5, -1.0, 2.0])
    jf, jr = cr.jacfwd(fun)(x), cr.jacrev(fun)(x)
    assert np.allclose(jf, jr)
    tangent = cr.jvp(fun, (x,), (np.array([1.0, 0.0, 0.0]),))[1]
    assert np.allclose(tangent, jf[:, 0])
    return jf


def main():
    print("simple function, x_grad =", simple_function())
    print("non-scalar function, x_grad =", non_scalar_backward())
    print("detaching, u =", detaching())
    print("tracking off (argnums), grads =", tracking_off())
    print("control flow, d_grad == f(a) / a:", control_flow())
    print("higher order, dy/dx and d2y/dx2 at 2:", higher_order())
    print("forward vs reverse mode, Jacobian:\n", forward_vs_reverse())


if __name__ == "__main__":
    main()
