"""Reading a computation as a list of graph nodes: the one place that knows the engine.

Two ways in, both giving a list of :class:`GraphNode` in evaluation order:

- :func:`from_result` reads the graph the engine recorded behind a tensor (``y._node``).  It
  shows what the engine keeps: the structure always, values only where the backward pass
  saved them (a constant that no derivative rule reads, such as the ``1`` of ``x + 1``, is
  shown without its value).
- :func:`trace` runs a function in forward mode (:func:`chainrule.jvp`) while
  :class:`chainrule.engine.watch_ops` reports every operation with all its arguments, so every
  value, constant and forward-mode tangent is known.

:func:`replay` runs the operations of such a list again on new values (through the engine, so
the replay can itself be differentiated), and :func:`recorded` counts what the engine keeps.
The rest of :mod:`chainrule.visual` uses only these names.

What this module reads of the engine, and nothing else: a tensor's ``data``, ``_node``,
``_level`` and ``_tangent``; a graph node's ``prim`` (``name``, ``nondiff``), ``parents``,
``raws`` (the inputs it kept, ``None`` where not kept), ``ans``, ``kw``, ``shape`` and
``seq``; a leaf's ``ref``, ``shape`` and ``dtype``; :class:`chainrule.engine.watch_ops`;
and calling a primitive.
"""
import inspect
import numbers

import numpy as np

from .. import engine
from ..arrays import is_other, type_name
from ..tensor import Tensor, plain, refresh_view
from ..transforms import jvp

__all__ = ["GraphNode", "from_result", "from_tensor_run", "trace", "replay", "recorded"]


class GraphNode:
    """One node of a computational graph.

    ``kind`` is ``"input"``, ``"const"`` or ``"op"``; ``name`` is the input's name, the
    operation's name (``"sin"``) or the constant's text; ``inputs`` are the indices of the
    argument nodes (operations only); ``value`` and ``tangent`` are ndarrays or ``None`` when
    unknown; ``label`` names the node in tables (``x``, ``v3``, ``2``).
    """

    __slots__ = ("index", "kind", "name", "inputs", "shape", "dtype", "value", "tangent",
                 "label", "op", "kw", "output")

    def __init__(self, index, kind, name, inputs=(), shape=(), dtype=None, value=None,
                 tangent=None, label=None, op=None, kw=None):
        self.index, self.kind, self.name, self.inputs = index, kind, name, tuple(inputs)
        self.shape, self.dtype, self.value, self.tangent = tuple(shape), dtype, value, tangent
        self.label = label or name
        self.op, self.kw = op, kw or {}
        self.output = False

    def __repr__(self):
        args = ", ".join(str(i) for i in self.inputs)
        return f"<{self.kind} {self.label}: {self.name}({args}) shape={self.shape}>"


def _copy(x):
    """A snapshot of ``x``'s plain value (the function may write into it later)."""
    x = plain(x)
    return x.copy() if isinstance(x, np.ndarray) else x


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _const_text(v):
    if v is None:
        return "const"
    a = np.asarray(v)
    if a.ndim == 0:
        return f"{a[()]:.4g}" if a.dtype.kind in "fc" else str(a[()])
    if a.size <= 4 and a.ndim == 1:
        return "[" + ", ".join(f"{e:.3g}" if a.dtype.kind in "fc" else str(e)
                               for e in a.tolist()) + "]"
    return f"array{a.shape}"


def _dtype(v):
    return None if v is None else np.asarray(v).dtype


def _label_ops(nodes):
    k = 0
    for n in nodes:
        if n.kind == "op":
            k += 1
            n.label = f"v{k}"
    return nodes


# ---------------------------------------------------------------------- from a tensor
def from_result(y, names=None):
    """The graph recorded behind the tensor ``y``, as a list of :class:`GraphNode`.

    ``names`` maps input tensors' ids to names; other inputs are called ``x`` (one) or
    ``x1, x2, ...``.
    """
    if not isinstance(y, Tensor):
        raise TypeError(f"cr.graph(y) takes a tensor, got {type(y).__name__}; for a function "
                        "write cr.graph(fun, *args)")
    if y._base is not None:
        refresh_view(y)
    root = y._node
    if root is None:
        raise ValueError("this tensor has no recorded graph (it does not require grad, or it "
                         "was made under cr.no_grad()); make its inputs with "
                         "requires_grad=True, or use cr.graph(fun, *args)")
    # every node reachable from the root, inputs before the nodes that use them
    seen, order, stack = set(), [], [root]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        stack.extend(p for p in (getattr(n, "parents", None) or ()) if p is not None)
    order.sort(key=lambda n: n.seq)
    # values the graph saved: a node's output (if kept) or an input a consumer kept
    known = {}
    for n in order:
        if n.prim is None:
            t = n.ref()
            if t is not None:
                known[id(n)] = plain(t.data)
        elif n.ans is not None:
            known[id(n)] = plain(n.ans)
        for p, r in zip(getattr(n, "parents", None) or (), getattr(n, "raws", None) or ()):
            if p is not None and r is not None:
                known.setdefault(id(p), plain(r))
    known[id(root)] = plain(y.data)
    leaves = [n for n in order if n.prim is None]
    names = names or {}
    nodes, index = [], {}
    for n in order:
        value = known.get(id(n))
        if n.prim is None:
            t = n.ref()
            name = names.get(id(t)) if t is not None else None
            name = name or ("x" if len(leaves) == 1 else f"x{leaves.index(n) + 1}")
            g = GraphNode(len(nodes), "input", name, shape=n.shape, dtype=n.dtype, value=value)
        else:
            ins = []
            raws = n.raws or (None,) * len(n.parents)
            for p, r in zip(n.parents, raws):
                if p is None:
                    r = plain(r)
                    c = GraphNode(len(nodes), "const", _const_text(r), shape=np.shape(r)
                                  if r is not None else (), dtype=_dtype(r), value=r)
                    nodes.append(c)
                    ins.append(c.index)
                else:
                    ins.append(index[id(p)])
            dtype = _dtype(value)
            if dtype is None and not getattr(n.prim, "nondiff", False):
                # not kept: the type NumPy's promotion gives the inputs (a float op's type)
                known_types = [nodes[i].value if nodes[i].kind == "const" else
                               np.empty(0, nodes[i].dtype) for i in ins
                               if nodes[i].dtype is not None or nodes[i].value is not None]
                dtype = np.result_type(*known_types) if known_types else None
            g = GraphNode(len(nodes), "op", n.prim.name, ins, shape=n.shape,
                          dtype=dtype, value=value, op=n.prim, kw=n.kw)
        index[id(n)] = g.index
        nodes.append(g)
    nodes[index[id(root)]].dtype = y.dtype
    nodes[index[id(root)]].output = True
    return _label_ops(nodes)


# ---------------------------------------------------------------------- from a function
def _arg_names(fun, n):
    try:
        params = [p.name for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) >= n:
        return params[:n]
    return ["x"] if n == 1 else [f"x{i + 1}" for i in range(n)]


def _is_input(a):
    if is_other(plain(a)):
        raise TypeError(
            f"cr.graph records NumPy computations; an argument is a "
            f"{type_name(plain(a))}. Draw the graph on host copies (cupy.asnumpy(x), "
            "x.compute() for Dask): it is the same graph, and gradients on the device need "
            "no pictures")
    if isinstance(a, Tensor):
        return a.dtype.kind in "fc"
    if isinstance(a, numbers.Number):          # an int (a count, an exponent) stays as given
        return not isinstance(a, numbers.Integral)
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def trace(fun, args, tangents=None):
    """Run ``fun(*args)`` and return ``(nodes, out)``: every operation as a GraphNode.

    Float arguments (numbers and arrays) are the graph's inputs; other arguments, ints
    included, are passed through as they are.
    Each node's ``tangent`` is its forward-mode tangent along ``tangents`` (one per input;
    default: ones).  ``out`` is the plain value of ``fun(*args)``.
    """
    where = [i for i, a in enumerate(args) if _is_input(a)]
    if not where:
        raise TypeError("cr.graph(fun, *args) needs at least one float argument to follow; got "
                        + ", ".join(type(a).__name__ for a in args))
    primals = tuple(np.asarray(plain(args[i]), dtype=float)
                    if np.asarray(plain(args[i])).dtype.kind not in "fc"
                    else np.asarray(plain(args[i])) for i in where)
    if tangents is None:
        tangents = tuple(np.ones_like(p) for p in primals)
    else:
        tangents = tuple(np.asarray(t, dtype=p.dtype) for p, t in zip(primals, tangents))
    names = _arg_names(fun, len(args))
    nodes, index, keep = [], {}, []
    tangent_of = {}      # node index -> the tangent object its tensor carried
    by_tangent = {}      # id(tangent object) -> node indices that carried it
    level = [None]
    results = []

    def add(node, t):
        index[id(t)] = node.index
        tan = t._tangent
        tangent_of[node.index] = tan
        if tan is not None:
            by_tangent.setdefault(id(tan), []).append(node.index)
        nodes.append(node)
        keep.append((t, tan))           # ids stay unique while the trace runs

    def resolve(v):
        """The node a tensor of this level stands for, or None for a constant.

        A tensor written in place (``y += ...``) keeps its identity but carries the tangent
        of the operation that computed the new value, so the tangent decides."""
        k = index.get(id(v))
        tan = v._tangent
        now = plain(v.data)
        if k is not None and tangent_of[k] is tan and _same(nodes[k].value, now):
            return k
        if tan is None:
            return None
        found = [j for j in by_tangent.get(id(tan), ()) if _same(nodes[j].value, now)]
        if not found:
            raise NotImplementedError(
                "cr.explain (and cr.graph with grads or partials) replays operations, but "
                "this function writes into an array element by element (y[i] = ...), which "
                "it cannot replay yet. Build the array from operations instead (np.stack, "
                "np.concatenate, np.where, cr.tensor([...])); cr.graph(fun, x) without grads "
                "still draws it, and the derivative itself (cr.grad) is not affected.")
        return found[-1]

    def run(*xs):
        full = list(args)
        for i, x in zip(where, xs):
            full[i] = x
            level[0] = x._level
            add(GraphNode(len(nodes), "input", names[i], shape=x.shape, dtype=x.dtype,
                          value=_copy(x.data), tangent=_copy(x._tangent)), x)
        res = fun(*full)
        for r in (res if isinstance(res, (tuple, list)) else (res,)):
            if isinstance(r, Tensor) and r._level == level[0]:
                k = resolve(r)
                if k is not None:
                    results.append(k)
        return res

    def watcher(prim, a, kw, out):
        if out._level != level[0]:
            return                      # an operation of a transform nested inside fun
        ins = []
        for v in a:
            k = resolve(v) if isinstance(v, Tensor) and v._level == level[0] else None
            if k is None:
                r = _copy(v)
                k = len(nodes)
                nodes.append(GraphNode(k, "const", _const_text(r), shape=np.shape(r),
                                       dtype=_dtype(r), value=r))
            ins.append(k)
        tan = out._tangent
        add(GraphNode(len(nodes), "op", prim.name, ins, shape=out.shape, dtype=out.dtype,
                      value=_copy(out.data), op=prim, kw=kw,
                      tangent=None if tan is None else _copy(tan)), out)

    with engine.watch_ops(watcher):
        out, _ = jvp(lambda *xs: run(*xs), primals, tangents)
    for k in results:
        nodes[k].output = True
    if results:
        nodes = _ancestors(nodes, results)
    for n in nodes:    # a tangent the engine never made is zero
        if n.kind != "const" and n.tangent is None:
            n.tangent = np.zeros(n.shape, dtype=n.dtype)
    return _label_ops(nodes), out


def _ancestors(nodes, outs):
    """The inputs and the nodes the outputs ``outs`` depend on (what fun computed besides is
    dropped), renumbered in evaluation order."""
    need, stack = set(), list(outs)
    while stack:
        k = stack.pop()
        if k not in need:
            need.add(k)
            stack.extend(nodes[k].inputs)
    kept = [n for n in nodes if n.index in need or n.kind == "input"]
    new = {n.index: i for i, n in enumerate(kept)}
    for n in kept:
        n.index = new[n.index]
        n.inputs = tuple(new[i] for i in n.inputs)
    return kept


def from_tensor_run(fun, args):
    """Run ``fun`` on tensors that require grad (the float arguments) and read the graph the
    engine records (:func:`from_result`): what :func:`trace` cannot follow, element writes
    (``y[i] = ...``) included, shows up as the engine's own ``setitem`` nodes."""
    from ..tensor import tensor
    where = [i for i, a in enumerate(args) if _is_input(a)]
    names = _arg_names(fun, len(args))
    full, ids = list(args), {}
    for i in where:
        t = tensor(np.asarray(plain(args[i]), dtype=float)
                   if np.asarray(plain(args[i])).dtype.kind not in "fc" else plain(args[i]),
                   requires_grad=True)
        full[i] = t
        ids[id(t)] = names[i]
    out = fun(*full)
    return from_result(out, names=ids)


# ---------------------------------------------------------------------- replay
def replay(nodes, inputs, shift=None):
    """Run the operations of ``nodes`` again, with ``inputs`` (one value per input node, in
    order) and ``shift[k]`` added to the output of node ``k``; returns every node's value.

    The operations run through the engine, so a replay inside a transform is differentiated.
    """
    vals = [None] * len(nodes)
    it = iter(inputs)
    for n in nodes:
        if n.kind == "input":
            v = next(it)
        elif n.kind == "const":
            if n.value is None:
                raise ValueError("this graph was read from a tensor and the engine did not "
                                 "keep one of its constants; use cr.explain(fun, x) or "
                                 "cr.graph(fun, x), which trace the function")
            v = n.value
        else:
            args = [vals[i] for i in n.inputs]
            v = n.op(*args, **n.kw)
        if shift is not None and shift.get(n.index) is not None:
            v = v + shift[n.index]
        vals[n.index] = v
    return vals


# ---------------------------------------------------------------------- what is kept
def recorded(tensors):
    """``(operations, bytes)``: how many operations the engine recorded behind ``tensors``
    and how many bytes of arrays those records keep for the backward pass."""
    seen, stack, count, kept = set(), [], 0, {}
    for t in tensors:
        if isinstance(t, Tensor) and t._node is not None:
            stack.append(t._node)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.prim is None:
            continue
        count += 1
        for r in list(n.raws or ()) + [n.ans]:
            r = plain(r)
            if isinstance(r, np.ndarray):
                kept[id(r)] = r.nbytes
            elif isinstance(r, np.generic):
                kept[id(r)] = r.itemsize
        stack.extend(p for p in n.parents if p is not None)
    return count, sum(kept.values())
