"""The snippets that trip learners in the four frameworks work here as they read (issue 14)."""
import numpy as np

import chainrule as cr
from chainrule import autograd


def test_sin_with_requires_grad_gives_cos():
    x = cr.tensor(np.linspace(-np.pi, np.pi, 9), requires_grad=True)
    y = np.sin(x)
    y.backward()                                 # a vector: its sum, as MXNet and TF do
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.numpy()))


def test_sin_under_a_tape_gives_cos():
    x = cr.tensor(np.linspace(-np.pi, np.pi, 9))
    with cr.GradientTape() as tape:
        tape.watch(x)
        y = np.sin(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.cos(x.numpy()))
    v = cr.Variable(np.linspace(-1, 1, 5))
    with cr.GradientTape() as tape:
        y = np.sin(v)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), np.cos(v.numpy()))


def test_sin_with_attach_grad_gives_cos():
    x = cr.tensor(np.linspace(-2, 2, 5))
    x.attach_grad()
    with autograd.record():
        y = np.sin(x)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.numpy()))


def test_backward_of_each_element_accumulates():
    n = 4
    x = cr.tensor(np.arange(1.0, n + 1), requires_grad=True)
    y = x ** 2 + np.sum(x)                      # every y[i] depends on every x[j]
    for i in range(n):
        y[i].backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + n)
    # the same as one backward of the sum
    x2 = cr.tensor(np.arange(1.0, n + 1), requires_grad=True)
    (x2 ** 2 + np.sum(x2)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy())


def test_rows_of_a_jacobian_by_backward_of_each_element():
    # the same loop, zeroing between rows, gives the Jacobian row by row
    x = cr.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    y = np.exp(x) * x.sum()
    rows = []
    for i in range(3):
        x.grad = None
        y[i].backward(retain_graph=True)
        rows.append(x.grad.numpy())
    np.testing.assert_allclose(np.stack(rows), cr.jacobian(lambda v: np.exp(v) * v.sum())(
        x.numpy()))


def test_assign_inside_a_tape_is_recorded():
    v = cr.Variable(2.0)
    with cr.GradientTape() as tape:
        v.assign(v * 3)                          # no in-place error on a leaf in a tape
        y = v ** 2
    assert float(v) == 6.0
    assert float(tape.gradient(y, v)) == 12.0    # at the assigned value, as TensorFlow
    assert tape.watched_variables() == (v,)
