"""A SciPy function as a chainrule primitive: ``scipy.special.expit`` (the logistic
sigmoid) with its derivative ``s (1 - s)`` given as rules, then used in a logistic
regression and checked against finite differences to second order.

    python examples/custom_scipy_primitive.py
"""
import numpy as np
from scipy.special import expit as _expit

import chainrule as cr


@cr.primitive
def expit(x):
    """The logistic sigmoid; its body runs on plain arrays."""
    return _expit(x)


# d expit = s (1 - s): written with NumPy calls on ``ans``, so it is differentiable in turn
cr.defvjp(expit, lambda ans, x: lambda g: g * ans * (1 - ans))
cr.defjvp(expit, lambda t, ans, x: t * ans * (1 - ans))


def nll(w, X, y):
    """Negative log-likelihood of logistic regression."""
    p = expit(X @ w)
    return -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))


def main(n=200, iters=100, seed=0):
    """Fit by gradient descent; return ``(w, losses)``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + rng.normal(0, 0.5, n) > 0).astype(float)
    cr.check_grads(expit, np.linspace(-3, 3, 7), order=2)
    cr.check_grads(lambda w: nll(w, X, y), np.zeros(3), order=2)
    w = np.zeros(3)
    opt = cr.optim.SGD(lr=0.5 / n)
    state = opt.init(w)
    losses = []
    for it in range(iters):
        value, g = cr.value_and_grad(nll)(w, X, y)
        losses.append(float(value))
        w, state = opt.update(g, state, w)
        if it % 20 == 0:
            print(f"step {it:3d}  loss {value:.4f}")
    print(f"fitted w = {w}")
    return w, losses


if __name__ == "__main__":
    main()
