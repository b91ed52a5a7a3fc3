"""``cr.explain``: the chain rule on a graph, node by node, in both directions.

Each node of the graph of ``fun`` at ``x`` gets its value, its local partial derivatives
(with respect to each of its inputs), its forward-mode tangent ``dv/dx`` (what the forward
sweep carries from ``x`` towards ``f``) and its reverse-mode adjoint ``df/dv`` (what the
reverse sweep carries from ``f`` back to ``x``).  Everything is computed by the engine: the
tangents by :func:`chainrule.jvp` on the traced function, the adjoints by one
:func:`chainrule.vjp` of a replay in which every node's value is shifted by a zero input
(the derivative with respect to that shift is the node's adjoint), and the local partials by
:func:`chainrule.jacobian` of each operation alone.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> e = cr.explain(lambda x: np.log(x ** 2) * np.sin(x) + 1 / x, 2.0)
>>> round(float(e.forward), 6), round(float(e.reverse), 6)
(0.082395, 0.082395)
>>> e.records[2]["formula"], e.records[2]["partials"]
('v2 = log(v1)', {'v1': 0.25})
"""
import numpy as np

from ..tensor import plain
from .graph import Graph
from .record import trace
from .sweeps import adjoints, local_partials, output_index, partials_by_argument
from .text import formula, shape_text, table, value_text

__all__ = ["explain", "Explanation"]

def _paren(text):
    return f"({text})" if text.startswith("-") else text


def _partial_text(d):
    if d is None:
        return "(large)"
    d = np.asarray(d)
    if d.ndim == 0:
        return value_text(d)
    half = d.ndim // 2
    rows, cols = int(np.prod(d.shape[:half])), int(np.prod(d.shape[half:]))
    if 2 * half == d.ndim and rows == cols and rows > 1:
        m = d.reshape(rows, cols)
        if np.count_nonzero(m - np.diag(np.diag(m))) == 0:
            return "diag " + value_text(np.diag(m))
    return value_text(d)


class Explanation:
    """The chain rule on a graph, node by node (made by :func:`explain`).

    Attributes
    ----------
    records : list of dict
        One per input and operation, in evaluation order, with the keys ``node`` (its
        label), ``op``, ``formula``, ``inputs``, ``value``, ``partials`` (``{input label:
        local derivative}``), ``tangent`` (forward mode: d node / d x along the direction)
        and ``adjoint`` (reverse mode: d f / d node).
    forward : ndarray
        The output's tangent: the directional derivative along ``direction``.
    reverse : ndarray
        The input's adjoint: the gradient of ``f`` (of its sum, for a non-scalar ``f``).
    direction : ndarray
        The tangent the forward sweep starts with at ``x``.
    graph : Graph
        The graph the records describe.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> e = cr.explain(lambda x: np.sin(x) * x, 1.0)
    >>> len(e.records), round(float(e.reverse), 4)
    (3, 1.3818)
    """

    def __init__(self, records, forward, reverse, direction, graph):
        self.records = records
        self.forward = forward
        self.reverse = reverse
        self.direction = direction
        self.graph = graph

    @property
    def scalar_input(self):
        return np.ndim(self.direction) == 0

    def table(self):
        """The records as a text table (what ``str()`` prints)."""
        head = ("node", "operation", "value", "local partials", "tangent dv/dx",
                "adjoint df/dv")
        rows = []
        for r in self.records:
            parts = ", ".join(f"∂{r['node']}/∂{k} = {_partial_text(v)}"
                              for k, v in r["partials"].items()) or "-"
            rows.append((r["node"], r["formula"] if r["op"] != "input" else "input",
                         value_text(r["value"]), parts, value_text(r["tangent"]),
                         value_text(r["adjoint"])))
        return table(head, rows)

    def conclusion(self):
        """What both sweeps found, in one or two sentences."""
        x = self.records[0]["node"]
        if self.scalar_input:
            return (f"Both sweeps give the derivative: forward (tangent of f) "
                    f"{value_text(self.forward, 10)}, reverse (adjoint of {x}) "
                    f"{value_text(self.reverse, 10)}.")
        dot = np.sum(np.asarray(self.reverse) * np.asarray(self.direction))
        return (f"Forward mode gives the derivative along the direction "
                f"{value_text(self.direction)}: {value_text(self.forward, 10)}. Reverse mode "
                f"gives the whole gradient, adjoint of {x} = {value_text(self.reverse)}, and "
                f"gradient · direction = {value_text(dot, 10)}, the same number.")

    def forward_sweep(self):
        """The forward sweep as text: each tangent from the tangents of its inputs."""
        rows = [f"Forward mode: one sweep from {self.records[0]['node']} to f, carrying "
                "each node's tangent dv/dx."]
        w = max(len(r["formula"]) for r in self.records) + 2
        for r in self.records:
            n = r["node"]
            if r["op"] == "input":
                rows.append(f"  d{n}/d{n} = {value_text(r['tangent'])}   (the seed)")
                continue
            terms = [f"∂{n}/∂{k} · d{k.split(' ')[0]}/dx" for k in r["partials"]]
            nums = [f"{_paren(_partial_text(v))} · {_paren(value_text(self._tangent_of(k)))}"
                    for k, v in r["partials"].items()]
            rows.append(f"  {r['formula']:<{w}}d{n}/dx = " + " + ".join(terms or ["0"]))
            rows.append(f"  {'':<{w}}{' ' * len(f'd{n}/dx')} = " + " + ".join(nums or ["0"])
                        + f" = {value_text(r['tangent'])}")
        rows.append(f"  df/dx = d{self.records[-1]['node']}/dx = {value_text(self.forward)}")
        return "\n".join(rows)

    def reverse_sweep(self):
        """The reverse sweep as text: each adjoint from the adjoints of its users."""
        users = {}
        for r in self.records:
            for k in r["partials"]:
                users.setdefault(k.split(" ")[0], []).append(r)
        last = self.records[-1]["node"]
        rows = [f"Reverse mode: one sweep from f back to {self.records[0]['node']}, carrying "
                "each node's adjoint df/dv.",
                f"  df/d{last} = {value_text(self.records[-1]['adjoint'])}   (the seed)"]
        for r in reversed(self.records[:-1]):
            n = r["node"]
            us = users.get(n, [])
            terms, nums = [], []
            for u in us:
                for k, v in u["partials"].items():
                    if k.split(" ")[0] == n:
                        terms.append(f"df/d{u['node']} · ∂{u['node']}/∂{n}")
                        nums.append(f"{_paren(value_text(u['adjoint']))} · "
                                    f"{_paren(_partial_text(v))}")
            rows.append(f"  df/d{n} = " + (" + ".join(terms) or "0"))
            rows.append(f"  {' ' * len(f'df/d{n}')} = " + (" + ".join(nums) or "0")
                        + f" = {value_text(r['adjoint'])}")
        if self.records[0]["node"] != "x":
            rows.append(f"  df/dx = df/d{self.records[0]['node']} = "
                        f"{value_text(self.reverse)}")
        return "\n".join(rows)

    def _tangent_of(self, label):
        label = label.split(" ")[0]
        for r in self.records:
            if r["node"] == label:
                return r["tangent"]
        return None

    def __str__(self):
        return self.table() + "\n\n" + self.conclusion()

    def __repr__(self):
        return f"<chainrule.Explanation of {len(self.records)} nodes; print() it>"


def explain(fun, x, direction=None):
    """The chain rule on the graph of ``fun`` at ``x``, step by step, in both modes.

    Parameters
    ----------
    fun : callable
        A function of one float array (or number).
    x : float or array_like
        Where to differentiate.
    direction : array_like, optional
        The tangent the forward sweep starts with (default: ones, so for a scalar ``x`` the
        forward sweep gives ``df/dx``; for a vector ``x`` it gives the derivative along it).

    Returns
    -------
    Explanation
        ``print()`` it for the table; ``.records`` holds the same as data, and
        ``.forward_sweep()`` / ``.reverse_sweep()`` write each sweep out.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> e = cr.explain(lambda x: np.sin(x) * x, 1.0)
    >>> print(e)                                      # doctest: +NORMALIZE_WHITESPACE
    node  operation               value   local partials                tangent dv/dx  adjoint df/dv
    ----  ----------------------  ------  ----------------------------  -------------  -------------
    x     input                   1       -                             1              1.382
    v1    v1 = sin(x)             0.8415  ∂v1/∂x = 0.5403               0.5403         1
    v2    v2 = v1 * x (multiply)  0.8415  ∂v2/∂v1 = 1, ∂v2/∂x = 0.8415  1.382          1
    <BLANKLINE>
    Both sweeps give the derivative: forward (tangent of f) 1.381773291, reverse (adjoint of x) 1.381773291.
    """
    x = np.asarray(plain(x))
    if x.dtype.kind not in "fc":
        x = x.astype(float)
    d = np.ones_like(x) if direction is None else np.asarray(direction, dtype=x.dtype)
    if d.shape != x.shape:
        raise ValueError(f"direction has shape {d.shape} but x has shape {x.shape}; give one "
                         "tangent entry per entry of x")
    nodes, _ = trace(fun, (x,), (d,))
    adj = adjoints(nodes)
    records = []
    for n in nodes:
        if n.kind == "const":
            continue
        records.append({
            "node": n.label,
            "op": n.name if n.kind == "op" else "input",
            "formula": formula(n, nodes, named=True) if n.kind == "op" else n.label,
            "inputs": [nodes[i].label for i in n.inputs],
            "shape": shape_text(n.shape, n.dtype),
            "value": n.value,
            "partials": local_partials(n, nodes) if n.kind == "op" else {},
            "tangent": n.tangent,
            "adjoint": adj.get(n.index),
        })
    out = output_index(nodes)
    if records and records[-1]["node"] != nodes[out].label:   # f is not the last op
        i = next(k for k, r in enumerate(records) if r["node"] == nodes[out].label)
        records = records[:i + 1]
    partials = {(j, n.index): d for n in nodes if n.kind == "op"
                for j, d in partials_by_argument(n, nodes).items()}
    forward = plain(nodes[out].tangent)
    reverse = adj.get(nodes[0].index, np.zeros_like(x))
    return Explanation(records, np.asarray(forward), np.asarray(reverse), d,
                       Graph(nodes, values=True, grads=adj, partials=partials))
