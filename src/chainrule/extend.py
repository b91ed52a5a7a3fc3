"""Extending chainrule: new primitives with rules in HIPS autograd's shapes.

>>> import numpy as np, chainrule as cr
>>> @cr.primitive
... def logsumexp(x):
...     m = np.max(x)
...     return m + np.log(np.sum(np.exp(x - m)))
>>> cr.defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
>>> cr.grad(logsumexp)(np.zeros(2))
array([0.5, 0.5])
"""
import functools

import numpy as np

from .engine import apply
from .rules.registry import defprim

__all__ = ["primitive", "defvjp", "defjvp"]


def primitive(fun):
    """Make ``fun`` a primitive: its body sees plain arrays, its derivatives come from rules
    given with :func:`defvjp` / :func:`defjvp`."""
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


def defvjp(fun, *vjp_makers, argnums=None):
    """Give ``fun`` VJP rules: ``vjp_maker(ans, *args, **kwargs) -> (lambda g: ...)``, one per
    positional argument (``None`` for an argument with no derivative)."""
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
        res = jvp_rule(t, ans, *args, **kw)
        batch = np.shape(t)[:max(np.ndim(t) - np.ndim(args[i]), 0)]
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


def defjvp(fun, *jvp_rules, argnums=None):
    """Give ``fun`` JVP rules: ``jvp_rule(t, ans, *args, **kwargs)`` returns the output
    tangent for tangent ``t`` of that argument."""
    prim = _prim_of(fun)
    argnums = range(len(jvp_rules)) if argnums is None else argnums
    rules = [None] * (max(argnums) + 1 if len(jvp_rules) else 0)
    for i, rule in zip(argnums, jvp_rules):
        rules[i] = None if rule is None else _checked_jvp(prim.name, i, rule)
    prim.defjvp(*rules)
