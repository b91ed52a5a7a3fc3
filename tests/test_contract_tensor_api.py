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
