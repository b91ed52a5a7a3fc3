"""SciPy calls inside primitives, as one step of a ``cr.compile`` program.

A primitive's implementation that hands its inputs to SciPy (which turns them into ndarrays)
would leak ``cr.compile``'s traced values; :func:`call` records it as one step instead, run
on the values now and on the replayed values later (``fn`` must be a pure function of its
array arguments).  Outside ``cr.compile`` it is just ``fn(*args)``.

Examples
--------
>>> import numpy as np
>>> call(np.add, np.ones(2), 1.0)
array([2., 2.])
"""

__all__ = ["call", "traced"]


def call(fn, *args):
    """``fn(*args)``, recorded as one step when an argument is a ``cr.compile`` traced value."""
    for a in args:
        host = getattr(type(a), "host_call", None)
        if host is not None:
            return host(a, fn, *args)
    return fn(*args)


def traced(x):
    """True for a ``cr.compile`` traced value (which must not become an ndarray)."""
    return getattr(type(x), "host_call", None) is not None
