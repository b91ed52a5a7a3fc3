"""``cr.graph``: the computational graph, as DOT text, a rendered picture, or a text drawing.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> g = cr.graph(lambda x: np.log(x ** 2) * np.sin(x) + 1 / x, 2.0)
>>> print(g)                                               # doctest: +NORMALIZE_WHITESPACE
f = v6 = v4 + v5 (add)                      scalar float64
├── v4 = v2 * v3 (multiply)                 scalar float64
│   ├── v2 = log(v1)                        scalar float64
│   │   └── v1 = x ** 2 (power)             scalar float64
│   │       ├── x                           input, scalar float64
│   │       └── 2                           constant
│   └── v3 = sin(x)                         scalar float64
│       └── x                               input, scalar float64
└── v5 = 1 / x (divide)                     scalar float64
    ├── 1                                   constant
    └── x                                   input, scalar float64
>>> g.to_dot().splitlines()[0]
'digraph chainrule {'
"""
import shutil
from collections import Counter

import numpy as np

from ..tensor import Tensor
from .record import from_result, from_tensor_run, trace
from .sweeps import adjoints, partials_by_argument
from .text import formula, shape_text, value_text

__all__ = ["graph", "Graph", "GraphvizMissing"]

INSTALL_HELP = (
    "Rendering a graph needs the Graphviz program `dot` and the Python package `graphviz`. "
    "Install them with `python -m pip install graphviz` and your system's package manager "
    "(Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: `brew install graphviz`; conda: "
    "`conda install -c conda-forge graphviz`; Windows: the installer from "
    "https://graphviz.org/download/, with `dot` on PATH). Without them, graph.to_dot() still "
    "gives the DOT text, and str(graph) a text drawing.")


class GraphvizMissing(RuntimeError):
    """Graphviz (the ``dot`` program or the ``graphviz`` package) is not installed.

    Examples
    --------
    >>> import chainrule as cr
    >>> issubclass(cr.GraphvizMissing, RuntimeError)
    True
    """


def _esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# ---------------------------------------------------------------------- display boxes
class _Box:
    """What the drawings show: one node, or several collapsed into one."""

    def __init__(self, key, kind, title, detail="", extra=(), members=()):
        self.key, self.kind, self.title, self.detail = key, kind, title, detail
        self.extra = list(extra)
        self.members = list(members)
        self.output = False


def _periodic(names):
    """``'(multiply → add → tanh) × 100'`` for a repeating run, else a run-length text."""
    n = len(names)
    for p in range(1, 7):
        if n >= 2 * p and n % p == 0 and all(names[i] == names[i % p] for i in range(n)):
            body = " → ".join(names[:p])
            return f"({body}) × {n // p}" if p > 1 else f"{body} × {n}"
    runs = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    parts = [f"{a} ×{k}" if k > 1 else a for a, k in runs]
    return " → ".join(parts[:4]) + (" → …" if len(parts) > 4 else "")


def _counts(names):
    c = Counter(names)
    return ", ".join(f"{a} ×{k}" for a, k in c.most_common(4)) + (", …" if len(c) > 4 else "")


class Graph:
    """A computational graph: inputs, constants and operations, and the data flow between
    them.  Made by :func:`graph`; see there.

    Attributes: ``nodes`` (all :class:`~chainrule.visual.record.GraphNode`, in evaluation
    order), ``inputs``, ``ops``, ``output`` (the node of the result).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> g = cr.graph(lambda x: np.sin(x) * x, 1.0)
    >>> len(g.inputs), len(g.ops)
    (1, 2)
    >>> g.to_dot().startswith("digraph")
    True
    """

    def __init__(self, nodes, values=False, grads=None, limit=40, title=None, partials=None):
        self.nodes = list(nodes)
        self.values = values
        self.grads = grads          # adjoints per node index, or None
        self.partials = partials    # {(argument position, node index): partial}, or None
        self.limit = limit
        self.title = title

    @property
    def inputs(self):
        return [n for n in self.nodes if n.kind == "input"]

    @property
    def ops(self):
        return [n for n in self.nodes if n.kind == "op"]

    @property
    def output(self):
        outs = [n for n in self.nodes if n.output]
        return outs[-1] if outs else self.nodes[-1]

    def __len__(self):
        return len(self.nodes)

    # -------------------------------------------------------------- what to show
    def _lines(self, n):
        extra = []
        if self.values and n.kind != "const" and n.value is not None:
            extra.append(f"value {value_text(n.value)}")
        if self.grads is not None and self.grads.get(n.index) is not None:
            extra.append(f"df/d{n.label} = {value_text(self.grads[n.index])}")
        return extra

    def boxes(self):
        """The boxes and edges the drawings show: ``(boxes, edges)``, each edge a tuple
        ``(from key, to key, label or None)``.

        Up to ``limit`` nodes every node is a box.  Past it, constants fold into the label of
        the operation that uses them, chains of one-input operations collapse into one box
        (a repeating chain is written ``(multiply → add → tanh) × 100``), and if that is still
        too many, the middle of the evaluation order is summarised in one box.
        """
        nodes = self.nodes
        big = len(nodes) > self.limit
        users = Counter(i for n in nodes for i in set(n.inputs))
        box_of, boxes = {}, []
        for n in nodes:
            if n.kind == "const" and big:
                continue
            if n.kind == "input":
                b = _Box(n.index, "input", n.label, f"input · {shape_text(n.shape, n.dtype)}")
            elif n.kind == "const":
                b = _Box(n.index, "const", n.label,
                         "" if not n.shape else shape_text(n.shape, n.dtype))
            else:
                live = [i for i in n.inputs if nodes[i].kind != "const"]
                prev = box_of.get(live[0]) if len(live) == 1 else None
                if (big and prev is not None and prev.kind == "op" and not prev.output
                        and users[prev.members[-1]] == 1):
                    prev.members.append(n.index)       # extend the chain
                    box_of[n.index] = prev
                    prev.output = n.output
                    continue
                b = _Box(n.index, "op", n.name, formula(n, nodes) + " · "
                         + shape_text(n.shape, n.dtype))
            b.members = [n.index]
            b.extra = self._lines(n)
            b.output = n.output
            box_of[n.index] = b
            boxes.append(b)
        for b in boxes:        # collapsed chains get their summary label
            if b.kind == "op" and len(b.members) > 1:
                last = nodes[b.members[-1]]
                b.title = _periodic([nodes[i].name for i in b.members])
                b.detail = (f"{len(b.members)} operations, {nodes[b.members[0]].label} … "
                            f"{last.label} · {shape_text(last.shape, last.dtype)}")
                b.extra = self._lines(last)
        edges, seen = [], set()
        for n in nodes:
            b = box_of.get(n.index)
            if b is None or n.kind != "op":
                continue
            for j, i in enumerate(n.inputs):
                a = box_of.get(i)
                if a is None or a is b or (len(b.members) > 1 and (a.key, b.key) in seen):
                    continue
                seen.add((a.key, b.key))
                d = (self.partials or {}).get((j, n.index))
                label = (f"∂{n.label}/∂{nodes[i].label} = {value_text(d)}"
                         if d is not None and np.ndim(d) == 0 and len(b.members) == 1
                         else None)
                edges.append((a.key, b.key, label))
        if big and len(boxes) > self.limit:
            boxes, edges = self._summarise(boxes, edges)
        return boxes, edges

    def _summarise(self, boxes, edges):
        keep = max(3, self.limit // 4)
        first, middle, last = boxes[:keep], boxes[keep:len(boxes) - keep], boxes[-keep:]
        hidden = {b.key for b in middle}
        names = [self.nodes[i].name for b in middle for i in b.members
                 if self.nodes[i].kind == "op"]
        mid = _Box("summary", "summary", f"… {len(names)} more operations …", _counts(names))
        mid.members = [i for b in middle for i in b.members]
        out = []
        for a, b, label in edges:
            a2 = "summary" if a in hidden else a
            b2 = "summary" if b in hidden else b
            if (a2, b2) == (a, b):
                out.append((a, b, label))
            elif a2 != b2 and (a2, b2, None) not in out:
                out.append((a2, b2, None))
        return first + [mid] + last, out

    # -------------------------------------------------------------- DOT and pictures
    def to_dot(self):
        """The graph in Graphviz's DOT language (needs nothing installed)."""
        boxes, edges = self.boxes()
        style = {
            "input": 'shape=ellipse, style=filled, fillcolor="#dbeafe", color="#2563eb"',
            "const": 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", '
                     'color="#9ca3af", fontsize=11',
            "op": 'shape=box, style="rounded,filled", fillcolor="#fef3c7", color="#b45309"',
            "summary": 'shape=box, style="dashed,filled", fillcolor="#ffffff", color="#6b7280"',
        }
        direction = "LR" if len(boxes) <= 16 else "TB"   # long graphs: down the page
        lines = ["digraph chainrule {",
                 f'  graph [rankdir={direction}, fontname="Helvetica", nodesep=0.25, '
                 'ranksep=0.45, pad=0.2, bgcolor="white"];',
                 '  node [fontname="Helvetica", fontsize=13, margin="0.12,0.05"];',
                 '  edge [color="#4b5563", arrowsize=0.7, fontname="Helvetica"];']
        if self.title:
            lines.append(f'  label=<{_esc(self.title)}>; labelloc=t; fontsize=14;')
        for b in boxes:
            rows = [f"<b>{_esc(b.title)}</b>"]
            if b.detail:
                rows.append(f'<font point-size="10" color="#374151">{_esc(b.detail)}</font>')
            for e in b.extra:
                rows.append(f'<font point-size="10" color="#1d4ed8">{_esc(e)}</font>')
            label = "<br/>".join(rows)
            st = style[b.kind]
            if b.output:
                st = ('shape=box, style="rounded,filled,bold", fillcolor="#dcfce7", '
                      'color="#15803d", peripheries=2')
            lines.append(f"  n{b.key} [label=<{label}>, {st}];")
        for a, b, lab in edges:
            attr = (f' [label=<<font point-size="10" color="#7c2d12">{_esc(lab)}</font>>]'
                    if lab else "")
            lines.append(f"  n{a} -> n{b}{attr};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _pipe(self, fmt):
        try:
            import graphviz
        except ImportError:
            raise GraphvizMissing("the Python package `graphviz` is not installed. "
                                  + INSTALL_HELP) from None
        if shutil.which("dot") is None:
            raise GraphvizMissing("the Graphviz program `dot` was not found on PATH. "
                                  + INSTALL_HELP)
        try:
            return graphviz.Source(self.to_dot()).pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise GraphvizMissing("the Graphviz program `dot` could not be run. "
                                  + INSTALL_HELP) from None

    def render(self, path):
        """Write the picture to ``path``: SVG, PNG or PDF by its extension (through Graphviz),
        or DOT text for ``.dot`` / ``.gv``.  Returns ``path``.

        Raises :class:`GraphvizMissing` (with how to install Graphviz) when ``dot`` or the
        ``graphviz`` package is missing; :meth:`to_dot` works without them.
        """
        path = str(path)
        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if ext in ("dot", "gv"):
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.to_dot())
            return path
        if ext not in ("svg", "png", "pdf"):
            raise ValueError(f"render() writes .svg, .png, .pdf or .dot files, not {path!r}")
        data = self._pipe(ext)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _repr_svg_(self):
        """The picture for Jupyter (``None`` without Graphviz, so Jupyter shows the text)."""
        try:
            return self._pipe("svg").decode("utf-8")
        except GraphvizMissing:
            return None

    # -------------------------------------------------------------- text drawing
    def _text(self, b):
        """(left, right) text of a box: what it computes, and its shape and extras."""
        if b.kind == "op" and len(b.members) == 1:
            main = self.nodes[b.key]
            left, right = formula(main, self.nodes, named=True), shape_text(main.shape,
                                                                            main.dtype)
        elif b.kind == "op":
            first, last = self.nodes[b.members[0]], self.nodes[b.members[-1]]
            src = [self.nodes[i].label for i in first.inputs]
            left = f"{first.label} … {last.label} = {b.title}"
            right = f"{len(b.members)} operations on {', '.join(src)}, " + shape_text(
                last.shape, last.dtype)
        elif b.kind == "input":
            n = self.nodes[b.key]
            left, right = b.title, "input, " + shape_text(n.shape, n.dtype)
        elif b.kind == "const":
            left, right = b.title, "constant" + (f", {b.detail}" if b.detail else "")
        else:
            left, right = b.title, b.detail
        if b.extra:
            right += "  " + "; ".join(b.extra)
        return left, right

    def _tree(self, boxes, edges, max_rows, max_depth):
        """Rows of the tree drawn from the output, or ``None`` if it is too big or deep."""
        by_key = {b.key: b for b in boxes}
        ins = {}
        for a, b, _ in edges:
            ins.setdefault(b, []).append(a)
        roots = [b for b in boxes if b.output] or [boxes[-1]]
        rows, shown = [], set()

        def walk(b, prefix, tail, depth):
            if len(rows) > max_rows or depth > max_depth:
                raise OverflowError
            left, right = self._text(b)
            again = b.kind in ("op", "summary") and b.key in shown
            if again:
                left, right = left.split(" = ")[0] + "  (drawn above)", ""
            if b.output and depth == 0:
                left = ("f = " if len(roots) == 1 else f"f[{roots.index(b)}] = ") + left
            lead = "" if depth == 0 else prefix + ("└── " if tail else "├── ")
            rows.append((lead + left, right))
            if again:
                return
            shown.add(b.key)
            kids = [by_key[k] for k in ins.get(b.key, [])]
            sub = "" if depth == 0 else prefix + ("    " if tail else "│   ")
            for j, k in enumerate(kids):
                walk(k, sub, j == len(kids) - 1, depth + 1)

        try:
            for root in roots:
                walk(root, "", True, 0)
        except OverflowError:
            return None
        return rows

    def __str__(self):
        """A text drawing: the tree of the output's inputs, or past ``limit`` nodes, one line
        per (collapsed) step in evaluation order."""
        boxes, edges = self.boxes()
        rows = self._tree(boxes, edges, max_rows=2 * self.limit, max_depth=10)
        if rows is None:
            rows = []
            for b in boxes:
                if b.kind == "const":
                    continue
                left, right = self._text(b)
                rows.append((("f = " if b.output else "    ") + left, right))
        width = max(42, min(max(len(a) for a, _ in rows), 56))
        return "\n".join(f"{a:<{width}}  {b}".rstrip() for a, b in rows)

    def __repr__(self):
        return (f"<chainrule.Graph: {len(self.inputs)} input(s), {len(self.ops)} operation(s), "
                f"{len(self.nodes) - len(self.inputs) - len(self.ops)} constant(s); "
                "print() it, .to_dot(), .render('g.svg')>")


def graph(y, *args, values=False, grads=False, partials=False, limit=40, title=None):
    """The computational graph of a result tensor, or of a function at some arguments.

    Parameters
    ----------
    y : Tensor or callable
        ``cr.graph(y)`` reads the graph the engine recorded behind the tensor ``y``;
        ``cr.graph(fun, *args)`` runs ``fun(*args)`` and records every operation, constant
        and value (float arguments are the inputs).
    values : bool
        Show each node's value in the picture and the text.
    grads : bool
        Show each node's adjoint, the derivative of the output with respect to that node
        (the gradient for the inputs).  Needs ``cr.graph(fun, *args)``.
    partials : bool
        Label each arrow with its local partial derivative, ``∂v2/∂v1 = 0.25``: the terms
        the chain rule multiplies along the paths.  Needs ``cr.graph(fun, *args)``.
    limit : int
        Past this many nodes the drawings collapse repeated structure (see
        :meth:`Graph.boxes`).
    title : str, optional
        A caption for the picture.

    Returns
    -------
    Graph
        ``.to_dot()``, ``.render("g.svg")`` (or ``.png``), ``str(graph)``, ``_repr_svg_()``.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> print(cr.graph(np.sum(x * x)))                     # doctest: +NORMALIZE_WHITESPACE
    f = v2 = sum(v1, axis=(-1,))                scalar float64
    └── v1 = x * x (multiply)                   2 float64
        ├── x                                   input, 2 float64
        └── x                                   input, 2 float64
    """
    if isinstance(y, Tensor):
        if args:
            raise TypeError("cr.graph(y) takes one tensor; for a function write "
                            "cr.graph(fun, *args)")
        nodes = from_result(y)
    elif callable(y):
        try:
            nodes, _ = trace(y, args)
        except NotImplementedError:
            if grads or partials:
                raise
            nodes = from_tensor_run(y, args)   # element writes: the engine's own graph
    else:
        raise TypeError(f"cr.graph takes a result tensor or a function and its arguments, "
                        f"not {type(y).__name__}")
    adj = parts = None
    if grads:
        adj = adjoints(nodes)
    if partials:
        parts = {(j, n.index): d for n in nodes if n.kind == "op"
                 for j, d in partials_by_argument(n, nodes).items()}
    return Graph(nodes, values=values, grads=adj, partials=parts, limit=limit, title=title)
