"""Complex numbers in rules: the helpers that keep JAX's convention (docs/complex.md).

- :func:`real_only`: mark a NumPy function (or wrap a primitive's implementation) as refusing
  complex input with ``TypeError`` -- chainrule never returns a wrong number for complex
  input; :data:`REAL_ONLY` lists them (docs/coverage.md reads it).
- :func:`real_cotangent`: the cotangent of a real-valued output is real: a rule of a
  primitive with real output and complex input takes the real part of ``g`` first.
- :func:`conj_transpose` (``swapaxes(conj(a), -1, -2)``) and :func:`conj_if`: what the
  linear algebra rules use where ``.T`` becomes ``.conj().T``.

>>> import numpy as np
>>> conj_transpose(np.array([[1j, 2.0]]))
array([[0.-1.j],
       [2.-0.j]])
"""
import functools

import numpy as np

__all__ = ["REAL_ONLY", "real_only", "real_cotangent", "conj_transpose", "conj_if"]

# NumPy (or SciPy) function -> why chainrule refuses it complex input
REAL_ONLY = {}


def _refuse(name, why):
    raise TypeError(f"{name} of complex input is not supported by chainrule: {why}. Pass real "
                    "input (np.real(z), np.imag(z) or np.abs(z), whichever you mean)")


def real_only(func, why, impl=None):
    """Record that ``func`` refuses complex input; return ``impl`` (default ``func``)
    wrapped to raise ``TypeError`` when any positional argument is complex.

    Use it on a primitive's implementation (``defufunc(..., fn=real_only(ufunc, why))``) or
    on a handler (``implements(f)(real_only(f, why, handler))``)."""
    REAL_ONLY[func] = why
    impl = func if impl is None else impl
    name = getattr(func, "__name__", repr(func))

    @functools.wraps(impl)
    def run(*args, **kwargs):
        for a in args:
            if np.iscomplexobj(a):
                _refuse(name, why)
        return impl(*args, **kwargs)
    return run


def real_cotangent(g):
    """``g``'s real part if it is complex: the cotangent of a real-valued output."""
    return np.real(g) if np.iscomplexobj(g) else g


def conj_if(a):
    """``conj(a)`` for complex ``a``; ``a`` itself (no copy, no graph node) for real ``a``."""
    return np.conj(a) if np.iscomplexobj(a) else a


def conj_transpose(a):
    """The conjugate transpose of the last two axes (the transpose for real ``a``)."""
    return np.swapaxes(conj_if(a), -1, -2)
