"""``cr.cost``: what the value, the gradient and the Hessian of a function cost.

For each of the three it measures the operations the engine records, the bytes those records
keep for the backward pass, and the time.  The gradient records the function once; the
Hessian also records the backward pass itself (``create_graph=True``: the derivative rules
are NumPy code, so they are recorded like any other) and then differentiates that, once per
input entry: that is why second derivatives cost more.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> c = cr.cost(lambda x: np.sum(np.sin(x) * x), np.ones(3))
>>> [row["what"] for row in c.rows]
['value', 'gradient', 'Hessian']
>>> c.rows[0]["recorded"], c.rows[1]["recorded"] > 0, c.rows[2]["recorded"] > c.rows[1]["recorded"]
(0, True, True)
"""
import time

import numpy as np

from .. import autograd
from ..tensor import tensor
from ..transforms import grad, hessian
from .record import recorded
from .text import shape_text, table

__all__ = ["cost", "CostReport"]


def _seconds(call, budget=0.2, most=200):
    """The best time of several calls of ``call`` (at least one, about ``budget`` seconds)."""
    best, spent, n = float("inf"), 0.0, 0
    while n < most and (n < 3 or spent < budget):
        t0 = time.perf_counter()
        call()
        dt = time.perf_counter() - t0
        best, spent, n = min(best, dt), spent + dt, n + 1
    return best


def _bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


class CostReport:
    """The cost of a function's value, gradient and Hessian (made by :func:`cost`).

    ``rows`` is a list of dicts with the keys ``what``, ``recorded`` (operations recorded),
    ``saved_bytes`` (kept for the backward pass), ``seconds`` (best of several runs) and
    ``how``; ``str()`` prints them as a table.
    """

    def __init__(self, rows, shape):
        self.rows = rows
        self.shape = shape

    def __str__(self):
        head = ("", "recorded ops", "saved for backward", "time", "how")
        base = self.rows[0]["seconds"] or float("nan")
        rows = [(r["what"], str(r["recorded"]), _bytes(r["saved_bytes"]),
                 f"{r['seconds'] * 1e6:.0f} µs ({r['seconds'] / base:.1f}x)", r["how"])
                for r in self.rows]
        return f"cost at x of shape {shape_text(self.shape)}:\n" + table(head, rows)

    def __repr__(self):
        return str(self)


def cost(fun, x, budget=0.2):
    """Measure the value, the gradient and the Hessian of a scalar function ``fun`` at ``x``.

    Parameters
    ----------
    fun : callable
        A function of one float array (or number) returning a scalar.
    x : array_like
        Where to measure.
    budget : float
        About how many seconds to spend timing each of the three.

    Returns
    -------
    CostReport
        ``print()`` it; ``.rows`` holds the numbers.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> report = cr.cost(lambda x: np.sum(x ** 2), np.ones(3), budget=0.01)
    >>> [row["what"] for row in report.rows]
    ['value', 'gradient', 'Hessian']
    """
    x = np.asarray(x, dtype=float) if np.asarray(x).dtype.kind not in "fc" else np.asarray(x)
    # what the engine records: the function once (gradient), and with its backward pass
    # recorded too (what the Hessian differentiates)
    xt = tensor(x, requires_grad=True)
    y = fun(xt)
    n_grad, b_grad = recorded([y])
    xt2 = tensor(x, requires_grad=True)
    y2 = fun(xt2)
    (g,) = autograd.grad(y2, xt2, create_graph=True, retain_graph=True)
    n_hess, b_hess = recorded([y2, g])
    rows = [
        {"what": "value", "recorded": 0, "saved_bytes": 0,
         "seconds": _seconds(lambda: fun(x), budget), "how": "plain NumPy, nothing recorded"},
        {"what": "gradient", "recorded": n_grad, "saved_bytes": b_grad,
         "seconds": _seconds(lambda: grad(fun)(x), budget),
         "how": "record f, one backward sweep"},
        {"what": "Hessian", "recorded": n_hess, "saved_bytes": b_hess,
         "seconds": _seconds(lambda: hessian(fun)(x), budget),
         "how": f"record f and its backward sweep, then differentiate that "
                f"({max(x.size, 1)} direction{'s' if x.size != 1 else ''})"},
    ]
    return CostReport(rows, x.shape)
