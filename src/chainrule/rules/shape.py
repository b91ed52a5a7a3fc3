"""Functions that move values around: indexing, reshaping, joining, copying, grids.

All of them are linear, so each JVP applies the same operation to the tangent, shifted past
the tangent's leading batch dimensions (``batch_ndim``).  NumPy's arguments (axes, sections,
pad widths, ...) are handled in :mod:`chainrule.numpy_api.shape`; there ``insert``,
``delete``, ``resize`` and ``block`` let NumPy lay out position tags and gather the values
from there; ``meshgrid`` and ``linspace`` (both endpoints may need a derivative) are built
from reshapes, broadcasts and arithmetic.
"""
import numbers

import numpy as np

from ..arrays import like_of
from .api import (Tensor, batch_ndim, constant_like, defprim, is_other, make_tensor, plain,
                  scatter_add, unbroadcast, zeros_as)

__all__ = ["getitem_p", "setitem_p", "scatter_add_p", "index_tangent", "setitem_tangent",
           "copy_p", "astype_p", "astype", "astype_const_p", "reshape_p", "transpose_p",
           "broadcast_to_p",
           "concatenate_p", "concatenate", "stack_p", "roll_p", "repeat_p", "tile_p", "pad_p"]


# ---------------------------------------------------------------- indexing
def _expand_index(idx, ndim):
    """``idx`` as a tuple without Ellipsis, covering the first dims of an ndim-array."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    used = 0
    for i in idx:
        if i is None or i is Ellipsis:
            continue
        if isinstance(i, (bool, np.bool_)):
            continue    # a scalar boolean adds an axis and uses none
        if isinstance(i, np.ndarray) and i.dtype == bool:
            used += i.ndim
        elif isinstance(i, (list,)) and len(i) and isinstance(np.asarray(i).flat[0], np.bool_):
            used += np.asarray(i).ndim
        else:
            used += 1
    out = []
    seen = False
    for i in idx:
        if i is Ellipsis and not seen:
            out.extend([slice(None)] * (ndim - used))
            seen = True
        else:
            out.append(i)
    if not seen:
        out.extend([slice(None)] * (ndim - used))
    return tuple(out)


def _batched(fn, t, x, idx):
    """Apply ``fn(t_moved, idx)`` to the non-batch dims of ``t``: batch dims go last first."""
    nb = batch_ndim(t, x)
    if not nb:
        return fn(t, idx)
    nd = np.ndim(x)
    moved = np.moveaxis(t, tuple(range(nb)), tuple(range(-nb, 0)))
    full = _expand_index(idx, nd) + (Ellipsis,)
    res = fn(moved, full)
    rnd = np.ndim(res)
    return np.moveaxis(res, tuple(range(rnd - nb, rnd)), tuple(range(nb)))


def index_tangent(t, x, idx):
    """The tangent of ``x[idx]`` given the tangent ``t`` of ``x``."""
    return _batched(lambda a, i: like_of(a, i)[i], t, x, idx)


def _unique_index(idx):
    """True if ``idx`` cannot select one position twice (no integer-array indices)."""
    for i in (idx if isinstance(idx, tuple) else (idx,)):
        if i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral, np.bool_)):
            continue
        if isinstance(i, np.ndarray) and (i.dtype == bool or i.ndim == 0):
            continue
        return False
    return True


def _scatter_fn(g, shape, idx):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate)."""
    if type(g) is not np.ndarray and is_other(g):
        return scatter_add(g, shape, idx, _unique_index(idx))
    out = np.zeros(shape, dtype=np.result_type(g))
    if _unique_index(idx):
        out[idx] = g
    elif out.ndim > 1 and 1024 <= g.size and 4 * g.size >= out.size:
        # np.add.at is fast only on 1-d targets: scatter into flat positions instead
        pos = np.arange(out.size).reshape(shape)[idx]
        np.add.at(out.reshape(-1), pos.reshape(-1), np.reshape(g, -1))
    else:
        np.add.at(out, idx, g)
    return out


def _scatter_jvp(t, ans, g, shape, idx):
    nb = batch_ndim(t, g)
    if not nb:
        return scatter_add_p(t, shape=shape, idx=idx)
    moved = np.moveaxis(t, tuple(range(nb)), tuple(range(-nb, 0)))
    bshape = np.shape(t)[:nb]
    res = scatter_add_p(moved, shape=tuple(shape) + bshape,
                        idx=_expand_index(idx, len(shape)) + (Ellipsis,))
    return np.moveaxis(res, tuple(range(len(shape), len(shape) + nb)), tuple(range(nb)))


# the VJP of indexing; its own VJP is indexing again, so higher orders work
scatter_add_p = defprim(_scatter_fn, name="scatter_add", raw=True,
                        vjp=(lambda g, ans, v, shape, idx: getitem_p(g, idx=idx, shape=shape),),
                        jvp=(_scatter_jvp,), keep=('shape', 'idx'), keep_ans=False)

# ``shape`` (x's shape) is passed along so the VJP never reads x itself: writing into x
# after indexing it (out[i] = out[i - 1] * a) stays legal
getitem_p = defprim(lambda x, idx, shape: x[idx], name="getitem",
                    vjp=(lambda g, ans, x, idx, shape: scatter_add_p(g, shape=shape, idx=idx),),
                    jvp=(lambda t, ans, x, idx, shape: index_tangent(t, x, idx),),
                        keep=('idx', 'shape'), keep_ans=False)


def _setitem_fn(x, v, idx):
    out = x.copy()
    out[idx] = v
    return out


def _zero_at(g, idx):
    g = np.array(g) if isinstance(g, np.generic) else g.copy()   # 0-d: a NumPy scalar
    g[idx] = 0
    return g


def _setitem_vjp_v(g, ans, x, v, idx):
    """``g[idx]``, except where a repeated index let a later element of ``v`` win."""
    gv = g[idx]
    if _unique_index(idx):
        return gv
    shape = np.shape(g)                # the recorded node keeps no x: g has its shape
    ids = np.full_like(g, -1, shape=shape, dtype=np.intp)
    sel = np.shape(ids[idx])
    order = constant_like(np.arange(int(np.prod(sel, dtype=np.int64))).reshape(sel), g)
    ids[idx] = order
    return np.where(ids[idx] == order, gv, np.result_type(gv).type(0))


# x[idx] = v, recorded by Tensor.__setitem__ (the write itself happens in place); the node
# saves neither x nor v, so the rules only use g and idx
setitem_p = defprim(_setitem_fn, name="setitem",
                    vjp=(lambda g, ans, x, v, idx: _zero_at(g, idx), _setitem_vjp_v),
                        keep=('idx',), keep_ans=False)


def setitem_tangent(tx, tv, x, v, idx):
    """Tangent of ``x`` after ``x[idx] = v``; ``tx``/``tv`` are the tangents (None: zero)."""
    if tx is not None:
        nb = batch_ndim(tx, x)
        batch = np.shape(tx)[:nb]
        tx = tx.copy() if isinstance(tx, Tensor) or is_other(tx) else np.array(tx, copy=True)
    else:
        nb = batch_ndim(tv, v)
        batch = np.shape(tv)[:nb]
        tx = zeros_as(tv, batch + np.shape(x), np.result_type(tv))
    if tv is None:
        val = 0
    else:
        val = np.moveaxis(tv, tuple(range(nb)), tuple(range(-nb, 0))) if nb else tv
        if isinstance(val, Tensor) and not isinstance(tx, Tensor):
            tx = make_tensor(tx, None, val._level, None)
    tx = like_of(tx, val, idx)
    if not nb:
        tx[idx] = val
        return tx
    moved = np.moveaxis(tx, tuple(range(nb)), tuple(range(-nb, 0)))
    if isinstance(moved, Tensor):       # recorded: write into memory of its own, not a view
        moved = moved.copy()
    moved[_expand_index(idx, np.ndim(x)) + (Ellipsis,)] = val
    return np.moveaxis(moved, tuple(range(-nb, 0)), tuple(range(nb)))


# ---------------------------------------------------------------- copies and casts
copy_p = defprim(lambda x: np.array(x, copy=True) if isinstance(x, np.ndarray) else x.copy(),
                 name="copy", vjp=(lambda g, ans, x: g,), jvp=(lambda t, ans, x: t,),
                     keep=(), keep_ans=False)


def _astype_vjp(g, ans, x, dtype, src):
    xd = src                                  # x's dtype: the node keeps it rather than x
    if not np.issubdtype(dtype, np.inexact):   # to ints or bools: piecewise constant
        return np.zeros(np.shape(g), dtype=xd if np.issubdtype(xd, np.inexact) else float)
    if not np.issubdtype(xd, np.inexact):
        return g * 0
    if np.iscomplexobj(g) and not (np.issubdtype(xd, np.complexfloating)
                                   and np.issubdtype(dtype, np.complexfloating)):
        # the transpose of a real-to-complex cast keeps the real part; so does a cast to a
        # real dtype (its output is real, so is its cotangent: JAX's convention)
        g = np.real(g)
    return g.astype(xd)


astype_p = defprim(lambda x, dtype, src: x.astype(dtype), name="astype",
                   vjp=(_astype_vjp,),
                   jvp=(lambda t, ans, x, dtype, src: t.astype(dtype)
                        if np.issubdtype(dtype, np.inexact) else t * 0,),
                            keep=('dtype', 'src'), keep_ans=False)


def astype(x, dtype):
    """``x.astype(dtype)``, recorded."""
    return astype_p(x, dtype=dtype, src=np.result_type(x))


# a cast to a non-float dtype (int, bool, str) carries no gradient
astype_const_p = defprim(lambda x, dtype: x.astype(dtype), name="astype", nondiff=True)


# ---------------------------------------------------------------- reshaping
# ``old`` is x's shape, passed along so the node keeps a shape rather than the array
reshape_p = defprim(lambda x, shape, old: np.reshape(x, shape), name="reshape",
                    vjp=(lambda g, ans, x, shape, old: np.reshape(g, old),),
                    jvp=(lambda t, ans, x, shape, old: np.reshape(
                        t, np.shape(t)[:np.ndim(t) - len(old)] + np.shape(ans)),),
                            keep=('old',), keep_ans=False)


def _transpose_jvp(t, ans, x, axes):
    nb = batch_ndim(t, x)
    return np.transpose(t, tuple(range(nb)) + tuple(a + nb for a in axes))


transpose_p = defprim(lambda x, axes: np.transpose(x, axes), name="transpose",
                      vjp=(lambda g, ans, x, axes: np.transpose(g, tuple(np.argsort(axes))),),
                      jvp=(_transpose_jvp,), keep=('axes',), keep_ans=False)


# ``old`` is x's shape, passed along so the node keeps a shape rather than the array
def _bcast_vjp(g, ans, x, shape, old):
    return unbroadcast(g, old)


def _bcast_jvp(t, ans, x, shape, old):
    nb = np.ndim(t) - len(old)
    bshape = np.shape(t)[:nb]
    extra = len(shape) - len(old)
    t = np.reshape(t, bshape + (1,) * extra + np.shape(t)[nb:])
    return np.broadcast_to(t, bshape + tuple(shape))


broadcast_to_p = defprim(lambda x, shape, old: np.broadcast_to(x, shape), name="broadcast_to",
                         vjp=(_bcast_vjp,), jvp=(_bcast_jvp,), keep=('old',), keep_ans=False)


# ---------------------------------------------------------------- joining
def _concat_vjp(g, ans, *xs, axis, sizes):
    """All the pieces' cotangents at once: slices of ``g`` (linear in the number of pieces).
    ``sizes`` (the pieces' lengths along ``axis``) is all it reads, so nothing is kept: a
    piece may be written to in place afterwards, as in PyTorch."""
    rest = (slice(None),) * (-axis - 1)
    out = []
    start = 0
    for size in sizes:
        stop = start + size
        out.append(g[(Ellipsis, slice(start, stop)) + rest])
        start = stop
    return out


def _concat_jvp(tangents, ans, *xs, axis, sizes):
    k = next(i for i, t in enumerate(tangents) if t is not None)
    batch = np.shape(tangents[k])[:batch_ndim(tangents[k], xs[k])]
    dtype = np.result_type(ans)
    parts = [zeros_as(tangents[k], batch + np.shape(x), dtype) if t is None else t
             for t, x in zip(tangents, xs)]
    return np.concatenate(parts, axis=axis)


# axis is negative, so the rules work on tangents with leading batch dimensions; sizes are
# the pieces' lengths along it (see concatenate)
concatenate_p = defprim(lambda *xs, axis, sizes: np.concatenate(xs, axis=axis),
                        name="concatenate", nary=True, vjp=(_concat_vjp,), joint=_concat_jvp,
                        keep=(), keep_ans=False, joint_vjp=True)


def concatenate(xs, axis):
    """``np.concatenate(xs, axis)`` (``axis`` negative) through :data:`concatenate_p`.
    NumPy pieces (what ``np.diff``'s ``prepend=1.5`` or ``np.block``'s numbers become) join
    the library of the others' data, which may not mix with NumPy's (CuPy)."""
    other = next((d for d in map(plain, xs) if is_other(d)), None)
    if other is not None:
        xs = [constant_like(x, other) if type(x) is np.ndarray else x for x in xs]
    return concatenate_p(*xs, axis=axis, sizes=tuple(np.shape(x)[axis] for x in xs))


def _stack_jvp(tangents, ans, *xs, axis):
    k = next(i for i, t in enumerate(tangents) if t is not None)
    batch = np.shape(tangents[k])[:batch_ndim(tangents[k], xs[k])]
    dtype = np.result_type(ans)
    return np.stack([zeros_as(tangents[k], batch + np.shape(x), dtype) if t is None else t
                     for t, x in zip(tangents, xs)], axis=axis)


def _stack_vjp(g, ans, *xs, axis):
    """All the pieces' cotangents at once: the slices of ``g`` along ``axis``."""
    rest = (slice(None),) * (-axis - 1)
    return [g[(Ellipsis, i) + rest] for i in range(len(xs))]


# axis is negative (counted in the output)
stack_p = defprim(lambda *xs, axis: np.stack(xs, axis=axis), name="stack", nary=True,
                  vjp=(_stack_vjp,), joint=_stack_jvp, keep=None, keep_ans=False,
                  joint_vjp=True)


def _neg_shift(shift):
    return tuple(-s for s in shift)


def _roll_jvp(t, ans, x, shift, axis):
    return np.roll(t, shift, axis)


# shift and axis are tuples of equal length, axes negative
roll_p = defprim(lambda x, shift, axis: np.roll(x, shift, axis), name="roll",
                 vjp=(lambda g, ans, x, shift, axis: np.roll(g, _neg_shift(shift), axis),),
                 jvp=(_roll_jvp,), keep=('shift', 'axis'), keep_ans=False)


# ---------------------------------------------------------------- repeating and padding
def _repeat_vjp(g, ans, x, repeats, axis):
    ax = axis + np.ndim(x)
    shape = np.shape(g)
    g = np.reshape(g, shape[:ax] + (np.shape(x)[ax], repeats) + shape[ax + 1:])
    return np.sum(g, axis=ax + 1)


# a whole-number repeat along a (negative) axis; repeat counts per element use take
repeat_p = defprim(lambda x, repeats, axis: np.repeat(x, repeats, axis), name="repeat",
                   vjp=(_repeat_vjp,),
                   jvp=(lambda t, ans, x, repeats, axis: np.repeat(t, repeats, axis),),
                       keep=('x', 'repeats', 'axis'), keep_ans=False)


def _tile_vjp(g, ans, x, reps):
    xshape = (1,) * (len(reps) - np.ndim(x)) + np.shape(x)
    g = np.reshape(g, tuple(n for pair in zip(reps, xshape) for n in pair))
    g = np.sum(g, axis=tuple(range(0, 2 * len(reps), 2)))
    return np.reshape(g, np.shape(x))


def _tile_jvp(t, ans, x, reps):
    nb = batch_ndim(t, x)
    shape = np.shape(t)
    t = np.reshape(t, shape[:nb] + (1,) * (len(reps) - np.ndim(x)) + shape[nb:])
    return np.tile(t, (1,) * nb + reps)


# reps has one entry per output axis (at least x.ndim of them)
tile_p = defprim(lambda x, reps: np.tile(x, reps), name="tile", vjp=(_tile_vjp,),
                 jvp=(_tile_jvp,), keep=('x', 'reps'), keep_ans=False)


def _pad_vjp(g, ans, x, pad_width, value):
    return g[tuple(slice(b, b + n) for (b, _), n in zip(pad_width, np.shape(x)))]


def _pad_jvp(t, ans, x, pad_width, value):
    return np.pad(t, ((0, 0),) * batch_ndim(t, x) + pad_width)


# constant padding; the padded values are constants, so the tangent is padded with zeros
pad_p = defprim(lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
                name="pad", vjp=(_pad_vjp,), jvp=(_pad_jvp,),
                    keep=('x', 'pad_width'), keep_ans=False)
