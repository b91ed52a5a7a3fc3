"""MXNet and PyTorch spellings: ``record``, ``pause``, ``is_recording``, ``is_training``,
``grad`` and ``backward``.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule import autograd
>>> x = cr.tensor(2.0, requires_grad=True)
>>> (dy,) = autograd.grad(x ** 3, x, create_graph=True)
>>> dy.item(), autograd.grad(dy, x)[0].item()
(12.0, 12.0)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ContextManager, Optional, Sequence, Tuple, Union

import numpy as np

from . import engine
from .engine import STATE

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["record", "pause", "is_recording", "is_training", "set_training", "grad",
           "backward"]


class _Scope:
    def __init__(self, recording, training):
        self.recording, self.training = recording, training

    def __enter__(self):
        self.prev = (STATE.grad_enabled, STATE.training, STATE.recording)
        STATE.grad_enabled = STATE.recording = self.recording
        if self.training is not None:
            STATE.training = self.training
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled, STATE.training, STATE.recording = self.prev
        return False


def record(train_mode: bool = True) -> ContextManager[Any]:
    """Record the operations inside a ``with`` block (MXNet's ``autograd.record``).

    Parameters
    ----------
    train_mode : bool, default True
        What :func:`is_training` reports inside the block.

    Returns
    -------
    A context manager.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> from chainrule import autograd
    >>> x = cr.tensor(np.arange(3.0)); _ = x.attach_grad()
    >>> with autograd.record():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad
    Tensor([0., 2., 4.])
    """
    return _Scope(True, bool(train_mode))


def pause(train_mode: bool = False) -> ContextManager[Any]:
    """Stop recording inside a ``with`` block (MXNet's ``autograd.pause``).

    Parameters
    ----------
    train_mode : bool, default False
        What :func:`is_training` reports inside the block.

    Returns
    -------
    A context manager.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> from chainrule import autograd
    >>> x = cr.tensor(1.0, requires_grad=True)
    >>> with autograd.pause():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    return _Scope(False, bool(train_mode))


def is_recording() -> bool:
    """True inside :func:`record` (and not inside a :func:`pause` in it), as in MXNet.

    A ``cr.no_grad()`` inside ``record()`` makes it false too.  The tensor API records
    whenever recording is enabled, whether or not this is true (``cr.is_grad_enabled()``).

    Returns
    -------
    bool

    Examples
    --------
    >>> from chainrule import autograd
    >>> with autograd.record():
    ...     autograd.is_recording()
    True
    >>> with autograd.pause():
    ...     autograd.is_recording()
    False
    """
    return STATE.recording and STATE.grad_enabled


def is_training() -> bool:
    """Whether the code runs in training mode (MXNet; ``record(train_mode=...)`` sets it).

    Returns
    -------
    bool

    Examples
    --------
    >>> from chainrule import autograd
    >>> with autograd.record(train_mode=True):
    ...     autograd.is_training()
    True
    """
    return STATE.training


def set_training(train_mode: bool) -> bool:
    """Set training mode; returns the mode it replaces.

    Parameters
    ----------
    train_mode : bool

    Returns
    -------
    bool
        The previous mode.

    Examples
    --------
    >>> from chainrule import autograd
    >>> prev = autograd.set_training(True)
    >>> autograd.is_training()
    True
    >>> _ = autograd.set_training(prev)
    """
    prev = STATE.training
    STATE.training = bool(train_mode)
    return prev


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs: Union[Tensor, Sequence[Tensor]], inputs: Union[Tensor, Sequence[Tensor]],
         grad_outputs: Any = None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: bool = False) -> Tuple[Optional[Tensor], ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is untouched.

    PyTorch's ``torch.autograd.grad`` (and MXNet's ``autograd.grad``).  Non-scalar outputs
    are summed unless ``grad_outputs`` gives the vector to multiply by.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
    inputs : Tensor or sequence of Tensor
        Tensors that require grad, from which ``outputs`` were computed.
    grad_outputs : array_like or sequence, optional
        The gradient to start from for each output (default: ones).
    retain_graph : bool, optional
        Keep the graph for another pass (default: ``create_graph``).
    create_graph : bool, default False
        Record this backward pass, so the gradients can be differentiated again.
    allow_unused : bool, default False
        Give ``None`` for an input the outputs do not depend on, instead of raising.

    Returns
    -------
    tuple of Tensor or None
        One gradient per input.

    Raises
    ------
    TypeError
        If an input is not a tensor.
    RuntimeError
        If an input does not require grad, an output was not computed from one, or an
        input is unused and ``allow_unused`` is False.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import autograd
    >>> x = cr.tensor(2.0, requires_grad=True)
    >>> (dy,) = autograd.grad(x ** 3, x, create_graph=True)
    >>> float(dy), float(autograd.grad(dy, x)[0])
    (12.0, 12.0)
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
        if isinstance(y, Tensor) and y._base is not None:
            refresh_view(y)
        if not isinstance(y, Tensor) or y._node is None:
            raise RuntimeError(
                "an output does not require grad: it was not computed from an input that "
                "requires grad (or recording was off)")
        roots.append(y._node)
        seeds.append(seed(y, gy))
    with engine.set_grad_enabled(bool(create_graph)):
        found = engine.backward_pass(roots, seeds, retain_graph, create_graph, targets,
                                     prune=True)
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


def backward(heads: Union[Tensor, Sequence[Tensor]], head_grads: Any = None,
             retain_graph: bool = False, create_graph: bool = False) -> None:
    """Backward from several outputs at once (MXNet's ``autograd.backward``): their
    gradients are added into the leaves' ``.grad``.

    Parameters
    ----------
    heads : Tensor or sequence of Tensor
        The outputs.
    head_grads : array_like or sequence, optional
        The gradient to start from for each head (default: ones).
    retain_graph, create_graph : bool, default False
        Keep the graph for another backward; record the backward pass itself (for
        higher derivatives).

    Raises
    ------
    TypeError
        If a head is not a tensor.
    RuntimeError
        If a head was not computed from a tensor that requires grad.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> from chainrule import autograd
    >>> x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> autograd.backward([(x * x).sum(), x.sum()])
    >>> x.grad
    Tensor([3., 5.])
    """
    from .tensor import Tensor, refresh_view, seed
    heads = _as_list(heads)
    gs = _as_list(head_grads) if head_grads is not None else [None] * len(heads)
    if len(gs) != len(heads):
        raise ValueError(f"head_grads has {len(gs)} entries for {len(heads)} heads")
    for h in heads:
        if not isinstance(h, Tensor):
            raise TypeError(f"heads must be tensors, got {type(h).__name__}")
        if h._base is not None:
            refresh_view(h)
        if h._node is None:
            raise RuntimeError(
                "a head does not require grad: it was not computed from an input that "
                "requires grad (or recording was off)")
    with engine.set_grad_enabled(bool(create_graph)):
        engine.backward_pass([h._node for h in heads], [seed(h, g) for h, g in zip(heads, gs)],
                             retain_graph or create_graph, create_graph)
