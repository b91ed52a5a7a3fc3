"""Text for the drawings and tables: shapes, short values, aligned tables."""
import numpy as np

__all__ = ["shape_text", "value_text", "table"]


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
