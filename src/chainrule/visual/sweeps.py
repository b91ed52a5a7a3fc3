"""The chain rule's terms on a traced graph, computed by the engine: every node's adjoint
(reverse mode, one :func:`chainrule.vjp` of a replay) and every operation's local partial
derivatives (:func:`chainrule.jacobian` of the operation alone).

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule.visual.record import trace
>>> nodes, _ = trace(lambda x: np.sin(x) * x, (1.0,))
>>> round(float(adjoints(nodes)[0]), 6)                       # df/dx
1.381773
"""
import numpy as np

from ..transforms import jacobian, vjp
from .record import replay

__all__ = ["adjoints", "partials_by_argument", "local_partials", "output_index"]

_JAC_MAX = 256     # local Jacobians up to this many entries are computed and shown


def _float(n):
    return n.dtype is not None and np.dtype(n.dtype).kind in "fc"


def output_index(nodes):
    """The index of the (last) output node."""
    outs = [n.index for n in nodes if n.output]
    return outs[-1] if outs else len(nodes) - 1


def adjoints(nodes, seed=None):
    """``{node index: df/dnode}`` for every float node of a traced graph (reverse mode).

    ``seed`` is the cotangent of the output (default: ones, i.e. the gradient of the sum of
    the output, as ``backward()`` does for a non-scalar result).
    """
    ins = [n for n in nodes if n.kind == "input"]
    keys = [n.index for n in nodes if n.kind != "const" and _float(n)]
    out = output_index(nodes)

    def shifted(*shifts):
        return replay(nodes, [n.value for n in ins], dict(zip(keys, shifts)))[out]

    zeros = [np.zeros(nodes[k].shape, dtype=nodes[k].dtype) for k in keys]
    value, pull = vjp(shifted, *zeros)
    if seed is None:
        seed = np.ones_like(np.asarray(value))
    grads = pull(np.asarray(seed, dtype=np.asarray(value).dtype))
    return {k: np.asarray(g) for k, g in zip(keys, grads)}


def partials_by_argument(node, nodes):
    """``{argument position: d node / d argument}`` for the float, non-constant arguments of
    an op node: a number for scalars, the Jacobian (shape ``node.shape + argument.shape``)
    for arrays, ``None`` where that Jacobian would have more than 256 entries."""
    parts = {}
    args = [nodes[i].value for i in node.inputs]
    for j, i in enumerate(node.inputs):
        src = nodes[i]
        if src.kind == "const" or not _float(src):
            continue
        if int(np.prod(node.shape)) * int(np.prod(src.shape)) > _JAC_MAX:
            parts[j] = None
            continue

        def alone(u, j=j):
            a = list(args)
            a[j] = u
            return node.op(*a, **node.kw)
        d = np.asarray(jacobian(alone)(np.asarray(src.value)))
        parts[j] = d.item() if d.ndim == 0 else d
    return parts


def local_partials(node, nodes):
    """``{input label: d node / d input}`` (see :func:`partials_by_argument`); an input
    used twice gets a second key, ``'x (argument 2)'``."""
    parts = {}
    for j, d in partials_by_argument(node, nodes).items():
        label = nodes[node.inputs[j]].label
        parts[label if label not in parts else f"{label} (argument {j + 1})"] = d
    return parts
