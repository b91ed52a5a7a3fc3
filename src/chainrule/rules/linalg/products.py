"""Products: the two product primitives, ``matmul`` (fast, BLAS) and a variadic ``einsum`` whose
VJP for each operand is another einsum.  :mod:`chainrule.numpy_api.linalg.products` writes
``dot``, ``inner``, ``outer``, ``tensordot``, ``kron``, ``cross``, ``vdot``, ``multi_dot`` (in
NumPy's order), ``matrix_power`` and friends with them, and parses einsum's subscripts
(:data:`EINSUM_LABELS`, :func:`fresh_labels`).
"""
import functools
import string

import numpy as np

from ..api import batch_ndim, constant_like, defprim
from .common import mT, pad_tangent, reshape_to, result_dtype

__all__ = ["einsum_p", "matmul_p"]


# ---------------------------------------------------------------- matmul
def _promoted(a, b):
    """Shapes of ``a`` and ``b`` as matrices (1-D a is a row, 1-D b a column)."""
    sa, sb = np.shape(a), np.shape(b)
    return (sa if len(sa) > 1 else (1,) + sa), (sb if len(sb) > 1 else sb + (1,))


def _ans_promoted(g, a, b, pa, pb):
    """The shape of the output (``g``) with the axes that 1-D operands dropped put back."""
    sans = np.shape(g)
    stack = sans[:len(sans) - (np.ndim(a) > 1) - (np.ndim(b) > 1)]
    return stack + (pa[-2], pb[-1])


def _matmul_vjp_a(g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if na > 1 and nb > 1:
        return np.matmul(g, mT(b))
    if nb == 1 and na <= 2:             # matrix @ vector, vector @ vector: an outer product
        return np.reshape(g, np.shape(g) + (1,)) * b if na == 2 else g * b
    if na == 1 and nb == 2:             # vector @ matrix
        return np.matmul(b, g)
    pa, pb = _promoted(a, b)
    ga = np.matmul(reshape_to(g, _ans_promoted(g, a, b, pa, pb)), mT(reshape_to(b, pb)))
    return ga if np.ndim(a) > 1 else reshape_to(ga, np.shape(ga)[:-2] + np.shape(a))


def _matmul_vjp_b(g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if na > 1 and nb > 1:
        return np.matmul(mT(a), g)
    if na == 1 and nb <= 2:             # vector @ matrix, vector @ vector: an outer product
        return np.reshape(a, np.shape(a) + (1,)) * g if nb == 2 else g * a
    if na == 2 and nb == 1:             # matrix @ vector
        return np.matmul(g, a)
    pa, pb = _promoted(a, b)
    gb = np.matmul(mT(reshape_to(a, pa)), reshape_to(g, _ans_promoted(g, a, b, pa, pb)))
    return gb if np.ndim(b) > 1 else reshape_to(gb, np.shape(gb)[:-2] + np.shape(b))


def _matmul_jvp_a(t, ans, a, b):
    if np.ndim(a) == 1 and np.ndim(b) == 2:
        return np.matmul(t, b)          # every tangent row times b: one matrix product
    nb = batch_ndim(t, a)
    pa, pb = _promoted(a, b)
    bshape = np.shape(t)[:nb]
    tp = pad_tangent(reshape_to(t, bshape + pa), nb, max(len(pa), len(pb)))
    return reshape_to(np.matmul(tp, reshape_to(b, pb)), bshape + np.shape(ans))


def _matmul_jvp_b(t, ans, a, b):
    if np.ndim(a) == 2 and np.ndim(b) == 1:
        return np.matmul(t, mT(a))     # a @ t_k for every tangent t_k: one matrix product
    nb = batch_ndim(t, b)
    pa, pb = _promoted(a, b)
    bshape = np.shape(t)[:nb]
    tp = pad_tangent(reshape_to(t, bshape + pb), nb, max(len(pa), len(pb)))
    return reshape_to(np.matmul(reshape_to(a, pa), tp), bshape + np.shape(ans))


matmul_p = defprim(np.matmul, name="matmul", vjp=(_matmul_vjp_a, _matmul_vjp_b),
                   jvp=(_matmul_jvp_a, _matmul_jvp_b), keep=('a', 'b'), keep_ans=False)


# ---------------------------------------------------------------- einsum
EINSUM_LABELS = string.ascii_uppercase + string.ascii_lowercase   # ASCII order = NumPy's order


def fresh_labels(used, n):
    free = [c for c in EINSUM_LABELS if c not in used]
    if len(free) < n:
        raise ValueError("einsum: too many distinct subscripts (at most 52 letters)")
    return "".join(free[:n])


@functools.lru_cache(maxsize=512)
def _einsum_parts(spec):
    ins, out = spec.split("->")
    return ins.split(","), out


def _einsum_fn(*ops, spec, optimize):
    return np.einsum(spec, *ops, optimize=optimize)


def _einsum_vjp(i, g, ans, *ops, spec, optimize):
    """Cotangent of operand ``i``: contract ``g`` with the other operands onto ``i``'s
    subscripts.  A repeated subscript (``'ii'``) gets a fresh letter tied to it by an identity
    matrix, which scatters the gradient onto the diagonal; a subscript that only operand ``i``
    has (summed away) comes back through a vector of ones."""
    ins, out = _einsum_parts(spec)
    target = ins[i]
    sizes = {}
    for s, x in zip(ins + [out], ops + (g,)):   # g has the output's shape
        for c, n in zip(s, np.shape(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    terms = [out] + [s for j, s in enumerate(ins) if j != i]
    args = [g] + [x for j, x in enumerate(ops) if j != i]
    have = set("".join(terms))
    used = set(spec)
    dt = result_dtype(g)
    new_target = ""
    for c in target:
        if c in new_target:
            f = fresh_labels(used, 1)
            used.add(f)
            terms.append(c + f)
            args.append(constant_like(np.eye(sizes[c], dtype=dt), g))
            have.add(c)
            new_target += f
        else:
            new_target += c
    for c in set(target) - have:
        terms.append(c)
        args.append(constant_like(np.ones(sizes[c], dtype=dt), g))
    return np.einsum(",".join(terms) + "->" + new_target, *args, optimize=optimize)


def _einsum_jvp(i, t, ans, *ops, spec, optimize):
    nb = batch_ndim(t, ops[i])
    ins, out = _einsum_parts(spec)
    if nb:
        bl = fresh_labels(set(spec), nb)
        ins = list(ins)
        ins[i] = bl + ins[i]
        out = bl + out
    args = list(ops)
    args[i] = t
    return np.einsum(",".join(ins) + "->" + out, *args, optimize=optimize)


einsum_p = defprim(_einsum_fn, name="einsum", nary=True, raw=True, vjp=(_einsum_vjp,),
                   jvp=(_einsum_jvp,), keep=None)
