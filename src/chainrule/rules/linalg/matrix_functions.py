"""Matrix functions from SciPy (when it is installed): ``expm``, ``logm``, ``sqrtm``.

SciPy's functions turn their input into an ndarray, so they cannot see a tensor; these take
tensors and ndarrays alike (as ``autograd.scipy`` does).  Each derivative is the function's
Frechet derivative, read off the function of a block matrix:
``f([[A, E], [0, A]]) = [[f(A), L_f(A, E)], [0, f(A)]]``, so rules are the function again
and derivatives of every order exist.  These functions are holomorphic with real Taylor
coefficients, so the VJP is ``L_f(A^T, G)`` (JAX's convention for complex input too).

>>> import numpy as np, chainrule as cr
>>> from chainrule.rules.linalg.matrix_functions import expm
>>> float(cr.grad(lambda a: expm(a)[0, 0])(np.zeros((2, 2)))[0, 0])
1.0

SciPy changed how ``logm`` and ``sqrtm`` report their error: before 1.16 ``disp=False``
returns ``(X, errest)`` and ``disp=True`` prints a message; 1.16 and 1.17 deprecate ``disp``
(passing it warns); 1.18 removed it (``logm`` warns when its estimate is large).
:func:`scipy_value` calls each version its own way, read once per function from its
signature, and :func:`error_estimate` computes SciPy's estimate where SciPy no longer does.
"""
import inspect
import warnings

import numpy as np

from ...arrays import unsupported as unsupported_array
from ..api import defprim, is_other
from .common import mT

__all__ = ["expm", "logm", "sqrtm", "frechet", "scipy_value", "takes_disp", "error_estimate"]


def _stacked(f, name):
    """``f`` (SciPy's ``name``, for one matrix) over a stack of matrices."""
    def run(a):
        host = getattr(type(a), "host_call", None)
        if host is not None:        # cr.compile's traced value: SciPy runs as one step
            return host(a, run, a)
        if is_other(a):
            raise unsupported_array(
                a, f"scipy.linalg.{name} (SciPy computes on NumPy arrays only)")
        a = np.asarray(a)
        if a.ndim == 2:
            return f(a)
        out = [f(m) for m in a.reshape((-1,) + a.shape[-2:])]
        res = np.stack(out) if out else np.zeros((0,) + a.shape[-2:], a.dtype)
        return res.reshape(a.shape[:-2] + res.shape[-2:])
    run.__name__ = name
    return run


def frechet(f, a, e):
    """``L_f(a, e)``, the derivative of matrix function ``f`` at ``a`` in direction ``e`` (``e``
    may carry leading batch axes), from ``f`` of the block matrix ``[[a, e], [0, a]]``."""
    n = np.shape(a)[-1]
    a = np.broadcast_to(a, np.shape(e)) if np.ndim(e) > np.ndim(a) else a
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros_like(e), a], axis=-1)
    return f(np.concatenate([top, bottom], axis=-2))[..., :n, n:]


def _matrix_function(fn, name):
    prim = defprim(_stacked(fn, name), name=name, raw=True, keep=("a",), keep_ans=False)
    prim.defvjp(lambda g, ans, a: frechet(prim, mT(a), g))
    prim.defjvp(lambda t, ans, a: frechet(prim, a, t))
    return prim


_DISP = {}      # SciPy's function -> True / False / None (see takes_disp)


def takes_disp(fn):
    """How SciPy's ``fn`` (``logm`` or ``sqrtm``) takes ``disp``, read from its signature once
    per function: ``True`` (SciPy < 1.16: ``disp=False`` returns ``(X, errest)``), ``False``
    (1.16, 1.17: deprecated, a sentinel default) or ``None`` (1.18+: no ``disp``)."""
    kind = _DISP.get(fn, "?")
    if kind == "?":
        try:
            param = inspect.signature(fn).parameters.get("disp")
        except (TypeError, ValueError):         # no signature to read: call it plainly
            param = None
        kind = None if param is None else param.default is True
        _DISP[fn] = kind
    return kind


def _scipy_linalg(name):
    try:
        import scipy.linalg
    except ImportError:
        raise ImportError(f"{name} needs SciPy: pip install scipy") from None
    return scipy.linalg


def scipy_value(name, a):
    """SciPy's ``name`` (``"expm"``, ``"logm"`` or ``"sqrtm"``) of the matrix ``a``: the
    matrix only, on every SciPy, without the message an inaccurate ``logm`` prints or warns
    (its estimate is pessimistic for the block matrices derivatives use).

    >>> import numpy as np
    >>> from chainrule.rules.linalg.matrix_functions import scipy_value
    >>> scipy_value("sqrtm", np.diag([4.0, 9.0]))
    array([[2., 0.],
           [0., 3.]])
    """
    fn = getattr(_scipy_linalg(name), name)
    if name == "expm":
        return fn(a)
    if takes_disp(fn):
        return fn(a, disp=False)[0]
    if name == "sqrtm":
        return fn(a)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "logm result may be inaccurate", RuntimeWarning)
        return fn(a)


def error_estimate(name, x, a):
    """SciPy's error estimate for ``x = name(a)`` (what ``disp=False`` returned beside
    ``x``): ``||expm(X) - A||_1 / ||A||_1`` for ``logm``, ``||X @ X - A||_F ** 2 / ||A||_F``
    for ``sqrtm`` (SciPy's formula); a float for one matrix, an array for a stack.

    >>> import numpy as np
    >>> from chainrule.rules.linalg.matrix_functions import error_estimate
    >>> error_estimate("sqrtm", np.diag([2.0, 3.0]), np.diag([4.0, 9.0]))
    0.0
    """
    x, a = np.asarray(x), np.asarray(a)
    with np.errstate(all="ignore"):
        if name == "logm":
            num = np.linalg.norm(_scipy_linalg(name).expm(x) - a, 1, axis=(-2, -1))
            err = num / np.linalg.norm(a, 1, axis=(-2, -1))
        elif name == "sqrtm":
            num = np.linalg.norm(x @ x - a, "fro", axis=(-2, -1))
            err = num ** 2 / np.linalg.norm(a, "fro", axis=(-2, -1))
        else:
            raise ValueError(f"error_estimate: {name!r} is not 'logm' or 'sqrtm'")
    err = np.where(np.isnan(err), np.inf, err)      # SciPy's: inf where NaN got in
    return float(err) if err.ndim == 0 else err


def _scipy_function(name):
    if name == "expm":
        return _scipy_linalg(name).expm
    _scipy_linalg(name)         # without SciPy: fail now, not at the first call

    def value(a):
        return scipy_value(name, a)
    value.__name__ = name
    return value


_PRIMS = {}     # made on first use: importing chainrule must not import SciPy


def _prim(name):
    prim = _PRIMS.get(name)
    if prim is None:
        prim = _PRIMS[name] = _matrix_function(_scipy_function(name), name)
    return prim


def expm(a):
    """``scipy.linalg.expm`` on tensors (and arrays): the matrix exponential."""
    return _prim("expm")(a)


def logm(a):
    """``scipy.linalg.logm`` on tensors: the principal matrix logarithm."""
    return _prim("logm")(a)


def sqrtm(a):
    """``scipy.linalg.sqrtm`` on tensors: the principal matrix square root."""
    return _prim("sqrtm")(a)
