"""Text for the drawings and tables: shapes, short values, aligned tables."""
import numpy as np

__all__ = ["shape_text", "value_text", "table", "formula"]

INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/",
         "power": "**", "matmul": "@", "floor_divide": "//", "remainder": "%"}
PREFIX = {"negative": "-"}


def shape_text(shape, dtype=None):
    """``'scalar float64'``, ``'3×4 float32'``: a node's shape and dtype for labels."""
    s = "scalar" if len(shape) == 0 else "×".join(str(d) for d in shape)
    return s if dtype is None else f"{s} {np.dtype(dtype).name}"


def value_text(v, digits=4):
    """A short text for a value: ``'1.761'``, ``'[0.1, 0.2, 0.3, …]'``."""
    if v is None:
        return "?"
    a = np.asarray(v)
    if a.dtype.kind == "f":
        a = a + 0.0                      # -0.0 reads as 0
    fmt = (lambda e: f"{e:.{digits}g}") if a.dtype.kind in "fc" else str
    if a.ndim == 0:
        return fmt(a[()])
    flat = a.ravel()
    head = ", ".join(fmt(e) for e in flat[:3])
    more = ", …" if flat.size > 3 else ""
    return f"[{head}{more}]" if a.ndim == 1 else f"{shape_text(a.shape)} [{head}{more}]"


def table(head, rows):
    """``head`` and ``rows`` (tuples of strings) as left-aligned columns, with a rule under
    the head."""
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(head)]

    def line(cells):
        return "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def formula(node, nodes, named=False):
    """The operation of an op node written with its inputs' labels: ``'v1 = x ** 2'``, or
    with ``named``, ``'v1 = x ** 2 (power)'`` where the formula does not show the name."""
    text = _formula(node, nodes)
    if named and f"{node.name}(" not in text and node.name != "getitem":
        text += f" ({node.name})"
    return text


def _formula(node, nodes):
    args = [nodes[i].label for i in node.inputs]
    name = node.name
    if name in INFIX and len(args) == 2:
        rhs = f"{args[0]} {INFIX[name]} {args[1]}"
    elif name in PREFIX and len(args) == 1:
        rhs = f"{PREFIX[name]}{args[0]}"
    elif name == "getitem" and len(args) == 1 and "idx" in node.kw:
        rhs = f"{args[0]}[{_index_text(node.kw['idx'])}]"
    else:
        kw = [f"{k}={value_text(v) if isinstance(v, np.ndarray) else v!r}"
              for k, v in node.kw.items()
              if k != "shape" and v is not None and v is not False]
        rhs = f"{name}({', '.join(args + kw)})"
    return f"{node.label} = {rhs}"


def _index_text(idx):
    """``x[...]``'s index as Python writes it: ``0``, ``1:3``, ``::2, None``, ``[0, 2]``."""
    if isinstance(idx, tuple):
        return ", ".join(_index_text(i) for i in idx) if idx else "()"
    if isinstance(idx, slice):
        a, b, c = ("" if v is None else str(v) for v in (idx.start, idx.stop, idx.step))
        return f"{a}:{b}" + (f":{c}" if c else "")
    if idx is Ellipsis:
        return "..."
    if isinstance(idx, np.ndarray):
        return value_text(idx)
    return str(idx)
