"""A differentiable ODE solve: classical Runge-Kutta (RK4) written in plain NumPy, and the
gradient of a fit loss with respect to the ODE's parameters, checked against central
finite differences; then a few gradient-descent steps fit the parameters to data.

The model is a damped oscillator ``x'' = -k x - c x'`` as a first-order system.

    python examples/ode_rk4.py [--steps 200]
"""
import argparse

import numpy as np

import chainrule as cr


def oscillator(state, t, theta):
    k, c = theta[0], theta[1]
    x, v = state[0], state[1]
    return np.stack([v, -k * x - c * v])


def rk4(f, y0, ts, theta):
    """Integrate ``y' = f(y, t, theta)`` over the times ``ts``; every step is NumPy, so
    chainrule differentiates through the whole solve."""
    ys = [y0]
    y = y0
    for t0, t1 in zip(ts[:-1], ts[1:]):
        h = t1 - t0
        k1 = f(y, t0, theta)
        k2 = f(y + h / 2 * k1, t0 + h / 2, theta)
        k3 = f(y + h / 2 * k2, t0 + h / 2, theta)
        k4 = f(y + h * k3, t1, theta)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return np.stack(ys)


def loss(theta, ts, observed):
    """Mean squared error between the solved positions and the observations."""
    xs = rk4(oscillator, np.array([1.0, 0.0]), ts, theta)[:, 0]
    return np.mean((xs - observed) ** 2)


def finite_difference(f, theta, eps=1e-6):
    g = np.zeros_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = eps
        g[i] = (f(theta + e) - f(theta - e)) / (2 * eps)
    return g


def main(steps=200, t_end=10.0, fit_iters=60, seed=0):
    """Return ``(gradient, finite_difference_gradient, fitted_theta, losses)``."""
    ts = np.linspace(0.0, t_end, steps + 1)
    true_theta = np.array([2.0, 0.3])
    rng = np.random.default_rng(seed)
    observed = rk4(oscillator, np.array([1.0, 0.0]), ts, true_theta)[:, 0]
    observed = observed + rng.normal(0, 0.01, observed.shape)
    theta = np.array([1.6, 0.5])
    f = lambda th: loss(th, ts, observed)
    g = cr.grad(f)(theta)
    g_fd = finite_difference(f, theta)
    print(f"gradient by chainrule       {g}")
    print(f"gradient, finite difference {g_fd}")
    opt = cr.optim.Adam(lr=0.05)
    state = opt.init(theta)
    losses = []
    for it in range(fit_iters):
        value, grad = cr.value_and_grad(f)(theta)
        losses.append(float(value))
        theta, state = opt.update(grad, state, theta)
        if it % 10 == 0 or it == fit_iters - 1:
            print(f"fit step {it:3d}  loss {value:.5f}  theta {theta}")
    return g, g_fd, theta, losses


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    main(steps=ap.parse_args().steps)
