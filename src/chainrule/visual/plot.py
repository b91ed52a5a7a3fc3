"""``cr.plot``: a function and its derivatives on a grid, computed by the engine.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> ax = cr.plot(np.sin, np.linspace(-np.pi, np.pi, 50), orders=(0, 1))
>>> [line.get_label() for line in ax.get_lines()]
['sin(x)', "sin'(x)"]
"""
import numpy as np

from ..transforms import elementwise_grad

__all__ = ["plot", "derivative"]

_PRIMES = {0: "", 1: "'", 2: "''", 3: "'''"}


def derivative(fun, order):
    """``fun`` differentiated ``order`` times elementwise (``elementwise_grad`` composed)."""
    if int(order) != order or order < 0:
        raise ValueError(f"derivative orders are whole numbers >= 0, got {order!r}")
    for _ in range(int(order)):
        fun = elementwise_grad(fun)
    return fun


def _name(fun):
    name = getattr(fun, "__name__", "")
    return name if name.isidentifier() and name != "<lambda>" else "f"


def plot(fun, x, orders=(0, 1), ax=None, name=None, **line_kw):
    """Plot ``fun`` and its derivatives over the grid ``x`` on a matplotlib Axes.

    Parameters
    ----------
    fun : callable
        An elementwise function of an array (``np.sin``, ``lambda x: x * np.tanh(x)``).
    x : array_like
        The grid (1-d).
    orders : sequence of int
        Which derivatives to draw: 0 is ``fun`` itself, 1 its derivative, 2 the second ...
        Each is computed by the engine, ``cr.elementwise_grad`` applied that many times.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's Axes by default.
    name : str, optional
        The function's name in the legend (default: ``fun.__name__``, or ``f``).
    **line_kw
        Passed to every ``ax.plot`` call.

    Returns
    -------
    matplotlib.axes.Axes
        One line per order, labelled ``sin(x)``, ``sin'(x)``, ``sin''(x)`` ...

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> ax = cr.plot(np.tanh, np.linspace(-3, 3, 7), orders=(1,))
    >>> np.allclose(ax.get_lines()[0].get_ydata(), 1 - np.tanh(np.linspace(-3, 3, 7)) ** 2)
    True
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("cr.plot needs matplotlib: python -m pip install matplotlib "
                          "(or chainrule[plot])") from None
    x = np.asarray(x)
    if x.dtype.kind not in "f":
        x = x.astype(float)
    if x.ndim != 1:
        raise ValueError(f"cr.plot draws over a 1-d grid; x has shape {x.shape}")
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    name = name or _name(fun)
    for k in orders:
        y = np.asarray(derivative(fun, k)(x))
        prime = _PRIMES.get(k, f"^({k})")
        ax.plot(x, np.broadcast_to(y, x.shape), label=f"{name}{prime}(x)", **line_kw)
    ax.hlines(0.0, x[0], x[-1], color="0.6", linewidth=0.8, zorder=0)   # not a Line2D
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    n = len([o for o in orders if o])
    what = {0: "", 1: " and its derivative", 2: " and its derivatives"}[min(n, 2)]
    ax.set_title(f"{name}(x){what}" + (", computed by chainrule" if n else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)   # off the lines
    return ax
