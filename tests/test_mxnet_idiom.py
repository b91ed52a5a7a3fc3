"""The MXNet spelling behaves as MXNet's: is_recording() inside record() only; the error for
an in-place update of a parameter names autograd.pause()."""
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd


def test_is_recording_only_inside_record():
    assert not autograd.is_recording()
    assert cr.is_grad_enabled()                  # the tensor API records regardless
    with autograd.record():
        assert autograd.is_recording()
        with autograd.pause():
            assert not autograd.is_recording()
            with autograd.record():
                assert autograd.is_recording()
            assert not autograd.is_recording()
        assert autograd.is_recording()
        with cr.no_grad():
            assert not autograd.is_recording()
    assert not autograd.is_recording()
    with cr.enable_grad():
        assert not autograd.is_recording()


def test_is_recording_is_per_thread():
    seen = []
    with autograd.record():
        t = threading.Thread(target=lambda: seen.append(autograd.is_recording()))
        t.start()
        t.join()
        assert autograd.is_recording()
    assert seen == [False]


def test_record_restores_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with autograd.record():
            1 / 0
    assert not autograd.is_recording()


def test_inplace_update_error_names_pause_and_no_grad():
    w = cr.tensor(np.ones(3))
    w.attach_grad()
    with autograd.record():
        loss = (w * w).sum()
    loss.backward()
    with autograd.record():
        with pytest.raises(RuntimeError) as err:
            w[:] = w - 0.1 * w.grad             # an update while recording: refused
    assert "autograd.pause()" in str(err.value) and "cr.no_grad()" in str(err.value)
    with autograd.record(), autograd.pause():   # as the message says
        w[:] = w - 0.1 * w.grad
    w[:] = w - 0.1 * w.grad                     # outside record(), as d2l's sgd: not recorded
    np.testing.assert_allclose(w.numpy(), 0.6 * np.ones(3))    # w.grad stays 2: two steps
    assert w.requires_grad and w.is_leaf
