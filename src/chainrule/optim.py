"""Optimizers and learning-rate schedules, in two styles.

**Tensor style** (PyTorch): give the optimizer the tensors to train, then after each
``backward()`` call ``opt.step()`` and ``opt.zero_grad()``.  Parameters are updated in
place; ``param_groups`` and ``state`` are as in ``torch.optim``.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> w = cr.tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> opt = cr.optim.SGD([w], lr=0.1)
>>> loss = (w ** 2).sum()
>>> loss.backward()
>>> opt.step(); opt.zero_grad()
>>> w
Tensor([ 0.8, -1.6], requires_grad=True)

**Functional style** (JAX / optax): parameters are any pytree of arrays (nested tuples,
lists, dicts, named tuples, dataclasses; see :mod:`chainrule.pytree`), nothing is mutated.

>>> opt = cr.optim.SGD(lr=0.1)
>>> params = {"w": np.array([1.0, -2.0])}
>>> state = opt.init(params)
>>> grads = cr.grad(lambda p: np.sum(p["w"] ** 2))(params)
>>> params, state = opt.update(grads, state, params)
>>> params
{'w': array([ 0.8, -1.6])}

Each update follows ``torch.optim``'s formulas operation for operation (tested against it
to 1e-12 over 100 steps).  Complex parameters are treated as pairs of reals, as PyTorch
does; in the functional style the gradients are those of :func:`chainrule.grad` (JAX's
convention), which are conjugated first so that the step goes downhill.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .arrays import as_array, is_other
from .engine import no_grad
from .pytree import tree_flatten
from .tensor import Tensor

#: A learning rate: a number, or (functional style) a function of the update count.
LearningRate = Union[float, Callable[[int], float]]
#: What an optimizer trains: tensors, or parameter groups (dicts with a "params" list).
Params = Union[Iterable[Tensor], Iterable[Dict[str, Any]]]

__all__ = ["Optimizer", "OptState", "SGD", "Adam", "AdamW", "RMSprop",
           "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]


@dataclasses.dataclass(frozen=True)
class OptState:
    """The functional optimizers' state: the number of updates made and, per leaf of the
    parameter tree (in :func:`~chainrule.pytree.tree_flatten` order), a dict of arrays
    such as ``momentum_buffer`` or ``exp_avg``.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.optim.Adam().init([np.zeros(2)])
    OptState(count=0, slots=({'exp_avg': array([0., 0.]), 'exp_avg_sq': array([0., 0.])},))
    """
    count: int
    slots: Tuple[Dict[str, Any], ...]


def _real_view(a):
    """Complex arrays as pairs of reals (PyTorch's ``view_as_real``); real arrays as are."""
    return a.view(a.real.dtype).reshape(a.shape + (2,)) if np.iscomplexobj(a) else a


def _from_real_view(a, like):
    if np.iscomplexobj(like):
        return np.ascontiguousarray(a).view(like.dtype).reshape(like.shape)
    return a


def _lerp(start, end, weight):
    """``torch.lerp``'s formula, so that moving averages round as PyTorch's do."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Optimizer:
    """Base class: parameter groups, ``step`` / ``zero_grad`` and ``init`` / ``update``.

    A subclass names its hyperparameters in ``defaults``, the state it keeps per parameter
    in ``_slots(p)`` (zero arrays shaped like the parameter), and the update of one
    parameter in ``_update(p, g, slots, count, group)``, which returns the new parameter
    and the new slots without changing its arguments.

    Parameters
    ----------
    params : iterable of Tensor or of dict, optional
        The tensors to train (tensor style), or parameter groups: dicts with a
        ``"params"`` list and hyperparameters that override the defaults for that group.
        Leave it out for the functional style.
    **defaults
        The hyperparameters.

    Raises
    ------
    TypeError
        If a parameter is not a :class:`~chainrule.Tensor` that requires grad.
    ValueError
        If a hyperparameter is out of range, or a tensor is given twice.

    Examples
    --------
    Plain gradient descent with a fixed step, as a subclass:

    >>> import numpy as np, chainrule as cr
    >>> class Descent(cr.optim.Optimizer):
    ...     defaults = dict(lr=0.1)
    ...     def _update(self, p, g, slots, count, h, lr):
    ...         return p - lr * g, slots
    >>> p = np.array([1.0]); opt = Descent(lr=0.5)
    >>> opt.update(np.array([1.0]), opt.init(p), p)[0]
    array([0.5])
    """

    defaults: Dict[str, Any] = {}

    def __init__(self, params: Optional[Params] = None, **defaults: Any) -> None:
        unknown = set(defaults) - set(type(self).defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown hyperparameter(s) "
                            f"{sorted(unknown)}; it takes {sorted(type(self).defaults)}")
        self.defaults = dict(type(self).defaults, **defaults)
        self._check(self.defaults)
        self.param_groups: List[Dict[str, Any]] = []
        self.state: Dict[Tensor, Dict[str, Any]] = {}
        if params is None:
            return
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of tensors (e.g. [w, b] or "
                            "model.parameters()), not a single tensor; wrap it in a list")
        params = list(params)  # type: ignore[assignment]
        if not params:
            raise ValueError("the optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # ------------------------------------------------------------------ validation
    def _check(self, h: Dict[str, Any]) -> None:
        lr = h.get("lr")
        if lr is not None and not callable(lr) and not lr >= 0:
            raise ValueError(f"invalid learning rate {lr!r}: it must be >= 0")
        for name in ("momentum", "weight_decay", "eps", "dampening"):
            if name in h and not h[name] >= 0:
                raise ValueError(f"invalid {name} {h[name]!r}: it must be >= 0")

    def add_param_group(self, group: Dict[str, Any]) -> None:
        """Add a dict ``{"params": [...], **hyperparameters}`` of tensors to train.

        Hyperparameters left out of ``group`` take the optimizer's defaults.

        Raises
        ------
        TypeError
            If ``group`` has no ``"params"``, holds something other than tensors, or names
            an unknown hyperparameter.
        ValueError
            If a tensor does not require grad, is not a leaf, or is already in a group.

        Examples
        --------
        >>> import numpy as np, chainrule as cr
        >>> a = cr.tensor(np.ones(2), requires_grad=True)
        >>> b = cr.tensor(np.ones(2), requires_grad=True)
        >>> opt = cr.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group is a dict with a 'params' list of tensors")
        ps = group["params"]
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in ps:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizers train tensors, got a {type(p).__name__}; make it "
                                "with cr.tensor(x, requires_grad=True), or use the functional "
                                "style (opt.init / opt.update) for arrays")
            if not p.requires_grad or not p.is_leaf:
                raise ValueError("can only optimize leaf tensors that require grad; make them "
                                 "with cr.tensor(x, requires_grad=True) or x.detach()"
                                 ".requires_grad_()")
            if id(p) in seen:
                raise ValueError("a tensor appears in more than one parameter group (or twice "
                                 "in one); give each tensor once")
            seen.add(id(p))
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise TypeError(f"parameter group has unknown hyperparameter(s) {sorted(unknown)}")
        full = dict(self.defaults, **group)
        full["params"] = ps
        self._check(full)
        self.param_groups.append(full)

    # ------------------------------------------------------------------ tensor style
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (``None``, or zeros with
        ``set_to_none=False``) before the next ``backward()``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor(np.zeros_like(p.grad.numpy()))

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient, in place.

        Parameters
        ----------
        closure : callable, optional
            Recomputes the loss and calls ``backward()``; it is called first (with
            recording on) and its result returned.

        Returns
        -------
        The closure's loss, or ``None``.
        """
        loss = None
        if closure is not None:
            loss = closure()
        with no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    value = _values(p)
                    st = self.state.get(p)
                    if st is None:
                        st = self.state[p] = {"step": 0, **self._slots(value, group)}
                    count = st["step"] + 1
                    slots = {k: v for k, v in st.items() if k != "step"}
                    g = _values(p.grad)
                    if g.dtype != value.dtype:
                        g = g.astype(value.dtype)
                    rate = lr(count - 1) if callable(lr) else lr
                    new, slots = self._update(value, g, slots, count, group, rate)
                    st.update(slots, step=count)
                    p[...] = new
        return loss

    def state_dict(self) -> Dict[str, Any]:
        """The per-parameter state and the groups' hyperparameters, as plain data
        (parameters are named by their position, as in PyTorch)."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(dict({k: v for k, v in group.items() if k != "params"}, params=ids))
        params = [p for g in self.param_groups for p in g["params"]]
        state = {index[id(p)]: _copy_slots(self.state[p])
                 for p in params if p in self.state}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (same parameters, same order)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError("the state dict's parameter groups do not match this "
                             "optimizer's (number of groups or of parameters per group)")
        params = [p for g in self.param_groups for p in g["params"]]
        for saved, group in zip(groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {params[i]: _copy_slots(st)
                      for i, st in state_dict["state"].items()}

    # ------------------------------------------------------------------ functional style
    def init(self, params: Any) -> OptState:
        """The initial state for the parameter tree ``params`` (functional style).

        Parameters
        ----------
        params : pytree of arrays

        Returns
        -------
        OptState
        """
        leaves, _ = tree_flatten(params)
        return OptState(0, tuple(self._slots(_leaf_array(x, "params"), self.defaults)
                                 for x in leaves))

    def update(self, grads: Any, state: OptState, params: Any) -> Tuple[Any, OptState]:
        """One step: the new parameters and the new state; nothing is changed in place.

        Parameters
        ----------
        grads : pytree
            Gradients shaped like ``params``, e.g. from :func:`chainrule.grad`.  A ``None``
            leaf leaves that parameter (and its state) as it is.
        state : OptState
            From :meth:`init` or the previous ``update``.
        params : pytree of arrays

        Returns
        -------
        params : pytree
            Shaped like ``params``, holding ndarrays.
        state : OptState

        Raises
        ------
        ValueError
            If ``grads``, ``state`` and ``params`` do not have the same number of leaves.
        """
        p_leaves, rebuild = tree_flatten(params)
        g_leaves, _ = tree_flatten(grads, is_leaf=lambda g: g is None)   # None: no gradient
        if not isinstance(state, OptState):
            raise TypeError(f"state must be the OptState from opt.init(params), got "
                            f"{type(state).__name__}")
        if not len(p_leaves) == len(g_leaves) == len(state.slots):
            raise ValueError(f"params has {len(p_leaves)} leaves, grads {len(g_leaves)} and the "
                             f"state {len(state.slots)}; they must come from the same tree")
        count = state.count + 1
        lr = self.defaults["lr"]
        lr = lr(state.count) if callable(lr) else lr
        new_params, new_slots = [], []
        for p, g, slots in zip(p_leaves, g_leaves, state.slots):
            p = _leaf_array(p, "params")
            if g is None:
                new_params.append(p)
                new_slots.append(slots)
                continue
            g = _leaf_array(g, "grads")
            if g.shape != p.shape:
                raise ValueError(f"a gradient of shape {g.shape} for a parameter of shape "
                                 f"{p.shape}")
            g = np.conj(g).astype(p.dtype, copy=False) if np.iscomplexobj(p) else \
                np.real(g).astype(p.dtype, copy=False)
            new, sl = self._update(p, g, dict(slots), count, self.defaults, lr)
            new_params.append(new)
            new_slots.append(sl)
        return rebuild(new_params), OptState(count, tuple(new_slots))

    # ------------------------------------------------------------------ subclass API
    def _slots(self, p: np.ndarray, h: Dict[str, Any]) -> Dict[str, Any]:
        return {}

    def _update(self, p: np.ndarray, g: np.ndarray, slots: Dict[str, Any], count: int,
                h: Dict[str, Any], lr: float) -> Tuple[np.ndarray, Dict[str, Any]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({hyper})"


def _values(t):
    """A tensor's values as an array of its own library (a CuPy array stays on the GPU;
    ``t.numpy()`` would copy it to the host, or refuse), sharing memory at level 0."""
    data = t.data
    while isinstance(data, Tensor):
        data = data.data
    return data if is_other(data) else t.numpy()


def _leaf_array(x, what):
    if isinstance(x, Tensor):
        x = _values(x)
    a = as_array(x)
    if a.dtype.kind not in "fc":
        if a.dtype.kind in "biu":
            a = a.astype(float)
        else:
            raise TypeError(f"{what} leaves must be float arrays or numbers, got "
                            f"{type(x).__name__} of dtype {a.dtype}")
    return a


def _copy_slots(slots):
    return {k: np.copy(v) if isinstance(v, np.ndarray) else v.copy() if is_other(v) else v
            for k, v in slots.items()}


def _with_weight_decay(p, g, h):
    wd = h["weight_decay"]
    return g + wd * p if wd != 0 else g


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy ball or Nesterov).

    ``g += weight_decay * p``; with momentum ``b = momentum * b + (1 - dampening) * g``
    (``b = g`` at the first step) and ``g = b`` (or ``g + momentum * b`` with Nesterov);
    then ``p -= lr * g``.  As ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable of Tensor or dict, optional
        Tensors to train, or parameter groups; leave out for the functional style.
    lr : float or callable, default 1e-3
        Learning rate; in the functional style also a function of the update count.
    momentum, dampening, weight_decay : float, default 0
    nesterov : bool, default False
        Needs ``momentum > 0`` and ``dampening == 0``.
    maximize : bool, default False
        Ascend instead of descend.

    Raises
    ------
    ValueError
        For negative hyperparameters, or Nesterov without momentum or with dampening.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> opt = cr.optim.SGD(lr=0.5, momentum=0.9)
    >>> p = np.array([1.0]); s = opt.init(p)
    >>> for _ in range(2):
    ...     p, s = opt.update(2 * p, s, p)      # gradient of p**2
    >>> p
    array([-0.9])
    """

    defaults = dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                    maximize=False)

    def __init__(self, params: Optional[Params] = None, lr: LearningRate = 1e-3,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)

    def _check(self, h):
        super()._check(h)
        if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def _slots(self, p, h):
        return {"momentum_buffer": None} if h["momentum"] else {}

    def _update(self, p, g, slots, count, h, lr):
        g = -g if h["maximize"] else g
        g = _with_weight_decay(p, g, h)
        mu = h["momentum"]
        if mu != 0:
            buf = slots.get("momentum_buffer")
            buf = np.copy(g) if buf is None else buf * mu + (1 - h["dampening"]) * g
            slots["momentum_buffer"] = buf
            g = g + mu * buf if h["nesterov"] else buf
        return p - lr * g, slots


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad; ``weight_decay`` is added to the gradient.

    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g²``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    As ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable of Tensor or dict, optional
    lr : float or callable, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient (for decoupled decay use :class:`AdamW`).
    amsgrad : bool, default False
        Normalize by the largest second moment so far.
    maximize : bool, default False

    Raises
    ------
    ValueError
        For a negative hyperparameter or a beta outside [0, 1).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> opt = cr.optim.Adam(lr=0.1)
    >>> p = np.array([1.0, -1.0]); s = opt.init(p)
    >>> p, s = opt.update(np.array([3.0, -0.5]), s, p)   # the first step is lr * sign(g)
    >>> p
    array([ 0.9, -0.9])
    """

    defaults = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                    maximize=False)
    _decoupled = False

    def __init__(self, params: Optional[Params] = None, lr: LearningRate = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)

    def _check(self, h):
        super()._check(h)
        b1, b2 = h["betas"]
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"invalid betas {h['betas']!r}: each must be in [0, 1)")

    def _slots(self, p, h):
        slots = {"exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
        if h["amsgrad"]:
            slots["max_exp_avg_sq"] = np.zeros_like(p)
        return slots

    def _update(self, p, g, slots, count, h, lr):
        g = -g if h["maximize"] else g
        wd = h["weight_decay"]
        if wd != 0:
            if self._decoupled:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
        like = p
        p, g = _real_view(p), _real_view(g)
        b1, b2 = h["betas"]
        m = _lerp(_real_view(slots["exp_avg"]), g, 1 - b1)
        v = _real_view(slots["exp_avg_sq"]) * b2 + ((1 - b2) * g) * g
        bc1 = 1 - b1 ** count
        bc2_sqrt = (1 - b2 ** count) ** 0.5
        step_size = lr / bc1
        if h["amsgrad"]:
            vmax = np.maximum(_real_view(slots["max_exp_avg_sq"]), v)
            slots["max_exp_avg_sq"] = _from_real_view(vmax, like)
            denom = np.sqrt(vmax) / bc2_sqrt + h["eps"]
        else:
            denom = np.sqrt(v) / bc2_sqrt + h["eps"]
        p = p + (-step_size * m) / denom
        slots["exp_avg"] = _from_real_view(m, like)
        slots["exp_avg_sq"] = _from_real_view(v, like)
        return _from_real_view(p, like), slots


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr *
    weight_decay`` before the Adam step.  As ``torch.optim.AdamW``.

    Parameters are those of :class:`Adam`; ``weight_decay`` defaults to ``1e-2``.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> opt = cr.optim.AdamW(lr=0.1, weight_decay=0.5)
    >>> p = np.array([2.0]); s = opt.init(p)
    >>> p, s = opt.update(np.array([1.0]), s, p)        # 2 * (1 - 0.05) - 0.1
    >>> p
    array([1.8])
    """

    defaults = dict(Adam.defaults, weight_decay=1e-2)
    _decoupled = True

    def __init__(self, params: Optional[Params] = None, lr: LearningRate = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """RMSprop (Hinton): divide the gradient by a running root mean square.

    ``v = alpha v + (1 - alpha) g²``; centered: ``avg = sqrt(v - ḡ²)`` with ``ḡ`` the
    running mean of ``g``, else ``avg = sqrt(v)``; ``p -= lr * g / (avg + eps)``, or
    through a momentum buffer ``b = momentum b + g / (avg + eps)``, ``p -= lr * b``.
    As ``torch.optim.RMSprop``.

    Parameters
    ----------
    params : iterable of Tensor or dict, optional
    lr : float or callable, default 1e-2
    alpha : float, default 0.99
        Smoothing constant of the running mean of ``g²``.
    eps : float, default 1e-8
    weight_decay, momentum : float, default 0
    centered : bool, default False
        Normalize by the estimated variance of the gradient instead of its second moment.
    maximize : bool, default False

    Raises
    ------
    ValueError
        For a negative hyperparameter or ``alpha`` outside [0, 1].

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> opt = cr.optim.RMSprop(lr=0.01, alpha=0.75, eps=0.0)
    >>> p = np.array([1.0]); s = opt.init(p)
    >>> p, s = opt.update(np.array([4.0]), s, p)        # 1 - 0.01 * 4 / sqrt(0.25 * 16)
    >>> p
    array([0.98])
    """

    defaults = dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False, maximize=False)

    def __init__(self, params: Optional[Params] = None, lr: LearningRate = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered, maximize=maximize)

    def _check(self, h):
        super()._check(h)
        if not 0 <= h["alpha"] <= 1:
            raise ValueError(f"invalid alpha {h['alpha']!r}: it must be in [0, 1]")

    def _slots(self, p, h):
        slots = {"square_avg": np.zeros_like(p)}
        if h["momentum"] > 0:
            slots["momentum_buffer"] = np.zeros_like(p)
        if h["centered"]:
            slots["grad_avg"] = np.zeros_like(p)
        return slots

    def _update(self, p, g, slots, count, h, lr):
        g = -g if h["maximize"] else g
        g = _with_weight_decay(p, g, h)
        like = p
        p, g = _real_view(p), _real_view(g)
        a = h["alpha"]
        v = _real_view(slots["square_avg"]) * a + ((1 - a) * g) * g
        slots["square_avg"] = _from_real_view(v, like)
        if h["centered"]:
            gbar = _lerp(_real_view(slots["grad_avg"]), g, 1 - a)
            slots["grad_avg"] = _from_real_view(gbar, like)
            avg = np.sqrt(v - gbar * gbar)
        else:
            avg = np.sqrt(v)
        avg = avg + h["eps"]
        if h["momentum"] > 0:
            buf = _real_view(slots["momentum_buffer"]) * h["momentum"] + g / avg
            slots["momentum_buffer"] = _from_real_view(buf, like)
            p = p + (-lr) * buf
        else:
            p = p + (-lr * g) / avg
        return _from_real_view(p, like), slots


# ---------------------------------------------------------------------- schedules
class LRScheduler:
    """Base of the learning-rate schedules: sets each parameter group's ``lr`` from its
    initial value and the epoch count; call :meth:`step` once per epoch, after
    ``opt.step()``.

    For the functional style, pass ``optimizer=None``: the schedule is then a function
    of the update count, to give as an optimizer's ``lr``
    (``SGD(lr=StepLR(None, 10, base_lr=0.1))``).

    Subclasses define ``lr_at(base_lr, epoch)``.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> w = cr.tensor(np.ones(2), requires_grad=True)
    >>> opt = cr.optim.SGD([w], lr=1.0)
    >>> sched = cr.optim.ExponentialLR(opt, gamma=0.5)
    >>> for epoch in range(2):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr(), opt.param_groups[0]["lr"]
    ([0.25], 0.25)
    """

    def __init__(self, optimizer: Optional[Optimizer], base_lr: Optional[float] = None) -> None:
        self.optimizer = optimizer
        self.last_epoch = 0
        if optimizer is None:
            if base_lr is None:
                raise TypeError("a schedule without an optimizer needs base_lr")
            self.base_lrs = [base_lr]
            return
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def __call__(self, count: int) -> float:
        """The learning rate after ``count`` epochs (the functional style's ``lr``)."""
        return self.lr_at(self.base_lrs[0], count)

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rates."""
        self.last_epoch += 1
        if self.optimizer is not None:
            for group, base in zip(self.optimizer.param_groups, self.base_lrs):
                group["lr"] = self.lr_at(base, self.last_epoch)

    def get_last_lr(self) -> List[float]:
        """The learning rates the last :meth:`step` set, one per parameter group."""
        return [self.lr_at(b, self.last_epoch) for b in self.base_lrs]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : Optimizer or None
    step_size : int
    gamma : float, default 0.1
    base_lr : float, optional
        The starting rate when ``optimizer`` is None.

    Examples
    --------
    >>> import chainrule as cr
    >>> sched = cr.optim.StepLR(None, step_size=2, gamma=0.5, base_lr=1.0)
    >>> [sched(t) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optional[Optimizer], step_size: int, gamma: float = 0.1,
                 base_lr: Optional[float] = None) -> None:
        if not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, base_lr)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    Examples
    --------
    >>> import chainrule as cr
    >>> sched = cr.optim.ExponentialLR(None, gamma=0.5, base_lr=1.0)
    >>> [sched(t) for t in range(3)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optional[Optimizer], gamma: float,
                 base_lr: Optional[float] = None) -> None:
        self.gamma = gamma
        super().__init__(optimizer, base_lr)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """Anneal from the initial rate to ``eta_min`` along half a cosine over ``T_max``
    epochs: ``eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2``.

    Examples
    --------
    >>> import chainrule as cr
    >>> sched = cr.optim.CosineAnnealingLR(None, T_max=2, base_lr=1.0)
    >>> [round(sched(t), 12) for t in range(3)]
    [1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer: Optional[Optimizer], T_max: int, eta_min: float = 0.0,
                 base_lr: Optional[float] = None) -> None:
        if not T_max > 0:
            raise ValueError(f"T_max must be positive, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, base_lr)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2
