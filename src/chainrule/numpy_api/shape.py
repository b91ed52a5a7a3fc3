"""Shapes, joins, splits, indexing helpers and array creation from tensors: NumPy's
argument conventions (axes, sections, pad widths, ...) turned into the shape primitives.

The NumPy-API layer: each handler takes NumPy's arguments and calls primitives of
:mod:`chainrule.rules.shape`, where the derivatives are.
"""
import numbers
import numpy as np
import operator

from ..rules.api import (array_or_tensor, constant, constant_like, implements, is_other, is_traced,
                         make_tensor, plain, Tensor, write_out)
from ..rules.shape import (broadcast_to_p, concatenate, copy_p, getitem_p, pad_p, repeat_p,
                           reshape_p, roll_p, scatter_add_p, stack_p, tile_p, transpose_p)

__all__ = []


@implements(np.copy)
def _copy(a, order="K", subok=False):
    return copy_p(a)


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


@implements(np.transpose)
def _transpose(a, axes=None):
    nd = np.ndim(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    axes = tuple(_pos_axis(ax, nd) for ax in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError("axes don't match array")
    return transpose_p(a, axes=axes)


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


def _view(a, idx):
    """``a[idx]``: a view for basic indices (as NumPy gives for flip, split...)."""
    return array_or_tensor(a)[idx]


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
            a = array_or_tensor(a)
            nd = np.ndim(a)
            res.append(a if nd >= ndmin else _reshaped(a, new_shape(np.shape(a))))
        return res[0] if len(res) == 1 else tuple(res)
    return handler


implements(np.atleast_1d)(_atleast(1, lambda s: (1,)))
implements(np.atleast_2d)(_atleast(2, lambda s: (1,) * (2 - len(s)) + s))
implements(np.atleast_3d)(_atleast(3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,),
                                                 2: s + (1,)}[len(s)]))


@implements(np.concatenate)
def _concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = [array_or_tensor(a) for a in arrays]
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
    res = concatenate(arrays, _pos_axis(axis, nd) - nd)
    return write_out(res, out)


@implements(np.stack)
def _stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = [array_or_tensor(a) for a in arrays]
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
    arrs = [np.atleast_1d(array_or_tensor(a)) for a in tup]
    axis = 0 if arrs and np.ndim(arrs[0]) == 1 else 1
    return _concatenate(arrs, axis=axis, dtype=dtype, casting=casting)


@implements(np.vstack)
def _vstack(tup, *, dtype=None, casting="same_kind"):
    return _concatenate([np.atleast_2d(array_or_tensor(a)) for a in tup], axis=0, dtype=dtype,
                        casting=casting)


@implements(np.dstack)
def _dstack(tup):
    return _concatenate([np.atleast_3d(array_or_tensor(a)) for a in tup], axis=2)


@implements(np.column_stack)
def _column_stack(tup):
    cols = []
    for a in tup:
        a = array_or_tensor(a)
        cols.append(np.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a)
    return _concatenate(cols, axis=1)


@implements(np.append)
def _append(arr, values, axis=None):
    arr, values = array_or_tensor(arr), array_or_tensor(values)
    if axis is None:
        arr, values = np.ravel(arr), np.ravel(values)
        axis = 0
    return _concatenate([arr, values], axis=axis)


# ---------------------------------------------------------------- splitting
def _split(ary, indices_or_sections, axis, equal):
    ary = array_or_tensor(ary)
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


@implements(np.roll)
def _roll(a, shift, axis=None):
    a = array_or_tensor(a)
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
    a = array_or_tensor(a)
    if axis is None:
        a, axis = np.ravel(a), -1
    kw = {} if stable is None else {"stable": stable}
    perm = np.argsort(_base(a), axis=axis, kind=kind, **kw)
    return _take_along_axis(a, perm, axis)


@implements(np.partition)
def _partition(a, kth, axis=-1, kind="introselect", order=None):
    if order is not None:
        raise NotImplementedError("np.partition with order= is not supported on tensors")
    a = array_or_tensor(a)
    if axis is None:
        a, axis = np.ravel(a), -1
    perm = np.argpartition(_base(a), _base(kth), axis=axis, kind=kind)
    return _take_along_axis(a, perm, axis)


@implements(np.repeat)
def _repeat(a, repeats, axis=None):
    a = array_or_tensor(a)
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


@implements(np.tile)
def _tile(A, reps):
    A = array_or_tensor(A)
    reps = tuple(int(r) for r in np.atleast_1d(_base(reps)))
    nd = max(len(reps), np.ndim(A))
    return tile_p(A, reps=(1,) * (nd - len(reps)) + reps)

_INDEX_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def _np_pad(array, pad_width, mode="constant", **kwargs):
    array = array_or_tensor(array)
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
    v = array_or_tensor(v)
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
    return np.where(mask, m, np.result_type(m).type(0))     # a scalar: any library takes it


@implements(np.tril)
def _tril(m, k=0):
    m = array_or_tensor(m)
    return _triangle(m, constant_like(np.tri(*np.shape(m)[-2:], k=int(k), dtype=bool), m))


@implements(np.triu)
def _triu(m, k=0):
    m = array_or_tensor(m)
    return _triangle(m, constant_like(~np.tri(*np.shape(m)[-2:], k=int(k) - 1, dtype=bool),
                                      m))


# ---------------------------------------------------------------- gathering
@implements(np.take)
def _take(a, indices, axis=None, out=None, mode="raise"):
    a = array_or_tensor(a)
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
    arr = array_or_tensor(arr)
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
    flat = flat[0] if len(flat) == 1 else concatenate(flat, -1)
    return _gather(flat, idx)


@implements(np.insert)
def _insert(arr, obj, values, axis=None):
    arr, values = array_or_tensor(arr), array_or_tensor(values)
    idx = np.insert(_tags(arr), _base(obj), _tags(values, np.size(arr)), axis=axis)
    return _gather_flat([arr, values], idx)


@implements(np.delete)
def _delete(arr, obj, axis=None):
    arr = array_or_tensor(arr)
    return _gather_flat([arr], np.delete(_tags(arr), _base(obj), axis=axis))


@implements(np.resize)
def _resize(a, new_shape):
    a = array_or_tensor(a)
    if np.size(a) == 0:
        return np.zeros_like(a, shape=new_shape)
    return _gather_flat([a], np.resize(_tags(a), new_shape))


@implements(np.block)
def _block(arrays):
    leaves = []

    def tag(x):
        if isinstance(x, (list, tuple)):
            return type(x)(tag(i) for i in x)
        x = array_or_tensor(x)
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
    output = [_reshape(array_or_tensor(x), s0[:i] + (-1,) + s0[i + 1:]) for i, x in enumerate(xi)]
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
    start, stop = array_or_tensor(start).astype(dt), array_or_tensor(stop).astype(dt)
    if type(start) is np.ndarray:       # a number: in stop's library (CuPy mixes no ndarray)
        start = constant_like(start, stop)
    if type(stop) is np.ndarray:
        stop = constant_like(stop, start)
    delta = stop - start
    y = constant_like(np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * np.ndim(delta)), delta)
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
