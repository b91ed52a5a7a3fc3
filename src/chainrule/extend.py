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
            rules[i] = (lambda m: lambda g, ans, *args, **kw: m(ans, *args, **kw)(g))(maker)
    prim.defvjp(*rules)


def defjvp(fun, *jvp_rules, argnums=None):
    """Give ``fun`` JVP rules: ``jvp_rule(t, ans, *args, **kwargs)`` returns the output
    tangent for tangent ``t`` of that argument."""
    prim = _prim_of(fun)
    argnums = range(len(jvp_rules)) if argnums is None else argnums
    rules = [None] * (max(argnums) + 1 if len(jvp_rules) else 0)
    for i, rule in zip(argnums, jvp_rules):
        rules[i] = rule
    prim.defjvp(*rules)
