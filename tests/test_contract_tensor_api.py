"""Contract battery for SPEC §1 (tensor API): recording switches, MXNet's scopes, buffers,
and operators checked against PyTorch on the same program."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd


def test_no_grad_and_enable_grad_work_as_bare_decorators():
    x = cr.tensor(1.0, requires_grad=True)

    @cr.no_grad
    def off(a):
        return a * 2

    @cr.enable_grad
    def on(a):
        return a * 2

    assert not off(x).requires_grad
    with cr.no_grad():
        assert on(x).requires_grad
    assert off.__name__ == "off" and cr.is_grad_enabled()


def test_decorators_with_parentheses_and_set_grad_enabled():
    x = cr.tensor(1.0, requires_grad=True)

    @cr.no_grad()
    def off(a):
        return a * 2

    @cr.set_grad_enabled(False)
    def off2(a):
        return a * 2

    assert cr.is_grad_enabled()          # decorating changes nothing
    assert not off(x).requires_grad and not off2(x).requires_grad
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_is_recording_is_true_only_inside_record():
    x = cr.tensor(1.0, requires_grad=True)
    assert not autograd.is_recording() and not autograd.is_training()
    assert (x * 2).requires_grad          # the tensor API records regardless
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            assert not (x * 2).requires_grad
        assert autograd.is_recording()
    assert not autograd.is_recording()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    with autograd.pause(train_mode=True):
        assert autograd.is_training() and not autograd.is_recording()


def test_second_backward_through_nodes_that_saved_nothing_is_allowed_as_in_pytorch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()            # add and sum save no arrays
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    z = (x * x).sum()            # mul saved x: freed by the first backward
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.backward()
    w = np.exp(x)
    (w + 2).sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (w + 5).sum().backward()  # through exp again: it saved its output


def test_requires_grad_flags_follow_pytorch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad_() is y and y.requires_grad and not y.is_leaf
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)
    for make in (lambda: cr.tensor([1, 2], requires_grad=True),
                 lambda: cr.tensor([1, 2]).requires_grad_(),
                 lambda: cr.tensor([1, 2]).attach_grad()):
        with pytest.raises(RuntimeError, match="float"):     # PyTorch's class
            make()
        with pytest.raises(ValueError, match="float"):       # and NumPy's
            make()


def test_mxnet_parameter_update_outside_record_and_torch_update_under_no_grad():
    w = cr.tensor([1.0, 2.0])
    w.attach_grad()
    for _ in range(2):                       # d2l's MXNet sgd: param[:] = param - lr * grad
        with autograd.record():
            loss = ((w * 3) ** 2).sum()
        loss.backward()
        w[:] = w - 0.01 * w.grad
    np.testing.assert_allclose(w.numpy(), [0.6724, 1.3448])
    w -= 0.0                                  # in-place operators too
    assert w.is_leaf and w.requires_grad
    with autograd.record():
        with pytest.raises(RuntimeError, match="no_grad"):
            w[:] = w * 2                      # inside record() it would lose the gradient
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        p -= 1.0                              # PyTorch: a leaf needs no_grad to change
    ((p * 3) ** 2).sum().backward()
    with cr.no_grad():
        p -= 0.01 * p.grad
    p.grad.zero_()
    np.testing.assert_allclose(p.numpy(), [0.82, 1.64])
    assert p.is_leaf and p.requires_grad and np.all(p.grad.numpy() == 0)


def test_assigning_grad_checks_the_shape_and_gives_a_tensor():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = cr.tensor([1.0, 2.0, 3.0])
    x.grad = np.array([10.0, 10.0])
    assert isinstance(x.grad, cr.Tensor)
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 12.0])
    x.grad = None
    assert x.grad is None


def test_clip_with_a_nan_bound_is_nan_as_numpy():
    for a, lo, hi in [(0.0, np.nan, None), (np.nan, 0.0, 1.0), (0.5, 0.0, np.nan)]:
        got = np.clip(cr.tensor(np.array(a)), lo, hi)
        np.testing.assert_equal(got.numpy(), np.clip(np.array(a), lo, hi))
    x = cr.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    np.clip(x, 0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
