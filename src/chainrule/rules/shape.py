"""Functions that move values around: indexing, reshaping, joining, copying.

All of them are linear, so each JVP applies the same operation to the tangent, shifted past
the tangent's leading batch dimensions (``batch_ndim``).
"""
import numbers

import numpy as np

from .registry import batch_ndim, defprim, implements

__all__ = ["getitem_p", "setitem_p", "scatter_add_p", "index_tangent", "setitem_tangent",
           "copy_p", "astype_p", "reshape_p", "transpose_p", "broadcast_to_p"]


# ---------------------------------------------------------------- indexing
def _expand_index(idx, ndim):
    """``idx`` as a tuple without Ellipsis, covering the first dims of an ndim-array."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    used = 0
    for i in idx:
        if i is None or i is Ellipsis:
            continue
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


def _scatter_fn(g, shape, idx):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=np.result_type(g))
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
                        jvp=(_scatter_jvp,))

# ``shape`` (x's shape) is passed along so the VJP never reads x itself: writing into x
# after indexing it (out[i] = out[i - 1] * a) stays legal
getitem_p = defprim(lambda x, idx, shape: x[idx], name="getitem",
                    vjp=(lambda g, ans, x, idx, shape: scatter_add_p(g, shape=shape, idx=idx),),
                    jvp=(lambda t, ans, x, idx, shape: index_tangent(t, x, idx),))


def _setitem_fn(x, v, idx):
    out = x.copy()
    out[idx] = v
    return out


def _zero_at(g, idx):
    g = g.copy()
    g[idx] = 0
    return g


# x[idx] = v, recorded by Tensor.__setitem__ (the write itself happens in place)
setitem_p = defprim(_setitem_fn, name="setitem",
                    vjp=(lambda g, ans, x, v, idx: _zero_at(g, idx),
                         lambda g, ans, x, v, idx: g[idx]))


def setitem_tangent(tx, tv, x, v, idx):
    """Tangent of ``x`` after ``x[idx] = v``; ``tx``/``tv`` are the tangents (None: zero)."""
    from ..tensor import Tensor, _make
    if tx is not None:
        nb = batch_ndim(tx, x)
        batch = np.shape(tx)[:nb]
        tx = tx.copy() if isinstance(tx, Tensor) else np.array(tx, copy=True)
    else:
        nb = batch_ndim(tv, v)
        batch = np.shape(tv)[:nb]
        tx = np.zeros(batch + np.shape(x), dtype=np.result_type(tv))
    if tv is None:
        val = 0
    else:
        val = np.moveaxis(tv, tuple(range(nb)), tuple(range(-nb, 0))) if nb else tv
        if isinstance(val, Tensor) and not isinstance(tx, Tensor):
            tx = _make(tx, None, val._level, None)
    if not nb:
        tx[idx] = val
        return tx
    moved = np.moveaxis(tx, tuple(range(nb)), tuple(range(-nb, 0)))
    moved[_expand_index(idx, np.ndim(x)) + (Ellipsis,)] = val
    return np.moveaxis(moved, tuple(range(-nb, 0)), tuple(range(nb)))


# ---------------------------------------------------------------- copies and casts
copy_p = defprim(lambda x: np.array(x, copy=True) if isinstance(x, np.ndarray) else x.copy(),
                 name="copy", vjp=(lambda g, ans, x: g,), jvp=(lambda t, ans, x: t,))


def _astype_vjp(g, ans, x, dtype):
    xd = np.result_type(x)
    return g.astype(xd) if np.issubdtype(xd, np.inexact) else g * 0


astype_p = defprim(lambda x, dtype: x.astype(dtype), name="astype",
                   vjp=(_astype_vjp,),
                   jvp=(lambda t, ans, x, dtype: t.astype(dtype)
                        if np.issubdtype(dtype, np.inexact) else t * 0,))


@implements(np.copy)
def _copy(a, order="K", subok=False):
    return copy_p(a)


# ---------------------------------------------------------------- reshaping
reshape_p = defprim(lambda x, shape: np.reshape(x, shape), name="reshape",
                    vjp=(lambda g, ans, x, shape: np.reshape(g, np.shape(x)),),
                    jvp=(lambda t, ans, x, shape: np.reshape(
                        t, np.shape(t)[:batch_ndim(t, x)] + np.shape(ans)),))


@implements(np.reshape)
def _reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("chainrule supports only order='C' reshapes of tensors")
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    return reshape_p(a, shape=shape)


@implements(np.ravel)
def _ravel(a, order="C"):
    return _reshape(a, (-1,), order=order)


def _transpose_jvp(t, ans, x, axes):
    nb = batch_ndim(t, x)
    return np.transpose(t, tuple(range(nb)) + tuple(a + nb for a in axes))


transpose_p = defprim(lambda x, axes: np.transpose(x, axes), name="transpose",
                      vjp=(lambda g, ans, x, axes: np.transpose(g, tuple(np.argsort(axes))),),
                      jvp=(_transpose_jvp,))


@implements(np.transpose)
def _transpose(a, axes=None):
    nd = np.ndim(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    axes = tuple(int(ax) % nd if nd else 0 for ax in axes)
    return transpose_p(a, axes=axes)


def _bcast_vjp(g, ans, x, shape):
    from ..engine import _unbroadcast
    return _unbroadcast(g, np.shape(x))


def _bcast_jvp(t, ans, x, shape):
    nb = batch_ndim(t, x)
    bshape = np.shape(t)[:nb]
    extra = len(shape) - np.ndim(x)
    t = np.reshape(t, bshape + (1,) * extra + np.shape(t)[nb:])
    return np.broadcast_to(t, bshape + tuple(shape))


broadcast_to_p = defprim(lambda x, shape: np.broadcast_to(x, shape), name="broadcast_to",
                         vjp=(_bcast_vjp,), jvp=(_bcast_jvp,))


@implements(np.broadcast_to)
def _broadcast_to(array, shape, subok=False):
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    return broadcast_to_p(array, shape=tuple(shape))



# ---------------------------------------------------------------- new arrays shaped like others
def _like(np_fn):
    def handler(a, *args, dtype=None, order="K", subok=True, shape=None, **kw):
        from ..tensor import Tensor, _base_array, _make
        if not isinstance(a, Tensor):
            return np_fn(a, *args, dtype=dtype, shape=shape, **kw)
        base = _base_array(a)
        return _make(np_fn(base, *args, dtype=dtype, shape=shape, **kw), None, a._level, None)
    return handler


implements(np.zeros_like)(_like(np.zeros_like))
implements(np.ones_like)(_like(np.ones_like))
implements(np.empty_like)(_like(np.zeros_like))   # zeros: never expose stale memory


@implements(np.full_like)
def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    from ..numpy_bridge import _traced
    from ..tensor import Tensor, _base_array
    if isinstance(fill_value, Tensor) and _traced(fill_value):
        return np.zeros_like(a, dtype=dtype, shape=shape) + fill_value
    if isinstance(fill_value, Tensor):
        fill_value = _base_array(fill_value)
    return _like(np.full_like)(a, fill_value, dtype=dtype, shape=shape)
