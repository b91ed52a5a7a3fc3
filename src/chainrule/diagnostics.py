"""Warnings and checks for the places where a gradient can be lost without an error.

A tensor turned into a Python number (``float(x)``, ``math.exp(x)``, ``out[i] = x`` into an
ndarray) is a constant from then on.  Inside a function transform that is always a mistake
(:func:`check_conversion` raises); in the tensor API it is a mistake while the tensor's graph is
live and recording is on (it warns once per line of user code).  Logging a loss after
``backward()`` has freed its graph stays silent, and so do ``.item()`` and ``.tolist()``, the
explicit ways to take values out.

Examples
--------
>>> import warnings, numpy as np, chainrule as cr
>>> x = cr.tensor(1.0, requires_grad=True)
>>> s = x * 2
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     v = float(s)
>>> [type(m.message).__name__ for m in w]
['ScalarConversionWarning']
"""
import sys
import warnings

__all__ = ["ChainruleWarning", "ScalarConversionWarning", "NonLeafGradWarning",
           "check_conversion", "user_frame"]

_PKG_DIR = __file__.rsplit("/", 1)[0]


class ChainruleWarning(UserWarning):
    """Base class of chainrule's warnings (filter them all with this class).

    Examples
    --------
    >>> import warnings, chainrule as cr
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", cr.ChainruleWarning)   # make them errors
    ...     issubclass(cr.ScalarConversionWarning, cr.ChainruleWarning)
    True
    """


class ScalarConversionWarning(ChainruleWarning):
    """A tensor with a live graph was turned into a Python number: its gradient stops there.

    Examples
    --------
    >>> import warnings, chainrule as cr
    >>> y = cr.tensor(2.0, requires_grad=True) * 3
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = float(y)
    >>> caught[0].category.__name__
    'ScalarConversionWarning'
    """


class NonLeafGradWarning(ChainruleWarning):
    """``.grad`` was read on a computed (non-leaf) tensor, where backward leaves nothing.

    Examples
    --------
    >>> import warnings, chainrule as cr
    >>> y = cr.tensor(2.0, requires_grad=True) * 3
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     g = y.grad
    >>> g is None, caught[0].category.__name__
    (True, 'NonLeafGradWarning')
    """


def user_frame():
    """The innermost frame outside chainrule and NumPy (``None`` if there is none)."""
    f = sys._getframe(1)
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(_PKG_DIR) and "/numpy/" not in name:
            return f
        f = f.f_back
    return None


def _place(frame):
    if frame is None:
        return ""
    import linecache
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f" (at {frame.f_code.co_filename}:{frame.f_lineno}: {line})" if line else ""


_WARNED = set()      # (file, line) pairs already warned about


def check_conversion(tensor, how, hint=""):
    """Raise or warn when ``how`` (e.g. ``'float()'``) would drop ``tensor``'s derivative
    (``hint``, if given, ends the error message: what to write instead for this ``how``).

    Inside a transform (the tensor, or a value it wraps, is traced) it raises ``TypeError``;
    in the tensor API, with a live graph while recording, it warns once per line.
    """
    from .engine import STATE
    from .tensor import Tensor
    x = tensor
    live = False
    while isinstance(x, Tensor):
        node = x._node
        if x._level:
            if node is not None or x._tangent is not None:
                raise TypeError(
                    f"{how} of a value that a transform (cr.grad, cr.jvp, cr.jacobian, ...) "
                    f"is differentiating{_place(user_frame())}: a Python number is a constant, "
                    "so the derivative would be lost. Compute with NumPy functions on the "
                    "array instead: np.exp(x) rather than math.exp(x) or float(x), "
                    "x.astype(np.float64) rather than np.float64(x). To take values out for "
                    "printing, return them as an auxiliary output (has_aux=True)." + hint)
        elif node is not None and node.prim is not None and node.raws is not None:
            live = True
        x = x.data
    if live and not STATE.off:
        frame = user_frame()
        key = (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None
        if key in _WARNED:
            return
        _WARNED.add(key)
        msg = (f"{how} of a tensor whose graph is live turns it into a constant, so no gradient "
               "flows back through this value. For maths use NumPy functions (np.exp(x), not "
               "math.exp(x)); for an array that receives tensors make it with "
               "np.zeros_like(x) (a tensor), not np.zeros; to take a value out for logging use "
               "x.item() (or convert after backward()).")
        if frame is None:
            warnings.warn(msg, ScalarConversionWarning, stacklevel=3)
        else:
            warnings.warn_explicit(msg, ScalarConversionWarning, frame.f_code.co_filename,
                                   frame.f_lineno, module=frame.f_globals.get("__name__"),
                                   registry=frame.f_globals.setdefault("__warningregistry__",
                                                                       {}))
