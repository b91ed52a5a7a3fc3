"""MXNet and PyTorch spellings: ``record``, ``pause``, ``is_recording``, ``is_training``,
``grad`` and ``backward``.

>>> import numpy as np, chainrule as cr
>>> from chainrule import autograd
>>> x = cr.tensor(2.0, requires_grad=True)
>>> (dy,) = autograd.grad(x ** 3, x, create_graph=True)
>>> dy.item(), autograd.grad(dy, x)[0].item()
(12.0, 12.0)
"""
import numpy as np

from . import engine
from .engine import STATE

__all__ = ["record", "pause", "is_recording", "is_training", "set_training", "grad",
           "backward"]


class _Scope:
    def __init__(self, recording, training):
        self.recording, self.training = recording, training

    def __enter__(self):
        self.prev = (STATE.grad_enabled, STATE.training)
        STATE.grad_enabled = self.recording
        if self.training is not None:
            STATE.training = self.training
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled, STATE.training = self.prev
        return False


def record(train_mode=True):
    """Record operations (MXNet); ``train_mode`` sets :func:`is_training` inside."""
    return _Scope(True, bool(train_mode))


def pause(train_mode=False):
    """Stop recording inside (MXNet); ``train_mode`` sets :func:`is_training` inside."""
    return _Scope(False, bool(train_mode))


def is_recording():
    return STATE.grad_enabled


def is_training():
    return STATE.training


def set_training(train_mode):
    prev = STATE.training
    STATE.training = bool(train_mode)
    return prev


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is untouched.

    Non-scalar outputs are summed unless ``grad_outputs`` gives the vector to multiply by.
    """
    from .tensor import Tensor, make_tensor, refresh_view, seed
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    gouts = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad_outputs has {len(gouts)} entries for {len(outs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    targets = []
    for x in ins:
        if not isinstance(x, Tensor):
            raise TypeError(f"inputs must be tensors, got {type(x).__name__}")
        if x._base is not None:
            refresh_view(x)
        if x._node is None:
            raise RuntimeError(
                "one of the inputs does not require grad; make it with requires_grad=True "
                "(or x.attach_grad()) before computing the outputs from it")
        targets.append(x._node)
    roots, seeds = [], []
    for y, gy in zip(outs, gouts):
        if not isinstance(y, Tensor) or y._node is None:
            raise RuntimeError(
                "an output does not require grad: it was not computed from an input that "
                "requires grad (or recording was off)")
        roots.append(y._node)
        seeds.append(seed(y, gy))
    with engine.set_grad_enabled(bool(create_graph)):
        found = engine.backward_pass(roots, seeds, retain_graph, create_graph, targets)
    result = []
    for x, g in zip(ins, found):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "one of the inputs was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it")
            result.append(None)
            continue
        if np.iscomplexobj(g):
            g = np.conj(g)      # PyTorch's convention, the conjugate of the engine's
        if isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(make_tensor(g, None, x._level, None))
    return tuple(result)


def backward(heads, head_grads=None, retain_graph=False, create_graph=False):
    """Backward from several outputs at once (MXNet ``autograd.backward``)."""
    from .tensor import Tensor, seed
    heads = _as_list(heads)
    gs = _as_list(head_grads) if head_grads is not None else [None] * len(heads)
    if len(gs) != len(heads):
        raise ValueError(f"head_grads has {len(gs)} entries for {len(heads)} heads")
    for h in heads:
        if not isinstance(h, Tensor):
            raise TypeError(f"heads must be tensors, got {type(h).__name__}")
        if h._node is None:
            raise RuntimeError(
                "a head does not require grad: it was not computed from an input that "
                "requires grad (or recording was off)")
    with engine.set_grad_enabled(bool(create_graph)):
        engine.backward_pass([h._node for h in heads], [seed(h, g) for h, g in zip(heads, gs)],
                             retain_graph or create_graph, create_graph)
