"""Typed user code: ``mypy --strict examples/typed_usage.py`` passes (CI checks it), so the
public API's annotations are complete enough for strictly typed programs.  It also runs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import chainrule as cr
from chainrule.optim import SGD, Adam, OptState
from chainrule.pytree import tree_map


def tensor_style() -> float:
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y: cr.Tensor = (2 * x * x).sum()
    y.backward()
    g = x.grad
    assert g is not None
    with cr.no_grad():
        z = x * 3.0 + 1.0
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = ((w - 1.0) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(g.sum()) + float(z.sum()) + float(w.numpy().sum())


def f(x: npt.NDArray[np.float64], scale: float) -> np.float64:
    return np.sum(np.sin(x) * scale)


def transforms() -> npt.NDArray[np.float64]:
    x = np.linspace(0.0, 1.0, 3)
    df = cr.grad(f)
    g = df(x, 2.0)                              # parameters of f kept (ParamSpec)
    value, g2 = cr.value_and_grad(f)(x, 2.0)
    h = cr.hessian(lambda v: np.sum(v ** 3))(x)
    out, tangent = cr.jvp(np.sin, (x,), (np.ones(3),))
    y, pullback = cr.vjp(np.tanh, x)
    (ct,) = pullback(np.ones(3))
    j = cr.jacobian(lambda v: np.tanh(v))(x)
    hv = cr.hvp(lambda v: np.sum(v ** 4), x, np.ones(3))
    return np.asarray(g + g2 + np.diag(h) + tangent + ct + np.diag(j) + hv + value + out + y)


@dataclass
class Params:
    w: npt.NDArray[np.float64]
    b: float


def functional_training() -> Params:
    data = np.linspace(-1.0, 1.0, 8)
    target = 3.0 * data + 0.5

    def loss(p: Params) -> Any:                 # a tensor while differentiated
        return np.mean((p.w[0] * data + p.b - target) ** 2)

    params = Params(np.zeros(1), 0.0)
    opt = Adam(lr=0.1)
    state: OptState = opt.init(params)
    for _ in range(200):
        grads = cr.grad(loss)(params)
        params, state = opt.update(grads, state, params)
    halved = tree_map(lambda a: a / 2, params)
    assert isinstance(halved, Params)
    return params


if __name__ == "__main__":
    print(tensor_style(), transforms(), functional_training())
