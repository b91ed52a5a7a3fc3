"""Products on tensors: matmul, einsum (its subscripts parsed here), tensordot, dot, inner,
outer, vdot, vecdot, matvec, vecmat, kron, cross, multi_dot, matrix_power.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.linalg.products`, where the derivatives are.
"""
import functools
import numbers
import numpy as np

from ...rules.api import constant_like, implements, neg_axes, write_out
from ...rules.linalg.common import reshape_to, result_dtype
from ...rules.linalg.products import EINSUM_LABELS, einsum_p, fresh_labels, matmul_p

__all__ = []


def _as_dtype(x, dtype):
    return x if dtype is None else x.astype(dtype)


@implements(np.matmul)
def _matmul(x1, x2, /, out=None, *, dtype=None, **kwargs):
    if kwargs:
        raise NotImplementedError(f"np.matmul keywords {sorted(kwargs)} on tensors")
    if np.ndim(x1) == 0 or np.ndim(x2) == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    return write_out(matmul_p(_as_dtype(x1, dtype), _as_dtype(x2, dtype)), out)


if hasattr(np.linalg, "matmul"):
    implements(np.linalg.matmul)(lambda x1, x2, /: _matmul(x1, x2))


@functools.lru_cache(maxsize=512)
def _normalize(subscripts, shapes):
    """Explicit einsum subscripts without ellipses, e.g. ``'...ij,jk' -> 'Aij,jk->Aik'``."""
    subs = subscripts.replace(" ", "")
    if "->" in subs:
        ins, out = subs.split("->")
    else:
        ins, out = subs, None
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(shapes)} operands")
    for s in ins + ([out] if out is not None else []):
        bad = set(s.replace("...", "")) - set(EINSUM_LABELS)
        if bad:
            raise ValueError(f"einsum: invalid subscript character(s) {sorted(bad)}")
    ell_nd = 0
    for s, shape in zip(ins, shapes):
        n = len(s.replace("...", ""))
        if "..." in s:
            if len(shape) < n:
                raise ValueError(f"einsum: operand has {len(shape)} dims, subscripts '{s}' "
                                 "need more")
            ell_nd = max(ell_nd, len(shape) - n)
        elif len(shape) != n:
            raise ValueError(f"einsum: operand has {len(shape)} dimensions but subscripts "
                             f"'{s}' name {n}")
    ell = fresh_labels(set(subs), ell_nd)
    new_ins = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[ell_nd - k:])
        new_ins.append(s)
    if out is None:
        letters = "".join(ins).replace(".", "")
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    elif "..." in out:
        out = out.replace("...", ell)
    elif ell_nd:
        raise ValueError("einsum: output has more dimensions than subscripts given in "
                         "einstein sum, but no '...' ellipsis provided to broadcast the extra "
                         "dimensions.")
    return ",".join(new_ins) + "->" + out


def _interleaved(args):
    """``einsum(op0, sub0, op1, sub1, ..., [out])`` as a subscripts string and operands."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else EINSUM_LABELS[s] for s in sub)
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):
        out = ops.pop()
    spec = ",".join(letters(s) for s in subs)
    if out is not None:
        spec += "->" + letters(out)
    return spec, ops


@implements(np.einsum)
def _einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _interleaved(operands)
    if dtype is not None:
        ops = [np.asarray(o).astype(dtype) if not hasattr(o, "astype") else o.astype(dtype)
               for o in ops]
    spec = _normalize(subscripts, tuple(np.shape(o) for o in ops))
    return write_out(einsum_p(*ops, spec=spec, optimize=optimize), out)


# ---------------------------------------------------------------- products built on them
def _norm_axes(axes, nd, what):
    out = []
    for ax in axes:
        ax = int(ax)
        if not -nd <= ax < nd:
            raise np.exceptions.AxisError(ax, nd, what)
        out.append(ax % nd)
    return out


@implements(np.tensordot)
def _tensordot(a, b, axes=2):
    """Transpose both operands so the contracted axes meet, then one matmul."""
    sa, sb = np.shape(a), np.shape(b)
    if isinstance(axes, numbers.Integral):
        n = int(axes)
        if n < 0 or n > len(sa) or n > len(sb):
            raise ValueError("tensordot: axes exceed the operands' dimensions")
        ax_a, ax_b = list(range(len(sa) - n, len(sa))), list(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, numbers.Integral) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, numbers.Integral) else list(ax_b)
        if len(ax_a) != len(ax_b):
            raise ValueError("shape-mismatch for sum")
        ax_a = _norm_axes(ax_a, len(sa), "tensordot")
        ax_b = _norm_axes(ax_b, len(sb), "tensordot")
    if any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError("shape-mismatch for sum")
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [j for j in range(len(sb)) if j not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a], dtype=np.int64))
    fa = tuple(sa[i] for i in free_a)
    fb = tuple(sb[j] for j in free_b)
    at = np.transpose(a, free_a + ax_a) if free_a + ax_a != list(range(len(sa))) else a
    bt = np.transpose(b, ax_b + free_b) if ax_b + free_b != list(range(len(sb))) else b
    at = reshape_to(at, (int(np.prod(fa, dtype=np.int64)), k))
    bt = reshape_to(bt, (k, int(np.prod(fb, dtype=np.int64))))
    return reshape_to(matmul_p(at, bt), fa + fb)


if hasattr(np.linalg, "tensordot"):
    implements(np.linalg.tensordot)(lambda x1, x2, /, *, axes=2: _tensordot(x1, x2, axes))


@implements(np.dot)
def _dot(a, b, out=None):
    """NumPy's rule: scalars multiply, ``b`` 1-D or 2-D is a matmul, else a tensordot of the
    last axis of ``a`` with the second-to-last of ``b``."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        res = np.multiply(a, b)
    elif nb <= 2:
        res = matmul_p(a, b)
    else:
        res = _tensordot(a, b, axes=([-1], [-2]))
    return write_out(res, out)


@implements(np.inner)
def _inner(a, b, /):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return matmul_p(a, b)
    return _tensordot(a, b, axes=([-1], [-1]))


@implements(np.outer)
def _outer(a, b, out=None):
    return write_out(np.multiply(np.reshape(a, (-1, 1)), np.reshape(b, (1, -1))), out)


if hasattr(np.linalg, "outer"):
    @implements(np.linalg.outer)
    def _linalg_outer(x1, x2, /):
        if np.ndim(x1) != 1 or np.ndim(x2) != 1:
            raise ValueError("np.linalg.outer takes 1-dimensional inputs")
        return _outer(x1, x2)


@implements(np.vdot)
def _vdot(a, b, /):
    a = np.ravel(a)
    if np.iscomplexobj(a):
        a = np.conjugate(a)
    return matmul_p(a, np.ravel(b))


def _vecdot(x1, x2, /, *, axis=-1, **kwargs):
    if kwargs:
        raise NotImplementedError(f"np.vecdot keywords {sorted(kwargs)} on tensors")
    nd = max(np.ndim(x1), np.ndim(x2))
    ax = neg_axes(axis, nd)[0]
    if np.iscomplexobj(x1):
        x1 = np.conjugate(x1)
    return np.einsum("...i,...i->...", _moveaxis_last(x1, ax), _moveaxis_last(x2, ax))


def _moveaxis_last(x, ax):
    """Move axis ``ax`` (negative, counted for the broadcast ndim) of ``x`` to the end."""
    nd = np.ndim(x)
    a = ax + nd
    if a < 0:
        raise ValueError("vecdot: operand has too few dimensions")
    if a == nd - 1:
        return x
    return np.transpose(x, tuple(i for i in range(nd) if i != a) + (a,))


for _mod in (np, np.linalg):
    if hasattr(_mod, "vecdot"):
        implements(_mod.vecdot)(_vecdot)

if hasattr(np, "matvec"):     # NumPy >= 2.2
    @implements(np.matvec)
    def _matvec(x1, x2, /):
        return np.einsum("...ij,...j->...i", x1, x2)

    @implements(np.vecmat)
    def _vecmat(x1, x2, /):
        if np.iscomplexobj(x1):
            x1 = np.conjugate(x1)
        return np.einsum("...j,...ji->...i", x1, x2)


@implements(np.kron)
def _kron(a, b):
    """Interleave the axes of ``a`` and ``b`` (as ``(a0, 1, a1, 1)`` times ``(1, b0, 1, b1)``),
    multiply, and merge the pairs."""
    sa, sb = np.shape(a), np.shape(b)
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + sa
    sb = (1,) * (nd - len(sb)) + sb
    ra = tuple(x for n in sa for x in (n, 1))
    rb = tuple(x for n in sb for x in (1, n))
    prod = np.multiply(np.reshape(a, ra), np.reshape(b, rb))
    return np.reshape(prod, tuple(m * n for m, n in zip(sa, sb)))


def _cross_parts(a, b, na, nb):
    """The components of ``a x b`` (vectors along the last axis), term by term as NumPy
    computes them, so NaN and infinities land where they do in NumPy (an einsum with the
    Levi-Civita symbol multiplies them by its zeros and spreads NaN to every component)."""
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return None, z
    if na == 2:
        b2 = b[..., 2]
        return (a1 * b2, -(a0 * b2)), z
    a2 = a[..., 2]
    if nb == 2:
        return (-(a2 * b1), a2 * b0), z
    b2 = b[..., 2]
    return (a1 * b2 - a2 * b1, a2 * b0 - a0 * b2), z


def _numpy_on_2_vectors():
    """What the installed NumPy's ``np.cross`` does with 2-vectors: ``(True, warning)`` where
    it takes them (NumPy 2.0-2.4 with a ``DeprecationWarning``, that warning), ``(False,
    None)`` where it raises ``ValueError`` (NumPy 2.5 on)."""
    import warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            np.cross(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
        except ValueError:
            return False, None
    return True, next((w for w in seen if issubclass(w.category, DeprecationWarning)), None)


_CROSS_2, _CROSS_2_WARNING = _numpy_on_2_vectors()


def _warn_as_numpy(w):
    """NumPy's warning ``w`` again, attributed to the first caller outside chainrule."""
    import os
    import sys
    import warnings
    pkg = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    f, level = sys._getframe(1), 2
    while f is not None and f.f_code.co_filename.startswith(pkg):
        f, level = f.f_back, level + 1
    warnings.warn(str(w.message), w.category, stacklevel=level)


def _require_3_vectors(na, nb):
    if na != 3 or nb != 3:
        raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, but they "
                         f"are {na} and {nb} dimensional instead.")


@implements(np.cross)
def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product, component by component as NumPy computes it (2-vectors: zero z, where
    the installed NumPy takes them, with its warning)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = _moveaxis_last(a, neg_axes(axisa, np.ndim(a))[0])
    b = _moveaxis_last(b, neg_axes(axisb, np.ndim(b))[0])
    na, nb = np.shape(a)[-1], np.shape(b)[-1]
    if not _CROSS_2:
        _require_3_vectors(na, nb)
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if 2 in (na, nb) and _CROSS_2_WARNING is not None:
        _warn_as_numpy(_CROSS_2_WARNING)
    dt = result_dtype(a, b)
    xy, z = _cross_parts(a, b, na, nb)
    if xy is None:
        return z.astype(dt) if z.dtype != dt else z
    res = np.stack((xy[0], xy[1], z), axis=-1)   # each a product of a and b: one shape
    if res.dtype != dt:
        res = res.astype(dt)
    nd = np.ndim(res)
    c = neg_axes(axisc, nd)[0] + nd
    if c == nd - 1:
        return res
    perm = list(range(nd - 1))
    perm.insert(c, nd - 1)
    return np.transpose(res, tuple(perm))


def _linalg_cross(x1, x2, /, *, axis=-1):
    """The array API's cross product: 3-vectors only, on every NumPy."""
    _require_3_vectors(np.shape(x1)[axis], np.shape(x2)[axis])
    return _cross(x1, x2, axis=axis)


if hasattr(np.linalg, "cross"):
    implements(np.linalg.cross)(_linalg_cross)


@implements(np.linalg.multi_dot)
def _multi_dot(arrays, *, out=None):
    """NumPy's algorithm: the cheapest order of the products (so the values match, and big
    chains stay fast), each product one matmul."""
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return _dot(arrays[0], arrays[1], out=out)
    arrays = [a if hasattr(a, "shape") and not isinstance(a, np.generic) else np.asarray(a)
              for a in arrays]
    nd_first, nd_last = np.ndim(arrays[0]), np.ndim(arrays[-1])
    if nd_first == 1:
        arrays[0] = reshape_to(arrays[0], (1, -1))
    if nd_last == 1:
        arrays[-1] = reshape_to(arrays[-1], (-1, 1))
    for a in arrays:
        if np.ndim(a) != 2:
            raise np.linalg.LinAlgError(f"{np.ndim(a)}-dimensional array given. Array must be "
                                        "two-dimensional")
    p = [np.shape(a)[0] for a in arrays] + [np.shape(arrays[-1])[1]]
    cost = np.zeros((n, n))
    split = np.zeros((n, n), dtype=np.intp)
    for length in range(1, n):      # matrix-chain order, as np.linalg.multi_dot finds it
        for i in range(n - length):
            j = i + length
            cost[i, j] = np.inf
            for k in range(i, j):
                q = cost[i, k] + cost[k + 1, j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i, j]:
                    cost[i, j], split[i, j] = q, k
    if n == 3:   # NumPy's shortcut for three, which breaks ties the other way
        a0, a1b0 = p[0], p[1]
        b1c0, c1 = p[2], p[3]
        split[0, 2] = 1 if a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0) else 0

    def chain(i, j):
        if i == j:
            return arrays[i]
        return matmul_p(chain(i, split[i, j]), chain(split[i, j] + 1, j))
    res = chain(0, n - 1)
    if nd_first == 1 and nd_last == 1:
        res = res[0, 0]
    elif nd_first == 1 or nd_last == 1:
        res = np.ravel(res)
    return write_out(res, out)


@implements(np.linalg.matrix_power)
def _matrix_power(a, n):
    n = int(n)
    if n < 0:
        a, n = np.linalg.inv(a), -n
    if n == 0:
        shape = np.shape(a)
        eye = constant_like(np.eye(shape[-1], dtype=result_dtype(a)), a)
        return np.broadcast_to(eye, shape) + 0 * a
    res, base = None, a
    while n:
        if n & 1:
            res = base if res is None else matmul_p(res, base)
        n >>= 1
        if n:
            base = matmul_p(base, base)
    return res
