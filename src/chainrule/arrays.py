"""The caller's array type: arrays of other libraries, and arrays made in the data's library.

chainrule computes with NumPy calls, and NumPy hands those calls to the array they are made
on (NEP 13 ``__array_ufunc__``, NEP 18 ``__array_function__``).  So a Dask or CuPy array
stays a Dask or CuPy array through every rule, as long as nothing in the engine or the rules
makes a NumPy array where the data's own library should make one (a seed of ones, zeros to
scatter into), asks for a Python ``bool`` of the data (which computes a lazy array, or waits
for a GPU), or converts with ``np.asarray``.  The helpers here are what the engine and the
rules use instead; on NumPy data they cost one type check.

>>> import numpy as np
>>> from chainrule.arrays import is_other, ones_like
>>> is_other(np.zeros(3)), is_other(2.0)
(False, False)
>>> ones_like(np.zeros(2, dtype=np.float32))
array([1., 1.], dtype=float32)
"""
import numbers

import numpy as np

__all__ = ["is_other", "ones_like", "zeros_like", "zeros_as", "scatter_add", "constant_like",
           "index_like", "numeric_mask",
           "type_name", "unsupported", "UnsupportedArrayOperation", "as_array", "like_of"]

_PLAIN = (np.ndarray, np.generic, numbers.Number)
_KNOWN = {}         # class -> is it an array of another library (cached: one dict lookup)


def is_other(x):
    """True if ``x`` is an array of another library that NumPy calls reach: one that
    implements ``__array_function__`` (Dask, CuPy, ...) or ``__array_namespace__``
    (array API arrays) and is not a NumPy array, a number or a chainrule tensor."""
    cls = type(x)
    known = _KNOWN.get(cls)
    if known is None:
        known = _KNOWN[cls] = (
            not issubclass(cls, _PLAIN) and not hasattr(cls, "_tangent")   # chainrule.Tensor
            and (hasattr(cls, "__array_function__") or hasattr(cls, "__array_namespace__")))
    return known


def as_array(x):
    """``np.asarray(x)``, except that arrays of other libraries are kept."""
    return x if is_other(x) else np.asarray(x)


def like_of(a, *others):
    """``a``, moved to the library of the first other-library array among ``others`` (also
    inside tuples) when ``a`` is a NumPy array, so ``a[idx]`` and ``a[idx] = v`` stay there."""
    if type(a) is not np.ndarray:
        return a
    stack = list(others)
    while stack:
        o = stack.pop()
        if isinstance(o, tuple):
            stack.extend(o)
        elif is_other(o):
            return np.asarray(a, like=o)
    return a


def numeric_mask(mask, dtype):
    """The boolean ``mask`` as an operand of sums and products in ``dtype``: itself where
    the library computes with booleans as NumPy does (NumPy, CuPy, Dask), cast where it
    does not (array-API-only libraries, whose arrays say ``bool_arithmetic = False``).

    >>> numeric_mask(np.array([True, False]), np.float64).dtype
    dtype('bool')
    """
    if getattr(type(mask), "bool_arithmetic", True):
        return mask
    return mask.astype(dtype)


def type_name(x):
    """The public name of ``x``'s type (``dask.array.Array``, ``sparse.COO``), for errors."""
    import sys
    if hasattr(type(x), "xp") and hasattr(x, "array"):     # an APIArray: name what it holds
        x = x.array
    cls = type(x)
    parts = cls.__module__.split(".")
    for k in range(1, len(parts) + 1):         # the shortest module path that exports it
        if parts[k - 1].startswith("_"):
            break
        mod = sys.modules.get(".".join(parts[:k]))
        if mod is not None and getattr(mod, cls.__name__, None) is cls:
            return f"{mod.__name__}.{cls.__name__}"
    public = ".".join(p for p in parts if not p.startswith("_"))
    return f"{public}.{cls.__qualname__}"


class UnsupportedArrayOperation(TypeError):
    """An operation chainrule needs that the array's library cannot do."""


def unsupported(x, operation, error=None):
    """The ``TypeError`` for an operation that the library of ``x`` cannot do."""
    why = f" ({type(error).__name__}: {error})" if error is not None else ""
    return UnsupportedArrayOperation(
        f"{type_name(x)} arrays cannot do {operation}{why}. Compute this part on NumPy "
        "arrays (convert with the library's own function: Dask's .compute(), "
        "cupy.asnumpy, sparse's .todense()), or use an operation that library supports.")


def constant_like(const, x):
    """The NumPy constant ``const`` (a mask, a fill) in the library of ``x``'s data: as it
    is for NumPy data, moved with ``np.asarray(const, like=...)`` (NEP 35) otherwise, since
    strict libraries (CuPy) do not mix their arrays with NumPy's."""
    x = _plain(x)
    return np.asarray(const, like=x) if is_other(x) else const


def zeros_as(like, shape, dtype):
    """``np.zeros(shape, dtype)`` in the library of ``like``'s data (a tensor or an array)."""
    x = _plain(like)
    if is_other(x):
        return np.zeros_like(x, shape=shape, dtype=dtype)
    return np.zeros(shape, dtype=dtype)


def _plain(x):
    """The data under chainrule tensors (this module sits below them: it imports none)."""
    while hasattr(type(x), "_tangent"):
        x = x.data
    return x


def _float_dtype(dtype):
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(float)


def ones_like(x, dtype=None):
    """Ones with ``x``'s shape, in ``x``'s library; integer and bool data give float64."""
    dt = _float_dtype(x.dtype if dtype is None else np.dtype(dtype))
    if is_other(x):
        return np.ones_like(x, dtype=dt)
    return np.ones(np.shape(x), dtype=dt)


def zeros_like(x, shape=None, dtype=None):
    """Zeros in ``x``'s library, of ``shape`` (default ``x``'s), float where ``x`` is not."""
    dt = _float_dtype(x.dtype if dtype is None else np.dtype(dtype))
    if is_other(x):
        return np.zeros_like(x, dtype=dt, shape=np.shape(x) if shape is None else shape)
    return np.zeros(np.shape(x) if shape is None else shape, dtype=dt)


def scatter_add(g, shape, idx, unique):
    """Zeros of ``shape`` in ``g``'s library with ``g`` added at ``idx``.

    ``unique``: no position is selected twice (then a plain assignment does it).  Repeated
    positions need ``np.add.at``, which some libraries lack (Dask): then the one-hot
    product does it for an index that is one integer array, and other indices raise a
    ``TypeError`` that names the library and the operation.
    """
    out = zeros_like(g, shape=shape)
    try:
        if unique:
            if isinstance(idx, tuple) and any(i is None for i in idx) or idx is None:
                # not every library takes new axes in an assignment: drop them from g
                idx = tuple(i for i in (idx if isinstance(idx, tuple) else (idx,))
                            if i is not None)
                g = np.reshape(g, _indexed_shape(shape, idx))
            out[idx] = g
            return out
        np.add.at(out, index_like(idx, g), g)
        return out
    except (TypeError, NotImplementedError, AttributeError, ValueError) as e:
        if not is_other(g):
            raise
        onehot = _one_hot(g, shape, idx)
        if onehot is None:
            raise unsupported(g, f"the scatter-add at index {idx!r:.80} that the gradient "
                                 "of indexing with repeated positions needs", e) from None
    # g has the index's shape in front of the remaining axes: contract those with the
    # one-hot matrix (positions x index entries)
    if np.ndim(onehot) == 1:        # one position (a 0-d index): g lands there
        return np.reshape(onehot, (shape[0],) + (1,) * (len(shape) - 1)) * g
    gm = np.reshape(g, (-1,) + tuple(shape[1:]))
    return np.tensordot(np.reshape(onehot, (shape[0], -1)), gm, axes=1)


def index_like(idx, x):
    """The index ``idx`` with its NumPy integer and boolean arrays moved to the library of
    ``x`` (CuPy's ``add.at`` takes no NumPy index arrays); slices, ``None`` and numbers
    stay, and for NumPy data ``idx`` is returned as it is."""
    if not is_other(x):
        return idx
    if isinstance(idx, tuple):
        return tuple(index_like(i, x) for i in idx)
    if isinstance(idx, list):
        idx = np.asarray(idx)
    return np.asarray(idx, like=x) if type(idx) is np.ndarray else idx


def _one_hot(g, shape, idx):
    """One-hot matrix ``(shape[0],) + index.shape`` for an integer-array index on axis 0."""
    i = idx[0] if isinstance(idx, tuple) and len(idx) == 1 else idx
    if isinstance(i, list):
        i = np.asarray(i)
    if not (isinstance(i, np.ndarray) or is_other(i)) or i.dtype.kind not in "iu":
        return None
    positions = np.arange(shape[0]).reshape((-1,) + (1,) * i.ndim)
    if is_other(i):                 # indices on the device: compare there
        positions = np.asarray(positions, like=i)
    eye = positions == np.where(i < 0, i + shape[0], i)
    if is_other(eye):
        return eye.astype(g.dtype)
    return np.asarray(eye.astype(g.dtype), like=g)     # a constant, moved to g's library


def _indexed_shape(shape, idx):
    """The shape of ``a[idx]`` for an array ``a`` of ``shape`` (nothing is allocated)."""
    return np.broadcast_to(np.empty((), dtype=np.int8), shape)[idx].shape
