"""Extending chainrule: new primitives with rules in HIPS autograd's shapes.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> @cr.primitive
... def logsumexp(x):
...     m = np.max(x)
...     return m + np.log(np.sum(np.exp(x - m)))
>>> cr.defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
>>> cr.grad(logsumexp)(np.zeros(2))
array([0.5, 0.5])
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, TypeVar

import numpy as np

from .engine import apply
from .rules.registry import defprim

if TYPE_CHECKING:
    from typing_extensions import ParamSpec
    P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["primitive", "defvjp", "defjvp"]


def primitive(fun: Callable[P, R]) -> Callable[P, R]:
    """Make ``fun`` a primitive: its body sees plain arrays, its derivatives come from rules
    given with :func:`defvjp` / :func:`defjvp`.

    Use it for code chainrule cannot look into: SciPy, compiled code, a solver.

    Parameters
    ----------
    fun : callable
        A function of arrays.

    Returns
    -------
    callable
        ``fun`` for plain arrays; on tensors, recorded as one operation.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> @cr.primitive
    ... def cube(x):
    ...     return x ** 3
    >>> cr.defvjp(cube, lambda ans, x: lambda g: 3 * g * x ** 2)
    >>> float(cr.grad(cube)(2.0))
    12.0
    """
    from .tensor import Tensor
    prim = defprim(fun, name=getattr(fun, "__name__", "primitive"), raw=True)

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        for a in args:
            if isinstance(a, Tensor):
                return apply(prim, args, kwargs)
        return fun(*args, **kwargs)
    wrapper.prim = prim
    return wrapper


def _prim_of(fun):
    prim = getattr(fun, "prim", None)
    if prim is None:
        raise TypeError(
            f"{getattr(fun, '__name__', fun)!r} is not a chainrule primitive; decorate it with "
            "@cr.primitive first")
    return prim


def defvjp(fun: Callable[..., Any], *vjp_makers: Optional[Callable[..., Callable[[Any], Any]]],
           argnums: Optional[Sequence[int]] = None) -> None:
    """Give the primitive ``fun`` reverse-mode rules, one per positional argument.

    Parameters
    ----------
    fun : callable
        Made with :func:`primitive`.
    *vjp_makers : callable or None
        ``vjp_maker(ans, *args, **kwargs)`` returns ``lambda g: ...``, the cotangent of that
        argument for the cotangent ``g`` of the result (``None``: no derivative). Written
        with NumPy calls, the rules are differentiable in turn (higher derivatives).
    argnums : sequence of int, optional
        The arguments the makers are for (default: the first ones, in order).

    Raises
    ------
    TypeError
        If ``fun`` is not a primitive.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> mul = cr.primitive(lambda x, y: x * y)
    >>> cr.defvjp(mul, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x)
    >>> [float(g) for g in cr.grad(mul, argnums=(0, 1))(2.0, 5.0)]
    [5.0, 2.0]
    """
    prim = _prim_of(fun)
    argnums = range(len(vjp_makers)) if argnums is None else argnums
    rules = [None] * (max(argnums) + 1 if len(vjp_makers) else 0)
    for i, maker in zip(argnums, vjp_makers):
        if maker is not None:
            rules[i] = _checked_vjp(prim.name, i, maker)
    prim.defvjp(*rules)


def _checked_vjp(name, i, maker):
    """The engine's rule for ``maker``, checking the shape of what the user's rule returns
    (it must sum down to input ``i``'s shape: equal, or with broadcast dimensions)."""
    def rule(g, ans, *args, **kw):
        res = maker(ans, *args, **kw)(g)
        shape, got = np.shape(args[i]), np.shape(res)
        ok = len(got) >= len(shape) and all(
            s == r or s == 1 for s, r in zip(shape[::-1], got[::-1]))
        if not ok:
            raise ValueError(
                f"the VJP rule of primitive {name!r} for input {i} returned a cotangent of "
                f"shape {got}, but input {i} has shape {shape}: a VJP rule returns the "
                "gradient with respect to its input, in the input's shape")
        return res
    return rule


def _checked_jvp(name, i, jvp_rule):
    """The engine's rule for ``jvp_rule``, checking that the output tangent has the output's
    shape (after the tangent's batch dimensions)."""
    def rule(t, ans, *args, **kw):
        batch = np.shape(t)[:max(np.ndim(t) - np.ndim(args[i]), 0)]
        if batch:
            # jacfwd and hessian push many tangents at once, with leading batch dimensions.
            # A user's rule is written for one tangent (HIPS autograd's shape; it may well
            # sum over t), so it sees one tangent at a time.
            flat = np.reshape(t, (-1,) + np.shape(t)[len(batch):])
            res = np.stack([one(flat[k], ans, *args, **kw) for k in range(len(flat))])
            return np.reshape(res, batch + np.shape(res)[1:])
        return one(t, ans, *args, **kw)

    def one(t, ans, *args, **kw):
        res = jvp_rule(t, ans, *args, **kw)
        batch = ()
        want, got = batch + np.shape(ans), np.shape(res)
        if got != want:
            try:
                if np.broadcast_shapes(got, want) == want:
                    return np.broadcast_to(res, want)
            except ValueError:
                pass
            raise ValueError(
                f"the JVP rule of primitive {name!r} for input {i} returned a tangent of shape "
                f"{got}, but the output has shape {np.shape(ans)}"
                f"{f' (with batch dimensions {batch})' if batch else ''}: a JVP rule returns "
                "the output's tangent, in the output's shape")
        return res
    return rule


def defjvp(fun: Callable[..., Any], *jvp_rules: Optional[Callable[..., Any]],
           argnums: Optional[Sequence[int]] = None) -> None:
    """Give the primitive ``fun`` forward-mode rules, one per positional argument.

    Parameters
    ----------
    fun : callable
        Made with :func:`primitive`.
    *jvp_rules : callable or None
        ``jvp_rule(t, ans, *args, **kwargs)`` returns the output tangent for the tangent
        ``t`` of that argument (``None``: no derivative).
    argnums : sequence of int, optional
        The arguments the rules are for (default: the first ones, in order).

    Raises
    ------
    TypeError
        If ``fun`` is not a primitive.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> square = cr.primitive(lambda x: x * x)
    >>> cr.defjvp(square, lambda t, ans, x: 2 * x * t)
    >>> [float(v) for v in cr.jvp(square, (3.0,), (1.0,))]
    [9.0, 6.0]
    """
    prim = _prim_of(fun)
    argnums = range(len(jvp_rules)) if argnums is None else argnums
    rules = [None] * (max(argnums) + 1 if len(jvp_rules) else 0)
    for i, rule in zip(argnums, jvp_rules):
        rules[i] = None if rule is None else _checked_jvp(prim.name, i, rule)
    prim.defjvp(*rules)
