"""Functions that move values around: indexing, reshaping, joining, copying, grids.

All of them are linear, so each JVP applies the same operation to the tangent, shifted past
the tangent's leading batch dimensions (``batch_ndim``).  ``insert``, ``delete``, ``resize``
and ``block`` let NumPy lay out position tags and gather the values from there;
``meshgrid`` and ``linspace`` (both endpoints may need a derivative) are built from
reshapes, broadcasts and arithmetic.
"""
import numbers
import operator

import numpy as np

from .api import (Tensor, batch_ndim, constant, constant_like, defprim, implements,
                  is_other, is_traced, make_tensor, plain, scatter_add, unbroadcast, write_out,
                  zeros_as)

__all__ = ["getitem_p", "setitem_p", "scatter_add_p", "index_tangent", "setitem_tangent",
           "copy_p", "astype_p", "astype", "astype_const_p", "reshape_p", "transpose_p",
           "broadcast_to_p",
           "concatenate_p", "stack_p", "roll_p", "repeat_p", "tile_p", "pad_p"]


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
    return _batched(lambda a, i: a[i], t, x, idx)


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
    ids = np.full(shape, -1, dtype=np.intp)
    sel = np.shape(ids[idx])
    order = np.arange(int(np.prod(sel, dtype=np.int64))).reshape(sel)
    ids[idx] = order
    return np.where(ids[idx] == order, gv, np.zeros((), dtype=np.result_type(gv)))


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


@implements(np.copy)
def _copy(a, order="K", subok=False):
    return copy_p(a)


# ---------------------------------------------------------------- reshaping
# ``old`` is x's shape, passed along so the node keeps a shape rather than the array
reshape_p = defprim(lambda x, shape, old: np.reshape(x, shape), name="reshape",
                    vjp=(lambda g, ans, x, shape, old: np.reshape(g, old),),
                    jvp=(lambda t, ans, x, shape, old: np.reshape(
                        t, np.shape(t)[:np.ndim(t) - len(old)] + np.shape(ans)),),
                            keep=('old',), keep_ans=False)


def _reshaped(a, shape):
    return reshape_p(a, shape=shape, old=np.shape(a))


@implements(np.reshape)
def _reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("chainrule supports only order='C' reshapes of tensors")
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    return _reshaped(a, shape)


@implements(np.ravel)
def _ravel(a, order="C"):
    return _reshape(a, (-1,), order=order)


def _transpose_jvp(t, ans, x, axes):
    nb = batch_ndim(t, x)
    return np.transpose(t, tuple(range(nb)) + tuple(a + nb for a in axes))


transpose_p = defprim(lambda x, axes: np.transpose(x, axes), name="transpose",
                      vjp=(lambda g, ans, x, axes: np.transpose(g, tuple(np.argsort(axes))),),
                      jvp=(_transpose_jvp,), keep=('axes',), keep_ans=False)


@implements(np.transpose)
def _transpose(a, axes=None):
    nd = np.ndim(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    axes = tuple(_pos_axis(ax, nd) for ax in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError("axes don't match array")
    return transpose_p(a, axes=axes)


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


@implements(np.broadcast_to)
def _broadcast_to(array, shape, subok=False):
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    return broadcast_to_p(array, shape=tuple(shape), old=np.shape(array))



# ---------------------------------------------------------------- new arrays shaped like others
def _like(np_fn):
    def handler(a, *args, dtype=None, order="K", subok=True, shape=None, **kw):
        if not isinstance(a, Tensor):
            return np_fn(a, *args, dtype=dtype, shape=shape, **kw)
        base = plain(a)
        return make_tensor(np_fn(base, *args, dtype=dtype, shape=shape, **kw), None, a._level,
                           None)
    return handler


implements(np.zeros_like)(_like(np.zeros_like))
implements(np.ones_like)(_like(np.ones_like))
implements(np.empty_like)(_like(np.zeros_like))   # zeros: never expose stale memory


@implements(np.full_like)
def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    if isinstance(fill_value, Tensor) and is_traced(fill_value):
        return np.zeros_like(a, dtype=dtype, shape=shape) + fill_value
    if isinstance(fill_value, Tensor):
        fill_value = plain(fill_value)
    return _like(np.full_like)(a, fill_value, dtype=dtype, shape=shape)


# ---------------------------------------------------------------- helpers for the handlers
def _base(x):
    """The plain value of a (constant) index-like argument."""
    return plain(x)


def _pos_axis(axis, ndim):
    """``axis`` as a non-negative int, checked against ``ndim`` (NumPy's AxisError)."""
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"an axis must be an int, not {type(axis).__name__}") from None
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(a, ndim)
    return a % ndim


def _axis_tuple(axis, ndim):
    """``axis`` (int or sequence) as a tuple of non-negative ints, no repeats."""
    axes = tuple(np.ravel(axis)) if isinstance(axis, (tuple, list, np.ndarray)) else (axis,)
    out = tuple(_pos_axis(a, ndim) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError("repeated axis")
    return out


def _arr(a):
    """Tensors as they are, anything else (lists, numbers) as an ndarray."""
    return a if isinstance(a, Tensor) or is_other(a) else np.asarray(a)


def _view(a, idx):
    """``a[idx]``: a view for basic indices (as NumPy gives for flip, split...)."""
    return _arr(a)[idx]


def _gather(a, idx):
    """``a[idx]`` as a copy (advanced indices), recorded as one getitem."""
    return getitem_p(a, idx=idx, shape=np.shape(a))


def _index_on_axis(axis, idx):
    """An index that applies ``idx`` to ``axis`` (non-negative) and keeps the other axes."""
    return (slice(None),) * axis + (idx,)


# ---------------------------------------------------------------- axes: move, add, remove
@implements(np.moveaxis)
def _moveaxis(a, source, destination):
    nd = np.ndim(a)
    src = _axis_tuple(source, nd)
    dst = _axis_tuple(destination, nd)
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose_p(a, axes=tuple(order))


@implements(np.swapaxes)
def _swapaxes(a, axis1, axis2):
    nd = np.ndim(a)
    order = list(range(nd))
    i, j = _pos_axis(axis1, nd), _pos_axis(axis2, nd)
    order[i], order[j] = order[j], order[i]
    return transpose_p(a, axes=tuple(order))


@implements(np.expand_dims)
def _expand_dims(a, axis):
    shape = np.shape(a)
    n = len(axis) if isinstance(axis, (tuple, list)) else 1
    axes = _axis_tuple(axis, len(shape) + n)
    rest = iter(shape)
    new = tuple(1 if d in axes else next(rest) for d in range(len(shape) + n))
    return _reshaped(a, new)


@implements(np.squeeze)
def _squeeze(a, axis=None):
    shape = np.shape(a)
    if axis is None:
        axes = tuple(d for d, n in enumerate(shape) if n == 1)
    else:
        axes = _axis_tuple(axis, len(shape))
        if any(shape[d] != 1 for d in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal "
                             "to one")
    return _reshaped(a, tuple(n for d, n in enumerate(shape) if d not in axes))


def _atleast(ndmin, new_shape):
    def handler(*arys):
        res = []
        for a in arys:
            a = _arr(a)
            nd = np.ndim(a)
            res.append(a if nd >= ndmin else _reshaped(a, new_shape(np.shape(a))))
        return res[0] if len(res) == 1 else tuple(res)
    return handler


implements(np.atleast_1d)(_atleast(1, lambda s: (1,)))
implements(np.atleast_2d)(_atleast(2, lambda s: (1,) * (2 - len(s)) + s))
implements(np.atleast_3d)(_atleast(3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,),
                                                 2: s + (1,)}[len(s)]))


# ---------------------------------------------------------------- joining
def _concat_vjp(g, ans, *xs, axis):
    """All the pieces' cotangents at once: slices of ``g`` (linear in the number of pieces)."""
    rest = (slice(None),) * (-axis - 1)
    out = []
    start = 0
    for x in xs:
        stop = start + np.shape(x)[axis]
        out.append(g[(Ellipsis, slice(start, stop)) + rest])
        start = stop
    return out


def _concat_jvp(tangents, ans, *xs, axis):
    k = next(i for i, t in enumerate(tangents) if t is not None)
    batch = np.shape(tangents[k])[:batch_ndim(tangents[k], xs[k])]
    dtype = np.result_type(ans)
    parts = [zeros_as(tangents[k], batch + np.shape(x), dtype) if t is None else t
             for t, x in zip(tangents, xs)]
    return np.concatenate(parts, axis=axis)


# axis is negative, so the rules work on tangents with leading batch dimensions
concatenate_p = defprim(lambda *xs, axis: np.concatenate(xs, axis=axis), name="concatenate",
                        nary=True, vjp=(_concat_vjp,), joint=_concat_jvp, keep=None,
                        joint_vjp=True)


@implements(np.concatenate)
def _concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [np.ravel(a) for a in arrays]
        axis = 0
    nd = np.ndim(arrays[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    if any(np.ndim(a) != nd for a in arrays):
        raise ValueError("all the input arrays must have same number of dimensions")
    if dtype is not None:
        if casting != "same_kind":
            raise NotImplementedError("np.concatenate with casting= is not supported on "
                                      "tensors")
        arrays = [a.astype(dtype) for a in arrays]
    res = concatenate_p(*arrays, axis=_pos_axis(axis, nd) - nd)
    return write_out(res, out)


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
                  vjp=(_stack_vjp,), joint=_stack_jvp, keep=None, joint_vjp=True)


@implements(np.stack)
def _stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    if len({np.shape(a) for a in arrays}) != 1:
        raise ValueError("all input arrays must have the same shape")
    nd = np.ndim(arrays[0]) + 1
    ax = _pos_axis(axis, nd) - nd
    if dtype is not None:
        if casting != "same_kind":
            raise NotImplementedError("np.stack with casting= is not supported on tensors")
        arrays = [a.astype(dtype) for a in arrays]
    return write_out(stack_p(*arrays, axis=ax), out)


@implements(np.hstack)
def _hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [np.atleast_1d(_arr(a)) for a in tup]
    axis = 0 if arrs and np.ndim(arrs[0]) == 1 else 1
    return _concatenate(arrs, axis=axis, dtype=dtype, casting=casting)


@implements(np.vstack)
def _vstack(tup, *, dtype=None, casting="same_kind"):
    return _concatenate([np.atleast_2d(_arr(a)) for a in tup], axis=0, dtype=dtype,
                        casting=casting)


@implements(np.dstack)
def _dstack(tup):
    return _concatenate([np.atleast_3d(_arr(a)) for a in tup], axis=2)


@implements(np.column_stack)
def _column_stack(tup):
    cols = []
    for a in tup:
        a = _arr(a)
        cols.append(np.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a)
    return _concatenate(cols, axis=1)


@implements(np.append)
def _append(arr, values, axis=None):
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        arr, values = np.ravel(arr), np.ravel(values)
        axis = 0
    return _concatenate([arr, values], axis=axis)


# ---------------------------------------------------------------- splitting
def _split(ary, indices_or_sections, axis, equal):
    ary = _arr(ary)
    ax = _pos_axis(axis, np.ndim(ary))
    n = np.shape(ary)[ax]
    sections = _base(indices_or_sections)
    if np.ndim(sections) == 0:
        k = int(sections)
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, k)
        if equal and extra:
            raise ValueError("array split does not result in an equal division")
        sizes = [each + 1] * extra + [each] * (k - extra)
        points = [0] + list(np.cumsum(sizes))
    else:
        points = [0] + [int(i) for i in sections] + [n]
    return [_view(ary, _index_on_axis(ax, slice(points[i], points[i + 1])))
            for i in range(len(points) - 1)]


@implements(np.split)
def _split_eq(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, True)


@implements(np.array_split)
def _array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


@implements(np.hsplit)
def _hsplit(ary, indices_or_sections):
    if np.ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return _split(ary, indices_or_sections, 1 if np.ndim(ary) > 1 else 0, True)


@implements(np.vsplit)
def _vsplit(ary, indices_or_sections):
    if np.ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return _split(ary, indices_or_sections, 0, True)


@implements(np.dsplit)
def _dsplit(ary, indices_or_sections):
    if np.ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return _split(ary, indices_or_sections, 2, True)


# ---------------------------------------------------------------- reordering
@implements(np.flip)
def _np_flip(m, axis=None):
    nd = np.ndim(m)
    axes = range(nd) if axis is None else _axis_tuple(axis, nd)
    return _view(m, tuple(slice(None, None, -1) if d in axes else slice(None)
                          for d in range(nd)))


@implements(np.fliplr)
def _fliplr(m):
    if np.ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return _np_flip(m, 1)


@implements(np.flipud)
def _flipud(m):
    if np.ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return _np_flip(m, 0)


@implements(np.rot90)
def _rot90(m, k=1, axes=(0, 1)):
    nd = np.ndim(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if not (-nd <= axes[0] < nd and -nd <= axes[1] < nd):
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    a0, a1 = _pos_axis(axes[0], nd), _pos_axis(axes[1], nd)
    k = int(k) % 4
    if k == 0:
        return _view(m, (slice(None),))
    if k == 2:
        return _np_flip(_np_flip(m, a0), a1)
    order = list(range(nd))
    order[a0], order[a1] = order[a1], order[a0]
    if k == 1:
        return transpose_p(_np_flip(m, a1), axes=tuple(order))
    return _np_flip(transpose_p(m, axes=tuple(order)), a1)


def _neg_shift(shift):
    return tuple(-s for s in shift)


def _roll_jvp(t, ans, x, shift, axis):
    return np.roll(t, shift, axis)


# shift and axis are tuples of equal length, axes negative
roll_p = defprim(lambda x, shift, axis: np.roll(x, shift, axis), name="roll",
                 vjp=(lambda g, ans, x, shift, axis: np.roll(g, _neg_shift(shift), axis),),
                 jvp=(_roll_jvp,), keep=('shift', 'axis'), keep_ans=False)


@implements(np.roll)
def _roll(a, shift, axis=None):
    a = _arr(a)
    if axis is None:
        return np.reshape(_roll(np.ravel(a), shift, 0), np.shape(a))
    nd = np.ndim(a)
    sh, ax = np.broadcast_arrays(np.asarray(_base(shift)), np.asarray(axis))
    if sh.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    axes = tuple(_pos_axis(i, nd) - nd for i in ax.ravel())
    return roll_p(a, shift=tuple(int(s) for s in sh.ravel()), axis=axes)


@implements(np.sort)
def _sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise NotImplementedError("np.sort with order= (structured arrays) is not supported "
                                  "on tensors")
    a = _arr(a)
    if axis is None:
        a, axis = np.ravel(a), -1
    kw = {} if stable is None else {"stable": stable}
    perm = np.argsort(_base(a), axis=axis, kind=kind, **kw)
    return _take_along_axis(a, perm, axis)


@implements(np.partition)
def _partition(a, kth, axis=-1, kind="introselect", order=None):
    if order is not None:
        raise NotImplementedError("np.partition with order= is not supported on tensors")
    a = _arr(a)
    if axis is None:
        a, axis = np.ravel(a), -1
    perm = np.argpartition(_base(a), _base(kth), axis=axis, kind=kind)
    return _take_along_axis(a, perm, axis)


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


@implements(np.repeat)
def _repeat(a, repeats, axis=None):
    a = _arr(a)
    if axis is None:
        a, axis = np.ravel(a), 0
    nd = np.ndim(a)
    ax = _pos_axis(axis, nd)
    reps = np.asarray(_base(repeats))
    if reps.size == 1 and reps.ndim <= 1:
        r = int(reps.reshape(()))
        if r < 0:
            raise ValueError("repeats may not contain negative values.")
        return repeat_p(a, repeats=r, axis=ax - nd)
    idx = np.repeat(np.arange(np.shape(a)[ax]), reps)
    return _gather(a, _index_on_axis(ax, idx))


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


@implements(np.tile)
def _tile(A, reps):
    A = _arr(A)
    reps = tuple(int(r) for r in np.atleast_1d(_base(reps)))
    nd = max(len(reps), np.ndim(A))
    return tile_p(A, reps=(1,) * (nd - len(reps)) + reps)


def _pad_vjp(g, ans, x, pad_width, value):
    return g[tuple(slice(b, b + n) for (b, _), n in zip(pad_width, np.shape(x)))]


def _pad_jvp(t, ans, x, pad_width, value):
    return np.pad(t, ((0, 0),) * batch_ndim(t, x) + pad_width)


# constant padding; the padded values are constants, so the tangent is padded with zeros
pad_p = defprim(lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
                name="pad", vjp=(_pad_vjp,), jvp=(_pad_jvp,),
                    keep=('x', 'pad_width'), keep_ans=False)

_INDEX_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def _np_pad(array, pad_width, mode="constant", **kwargs):
    array = _arr(array)
    nd = np.ndim(array)
    pw = np.broadcast_to(np.asarray(_base(pad_width)), (nd, 2))
    if pw.size and (not np.issubdtype(pw.dtype, np.integer) or pw.min() < 0):
        raise ValueError("pad_width must be non-negative integers")
    pw = tuple((int(b), int(a)) for b, a in pw)
    if not any(b or a for b, a in pw):
        return copy_p(array)
    if mode in ("constant", "empty"):
        value = kwargs.pop("constant_values", 0) if mode == "constant" else 0
        if kwargs:
            raise ValueError(f"unsupported keyword arguments for mode '{mode}': "
                             f"{set(kwargs)}")
        if is_traced(value):
            if np.ndim(value):
                raise NotImplementedError("np.pad with per-axis constant_values that require "
                                          "grad is not supported; pass a scalar")
            mask = np.pad(np.zeros(np.shape(array), dtype=bool), pw, constant_values=True)
            fill = np.where(mask, value, 0.0).astype(np.result_type(array))
            return pad_p(array, pad_width=pw, value=0) + fill
        return pad_p(array, pad_width=pw, value=_base(value))
    if mode in _INDEX_PAD_MODES:
        if kwargs.pop("reflect_type", "even") != "even":
            raise NotImplementedError("np.pad with reflect_type='odd' is not supported on "
                                      "tensors")
        if kwargs:
            raise ValueError(f"unsupported keyword arguments for mode '{mode}': "
                             f"{set(kwargs)}")
        res = array
        for d, (b, a) in enumerate(pw):
            if b or a:   # padding by indexing: the index map of each axis, padded
                idx = np.pad(np.arange(np.shape(res)[d]), (b, a), mode=mode)
                res = _gather(res, _index_on_axis(d, idx))
        return res
    raise NotImplementedError(f"np.pad mode={mode!r} is not supported on tensors; use "
                              "'constant', 'edge', 'reflect', 'symmetric' or 'wrap'")


# ---------------------------------------------------------------- diagonals and triangles
def _diag_index(rows, cols, k):
    """Row and column indices of the ``k``-th diagonal of a ``rows x cols`` matrix."""
    r0, c0 = max(-k, 0), max(k, 0)
    n = max(0, min(rows - r0, cols - c0))
    return np.arange(n) + r0, np.arange(n) + c0


@implements(np.diagonal)
def _diagonal(a, offset=0, axis1=0, axis2=1):
    nd = np.ndim(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a1, a2 = _pos_axis(axis1, nd), _pos_axis(axis2, nd)
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    if (a1, a2) != (nd - 2, nd - 1):
        a = np.moveaxis(a, (a1, a2), (-2, -1))
    rows, cols = _diag_index(*np.shape(a)[-2:], int(offset))
    return _gather(a, (Ellipsis, rows, cols))


@implements(np.diag)
def _diag(v, k=0):
    v = _arr(v)
    nd = np.ndim(v)
    if nd == 2:
        return _diagonal(v, k)
    if nd != 1:
        raise ValueError("Input must be 1- or 2-d.")
    m = np.shape(v)[0] + abs(int(k))
    return scatter_add_p(v, shape=(m, m), idx=_diag_index(m, m, int(k)))


@implements(np.diagflat)
def _diagflat(v, k=0):
    return _diag(np.ravel(v), k)


@implements(np.trace)
def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return write_out(np.sum(_diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype), out)


def _triangle(m, mask):
    return np.where(mask, m, np.zeros((), dtype=np.result_type(m)))


@implements(np.tril)
def _tril(m, k=0):
    m = _arr(m)
    return _triangle(m, constant_like(np.tri(*np.shape(m)[-2:], k=int(k), dtype=bool), m))


@implements(np.triu)
def _triu(m, k=0):
    m = _arr(m)
    return _triangle(m, constant_like(~np.tri(*np.shape(m)[-2:], k=int(k) - 1, dtype=bool),
                                      m))


# ---------------------------------------------------------------- gathering
@implements(np.take)
def _take(a, indices, axis=None, out=None, mode="raise"):
    a = _arr(a)
    if axis is None:
        a, axis = np.ravel(a), 0
    ax = _pos_axis(axis, np.ndim(a))
    ind = np.asarray(_base(indices))
    n = np.shape(a)[ax]
    if mode == "wrap":
        ind = ind % n
    elif mode == "clip":
        ind = np.clip(ind, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    return write_out(_gather(a, _index_on_axis(ax, ind)), out)


@implements(np.take_along_axis)
def _take_along_axis(arr, indices, axis=-1):
    arr = _arr(arr)
    ind = _base(indices)
    ind = ind if is_other(ind) else np.asarray(ind)     # device indices stay on the device
    if axis is None:
        if ind.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = np.ravel(arr), 0
    nd = np.ndim(arr)
    if ind.ndim != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    if not np.issubdtype(ind.dtype, np.integer):
        raise IndexError("`indices` must be an integer array")
    ax = _pos_axis(axis, nd)
    shape = np.shape(arr)
    idx = tuple(ind if d == ax else
                np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
                for d in range(nd))
    return _gather(arr, idx)


# ---------------------------------------------------------------- rearranged by NumPy itself
# insert, delete, resize and block only move values around.  NumPy's own function runs on
# position tags (0, 1, 2, ... through every input) instead of values, so its index logic,
# edge cases and errors all stay NumPy's; one gather then takes the values from those
# positions, which makes the result differentiable in every input.
def _tags(a, start=0):
    return start + np.arange(np.size(a)).reshape(np.shape(a))


def _gather_flat(parts, idx):
    """``concatenate(ravel(parts))[idx]``, all cast to the first part's dtype."""
    dt = np.result_type(parts[0])
    flat = [np.ravel(p) if np.result_type(p) == dt else np.ravel(p).astype(dt) for p in parts]
    flat = flat[0] if len(flat) == 1 else concatenate_p(*flat, axis=-1)
    return _gather(flat, idx)


@implements(np.insert)
def _insert(arr, obj, values, axis=None):
    arr, values = _arr(arr), _arr(values)
    idx = np.insert(_tags(arr), _base(obj), _tags(values, np.size(arr)), axis=axis)
    return _gather_flat([arr, values], idx)


@implements(np.delete)
def _delete(arr, obj, axis=None):
    arr = _arr(arr)
    return _gather_flat([arr], np.delete(_tags(arr), _base(obj), axis=axis))


@implements(np.resize)
def _resize(a, new_shape):
    a = _arr(a)
    if np.size(a) == 0:
        return np.zeros_like(a, shape=new_shape)
    return _gather_flat([a], np.resize(_tags(a), new_shape))


@implements(np.block)
def _block(arrays):
    leaves = []

    def tag(x):
        if isinstance(x, (list, tuple)):
            return type(x)(tag(i) for i in x)
        x = _arr(x)
        t = _tags(x, sum(np.size(a) for a in leaves))
        leaves.append(x)
        return t
    idx = np.block(tag(arrays))
    dt = np.result_type(*[np.result_type(a) for a in leaves])
    return _gather_flat([a if np.result_type(a) == dt else a.astype(dt) for a in leaves], idx)


@implements(np.rollaxis)
def _rollaxis(a, axis, start=0):
    nd = np.ndim(a)
    axis = _pos_axis(axis, nd)
    if start < 0:
        start += nd
    if not 0 <= start < nd + 1:
        raise np.exceptions.AxisError(
            f"'start' arg requires {-nd} <= start < {nd + 1}, but {start} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return _view(a, (Ellipsis,))
    axes = list(range(nd))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose_p(a, axes=tuple(axes))


# ---------------------------------------------------------------- grids
@implements(np.meshgrid)
def _meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    ndim = len(xi)
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    s0 = (1,) * ndim
    output = [_reshape(_arr(x), s0[:i] + (-1,) + s0[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and ndim > 1:
        output[0] = _reshape(output[0], (1, -1) + s0[2:])
        output[1] = _reshape(output[1], (-1, 1) + s0[2:])
    if not sparse:
        shape = np.broadcast_shapes(*[np.shape(o) for o in output])
        output = [_broadcast_to(o, shape) for o in output]
    if copy:
        output = [copy_p(o) for o in output]
    return tuple(output) if _MESHGRID_TUPLE else output


_MESHGRID_TUPLE = isinstance(np.meshgrid(np.zeros(1)), tuple)   # NumPy >= 2


def _dtype_probe(a):
    """Something with ``a``'s dtype (a Python scalar stays one: NumPy treats it as weak)."""
    return a if type(a) in (int, float, complex) else np.zeros((), np.result_type(_base(a)))


@implements(np.linspace)
def _linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, **kw):
    """NumPy's algorithm on tensors, so the values match and both endpoints may need a
    derivative (the last sample is ``stop`` itself)."""
    import operator
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    dt = np.linspace(_dtype_probe(start), _dtype_probe(stop), 2).dtype
    start, stop = _arr(start).astype(dt), _arr(stop).astype(dt)
    delta = stop - start
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * np.ndim(delta))
    if div > 0:
        step = delta / div
        y = y / div * delta if np.any(_base(step) == 0) else y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        last = _broadcast_to(stop, np.shape(y)[1:])
        y = _concatenate([y[:-1], _reshape(last, (1,) + np.shape(last))])
    if axis != 0:
        y = _moveaxis(y, 0, axis)
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = np.floor(y)
        y = y.astype(dtype)
    return (y, step) if retstep else y


@implements(np.logspace)
def _logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if np.ndim(base):
        raise NotImplementedError("np.logspace with an array base is not supported on tensors")
    y = _linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    y = np.power(base, y)
    return y if dtype is None else y.astype(dtype)


# ---------------------------------------------------------------- unique, bincount
# NumPy computes which positions these read or write; the values then move differentiably
# (a gather for unique, a scatter-add for bincount's weights), so no gradient is dropped.
@implements(np.unique)
def _unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
            **kwargs):
    if not is_traced(ar):
        return _run_unique(plain(ar), return_index, return_inverse, return_counts, axis,
                           kwargs)
    if axis is not None:
        raise NotImplementedError("np.unique(..., axis=...) of a tensor that needs a gradient")
    res = np.unique(plain(ar), return_index=True, return_inverse=return_inverse,
                    return_counts=return_counts, **kwargs)
    values = np.ravel(ar)[res[1]]      # each value's gradient goes to its first occurrence
    extra = [res[1]] if return_index else []
    extra += list(res[2:])
    return (values, *constant(tuple(extra))) if extra else values


def _run_unique(ar, return_index, return_inverse, return_counts, axis, kwargs):
    return constant(np.unique(ar, return_index=return_index, return_inverse=return_inverse,
                           return_counts=return_counts, axis=axis, **kwargs))


@implements(np.bincount)
def _bincount(x, weights=None, minlength=0):
    if is_traced(x):
        raise TypeError("np.bincount counts integers and has no derivative in them; pass "
                        "x.detach() (the weights= may need a gradient)")
    xv = plain(x)
    if weights is None or not is_traced(weights):
        return constant(np.bincount(xv, weights=plain(weights), minlength=minlength))
    n = np.bincount(xv, minlength=minlength).shape[0]   # NumPy's checks and length
    if np.shape(weights) != np.shape(xv):
        raise ValueError("The weights and list don't have the same length.")
    return scatter_add_p(weights.astype(np.result_type(weights, float)), shape=(n,),
                         idx=(np.asarray(xv, dtype=np.intp),))
