"""Products and linear algebra: matmul, dot, einsum, tensordot, norms, inv, det, solve, ...

Two products are primitives: ``matmul`` (fast, BLAS) and a variadic ``einsum`` whose VJP for
each operand is another einsum.  ``dot``, ``inner``, ``outer``, ``tensordot``, ``kron``,
``cross``, ``vdot``, ``multi_dot`` (in NumPy's order) and friends are written with them.
``convolve`` and ``correlate`` slice their modes out of two full-convolution primitives whose
VJPs are correlations again.  The general ``eig``/``eigvals`` have no rule and say so (use
``eigh`` for symmetric matrices).  Rules only use NumPy calls that
chainrule itself supports, so every rule can be differentiated again.

Tangents may carry leading batch dimensions (``batch_ndim``); rules that broadcast a tangent
against another operand first pad it with size-1 axes (:func:`_pad`) so the batch axes never
line up with the other operand's stack axes.
"""
import functools
import numbers
import string

import numpy as np

from .registry import batch_ndim, defprim, implements, neg_axes

__all__ = ["matmul_p", "einsum_p", "vector_norm_p", "inv_p", "det_p", "slogdet_sign_p",
           "logabsdet_p", "solve_p", "pinv_p", "cholesky_p", "eigh_p", "svd_p", "svdvals_p",
           "qr_p", "convolve_full_p", "correlate_full_p"]


# ---------------------------------------------------------------- helpers
def _mT(x):
    """Swap the last two axes (a transpose of each matrix in a stack)."""
    nd = np.ndim(x)
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)
    return np.transpose(x, _MT_PERMS[nd] if nd < 8 else
                        tuple(range(nd - 2)) + (nd - 1, nd - 2))


_MT_PERMS = [None, None] + [tuple(range(n - 2)) + (n - 1, n - 2) for n in range(2, 8)]


def _rs(x, shape):
    """``np.reshape`` that skips the call when the shape is already right."""
    shape = tuple(shape)
    return x if np.shape(x) == shape else np.reshape(x, shape)


def _pad(t, nb, nd):
    """Give tangent ``t`` (``nb`` batch axes) ``nd`` non-batch axes by inserting 1s after the
    batch, so the batch axes cannot meet another operand's stack axes when broadcasting."""
    shape = np.shape(t)
    extra = nd - (len(shape) - nb)
    if extra <= 0:
        return t
    return np.reshape(t, shape[:nb] + (1,) * extra + shape[nb:])


def _out(res, out):
    if out is None:
        return res
    out[...] = res
    return out


def _dtype(*xs):
    return np.result_type(*[getattr(x, "dtype", x) for x in xs])


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
        return np.matmul(g, _mT(b))
    if nb == 1 and na <= 2:             # matrix @ vector, vector @ vector: an outer product
        return np.reshape(g, np.shape(g) + (1,)) * b if na == 2 else g * b
    if na == 1 and nb == 2:             # vector @ matrix
        return np.matmul(b, g)
    pa, pb = _promoted(a, b)
    ga = np.matmul(_rs(g, _ans_promoted(g, a, b, pa, pb)), _mT(_rs(b, pb)))
    return ga if np.ndim(a) > 1 else _rs(ga, np.shape(ga)[:-2] + np.shape(a))


def _matmul_vjp_b(g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if na > 1 and nb > 1:
        return np.matmul(_mT(a), g)
    if na == 1 and nb <= 2:             # vector @ matrix, vector @ vector: an outer product
        return np.reshape(a, np.shape(a) + (1,)) * g if nb == 2 else g * a
    if na == 2 and nb == 1:             # matrix @ vector
        return np.matmul(g, a)
    pa, pb = _promoted(a, b)
    gb = np.matmul(_mT(_rs(a, pa)), _rs(g, _ans_promoted(g, a, b, pa, pb)))
    return gb if np.ndim(b) > 1 else _rs(gb, np.shape(gb)[:-2] + np.shape(b))


def _matmul_jvp_a(t, ans, a, b):
    if np.ndim(a) == 1 and np.ndim(b) == 2:
        return np.matmul(t, b)          # every tangent row times b: one matrix product
    nb = batch_ndim(t, a)
    pa, pb = _promoted(a, b)
    bshape = np.shape(t)[:nb]
    tp = _pad(_rs(t, bshape + pa), nb, max(len(pa), len(pb)))
    return _rs(np.matmul(tp, _rs(b, pb)), bshape + np.shape(ans))


def _matmul_jvp_b(t, ans, a, b):
    if np.ndim(a) == 2 and np.ndim(b) == 1:
        return np.matmul(t, _mT(a))     # a @ t_k for every tangent t_k: one matrix product
    nb = batch_ndim(t, b)
    pa, pb = _promoted(a, b)
    bshape = np.shape(t)[:nb]
    tp = _pad(_rs(t, bshape + pb), nb, max(len(pa), len(pb)))
    return _rs(np.matmul(_rs(a, pa), tp), bshape + np.shape(ans))


matmul_p = defprim(np.matmul, name="matmul", vjp=(_matmul_vjp_a, _matmul_vjp_b),
                   jvp=(_matmul_jvp_a, _matmul_jvp_b))


def _cast(x, dtype):
    return x if dtype is None else x.astype(dtype)


@implements(np.matmul)
def _matmul(x1, x2, /, out=None, *, dtype=None, **kwargs):
    if kwargs:
        raise NotImplementedError(f"np.matmul keywords {sorted(kwargs)} on tensors")
    if np.ndim(x1) == 0 or np.ndim(x2) == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    return _out(matmul_p(_cast(x1, dtype), _cast(x2, dtype)), out)


if hasattr(np.linalg, "matmul"):
    implements(np.linalg.matmul)(lambda x1, x2, /: _matmul(x1, x2))


# ---------------------------------------------------------------- einsum
_LABELS = string.ascii_uppercase + string.ascii_lowercase   # ASCII order = NumPy's order


def _fresh(used, n):
    free = [c for c in _LABELS if c not in used]
    if len(free) < n:
        raise ValueError("einsum: too many distinct subscripts (at most 52 letters)")
    return "".join(free[:n])


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
        bad = set(s.replace("...", "")) - set(_LABELS)
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
    ell = _fresh(set(subs), ell_nd)
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


@functools.lru_cache(maxsize=512)
def _split(spec):
    ins, out = spec.split("->")
    return ins.split(","), out


def _einsum_fn(*ops, spec, optimize):
    return np.einsum(spec, *ops, optimize=optimize)


def _einsum_vjp(i, g, ans, *ops, spec, optimize):
    """Cotangent of operand ``i``: contract ``g`` with the other operands onto ``i``'s
    subscripts.  A repeated subscript (``'ii'``) gets a fresh letter tied to it by an identity
    matrix, which scatters the gradient onto the diagonal; a subscript that only operand ``i``
    has (summed away) comes back through a vector of ones."""
    ins, out = _split(spec)
    target = ins[i]
    sizes = {}
    for s, x in zip(ins + [out], ops + (g,)):   # g has the output's shape
        for c, n in zip(s, np.shape(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    terms = [out] + [s for j, s in enumerate(ins) if j != i]
    args = [g] + [x for j, x in enumerate(ops) if j != i]
    have = set("".join(terms))
    used = set(spec)
    dt = _dtype(g)
    new_target = ""
    for c in target:
        if c in new_target:
            f = _fresh(used, 1)
            used.add(f)
            terms.append(c + f)
            args.append(np.eye(sizes[c], dtype=dt))
            have.add(c)
            new_target += f
        else:
            new_target += c
    for c in set(target) - have:
        terms.append(c)
        args.append(np.ones(sizes[c], dtype=dt))
    return np.einsum(",".join(terms) + "->" + new_target, *args, optimize=optimize)


def _einsum_jvp(i, t, ans, *ops, spec, optimize):
    nb = batch_ndim(t, ops[i])
    ins, out = _split(spec)
    if nb:
        bl = _fresh(set(spec), nb)
        ins = list(ins)
        ins[i] = bl + ins[i]
        out = bl + out
    args = list(ops)
    args[i] = t
    return np.einsum(",".join(ins) + "->" + out, *args, optimize=optimize)


einsum_p = defprim(_einsum_fn, name="einsum", nary=True, raw=True, vjp=(_einsum_vjp,),
                   jvp=(_einsum_jvp,))


def _interleaved(args):
    """``einsum(op0, sub0, op1, sub1, ..., [out])`` as a subscripts string and operands."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LABELS[s] for s in sub)
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
    return _out(einsum_p(*ops, spec=spec, optimize=optimize), out)


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
    at = _rs(at, (int(np.prod(fa, dtype=np.int64)), k))
    bt = _rs(bt, (k, int(np.prod(fb, dtype=np.int64))))
    return _rs(matmul_p(at, bt), fa + fb)


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
    return _out(res, out)


@implements(np.inner)
def _inner(a, b, /):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return matmul_p(a, b)
    return _tensordot(a, b, axes=([-1], [-1]))


@implements(np.outer)
def _outer(a, b, out=None):
    return _out(np.multiply(np.reshape(a, (-1, 1)), np.reshape(b, (1, -1))), out)


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


_EPS3 = np.zeros((3, 3, 3))
for _i, _j, _k in [(0, 1, 2), (1, 2, 0), (2, 0, 1)]:
    _EPS3[_i, _j, _k], _EPS3[_j, _i, _k] = 1.0, -1.0


@implements(np.cross)
def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product as an einsum with the Levi-Civita symbol (2-vectors: zero z part)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = _moveaxis_last(a, neg_axes(axisa, np.ndim(a))[0])
    b = _moveaxis_last(b, neg_axes(axisb, np.ndim(b))[0])
    na, nb = np.shape(a)[-1], np.shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    dt = _dtype(a, b)
    if na == 2 and nb == 2:
        return np.einsum("...i,...j,ij->...", a, b, _EPS3[:2, :2, 2].astype(dt))
    res = np.einsum("...i,...j,ijk->...k", a, b, _EPS3[:na, :nb].astype(dt))
    nd = np.ndim(res)
    c = neg_axes(axisc, nd)[0] + nd
    if c == nd - 1:
        return res
    perm = list(range(nd - 1))
    perm.insert(c, nd - 1)
    return np.transpose(res, tuple(perm))


if hasattr(np.linalg, "cross"):
    implements(np.linalg.cross)(lambda x1, x2, /, *, axis=-1: _cross(x1, x2, axis=axis))


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
        arrays[0] = _rs(arrays[0], (1, -1))
    if nd_last == 1:
        arrays[-1] = _rs(arrays[-1], (-1, 1))
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
    return _out(res, out)


@implements(np.linalg.matrix_power)
def _matrix_power(a, n):
    n = int(n)
    if n < 0:
        a, n = np.linalg.inv(a), -n
    if n == 0:
        shape = np.shape(a)
        return np.broadcast_to(np.eye(shape[-1], dtype=_dtype(a)), shape) + 0 * a
    res, base = None, a
    while n:
        if n & 1:
            res = base if res is None else matmul_p(res, base)
        n >>= 1
        if n:
            base = matmul_p(base, base)
    return res


# ---------------------------------------------------------------- norms
def _keep(g, x, axis, keepdims):
    """Put the reduced axes back (as size 1) so ``g`` broadcasts against ``x``."""
    if keepdims:
        return g
    shape = list(np.shape(x))
    for a in axis:
        shape[a] = 1
    return _rs(g, shape)


def _safe(cond, x, fill):
    """``x`` where ``cond`` is False, else ``fill``: keeps 0/0 out of rules and their
    derivatives."""
    return np.where(cond, fill, x)


def _vnorm_fn(x, ord, axis, keepdims):
    ax = axis
    if ord == 2:
        sq = x * x if not np.iscomplexobj(x) else (x.real ** 2 + x.imag ** 2)
        return np.sqrt(np.sum(sq, axis=ax, keepdims=keepdims))
    if ord == 1:
        return np.sum(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == np.inf:
        return np.max(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == 0:
        return np.sum((x != 0).astype(np.abs(x).dtype), axis=ax, keepdims=keepdims)
    s = np.sum(np.abs(x) ** ord, axis=ax, keepdims=keepdims)
    return s ** (1.0 / ord)


def _vnorm_weight(ans, x, ord, axis, keepdims):
    """``w`` with ``d norm = sum(w * dx, axis)`` (0 where the norm has no derivative)."""
    n = _keep(ans, x, axis, keepdims)
    if ord == 2:   # 0 at 0, also its derivative: norm''(0) = 0, as abs''(0) = 0
        return _safe(n == 0, x / _safe(n == 0, n, 1), 0)
    if ord == 1:
        return np.sign(x)
    if ord in (np.inf, -np.inf):
        hit = np.abs(x) == n
        return np.sign(x) * hit / np.sum(hit, axis=axis, keepdims=True)
    if ord == 0:
        return x * 0
    zero = x == 0
    ax = np.abs(_safe(zero, x, 1))
    w = np.sign(x) * ax ** (ord - 1) / _safe(n == 0, n, 1) ** (ord - 1)
    return _safe(zero, w, 0)


def _vnorm_vjp(g, ans, x, ord, axis, keepdims):
    return _keep(g, x, axis, keepdims) * _vnorm_weight(ans, x, ord, axis, keepdims)


def _vnorm_jvp(t, ans, x, ord, axis, keepdims):
    w = _vnorm_weight(ans, x, ord, axis, keepdims)
    return np.sum(t * w, axis=axis, keepdims=keepdims)


# the p-norm over ``axis`` (a tuple of negative axes); ord 2 has gradient 0 at 0, not NaN
vector_norm_p = defprim(_vnorm_fn, name="vector_norm", raw=True, vjp=(_vnorm_vjp,),
                        jvp=(_vnorm_jvp,))


def _vector_norm(x, ord, axes, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    ord = 2 if ord is None else ord
    ord = float(ord) if not isinstance(ord, numbers.Integral) else int(ord)
    return vector_norm_p(x, ord=ord, axis=axes, keepdims=keepdims)


def _reinsert(res, x, axes):
    """``res`` computed with keepdims=True, reshaped as if without keepdims."""
    shape = [n for i, n in enumerate(np.shape(x)) if i - np.ndim(x) not in axes]
    return _rs(res, shape)


def _matrix_norm(x, ord, axes, keepdims):
    row, col = axes
    nd = np.ndim(x)
    if ord in (None, "fro", "f"):
        return vector_norm_p(x, ord=2, axis=tuple(sorted(axes)), keepdims=keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        if ord in (np.inf, -np.inf):
            row, col = col, row
        s = np.sum(np.abs(x), axis=row, keepdims=True)
        res = vector_norm_p(s, ord=np.inf if ord > 0 else -np.inf, axis=(col,), keepdims=True)
    elif ord in (2, -2, "nuc"):
        perm = [i for i in range(nd) if i - nd not in axes] + [row + nd, col + nd]
        sv = svdvals_p(np.transpose(x, perm))
        if ord == "nuc":   # |s| (= s) so that zero singular values add 0 to the gradient
            res = np.sum(np.abs(sv), axis=-1)
        else:
            res = vector_norm_p(sv, ord=np.inf if ord == 2 else -np.inf, axis=(-1,),
                                keepdims=False)
        if keepdims:
            shape = list(np.shape(x))
            shape[row], shape[col] = 1, 1
            res = _rs(res, shape)
        return res
    else:
        raise ValueError("Invalid norm order for matrices.")
    return res if keepdims else _reinsert(res, x, axes)


@implements(np.linalg.norm)
def _norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm``: vector p-norms, matrix norms (fro, nuc, 1, -1, 2, -2, inf, -inf)."""
    if not np.issubdtype(_dtype(x), np.inexact):
        x = np.asarray(x).astype(float) if not hasattr(x, "astype") else x.astype(float)
    nd = np.ndim(x)
    keepdims = bool(keepdims)
    if axis is None:
        if ord is None or (ord in ("fro", "f") and nd == 2):
            return vector_norm_p(x, ord=2, axis=tuple(range(-nd, 0)), keepdims=keepdims)
        if nd == 1:
            return _vector_norm(x, ord, (-1,), keepdims)
        if nd == 2:
            return _matrix_norm(x, ord, (-2, -1), keepdims)
        raise ValueError("Improper number of dimensions to norm.")
    if isinstance(axis, numbers.Integral):
        return _vector_norm(x, ord, neg_axes(axis, nd), keepdims)
    axis = tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, neg_axes(axis, nd), keepdims)
    if len(axis) == 2:
        row, col = (int(a) - nd if int(a) >= 0 else int(a) for a in axis)
        neg_axes((row, col), nd)
        if row == col:
            raise ValueError("Duplicate axes given.")
        return _matrix_norm(x, ord, (row, col), keepdims)
    raise ValueError("Improper number of dimensions to norm.")


if hasattr(np.linalg, "vector_norm"):
    @implements(np.linalg.vector_norm)
    def _vector_norm_api(x, /, *, axis=None, keepdims=False, ord=2):
        nd = np.ndim(x)
        if not np.issubdtype(_dtype(x), np.inexact):
            x = x.astype(float)
        axes = neg_axes(axis, nd)
        if axis is None and not keepdims:
            return _vector_norm(np.ravel(x), ord, (-1,), False)
        return _vector_norm(x, ord, axes, bool(keepdims))

if hasattr(np.linalg, "matrix_norm"):
    @implements(np.linalg.matrix_norm)
    def _matrix_norm_api(x, /, *, keepdims=False, ord="fro"):
        if not np.issubdtype(_dtype(x), np.inexact):
            x = x.astype(float)
        return _matrix_norm(x, ord, (-2, -1), bool(keepdims))


# ---------------------------------------------------------------- inverse, determinant, solve
inv_p = defprim(np.linalg.inv, name="inv",
                vjp=(lambda g, ans, a: -np.matmul(_mT(ans), np.matmul(g, _mT(ans))),),
                jvp=(lambda t, ans, a: -np.matmul(ans, np.matmul(t, ans)),))


@implements(np.linalg.inv)
def _inv(a):
    return inv_p(a)


def _unsq2(x):
    return _rs(x, np.shape(x) + (1, 1))


def _inv_T(a):
    return _mT(np.linalg.inv(a))


det_p = defprim(np.linalg.det, name="det",
                vjp=(lambda g, ans, a: _unsq2(g * ans) * _inv_T(a),),
                jvp=(lambda t, ans, a: ans * np.sum(_inv_T(a) * t, axis=(-2, -1)),))

slogdet_sign_p = defprim(lambda a: np.linalg.slogdet(a)[0], name="slogdet_sign", nondiff=True)

logabsdet_p = defprim(lambda a: np.linalg.slogdet(a)[1], name="logabsdet",
                      vjp=(lambda g, ans, a: _unsq2(g) * _inv_T(a),),
                      jvp=(lambda t, ans, a: np.sum(_inv_T(a) * t, axis=(-2, -1)),))


@implements(np.linalg.det)
def _det(a):
    return det_p(a)


def _result_type(example):
    """The namedtuple class NumPy returns (plain tuples on old NumPy)."""
    cls = type(example)
    return cls if cls is not tuple else (lambda *parts: parts)


_SlogdetResult = _result_type(np.linalg.slogdet(np.eye(1)))


@implements(np.linalg.slogdet)
def _slogdet(a):
    return _SlogdetResult(slogdet_sign_p(a), logabsdet_p(a))


def _solve_jvp_a(t, ans, a, b):
    nb = batch_ndim(t, a)
    tp = _pad(t, nb, np.ndim(ans))
    return -np.linalg.solve(a, np.matmul(tp, ans))


def _solve_jvp_b(t, ans, a, b):
    return np.linalg.solve(a, _pad(t, batch_ndim(t, b), np.ndim(ans)))


def _solve_vjp_a(g, ans, a, b):
    return -np.matmul(np.linalg.solve(_mT(a), g), _mT(ans))


# a x = b for stacks of matrices b (..., M, K); the handler turns a vector b into a column
solve_p = defprim(np.linalg.solve, name="solve",
                  vjp=(_solve_vjp_a, lambda g, ans, a, b: np.linalg.solve(_mT(a), g)),
                  jvp=(_solve_jvp_a, _solve_jvp_b))


_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


@implements(np.linalg.solve)
def _solve(a, b):
    nb = np.ndim(b)
    if nb == 1 or (not _NUMPY2 and nb == np.ndim(a) - 1):   # b is a (stack of) vector(s)
        x = solve_p(a, _rs(b, np.shape(b) + (1,)))
        return _rs(x, np.shape(x)[:-1])
    return solve_p(a, b)


def _pinv_vjp(g, ans, a, rcond):
    p = ans
    m, n = np.shape(a)[-2:]
    dt = _dtype(a)
    q = np.eye(m, dtype=dt) - np.matmul(a, p)        # I - A A+
    r = np.eye(n, dtype=dt) - np.matmul(p, a)        # I - A+ A
    gt = _mT(g)
    return (-np.matmul(_mT(p), np.matmul(g, _mT(p)))
            + np.matmul(q, np.matmul(gt, np.matmul(p, _mT(p))))
            + np.matmul(np.matmul(_mT(p), p), np.matmul(gt, r)))


def _pinv_jvp(t, ans, a, rcond):
    p = ans
    m, n = np.shape(a)[-2:]
    dt = _dtype(a)
    q = np.eye(m, dtype=dt) - np.matmul(a, p)
    r = np.eye(n, dtype=dt) - np.matmul(p, a)
    tt = _mT(t)
    return (-np.matmul(p, np.matmul(t, p))
            + np.matmul(np.matmul(p, _mT(p)), np.matmul(tt, q))
            + np.matmul(r, np.matmul(tt, np.matmul(_mT(p), p))))


# the Moore-Penrose inverse; its derivative (Golub & Pereyra) holds where the rank is constant
pinv_p = defprim(lambda a, rcond: np.linalg.pinv(a, rcond=rcond), name="pinv",
                 vjp=(_pinv_vjp,), jvp=(_pinv_jvp,))


def _pinv_rcond(a, rcond, rtol):
    if rcond is not None:
        if rtol is not np._NoValue:
            raise ValueError("`rtol` and `rcond` can't be both set.")
        return rcond
    if rtol is np._NoValue:
        return 1e-15
    if rtol is None:
        return max(np.shape(a)[-2:]) * np.finfo(_dtype(a)).eps
    return rtol


@implements(np.linalg.pinv)
def _pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    rc = _pinv_rcond(a, rcond, rtol)
    if not isinstance(rc, numbers.Number):
        rc = float(rc) if np.ndim(rc) == 0 else tuple(np.ravel(rc))
        if isinstance(rc, tuple):
            raise NotImplementedError("np.linalg.pinv with an array rcond on tensors")
    return pinv_p(a, rcond=rc)


@implements(np.linalg.lstsq)
def _lstsq(a, b, rcond=None):
    """Least squares through the pseudo-inverse (full-rank: the same as LAPACK's answer)."""
    m, n = np.shape(a)
    if rcond is None:
        rcond = np.finfo(_dtype(a, b)).eps * max(m, n)
    x = matmul_p(pinv_p(a, rcond=float(rcond)), b)
    from ..tensor import _base_array
    sv = svdvals_p(a)
    sval = _base_array(sv)
    rank = int(np.sum(sval > rcond * sval.max())) if sval.size else 0
    if rank == n and m > n:
        r = matmul_p(a, x) - b
        resid = np.sum(r * r, axis=0)
        if np.ndim(b) == 1:
            resid = np.reshape(resid, (1,))
    else:
        resid = np.zeros((0,), dtype=_dtype(a, b))
    return x, resid, rank, sv


@implements(np.linalg.cond)
def _cond(x, p=None):
    if p is None or p in (2, -2):
        sv = svdvals_p(x)
        big, small = sv[..., 0], sv[..., -1]
        return small / big if p == -2 else big / small
    return (_norm(x, p, axis=(-2, -1)) * _norm(np.linalg.inv(x), p, axis=(-2, -1)))


@implements(np.linalg.tensorinv)
def _tensorinv(a, ind=2):
    shape = np.shape(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    out, rest = shape[:ind], shape[ind:]
    n = int(np.prod(out, dtype=np.int64))
    if n != int(np.prod(rest, dtype=np.int64)):
        raise np.linalg.LinAlgError("tensorinv: the array is not square in the ind split")
    return np.reshape(inv_p(np.reshape(a, (n, -1))), rest + out)


@implements(np.linalg.tensorsolve)
def _tensorsolve(a, b, axes=None):
    nd = np.ndim(a)
    if axes is not None:
        axes = [int(ax) % nd for ax in axes]
        perm = [i for i in range(nd) if i not in axes] + axes
        a = np.transpose(a, perm)
    shape = np.shape(a)
    res_shape = shape[-(nd - np.ndim(b)):] if nd > np.ndim(b) else ()
    n = int(np.prod(res_shape, dtype=np.int64))
    x = _solve(np.reshape(a, (-1, n)), np.ravel(b))
    return np.reshape(x, res_shape)


def _matrix_transpose(x, /):
    if np.ndim(x) < 2:
        raise ValueError("matrix_transpose needs an array with at least 2 dimensions")
    return _mT(x)


for _mod in (np, np.linalg):
    if hasattr(_mod, "matrix_transpose"):
        implements(_mod.matrix_transpose)(_matrix_transpose)

if hasattr(np.linalg, "diagonal"):
    implements(np.linalg.diagonal)(
        lambda x, /, *, offset=0: np.diagonal(x, offset=offset, axis1=-2, axis2=-1))
if hasattr(np.linalg, "trace"):
    implements(np.linalg.trace)(
        lambda x, /, *, offset=0, dtype=None: np.trace(x, offset=offset, axis1=-2, axis2=-1,
                                                       dtype=dtype))


# ---------------------------------------------------------------- decompositions
# Each returns several arrays; the primitive packs them into one array (stacked along the
# row axis) and the handler slices them apart, so one call computes them all.
def _masks(n, dt):
    """Lower triangle with diagonal, and strictly lower triangle, as 0/1 matrices."""
    low = np.tril(np.ones((n, n), dtype=dt))
    return low, low - np.eye(n, dtype=dt)


def _sym_from_lower(t):
    """The symmetric matrix that LAPACK sees when it reads the lower triangle of ``t``."""
    low, strict = _masks(np.shape(t)[-1], _dtype(t))
    return t * low + _mT(t * strict)


def _lower_grad(s):
    """Cotangent of the input from the cotangent ``s`` of the symmetric matrix it stands for
    (adjoint of :func:`_sym_from_lower`)."""
    low, strict = _masks(np.shape(s)[-1], _dtype(s))
    return s * low + _mT(s) * strict


def _cholesky_vjp(g, ans, a):
    n = np.shape(a)[-1]
    low, strict = _masks(n, _dtype(a))
    li = np.linalg.inv(ans)
    p = np.matmul(_mT(ans), g) * (strict + 0.5 * np.eye(n, dtype=_dtype(a)))
    return _lower_grad(np.matmul(_mT(li), np.matmul(p, li)))


def _cholesky_jvp(t, ans, a):
    n = np.shape(a)[-1]
    low, strict = _masks(n, _dtype(a))
    li = np.linalg.inv(ans)
    x = np.matmul(li, np.matmul(_sym_from_lower(t), _mT(li)))
    return np.matmul(ans, x * (strict + 0.5 * np.eye(n, dtype=_dtype(a))))


# reads the lower triangle of a, as NumPy does
cholesky_p = defprim(np.linalg.cholesky, name="cholesky", vjp=(_cholesky_vjp,),
                     jvp=(_cholesky_jvp,))


@implements(np.linalg.cholesky)
def _cholesky(a, /, *, upper=False):
    if upper:   # the upper factor reads the upper triangle: transpose in and out
        return _mT(cholesky_p(_mT(a)))
    return cholesky_p(a)


def _pack(parts, widths, n):
    """Stack matrices ``parts`` (each ``(..., r_i, n)``) along the row axis, differentiably:
    ``sum_i E_i @ part_i`` with constant selection matrices ``E_i``."""
    total = sum(widths)
    out, row = None, 0
    for p, r in zip(parts, widths):
        e = np.zeros((total, r), dtype=_dtype(p))
        e[row:row + r] = np.eye(r, dtype=e.dtype)
        term = np.matmul(e, p)
        out = term if out is None else out + term
        row += r
    return out


def _row(v):
    return _rs(v, np.shape(v)[:-1] + (1, np.shape(v)[-1]))


def _offdiag_inv(d):
    """``1 / d`` off the diagonal of the last two axes, 0 on it."""
    n = np.shape(d)[-1]
    eye = np.eye(n, dtype=bool)
    return np.where(eye, np.zeros_like(d), 1 / np.where(eye, np.ones_like(d), d))


def _eigh_fn(a):
    w, v = np.linalg.eigh(a)
    return np.concatenate([v, w[..., None, :]], axis=-2)


def _eigh_parts(ans):
    n = np.shape(ans)[-1]
    v, w = ans[..., :n, :], ans[..., n, :]
    return w, v, _offdiag_inv(_row(w) - _mT(_row(w)))   # F_ij = 1 / (w_j - w_i)


def _eigh_vjp(g, ans, a):
    w, v, f = _eigh_parts(ans)
    n = np.shape(a)[-1]
    gv, gw = g[..., :n, :], g[..., n, :]
    inner = f * np.matmul(_mT(v), gv) + _row(gw) * np.eye(n, dtype=_dtype(a))
    return _lower_grad(np.matmul(v, np.matmul(inner, _mT(v))))


def _eigh_jvp(t, ans, a):
    w, v, f = _eigh_parts(ans)
    y = np.matmul(_mT(v), np.matmul(_sym_from_lower(t), v))
    n = np.shape(a)[-1]
    dw = np.sum(y * np.eye(n, dtype=_dtype(a)), axis=-2)
    dv = np.matmul(v, f * y)
    return _pack([dv, _row(dw)], [n, 1], n)


# eigenvectors (rows :n) and eigenvalues (row n) of the lower triangle of a
eigh_p = defprim(_eigh_fn, name="eigh", raw=True, vjp=(_eigh_vjp,), jvp=(_eigh_jvp,))

_EighResult = _result_type(np.linalg.eigh(np.eye(1)))


@implements(np.linalg.eigh)
def _eigh(a, UPLO="L"):
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    if UPLO == "U":
        a = _mT(a)   # the upper triangle of a is the lower triangle of a.T
    packed = eigh_p(a)
    n = np.shape(a)[-1]
    return _EighResult(packed[..., n, :], packed[..., :n, :])


@implements(np.linalg.eigvalsh)
def _eigvalsh(a, UPLO="L"):
    return _eigh(a, UPLO).eigenvalues


def _svd_fn(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([u, s[..., None, :], _mT(vh)], axis=-2)


def _svd_parts(ans, a):
    m, n = np.shape(a)[-2:]
    u, s, v = ans[..., :m, :], ans[..., m, :], ans[..., m + 1:, :]
    s2 = _row(s * s)
    return u, s, v, _offdiag_inv(s2 - _mT(s2))   # F_ij = 1 / (s_j^2 - s_i^2)


def _svd_jvp(t, ans, a):
    u, s, v, f = _svd_parts(ans, a)
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    eye = np.eye(k, dtype=_dtype(a))
    tv = np.matmul(t, v)
    dp = np.matmul(_mT(u), tv)
    ds = np.sum(dp * eye, axis=-2)
    sr = _row(s)
    du = np.matmul(u, f * (dp * sr + _mT(dp * sr)))
    dv = np.matmul(v, f * (_mT(sr) * dp + _mT(_mT(sr) * dp)))
    if m > k:
        du = du + (tv - np.matmul(u, np.matmul(_mT(u), tv))) / sr
    if n > k:
        tu = np.matmul(_mT(t), u)
        dv = dv + (tu - np.matmul(v, np.matmul(_mT(v), tu))) / sr
    return _pack([du, _row(ds), dv], [m, 1, n], k)


def _svd_vjp(g, ans, a):
    u, s, v, f = _svd_parts(ans, a)
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    gu, gs, gv = g[..., :m, :], g[..., m, :], g[..., m + 1:, :]
    sr = _row(s)
    j = f * np.matmul(_mT(u), gu)
    kk = f * np.matmul(_mT(v), gv)
    mid = (j + _mT(j)) * sr + _mT(sr) * (kk + _mT(kk)) + _row(gs) * np.eye(k, dtype=_dtype(a))
    res = np.matmul(u, np.matmul(mid, _mT(v)))
    if m > k:
        gus = gu / sr
        res = res + np.matmul(gus - np.matmul(u, np.matmul(_mT(u), gus)), _mT(v))
    if n > k:
        gvs = gv / sr
        res = res + np.matmul(u, _mT(gvs - np.matmul(v, np.matmul(_mT(v), gvs))))
    return res


# reduced SVD packed as rows: U (m), s (1), V = Vh.T (n); all have k = min(m, n) columns
svd_p = defprim(_svd_fn, name="svd", raw=True, vjp=(_svd_vjp,), jvp=(_svd_jvp,))


def _svdvals_vjp(g, ans, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.matmul(u * _row(g), vh)


def _svdvals_jvp(t, ans, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * np.matmul(t, _mT(vh)), axis=-2)


svdvals_p = defprim(lambda a: np.linalg.svd(a, compute_uv=False), name="svdvals", raw=True,
                    vjp=(_svdvals_vjp,), jvp=(_svdvals_jvp,))

_SVDResult = _result_type(np.linalg.svd(np.eye(1)))


@implements(np.linalg.svd)
def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        return svdvals_p(a)
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            "np.linalg.svd(full_matrices=True) of a non-square tensor: the extra singular "
            "vectors are not unique, so they have no derivative; pass full_matrices=False")
    packed = svd_p(a)
    return _SVDResult(packed[..., :m, :], packed[..., m, :], _mT(packed[..., m + 1:, :]))


if hasattr(np.linalg, "svdvals"):
    implements(np.linalg.svdvals)(lambda x, /: svdvals_p(x))


def _qr_fn(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q, r], axis=-2)


def _qr_parts(ans, a):
    m, n = np.shape(a)[-2:]
    return ans[..., :m, :], ans[..., m:, :]


def _qr_jvp(t, ans, a):
    q, r = _qr_parts(ans, a)
    m, n = np.shape(a)[-2:]
    low, strict = _masks(n, _dtype(a))
    tri = _mT(np.linalg.solve(_mT(r), _mT(t)))           # dA R^-1
    x = np.matmul(_mT(q), tri)
    om = x * strict - _mT(x * strict)
    dr = np.matmul(x - om, r)
    dq = np.matmul(q, om) + tri - np.matmul(q, x)
    return _pack([dq, dr], [m, n], n)


def _qr_vjp(g, ans, a):
    q, r = _qr_parts(ans, a)
    m, n = np.shape(a)[-2:]
    low, strict = _masks(n, _dtype(a))
    gq, gr = g[..., :m, :], g[..., m:, :]
    mm = np.matmul(gr, _mT(r)) - np.matmul(_mT(q), gq)
    c = mm - (mm - _mT(mm)) * strict
    return _mT(np.linalg.solve(r, _mT(gq + np.matmul(q, c))))   # (gQ + Q C) R^-T


# reduced QR (m >= n) packed as rows: Q (m), R (n)
qr_p = defprim(_qr_fn, name="qr", raw=True, vjp=(_qr_vjp,), jvp=(_qr_jvp,))

_QRResult = _result_type(np.linalg.qr(np.eye(1)))


@implements(np.linalg.qr)
def _qr(a, mode="reduced"):
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise NotImplementedError(f"np.linalg.qr(mode={mode!r}) on tensors")
    if m < n or (mode == "complete" and m != n):
        raise NotImplementedError(
            "np.linalg.qr of a tensor needs rows >= columns (and mode='complete' a square "
            "matrix): otherwise the factors are not unique, so they have no derivative")
    packed = qr_p(a)
    r = packed[..., m:, :]
    if mode == "r":
        return r
    return _QRResult(packed[..., :m, :], r)


# ---------------------------------------------------------------- convolution
def _full(np_fn):
    """``np_fn(a, v, 'full')`` over the last axes, looping over (broadcast) leading axes."""
    def fn(a, v):
        from ..arrays import as_array
        a, v = as_array(a), as_array(v)
        if a.ndim == 1 and v.ndim == 1:
            return np_fn(a, v, "full")
        batch = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
        ab = np.broadcast_to(a, batch + a.shape[-1:]).reshape((-1,) + a.shape[-1:])
        vb = np.broadcast_to(v, batch + v.shape[-1:]).reshape((-1,) + v.shape[-1:])
        n = a.shape[-1] + v.shape[-1] - 1
        out = np.empty((ab.shape[0], n), dtype=np.result_type(a, v))
        for i in range(ab.shape[0]):
            out[i] = np_fn(ab[i], vb[i], "full")
        return out.reshape(batch + (n,))
    fn.__name__ = np_fn.__name__ + "_full"
    return fn


def _flip_last(x):
    return x[..., ::-1]


def _lags(x, start, size):
    return x[..., start:start + size]


# Full convolution and cross-correlation along the last axis, with NumPy's values.  Each is
# linear in each argument and its VJPs are correlations again, so every order works; leading
# axes broadcast (the tangents' batch axes ride along).  np.convolve and np.correlate slice
# their modes out of the full result.
convolve_full_p = defprim(
    _full(np.convolve), name="convolve_full", raw=True,
    vjp=(lambda g, ans, a, v: _lags(correlate_full_p(g, v), np.shape(v)[-1] - 1,
                                    np.shape(a)[-1]),
         lambda g, ans, a, v: _lags(correlate_full_p(g, a), np.shape(a)[-1] - 1,
                                    np.shape(v)[-1])),
    jvp=(lambda t, ans, a, v: convolve_full_p(t, v),
         lambda t, ans, a, v: convolve_full_p(a, t)))

correlate_full_p = defprim(
    _full(np.correlate), name="correlate_full", raw=True,
    vjp=(lambda g, ans, a, v: _lags(convolve_full_p(g, v), np.shape(v)[-1] - 1,
                                    np.shape(a)[-1]),
         lambda g, ans, a, v: _flip_last(_lags(correlate_full_p(g, a), np.shape(a)[-1] - 1,
                                               np.shape(v)[-1]))),
    jvp=(lambda t, ans, a, v: correlate_full_p(t, v),
         lambda t, ans, a, v: correlate_full_p(a, t)))


def _conv_args(a, v, name):
    a, v = (x if hasattr(x, "shape") and not isinstance(x, np.generic) else np.asarray(x)
            for x in (a, v))
    a = np.ravel(a) if np.ndim(a) == 0 else a
    v = np.ravel(v) if np.ndim(v) == 0 else v
    if np.ndim(a) != 1 or np.ndim(v) != 1:
        raise ValueError("object too deep for desired array")
    if np.shape(a)[0] == 0:
        raise ValueError("a cannot be empty" if name == "convolve" else
                         "correlate: a cannot be empty")
    if np.shape(v)[0] == 0:
        raise ValueError("v cannot be empty" if name == "convolve" else
                         "correlate: v cannot be empty")
    if np.iscomplexobj(a) or np.iscomplexobj(v):
        raise NotImplementedError(f"np.{name} of complex tensors is not supported")
    return a, v


def _mode_slice(full, n, m, mode, same_start):
    if mode in ("full", 2):
        return full
    if mode in ("valid", 0):
        start, size = min(n, m) - 1, abs(n - m) + 1
    elif mode in ("same", 1):
        start, size = same_start, max(n, m)
    else:
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return full[start:start + size]


@implements(np.correlate)
def _correlate(a, v, mode="valid"):
    a, v = _conv_args(a, v, "correlate")
    n, m = np.shape(a)[0], np.shape(v)[0]
    return _mode_slice(correlate_full_p(a, v), n, m, mode, (m - 1) // 2 if n >= m else n // 2)


@implements(np.convolve)
def _convolve(a, v, mode="full"):
    a, v = _conv_args(a, v, "convolve")
    n, m = np.shape(a)[0], np.shape(v)[0]
    return _mode_slice(convolve_full_p(a, v), n, m, mode, (min(n, m) - 1) // 2)


# ---------------------------------------------------------------- no rule, said clearly
def _no_rule_because(func, why):
    """A handler that runs ``func`` on values when nothing needs a derivative, and otherwise
    raises the bridge's TypeError with ``why`` added."""
    from ..numpy_bridge import _fname, _no_rule_error, _run_on_values, _traced

    def handler(*args, **kwargs):
        if not (_traced(args) or _traced(kwargs)):
            return _run_on_values(func, args, kwargs)
        err = _no_rule_error(_fname(func))
        raise TypeError(f"{err} {why}")
    handler.__name__ = func.__name__
    return handler


for _f in (np.linalg.eig, np.linalg.eigvals):
    implements(_f)(_no_rule_because(
        _f, "(The eigenvectors of a general matrix are complex and defined only up to scale; "
            "for a real symmetric matrix use np.linalg.eigh or np.linalg.eigvalsh, which have "
            "rules.)"))
