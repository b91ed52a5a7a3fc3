"""Where chainrule differs from the frameworks, as docs/d2l.md lists it."""
import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd


def test_backward_on_a_vector_sums():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward()                          # PyTorch would raise here
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_recording_is_on_outside_record():
    x = cr.tensor(1.0)
    x.attach_grad()
    y = x * 2                                   # not inside autograd.record()
    assert y.requires_grad and not autograd.is_recording()
    with autograd.pause():
        assert not (x * 2).requires_grad
    with cr.no_grad():
        assert not (x * 2).requires_grad


def test_grad_buffer_by_how_the_leaf_was_made():
    a = cr.tensor([1.0], requires_grad=True)   # accumulates
    b = cr.tensor([1.0])
    b.attach_grad()                             # overwritten
    for _ in range(2):
        (3 * a * b).sum().backward()
    assert float(a.grad[0]) == 6.0 and float(b.grad[0]) == 3.0


def test_data_is_an_ndarray_and_item_a_number():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert type(x.data) is np.ndarray
    loss = (x * x).sum()
    assert type(loss.item()) is float and loss.item() == 5.0


def test_logging_item_lets_the_graph_go():
    x = cr.tensor(np.ones(1000), requires_grad=True)
    logged = []
    loss = (np.exp(x) * 2).sum()
    ref = weakref.ref(loss)
    logged.append(loss.item())
    del loss
    gc.collect()
    assert ref() is None                        # nothing keeps the graph


def test_float64_by_default():
    assert cr.tensor([1.0]).dtype == np.float64
    assert cr.Variable(1.0).dtype == np.float64


def test_transforms_refuse_integer_inputs():
    with pytest.raises(TypeError, match="float"):
        cr.grad(lambda x: x * x)(3)
