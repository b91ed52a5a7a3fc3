"""``Tensor``: an ndarray that remembers how it was computed.

A tensor holds its value in ``data`` and, when it takes part in differentiation, either the
graph node that made it (reverse mode) or its tangent (forward mode).  Every Python operator
and every NumPy function routes through :func:`chainrule.engine.apply`.
"""
from __future__ import annotations

import functools
import numbers
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Tuple, Union

import numpy as np

from . import engine
from .api_arrays import wrap
from .arrays import is_other, ones_like, type_name
from .engine import STATE, Leaf, Node, new_node, owner, apply, apply1, apply2, note_write
from .diagnostics import NonLeafGradWarning, check_conversion, user_frame
from .dispatch import FUNCTIONS as _FUNCTIONS, UFUNCS as _UFUNCS

if TYPE_CHECKING:
    import numpy.typing as npt
    from numpy.typing import DTypeLike
    Operand = Union["Tensor", npt.ArrayLike]

__all__ = ["Tensor", "tensor"]

_new = object.__new__


def make_tensor(data, node, level, tangent):
    """The tensor with these parts: the one constructor every tensor is made by (the engine
    calls it once per operation, so it checks nothing).

    ``data`` is the value (an array of ``level - 1`` or below when ``level > 0``), ``node``
    the graph node that made it (a :class:`~chainrule.engine.Node`, a
    :class:`~chainrule.engine.Leaf`, or ``None``), ``level`` the transform level (0: the
    tensor API) and ``tangent`` its forward-mode tangent or ``None``.  A tensor made here is
    no view; ``.grad`` stays unset until ``backward()`` or an assignment sets it, and the
    version counter until a view is taken or the tensor is written in place.

    Examples
    --------
    >>> import numpy as np
    >>> make_tensor(np.arange(3.0), None, 0, None)
    Tensor([0., 1., 2.])
    """
    t = _new_tensor()
    t.data = data
    t._node = node
    t._level = level
    t._tangent = tangent
    t._base = None
    return t


def _is_float_dtype(dtype):
    return np.issubdtype(dtype, np.inexact)


_NUMERIC_KINDS = "biufc"   # tensors hold bools, integers, floats and complex numbers


def _to_array(data, dtype):
    """Turn user data (numbers, nested lists, arrays) into an ndarray, floats as float64."""
    if isinstance(data, np.ndarray):
        arr = data if dtype is None else data.astype(dtype, copy=False)
        arr = arr.copy() if arr is data else arr
    elif is_other(data):            # Dask, CuPy, array API arrays: kept in their library
        data = wrap(data)
        arr = data if dtype is None else data.astype(dtype)
        arr = arr.copy() if arr is data else arr
    else:
        arr = np.array(data, dtype=dtype)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        what = "mixed or non-numeric" if arr.dtype == object else f"{arr.dtype}"
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} data of {what} type: tensors "
            "hold numbers (bool, int, float, complex). Pass numbers, nested lists of numbers "
            "or tensors, or a numeric ndarray")
    return arr


def _contains_tensor(data):
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)):
        return any(_contains_tensor(d) for d in data)
    return False


def _build_nested(data):
    """Build a tensor from nested lists that contain tensors, differentiably (by stacking)."""
    if isinstance(data, (list, tuple)):
        parts = [_build_nested(d) for d in data]
        if not parts:
            return np.array([])
        return np.stack([p if isinstance(p, Tensor) else np.asarray(p, dtype=float)
                         for p in parts])
    if isinstance(data, Tensor):
        return data
    if isinstance(data, numbers.Number) and not isinstance(data, (bool, np.bool_)):
        return np.asarray(data, dtype=float)
    return _to_array(data, None)


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Make a :class:`Tensor` from numbers, (nested) lists, arrays or tensors.

    Floats are float64 by default; float32 and complex stay as they are.  A nested list that
    mixes tensors and numbers is built differentiably, and a tensor that takes part in a
    graph is copied with its gradient (``t.detach()`` gives one without):

    Examples
    --------
    >>> import chainrule as cr
    >>> a = cr.tensor(2.0, requires_grad=True)
    >>> m = cr.tensor([[a, 0.0], [1.0, a * a]])
    >>> m.sum().backward()
    >>> float(a.grad)
    5.0
    """
    if _contains_tensor(data) and not isinstance(data, Tensor):
        out = _build_nested(data)
        if dtype is not None:
            out = out.astype(dtype)
        if requires_grad:
            out.requires_grad_(True)
        return out
    if isinstance(data, Tensor) and (data._node is not None or data._tangent is not None
                                     or data._level > 0):
        out = data.copy()       # a recorded copy: building a tensor never drops a gradient
        return out.astype(dtype) if dtype is not None else out
    if isinstance(data, Tensor):
        arr = _to_array(_base_array(data), dtype)
    else:
        arr = _to_array(data, dtype)
    t = make_tensor(arr, None, 0, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _base_array(x):
    while isinstance(x, Tensor):
        x = x.data
    return x


def plain(x):
    """The plain values under ``x``: a tensor's array below every level, with tensors nested
    in lists, tuples and dicts replaced the same way (anything else as it is).

    Examples
    --------
    >>> import chainrule as cr
    >>> plain([cr.tensor(1.0), 2.0])
    [array(1.), 2.0]
    """
    while isinstance(x, Tensor):
        x = x.data
    if isinstance(x, list):
        return [plain(i) for i in x]
    if isinstance(x, tuple):
        return tuple(plain(i) for i in x)
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    return x


def _raw_index(idx):
    """Indices may contain tensors (e.g. boolean masks); use their values."""
    if isinstance(idx, Tensor):
        return _base_array(idx)
    if isinstance(idx, tuple):
        return tuple(_base_array(i) if isinstance(i, Tensor) else i for i in idx)
    if isinstance(idx, list) and any(isinstance(i, Tensor) for i in idx):
        return [_base_array(i) if isinstance(i, Tensor) else i for i in idx]
    return idx


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral))
               and not isinstance(i, bool) for i in items)


class ViewOp:
    """How a reshape-family view (``reshape``, ``transpose``, ``broadcast_to``, ...) follows
    its base: ``prim(base, **kw)`` made it, and, as it holds every element of its base, the
    base after a write into the view is ``inv_prim(view, **inv_kw)``, where ``(inv_prim,
    inv_kw) = undo(kw, view)``; ``undo`` is ``None`` for a view NumPy makes read-only (such as
    ``broadcast_to``, which shows elements more than once).

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> y = cr.tensor(np.arange(4.0)) * 1.0
    >>> y.reshape(2, 2)._index
    ViewOp(reshape, {'shape': (2, 2), 'old': (4,)})
    """

    __slots__ = ("prim", "kw", "undo")

    def __init__(self, prim, kw, undo):
        self.prim, self.kw, self.undo = prim, kw, undo

    def __repr__(self):
        return f"ViewOp({self.prim.name}, {self.kw})"


def view_of(out, base, prim, kw, undo=None):
    """Track ``out = prim(base, **kw)`` as a view of ``base`` when NumPy made it one.

    A tracked view shares its base's version counter; after an in-place write into the base
    (or another of its views) the view replays ``prim`` on the base's new history, so its
    gradient and tangent see the write, as its values do.  ``undo(kw, view)`` gives the
    primitive and keywords that make the base from the view, for writes through the view
    (``None``: the view is read-only).  A result that NumPy copied (a reshape of a
    non-contiguous array) is a new array, not a view, and is returned as it is.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> y = x * 1.0
    >>> v = y.reshape(2, 2)
    >>> y *= x                                  # v sees the new values and their gradient
    >>> v.sum().backward()
    >>> x.grad
    Tensor([2., 4., 6., 8.])
    """
    if not isinstance(out, Tensor) or not isinstance(base, Tensor) or \
            out._level != base._level:
        return out
    mem = owner(out.data)
    if mem is None or mem is not owner(base.data):
        return out                  # a copy (or data of another library): not a view
    out._vc = vc = _version_counter(base)
    out._base = base
    out._index = ViewOp(prim, kw, undo)
    out._vsnap = vc[0]
    return out


def _refresh_view(v):
    """Regenerate the graph of a view whose base was modified in place since it was taken."""
    base = v._base
    if base._base is not None:
        _refresh_view(base)
    if v._vsnap == v._vc[0]:
        return
    v._vsnap = v._vc[0]
    level = base._level
    op = v._index
    old = v._node
    node = None
    if type(op) is ViewOp:          # a reshape-family view: the same op on the base again
        if base._node is not None and v._level == level:
            node = new_node(op.prim, (base._node,), (None,), op.kw, v.data, level)
        v._tangent = None if base._tangent is None else \
            op.prim.jvp_rule(0)(base._tangent, v.data, base.data, **op.kw)
    else:
        if base._node is not None and v._level == level:
            node = new_node(_R.getitem_p, (base._node,), (None,),
                            {"idx": op, "shape": base.shape}, v.data, level)
        if base._tangent is not None:
            v._tangent = _R.index_tangent(base._tangent, base.data, op)
    v._node = node
    _move_retained(old, node)


def _move_retained(old, new):
    """``retain_grad()`` follows a tensor from its node ``old`` to its new history ``new``
    (an in-place write, a view's replay), as in PyTorch; other hooks stay with the value
    they were registered on."""
    if type(old) is Node and old.hooks and new is not None and new is not old:
        moved = [h for h in old.hooks if getattr(h, "retains", False)]
        if moved:
            old.hooks = [h for h in old.hooks if h not in moved] or None
            new.hooks = (new.hooks or []) + moved


def _check_view_write(t, recording):
    """Refuse, before anything is written, a write through the view ``t`` that cannot be
    recorded: into a leaf that requires grad, or through a read-only kind of view."""
    child = t
    while child._base is not None:
        base = child._base
        op = child._index
        if type(op) is ViewOp and op.undo is None:
            raise RuntimeError(
                f"cannot write through a {op.prim.name} view: it can show an element of its "
                "base more than once, so NumPy makes it read-only. Write into the base, or "
                "into a copy (v = v.copy())")
        if recording and type(base._node) is Leaf:
            _inplace_leaf_error(base)
        child = base


class _DtypeGradError(ValueError, RuntimeError):
    """A non-float tensor asked to require grad (ValueError; RuntimeError as in PyTorch)."""


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> x = cr.tensor(np.arange(4.0), requires_grad=True)
    >>> y = 2 * np.dot(x, x)
    >>> y.backward()
    >>> x.grad
    Tensor([ 0.,  4.,  8., 12.])
    """

    __slots__ = ("data", "_node", "_level", "_tangent", "_grad", "_vc", "_base", "_index",
                 "_vsnap", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> None:
        t = tensor(data, dtype=dtype, requires_grad=requires_grad)
        for name in _FIELDS:            # take over every field that tensor() set
            try:
                value = getattr(t, name)
            except AttributeError:
                continue
            setattr(self, name, value)
        if isinstance(t._node, Leaf):
            self._node = Leaf(self)

    # ------------------------------------------------------------------ attributes
    @property
    def requires_grad(self) -> bool:
        if self._base is not None:
            _refresh_view(self)         # a write into its base may have given it a graph
        return self._node is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def is_leaf(self) -> bool:
        if self._base is not None:
            _refresh_view(self)
        return self._node is None or type(self._node) is Leaf

    @property
    def grad_fn(self) -> Any:
        if self._base is not None:
            _refresh_view(self)
        node = self._node
        return node if type(node) is Node else None

    @property
    def shape(self) -> Tuple[int, ...]:
        try:
            return self.data.shape
        except AttributeError:
            return np.shape(self.data)

    @property
    def dtype(self) -> np.dtype[Any]:
        return _base_array(self.data).dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements (NumPy's attribute; calling it, as in PyTorch, raises)."""
        arr = _base_array(self.data)
        return _Size(arr.size if is_other(arr) else np.size(arr))

    @property
    def grad(self) -> Optional[Tensor]:
        """The gradient that backward() left here (leaves, and tensors that retain_grad())."""
        try:
            return self._grad          # unset on computed tensors: cheaper than a store per op
        except AttributeError:
            pass
        if type(self._node) is Node:
            import warnings
            warnings.warn(
                "reading .grad of a computed (non-leaf) tensor: backward() fills .grad only on "
                "leaves, so it is None. Call x.retain_grad() before backward() to keep this "
                "tensor's gradient. If you rebound a parameter (w = w - lr * w.grad), w is now "
                "a computed tensor: update it in place instead, under cr.no_grad() "
                "(w -= lr * w.grad).", NonLeafGradWarning, stacklevel=2)
        return None

    @grad.setter
    def grad(self, value: Optional[Tensor]) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                value = make_tensor(value if hasattr(value, "shape") else np.asarray(value),
                              None, 0, None)
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {value.shape}, but the tensor has shape "
                    f"{self.shape}: .grad must have the tensor's shape")
        self._grad = value

    @property
    def T(self) -> Tensor:
        return self.transpose()

    @property
    def mT(self) -> Tensor:
        return np.swapaxes(self, -1, -2)

    @property
    def real(self) -> Tensor:
        return np.real(self)

    @property
    def imag(self) -> Tensor:
        return np.imag(self)

    @property
    def device(self):
        """Where the values live: ``"cpu"`` for NumPy data, else the data's own device."""
        return getattr(_base_array(self.data), "device", "cpu")

    def to_device(self, device, /, *, stream=None):
        """The array API's ``to_device``: this tensor, which lives on ``device`` already."""
        if device != self.device and str(device) != str(self.device):
            raise ValueError(f"this tensor lives on {self.device!r}; chainrule does not move "
                             f"data to {device!r} (make the tensor from data on that device)")
        return self

    def __array_namespace__(self, /, *, api_version=None):
        """``chainrule.array_api``: the array API standard's functions on tensors."""
        from . import array_api
        if api_version is not None and api_version > array_api.__array_api_version__:
            raise ValueError(f"chainrule.array_api implements the array API "
                             f"{array_api.__array_api_version__}, not {api_version}")
        return array_api

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if not self.shape:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.shape[0]):
            yield self[i]

    def __repr__(self) -> str:
        if self._base is not None:
            _refresh_view(self)         # show the grad_fn a base's later write gave it
        arr = _base_array(self.data)
        if is_other(arr):       # the library's own repr: a Dask array is not computed
            body = repr(arr)
        else:
            body = np.array2string(arr, separator=", ", prefix="Tensor(")
        extra = ""
        if arr.dtype not in (np.float64, np.int64, np.bool_) and not is_other(arr) and \
                np.size(arr):
            extra = f", dtype={arr.dtype}"
        if self._level:
            extra += f", level={self._level}"
        node = self._node
        if type(node) is Node:
            extra += f", grad_fn=<{node.prim.name}>"
        elif node is not None:
            extra += ", requires_grad=True"
            if node.mode == "write":
                extra += ", grad_req='write'"
        return f"Tensor({body}{extra})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.size == 1 and spec:
            return format(self.item(), spec)
        return format(str(self), spec)

    # ------------------------------------------------------------------ conversions
    def __array__(self, dtype: DTypeLike = None,
                  copy: Optional[bool] = None) -> np.ndarray[Any, Any]:
        if self._node is not None or self._tangent is not None or self._level:
            if self._level:
                # raises for a value being differentiated; a constant inside a transform
                # (an argmax, a mask) converts like any constant
                check_conversion(self, "np.asarray(), np.float64() or np.array()", _LIST_HINT)
            if self._node is not None or self._tangent is not None:
                _array_error()
            return np.asarray(_base_array(self.data), dtype=dtype)
        if is_other(self.data):     # an explicit conversion: the library decides (CuPy refuses)
            return np.asarray(self.data, dtype=dtype)
        arr = np.asarray(self.data)          # a 0-d result holds a NumPy scalar
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def _scalar(self, kind):
        if self.size != 1:
            raise TypeError(
                f"only size-1 tensors can be converted to Python {kind}s, this one has shape "
                f"{self.shape}. For elementwise math use NumPy functions (np.exp(x), not "
                "math.exp(x)); to get the values use x.numpy() or x.tolist().")
        return _base_array(self.data).reshape(()).item()

    def __float__(self) -> float:
        if self._node is not None or self._level:
            check_conversion(self, "float()")
        return float(self._scalar("float"))

    def __int__(self) -> int:
        if self._node is not None or self._level:
            check_conversion(self, "int()")
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        if self._node is not None or self._level:
            check_conversion(self, "complex()")
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if not np.issubdtype(self.dtype, np.integer):
            raise TypeError("only integer tensors can be used as an index")
        if self._node is not None or self._level:
            check_conversion(self, "operator.index()")
        return int(self._scalar("int"))

    def __round__(self, ndigits: Optional[int] = None) -> Tensor:
        """``round(x)``: a tensor rounded half to even (``np.round``), as PyTorch's."""
        return np.round(self, 0 if ndigits is None else ndigits)

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                "the truth value of a tensor with more than one element is ambiguous; use "
                "x.any() or x.all()")
        return bool(self._scalar("bool"))

    def __hash__(self) -> int:
        return id(self)

    def item(self) -> Any:
        """The value of a size-1 tensor as a Python number."""
        return self._scalar("number")

    def tolist(self) -> Any:
        return _base_array(self.data).tolist()

    def numpy(self) -> np.ndarray[Any, Any]:
        """The values as an ndarray (0-d for a 0-d tensor), outside any graph (shares memory
        at level 0)."""
        arr = _base_array(self.data)
        if type(arr) is np.ndarray:
            return arr
        try:
            return np.asarray(arr)
        except TypeError as e:          # CuPy refuses to copy to the host implicitly
            raise TypeError(
                f"x.numpy() makes a NumPy array, and this tensor holds a {type_name(arr)} "
                f"({e}). Keep computing with x (or x.data, the array itself); copy to the "
                "host with that library's own function (cupy.asnumpy(x.data), as "
                "PyTorch's x.cpu().numpy())") from None

    # ------------------------------------------------------------------ graph control
    def detach(self) -> Tensor:
        """A tensor with the same values that takes no part in any graph."""
        return make_tensor(_base_array(self.data), None, 0, None)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Make this tensor a leaf whose ``.grad`` starts as ``None`` and accumulates."""
        if flag:
            if not _is_float_dtype(self.dtype):
                raise _DtypeGradError(
                    f"only floating point and complex tensors can require gradients, this one "
                    f"is {self.dtype}. Make it with a float dtype, e.g. "
                    "cr.tensor(x, dtype=float).")
            if self._node is None:
                self._node = Leaf(self, "add")
            elif type(self._node) is Leaf and self._node.mode != "add":
                self._node.mode = "add"     # after attach_grad(): accumulate from now on
            # a computed tensor already requires grad: nothing to do (as in PyTorch)
        else:
            if type(self._node) is Node:
                raise RuntimeError(
                    "cannot turn off requires_grad of a computed tensor; use x.detach()")
            self._node = None
        return self

    def attach_grad(self, grad_req: str = "write") -> Tensor:
        """MXNet: make this a leaf with a zero ``.grad`` that each backward overwrites.

        ``grad_req='add'`` accumulates instead; ``'null'`` stops recording gradients.
        """
        if grad_req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {grad_req!r}")
        if not _is_float_dtype(self.dtype):
            raise _DtypeGradError(
                f"attach_grad() needs a floating point tensor, this one is {self.dtype}; "
                "make it with a float dtype, e.g. np.arange(4.0)")
        if type(self._node) is Node or self._level or self._base is not None:
            base = _base_array(self.data)
            self.data = base.copy() if is_other(base) else np.array(base)
            self._level = 0
            self._base = None
            self._vc = [0]                  # a new value: a new version counter
            self._tangent = None
        if grad_req == "null":
            self._node = None
            self.grad = None
            return self
        self._node = Leaf(self, grad_req)
        self.grad = make_tensor(np.zeros_like(self.data), None, 0, None)
        return self

    def zero_(self) -> Tensor:
        """Fill with zeros in place (``x.grad.zero_()``)."""
        with engine.no_grad():
            self[...] = 0
        return self

    def fill_(self, value: Any) -> Tensor:
        """Fill with ``value`` in place (PyTorch)."""
        self[...] = value
        return self

    def register_hook(self, fn: Callable[[Tensor], Optional[Tensor]]) -> Any:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a result replaces it."""
        if self._base is not None:
            _refresh_view(self)
        node = self._node
        if node is None:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require grad")
        if not callable(fn):
            raise TypeError(f"a hook must be callable, got {type(fn).__name__}")
        if node.hooks is None:
            node.hooks = []
        hook = _checked_hook(fn)
        hooks = node.hooks
        # retain_grad() keeps the gradient after every hook (PyTorch 2), whatever the order
        at = next((k for k, h in enumerate(hooks) if getattr(h, "retains", False)), len(hooks))
        hooks.insert(at, hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep the gradient of a computed tensor in ``.grad`` after backward (the gradient
        after this tensor's hooks, whenever they were registered, as in PyTorch 2)."""
        if self._base is not None:
            _refresh_view(self)
        node = self._node
        if type(node) is not Node:
            return
        if not _grad_set(self):
            self.grad = None
        if node.hooks and any(getattr(h, "retains", False) for h in node.hooks):
            return
        import weakref
        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                if not isinstance(g, Tensor):
                    g = make_tensor(g, None, 0, None)
                t.grad = g if t.grad is None else t.grad + g
        keep.retains = True
        if node.hooks is None:
            node.hooks = []
        node.hooks.append(keep)

    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        A non-scalar tensor is summed first (the product with ones); ``gradient=v`` gives
        the vector-Jacobian product with ``v`` instead.  ``inputs=[a, b]`` (PyTorch)
        accumulates into those tensors' ``.grad`` only.
        """
        if self._base is not None:
            _refresh_view(self)
        if self._level:
            raise RuntimeError(
                "backward() inside a function transform (cr.grad, cr.jacrev, ...): the "
                "transform differentiates what the function returns, so return the loss "
                "instead of calling backward() on it. For the tensor API's .grad, call "
                "loss.backward() outside the transform.")
        node = self._node
        if node is None:
            raise RuntimeError(
                "this tensor does not require grad, so there is nothing to differentiate: "
                "make an input with requires_grad=True (or x.attach_grad()) and compute from "
                "it with recording on. (If you rebound a parameter, w = w - lr * w.grad, "
                "under cr.no_grad(), w is a new tensor that does not require grad: update "
                "it in place, w -= lr * w.grad.)")
        g = _seed(self, gradient)
        if inputs is not None:
            _backward_into(node, g, inputs, retain_graph, create_graph)
            return
        if create_graph:
            with engine.enable_grad():
                engine.backward_pass([node], [g], True, True)
        else:
            engine.backward_pass([node], [g], retain_graph, False)

    # ------------------------------------------------------------------ copies, dtypes
    def astype(self, dtype: DTypeLike, copy: bool = True) -> Tensor:
        """A copy cast to ``dtype``; to an integer, bool or other non-float dtype the result
        carries no gradient (it is piecewise constant), as ``np.floor`` does not."""
        dtype = np.dtype(dtype)
        if dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"cannot cast a tensor to {dtype}: tensors hold numbers (bool, "
                            "int, float, complex); use x.numpy().astype(...) for other dtypes")
        if not _is_float_dtype(dtype):
            return _R.astype_const_p(self, dtype=dtype)
        return _R.astype(self, dtype)

    def copy(self) -> Tensor:
        return _R.copy_p(self)

    clone = copy

    def __copy__(self) -> Tensor:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> Tensor:
        """A new leaf with copies of the values, ``requires_grad`` (and its mode) and
        ``.grad`` (its values: a grad made with ``create_graph=True`` is copied detached).
        A tensor computed inside a graph raises ``RuntimeError``: deep-copy ``x.detach()``."""
        self._check_persistable("deepcopy")
        out = tensor(np.array(self.numpy(), copy=True))
        if self._node is not None:
            out._node = Leaf(out, self._node.mode)
        if self.grad is not None:
            out.grad = make_tensor(np.array(self.grad.numpy(), copy=True), None, 0, None)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickle the values, ``requires_grad`` (and its mode) and ``.grad`` (its values);
        hooks are not pickled. A tensor computed inside a graph raises ``RuntimeError``."""
        self._check_persistable("pickle")
        mode = self._node.mode if self._node is not None else None
        grad = None if self.grad is None else self.grad.numpy()
        return (_unpickle, (self.numpy(), mode, grad))

    def _check_persistable(self, what):
        if type(self._node) is Node or self._level or self._tangent is not None:
            raise RuntimeError(
                f"cannot {what} a tensor in the middle of a graph (computed from tensors that "
                f"require grad, or inside a transform such as cr.grad): {what} x.detach() "
                "instead, and call requires_grad_() on the copy if it should be a new leaf")

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, idx: Any) -> Tensor:
        idx = _raw_index(idx)
        out = apply(_R.getitem_p, (self,), {"idx": idx, "shape": self.shape})
        if _is_basic(idx) and out.shape:
            # a view: share the version counter so in-place writes are seen by both
            out._vc = vc = _version_counter(self)
            out._base = self
            out._index = idx
            out._vsnap = vc[0]
        return out

    def __setitem__(self, idx: Any, value: Any) -> None:
        _setitem(self, _raw_index(idx), value)

    # ------------------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:
            prim = _UFUNCS.get(ufunc)
            if prim is not None:
                if len(inputs) == 1:
                    return apply1(prim, inputs[0])
                if len(inputs) == 2:
                    a, b = inputs
                    if a.__class__ not in _FAST_OPERANDS:
                        if _bad_operand(a):
                            _object_operand(f"np.{ufunc.__name__}", inputs)
                        a = wrap(a)
                    if b.__class__ not in _FAST_OPERANDS:
                        if _bad_operand(b):
                            _object_operand(f"np.{ufunc.__name__}", inputs)
                        b = wrap(b)
                    return apply2(prim, a, b)
                return apply(prim, inputs, None)
        return _bridge.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _bridge.array_function(func, types, args, kwargs)

    if TYPE_CHECKING:     # what is attached below the class, as type checkers should see it
        data: Any

        def __add__(self, other: Operand) -> Tensor: ...
        def __radd__(self, other: Operand) -> Tensor: ...
        def __iadd__(self, other: Operand) -> Tensor: ...
        def __sub__(self, other: Operand) -> Tensor: ...
        def __rsub__(self, other: Operand) -> Tensor: ...
        def __isub__(self, other: Operand) -> Tensor: ...
        def __mul__(self, other: Operand) -> Tensor: ...
        def __rmul__(self, other: Operand) -> Tensor: ...
        def __imul__(self, other: Operand) -> Tensor: ...
        def __truediv__(self, other: Operand) -> Tensor: ...
        def __rtruediv__(self, other: Operand) -> Tensor: ...
        def __itruediv__(self, other: Operand) -> Tensor: ...
        def __floordiv__(self, other: Operand) -> Tensor: ...
        def __rfloordiv__(self, other: Operand) -> Tensor: ...
        def __mod__(self, other: Operand) -> Tensor: ...
        def __rmod__(self, other: Operand) -> Tensor: ...
        def __pow__(self, other: Operand) -> Tensor: ...
        def __rpow__(self, other: Operand) -> Tensor: ...
        def __ipow__(self, other: Operand) -> Tensor: ...
        def __matmul__(self, other: Operand) -> Tensor: ...
        def __rmatmul__(self, other: Operand) -> Tensor: ...
        def __lt__(self, other: Operand) -> Tensor: ...
        def __le__(self, other: Operand) -> Tensor: ...
        def __gt__(self, other: Operand) -> Tensor: ...
        def __ge__(self, other: Operand) -> Tensor: ...
        def __eq__(self, other: object) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: object) -> Tensor: ...  # type: ignore[override]
        def __and__(self, other: Operand) -> Tensor: ...
        def __or__(self, other: Operand) -> Tensor: ...
        def __xor__(self, other: Operand) -> Tensor: ...
        def __rand__(self, other: Operand) -> Tensor: ...
        def __ror__(self, other: Operand) -> Tensor: ...
        def __rxor__(self, other: Operand) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __divmod__(self, other: Operand) -> Tuple[Tensor, Tensor]: ...
        def sum(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def mean(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def prod(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def max(self, *args: Any, **kwargs: Any) -> Any: ...
        def min(self, *args: Any, **kwargs: Any) -> Any: ...
        def argmax(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def argmin(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def ravel(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def squeeze(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def clip(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def cumsum(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def cumprod(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def var(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def std(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def dot(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def all(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def any(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def trace(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def diagonal(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def round(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def nonzero(self, *args: Any, **kwargs: Any) -> Tuple[Tensor, ...]: ...
        def argsort(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def repeat(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def conj(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def take(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def swapaxes(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def sort(self, *args: Any, **kwargs: Any) -> Any: ...
        def reshape(self, *shape: Any, order: str = "C") -> Tensor: ...
        def view(self, *shape: Any) -> Tensor: ...
        def fill(self, value: Any) -> None: ...
        def transpose(self, *axes: Any) -> Tensor: ...
        def flatten(self) -> Tensor: ...
        def norm(self, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor: ...
        def exp(self) -> Tensor: ...
        def log(self) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def sqrt(self) -> Tensor: ...
        def sin(self) -> Tensor: ...
        def cos(self) -> Tensor: ...
        def tanh(self) -> Tensor: ...
        def numel(self) -> int: ...
        def dim(self) -> int: ...


def _grad_set(t):
    """True when ``t.grad`` was assigned (computed tensors leave it unset)."""
    try:
        t._grad
    except AttributeError:
        return False
    return True


_LIST_HINT = (" NumPy's np.array([...]) of tensors cannot see them: write cr.tensor([...]) or "
              "np.stack([...]) instead, or `import chainrule.numpy as np`, whose np.array, "
              "np.r_ and functions of lists build such arrays differentiably.")


def _array_error():
    msg = ("converting a tensor that requires grad to a NumPy array would drop its gradient. "
           "Use x.item() for one value, or x.detach() (x.numpy()) for the array of values "
           "without the gradient; to build an array from traced values, make it with "
           "np.zeros_like(x) (a tensor) and assign into that." + _LIST_HINT)
    frame = user_frame()
    if frame is not None and _is_library(frame.f_code.co_filename):
        msg += (f" The conversion was made inside a library ({frame.f_code.co_filename}), "
                "which cannot see the tensor: make that function a primitive with a rule, "
                "f = cr.primitive(scipy_function); cr.defvjp(f, ...).")
    raise TypeError(msg)


def _is_library(filename):
    """True for installed packages' files (SciPy...), not the user's own code."""
    return any(part in filename for part in ("site-packages", "dist-packages")) or \
        filename.startswith(_STDLIB)


_STDLIB = __import__("sysconfig").get_paths()["stdlib"]


class _Size(int):
    """``x.size``: NumPy's element count, an int; calling it (PyTorch's ``x.size()``)
    raises an error that points to ``.shape``."""

    __slots__ = ()

    def __call__(self, *dim):
        raise TypeError(
            f"x.size is NumPy's attribute, the number of elements ({int(self)}), not "
            "PyTorch's method: use x.shape for the dimensions (x.shape[d] for one), or "
            "x.numel() / x.size for the count")


def _backward_into(node, g, inputs, retain_graph, create_graph):
    """``backward(inputs=...)``: accumulate the gradient into those tensors' ``.grad`` only."""
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    for t in ins:
        if not isinstance(t, Tensor) or t._node is None:
            raise RuntimeError("backward(inputs=...) takes tensors that require grad; one of "
                               "them does not")
    if create_graph:
        with engine.enable_grad():
            found = engine.backward_pass([node], [g], True, True, [t._node for t in ins],
                                         prune=True)
    else:
        found = engine.backward_pass([node], [g], retain_graph, False, [t._node for t in ins],
                                     prune=True)
    for t, gi in zip(ins, found):
        if gi is None:
            continue
        if not isinstance(gi, Tensor):
            gi = make_tensor(gi, None, 0, None)
        if t.dtype.kind == "c":
            gi = np.conj(gi)        # .grad speaks PyTorch's convention (as engine._deposit)
        elif gi.dtype.kind == "c":
            gi = np.real(gi)
        if gi.dtype != t.dtype and _is_float_dtype(t.dtype):
            gi = gi.astype(t.dtype)
        if not create_graph:
            gi = gi.detach()
        write = type(t._node) is Leaf and t._node.mode == "write"
        t.grad = gi if write or t.grad is None else t.grad + gi


class _HookHandle:
    def __init__(self, hooks, fn):
        self.hooks, self.fn = hooks, fn

    def remove(self):
        if self.fn in self.hooks:
            self.hooks.remove(self.fn)


# what arithmetic with a tensor takes: numbers, arrays of numbers, tensors (and lists of them)
_OPERANDS = (Tensor, np.ndarray, float, int, complex, np.generic, list, tuple)


_FAST_OPERANDS = frozenset((Tensor, float, int))


def _bad_operand(x):
    """Not a number, numeric array or tensor: None, strings, objects, object arrays."""
    if not isinstance(x, _OPERANDS):
        # Dask, CuPy...: numeric ones are fine
        return not is_other(x) or getattr(x.dtype, "kind", None) == "O"
    if type(x) is np.ndarray:
        return x.dtype.kind == "O"
    if isinstance(x, (list, tuple)):
        return np.asarray(x).dtype.kind == "O"
    return False


def _object_operand(what, operands):
    kinds = ", ".join(type(o).__name__ if not isinstance(o, np.ndarray) else
                      f"ndarray of {o.dtype}" for o in operands)
    raise TypeError(
        f"{what} of ({kinds}): tensors compute with numbers, arrays of numbers and tensors, "
        "not None, strings, objects or object arrays. Convert the operand first, e.g. "
        "np.asarray(a, dtype=float)")


def _checked_hook(fn):
    """``fn`` whose result, if not None, must be a gradient of the same shape."""
    def hook(g):
        flip = np.iscomplexobj(g)       # hooks see gradients in PyTorch's convention
        res = fn(np.conj(g) if flip else g)
        if res is not None and flip:
            res = np.conj(res)
        if res is not None:
            val = res if isinstance(res, Tensor) else np.asarray(res)
            if val.dtype.kind not in "biufc" or np.shape(val) != np.shape(g):
                raise TypeError(
                    f"the hook {getattr(fn, '__name__', fn)!r} returned "
                    f"{type(res).__name__} of shape {np.shape(val)} and dtype {val.dtype}; "
                    f"a hook returns None or a replacement gradient of shape {np.shape(g)}")
        return res
    hook.__wrapped__ = fn
    return hook


def _unpickle(arr, mode, grad):
    t = tensor(arr)
    if mode is not None:
        t._node = Leaf(t, mode)
    if grad is not None:
        t.grad = tensor(grad)
    return t


def _seed(t, gradient):
    """The starting cotangent of a backward pass from ``t``."""
    if gradient is None:
        if t.dtype.kind == "c":
            raise ComplexOutputError(
                f"backward of a complex tensor ({t.dtype}) needs gradient=: a complex output "
                "has no single derivative to start from (PyTorch refuses it too). "
                "Differentiate a real loss such as np.real(y).sum() or (abs(y) ** 2).sum(), "
                "or pass the gradient, y.backward(gradient=v) (grad_outputs= in autograd.grad)")
        return _ones_like_raw(t.data)
    if isinstance(gradient, Tensor):
        g = gradient.data if gradient._level == t._level else gradient
    else:
        g = wrap(gradient) if is_other(gradient) else np.asarray(gradient)
        if g.dtype.kind not in "biufc" or (g.dtype.kind == "c" and t.dtype.kind != "c"):
            raise TypeError(
                f"gradient= must be numbers of the tensor's kind ({t.dtype}), got "
                f"{type(gradient).__name__} of dtype {g.dtype}")
        g = g.astype(_ones_like_raw(t.data).dtype, copy=False)
    if np.iscomplexobj(g):
        g = np.conj(g)      # the tensor API speaks PyTorch's convention, the engine JAX's
    if np.shape(g) != t.shape:
        raise GradientShapeError(
            f"gradient has shape {np.shape(g)} but the tensor has shape {t.shape}; "
            "gradient= must have the same shape as the tensor it seeds")
    return g


class GradientShapeError(ValueError, RuntimeError):
    """``gradient=`` shaped unlike its tensor (ValueError, SPEC; RuntimeError as in
    PyTorch)."""


class ComplexOutputError(TypeError, RuntimeError):
    """Backward from a complex tensor without a gradient to start from (RuntimeError as in
    PyTorch, TypeError as in JAX)."""


def _ones_like_raw(data):
    """ones with the shape and dtype of ``data`` (plain ndarray: a constant at every level)."""
    return ones_like(_base_array(data))


# ---------------------------------------------------------------------- in-place writes
def _mxnet_update(t):
    """True for a write into an ``attach_grad()`` leaf outside ``autograd.record()``: MXNet's
    parameter update (``w[:] = w - lr * w.grad``), which is not recorded."""
    return t._node.mode == "write" and not STATE.recording


def _inplace_leaf_error(t):
    raise RuntimeError(
        "a leaf tensor that requires grad is being changed in place while recording, which "
        "would lose the gradient to its old value. Wrap parameter updates in "
        "`with cr.no_grad():` (MXNet spelling: `with autograd.pause():`), or make a new tensor "
        "(x = x + 1, or y = x.copy(); y[...] = v).")


def _check_alias(t):
    """Refuse an in-place write into memory that another array sees behind the graph's back.

    Views made by indexing (``x[1:]``) and by the reshape family (``x.reshape(...)``,
    ``x.T``, ... see :func:`view_of`) are tracked: a write into one is recorded on its base
    too, and never reaches this check.  A view that nothing tracked (a tensor wrapped around
    a NumPy view by other code) is not, so writing through it would change ``x``'s values
    while ``x``'s graph (or tangent) says otherwise: a silently wrong derivative.  Such a
    write is refused, unless no other tensor holds the memory (this tensor's own tracked
    views aside), where no one can tell: a view of a temporary (``np.zeros_like(x).T``, a
    reshape that copies, results that NumPy builds as views of scratch arrays).
    """
    data = t.data
    if t._base is not None or not isinstance(data, np.ndarray):
        return
    owner = data.base
    if owner is None:
        return
    # references to owner: data.base, the local name, getrefcount's argument; more means
    # another array (or tensor) may share this memory: look who (rare, so gc may be slow)
    if sys.getrefcount(owner) > 3 and _held_elsewhere(t, owner):
        raise RuntimeError(
            "this tensor is a view into another array's memory that chainrule does not track "
            "(made outside its view functions), and writing into it in place would "
            "change that array behind the gradient's back. Write into the original tensor "
            "(x[...] = ...), or make this one its own copy first (y = x.reshape(...).copy()).")


def _held_elsewhere(t, owner):
    """Whether a tensor other than ``t`` and its tracked views (which share ``t``'s version
    counter) holds ``owner``'s memory, directly or through a NumPy view of it."""
    import gc
    family = getattr(t, "_vc", None)

    def foreign(holder):
        return isinstance(holder, Tensor) and holder is not t and (
            family is None or getattr(holder, "_vc", None) is not family)
    for r in gc.get_referrers(owner):
        if foreign(r):
            return True
        if isinstance(r, np.ndarray) and r is not t.data and r.base is owner and \
                any(foreign(h) for h in gc.get_referrers(r)):
            return True
    return False


def _write_data(t, idx, raw):
    """Write ``raw`` into ``t.data[idx]``, nesting the storage if ``raw`` is a lower tensor."""
    data = t.data
    if isinstance(data, np.generic):     # a 0-d result holds a NumPy scalar: give it memory
        data = t.data = np.array(data)
    if isinstance(raw, Tensor) and not isinstance(data, Tensor):
        if raw._node is not None or raw._tangent is not None or raw._level:
            data = make_tensor(data, None, raw._level, None)
            t.data = data
    data[idx] = raw


def _setitem(t, idx, value):
    """``t[idx] = value``: write in place and rebase ``t``'s history on the new value."""
    if t._base is not None:
        _refresh_view(t)
    level = t._level
    if isinstance(value, Tensor):
        if value._base is not None:
            _refresh_view(value)
        if value._level > level:
            raise TypeError(
                "cannot assign a value that is being differentiated into a tensor that was "
                "made outside the function being differentiated; create the tensor inside it "
                "(e.g. out = np.zeros_like(x)) so the assignment can be recorded")
        vnode = value._node if value._level == level else None
        vtan = value._tangent if value._level == level else None
        raw = value.data if value._level == level else value
    else:
        vnode = vtan = None
        raw = value
    recording = STATE.grad_enabled and (t._node is not None or vnode is not None)
    if recording and type(t._node) is Leaf:
        if not _mxnet_update(t):
            _inplace_leaf_error(t)
        recording = False
        vnode = vtan = None
    if t._base is not None:
        _check_view_write(t, recording)
    old_tan = t._tangent
    if recording or old_tan is not None or vtan is not None:
        _check_alias(t)
    _write_data(t, idx, raw)
    node = None
    if recording:
        node = new_node(_R.setitem_p, (t._node, vnode), (None, None), {"idx": idx}, t.data, level)
    tangent = None
    if old_tan is not None or vtan is not None:
        tangent = _R.setitem_tangent(old_tan, vtan, t.data, raw, idx)
    if node is None and tangent is None and t._node is None and t._tangent is None:
        _bump(t)
        return
    if not recording and type(t._node) is Leaf:   # e.g. an update under no_grad
        _bump(t)
        return
    _rebase(t, node, tangent)


def snapshot(t):
    """``t``'s current value and graph, in memory of its own: what an operation whose result
    is then written into ``t`` (``t op= u``, ``np.add(t, u, out=t)``) reads, so that the node
    it records keeps the value it read, not the one written over it."""
    if t._base is not None:
        _refresh_view(t)
    return make_tensor(t.data.copy(), t._node, t._level, t._tangent)


def _inplace_op(t, prim, other):
    """``t op= other`` for the arithmetic operators: compute, then write in place."""
    if _bad_operand(other):
        _object_operand(f"{prim.name} in place", (t, other))
    if t._base is not None:
        _refresh_view(t)
    recording = STATE.grad_enabled and (t._node is not None or
                                        (isinstance(other, Tensor) and other._node is not None))
    if recording and type(t._node) is Leaf:
        if not _mxnet_update(t):
            _inplace_leaf_error(t)
        with engine.no_grad():
            return _inplace_op(t, prim, other)
    if t._base is not None:
        _check_view_write(t, recording)
    if recording or t._tangent is not None or (isinstance(other, Tensor) and
                                               other._tangent is not None):
        _check_alias(t)
    src = t
    if recording and t._node is not None:
        src = snapshot(t)                   # the recorded node keeps the old value
    res = prim(src, other) if isinstance(src, Tensor) else prim(src, other)
    if isinstance(res, Tensor) and res._level > t._level:
        raise TypeError(
            "cannot update a tensor made outside the function being differentiated with a "
            "value computed inside it; make the tensor inside the function")
    if isinstance(res, Tensor) and res._level == t._level:
        raw, node, tangent = res.data, res._node, res._tangent
    else:
        raw, node, tangent = res, None, None
    if np.shape(raw) != t.shape:         # as NumPy: x op= y cannot change x's shape
        raise ValueError(f"non-broadcastable output operand with shape {t.shape} doesn't "
                         f"match the broadcast shape {np.shape(raw)}")
    data = t.data
    if isinstance(data, np.generic):     # a 0-d result holds a NumPy scalar: give it memory
        data = t.data = np.array(data)
    if isinstance(data, np.ndarray) and isinstance(raw, (np.ndarray, np.generic)):
        np.copyto(data, raw, casting="same_kind")
    elif isinstance(data, Tensor) and not t.shape and t._base is None:
        # a 0-d value of a lower level (nested transforms): nothing can view its memory, and
        # the graph of that level may have saved it, so take the new value, not overwrite
        if raw.dtype != data.dtype:
            if not np.can_cast(raw.dtype, data.dtype, "same_kind"):
                raise TypeError(f"Cannot cast {prim.name} output from {raw.dtype} to "
                                f"{data.dtype} with casting rule 'same_kind'")
            raw = raw.astype(data.dtype)
        t.data = raw
    else:
        _write_data(t, Ellipsis, raw)
    if not recording and tangent is None and t._tangent is None:
        _bump(t)
        return t
    if not recording:
        node = t._node
    _rebase(t, node, tangent)
    return t


def _version_counter(t):
    """The version counter of ``t``, a one-item list that views share with their base (made
    at the first view or in-place write: tensors are made without one)."""
    try:
        return t._vc
    except AttributeError:
        vc = t._vc = [0]
        return vc


def _bump(t):
    vc = _version_counter(t)
    vc[0] = note_write(t.data)
    if t._base is not None:
        t._vsnap = vc[0]


def _rebase(t, node, tangent):
    """Give ``t`` new history after an in-place write, and its bases too if it is a view.

    The bases take the write; the views in the chain are then left out of date, so that
    their next use replays them from the base (as PyTorch's views): a view's gradient (its
    hooks, ``retain_grad``) is what flows into the view, not what flows into its base."""
    _move_retained(t._node, node)
    t._node = node
    t._tangent = tangent
    child = t
    chain = [t]
    while child._base is not None:
        base = child._base
        bold = base._node
        if type(bold) is Leaf and STATE.grad_enabled and child._node is not None:
            _inplace_leaf_error(base)
        op = child._index
        if type(op) is ViewOp:
            # the view holds every element of its base: the base is the view, shaped back
            inv, inv_kw = op.undo(op.kw, child.data)
            if child._node is not None:
                base._node = new_node(inv, (child._node,), (None,), inv_kw, base.data,
                                      base._level)
            elif type(bold) is not Leaf:
                base._node = None
            base._tangent = None if child._tangent is None else \
                inv.jvp_rule(0)(child._tangent, base.data, child.data, **inv_kw)
        else:
            if child._node is not None or (bold is not None and type(bold) is not Leaf):
                base._node = new_node(_R.setitem_p, (bold, child._node), (None, None),
                                      {"idx": op}, base.data, base._level)
            if child._tangent is not None or base._tangent is not None:
                base._tangent = _R.setitem_tangent(base._tangent, child._tangent, base.data,
                                                   child.data, op)
        _move_retained(bold, base._node)
        chain.append(base)
        child = base
    vc = _version_counter(t)
    stamp = note_write(t.data)
    for c in chain[1:]:
        if owner(c.data) is not owner(t.data):
            note_write(c.data)
    vc[0] = stamp


# ---------------------------------------------------------------------- ndarray methods
def _method(fname):
    func = getattr(np, fname)

    def m(self, *args, **kwargs):
        if kwargs and ("dim" in kwargs or "keepdim" in kwargs or "unbiased" in kwargs):
            return _torch_method(func, self, args, kwargs)
        handler = _FUNCTIONS.get(func)      # skip NumPy's dispatch when we know the handler
        if handler is not None:
            return handler(self, *args, **kwargs)
        return func(self, *args, **kwargs)
    m.__name__ = fname
    m.__doc__ = f"Same as ``np.{fname}(x, ...)``."
    return m


for _f in ("sum", "mean", "prod", "max", "min", "argmax", "argmin", "ravel", "squeeze",
           "clip", "cumsum", "cumprod", "var", "std", "dot", "all", "any", "trace",
           "diagonal", "round", "nonzero", "argsort", "repeat", "conj", "take", "swapaxes",
           "sort"):
    setattr(Tensor, _f, _method(_f))


def _torch_method(func, self, args, kwargs):
    """A reduction called with PyTorch's ``dim=`` / ``keepdim=``: NumPy's ``axis=`` /
    ``keepdims=``, with PyTorch's meaning: ``max``/``min`` return ``(values, indices)``,
    ``var``/``std`` are unbiased unless ``unbiased=False`` (or ``correction=0``)."""
    kwargs = dict(kwargs)
    torch_dim = "dim" in kwargs
    if torch_dim:
        kwargs["axis"] = kwargs.pop("dim")
    if "keepdim" in kwargs:
        kwargs["keepdims"] = kwargs.pop("keepdim")
    if func in (np.var, np.std) and "ddof" not in kwargs and (
            torch_dim or "unbiased" in kwargs):
        # PyTorch's var/std are unbiased unless told otherwise (unbiased=False, correction=0)
        unbiased = kwargs.pop("unbiased", True)
        kwargs["ddof"] = kwargs.pop("correction", 1 if unbiased else 0)
    res = func(self, *args, **kwargs)
    if torch_dim and func in (np.max, np.min) and kwargs["axis"] is not None:
        arg = np.argmax if func is np.max else np.argmin
        idx = arg(self, axis=kwargs["axis"], keepdims=kwargs.get("keepdims", False))
        return _MaxResult(res, idx)
    return res


class _MaxResult(tuple):
    """``(values, indices)`` of ``x.max(dim=d)``, as PyTorch's named tuple."""

    __slots__ = ()

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


def _unsqueeze(self, dim):
    """PyTorch's ``unsqueeze``: a new axis of length 1 at ``dim`` (``np.expand_dims``)."""
    return np.expand_dims(self, dim)


def _relu(self):
    """``max(x, 0)``, with derivative 0 at 0 (as PyTorch's)."""
    return np.where(self > 0, self, self.dtype.type(0))     # a scalar: any library takes it


def _sigmoid(self):
    """The logistic function ``1 / (1 + exp(-x))``, written so that it never overflows."""
    return 0.5 * (np.tanh(0.5 * self) + 1.0)


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return np.reshape(self, shape, order=order)


def _view(self, *shape):
    """The same values seen in a new shape, sharing memory (PyTorch's ``view``);
    ``x.view()`` with no shape is a view of the whole tensor, as ``ndarray.view()``."""
    if not shape:
        return np.reshape(self, self.shape)
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral)):
        raise TypeError(
            f"x.view({shape[0]!r}): tensors take a shape (x.view(2, 3)); reinterpreting the "
            "bytes as another dtype has no derivative. Use x.astype(dtype) to convert values")
    return _reshape(self, *shape)


def _fill(self, value):
    """Fill with ``value`` in place and return ``None``, as ``ndarray.fill``."""
    self[...] = value


def _transpose(self, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return np.transpose(self, axes or None)


def _norm(self, ord=None, axis=None, keepdims=False):
    """The 2-norm (Frobenius for matrices), as in PyTorch; ``ord``/``axis`` as NumPy."""
    # np.linalg.norm, not sqrt(sum(x * x)): its gradient at 0 is 0, not 0 * inf = NaN
    return np.linalg.norm(self, ord=ord, axis=axis, keepdims=keepdims)


Tensor.reshape = _reshape
Tensor.view = _view
Tensor.fill = _fill
Tensor.transpose = _transpose
Tensor.flatten = lambda self: np.ravel(self).copy()
Tensor.norm = _norm
Tensor.exp = lambda self: np.exp(self)
Tensor.log = lambda self: np.log(self)
Tensor.abs = lambda self: np.abs(self)
Tensor.sqrt = lambda self: np.sqrt(self)
Tensor.sin = lambda self: np.sin(self)
Tensor.cos = lambda self: np.cos(self)
Tensor.tanh = lambda self: np.tanh(self)
Tensor.numel = lambda self: int(self.size)
Tensor.pow = lambda self, exponent: self ** exponent
Tensor.unsqueeze = _unsqueeze
Tensor.relu = _relu
Tensor.sigmoid = _sigmoid
Tensor.dim = lambda self: self.ndim


def _torch_inplace(name, prim_name):
    """PyTorch's in-place arithmetic method (``y.add_(v, alpha=2)``): ``y op= alpha * v``."""
    def op(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return _inplace_op(self, getattr(_R, prim_name), other)
    op.__name__ = name
    op.__doc__ = f"In place, as PyTorch's ``{name}``; returns the tensor."
    return op


def _clamp(self, min=None, max=None):
    """PyTorch's ``clamp``: ``np.clip`` with either bound optional."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return np.clip(self, min, max)


def _clamp_(self, min=None, max=None):
    """``clamp`` in place (PyTorch's ``clamp_``); returns the tensor."""
    self[...] = _clamp(self, min, max)
    return self


for _name, _prim in [("add_", "add_p"), ("sub_", "subtract_p"), ("mul_", "multiply_p"),
                     ("div_", "divide_p")]:
    setattr(Tensor, _name, _torch_inplace(_name, _prim))
Tensor.clamp = _clamp
Tensor.clamp_ = _clamp_


def _neg(self):
    """``-x`` (PyTorch's ``neg``)."""
    return -self


def _square(self):
    """``x * x`` (PyTorch's ``square``)."""
    return self * self


def _matmul(self, other):
    """``x @ other`` (PyTorch's ``matmul``)."""
    return self @ other


Tensor.neg = _neg
Tensor.square = _square
Tensor.matmul = _matmul


# object.__new__(Tensor) with its argument bound: what make_tensor allocates with
_new_tensor = functools.partial(_new, Tensor)
# the fields of a tensor (what Tensor(...) takes over from the tensor that tensor() makes)
_FIELDS = tuple(name for name in Tensor.__slots__ if name != "__weakref__")
engine.bind_tensor(Tensor, make_tensor, _refresh_view)

# The rule tables and the NumPy bridge are built on this module, so it cannot import them:
# ``chainrule.rules`` hands them over through connect() once its tables exist.  Until then
# only the methods that need no primitive work (the package's __init__ imports the rules, so
# users never see that state).
_R = _bridge = None


# ---------------------------------------------------------------------- operators
def _operand(prim, other, self):
    """The other operand of a Python operator, when it is not a tensor, float or int: lists
    become arrays, object arrays raise, and anything else that is not a number or array gives
    NotImplemented, so Python raises its usual TypeError ("unsupported operand type(s)")
    instead of NumPy making object arrays."""
    if isinstance(other, (list, tuple)):
        other = np.asarray(other)
    elif type(other) is _Size:
        other = int(other)      # a Python int, weak in NumPy's promotion (float32 stays)
    elif not isinstance(other, _OPERANDS):
        if not is_other(other):
            return NotImplemented
        other = wrap(other)         # array-API-only arrays are seen through APIArray
    if type(other) is np.ndarray and other.dtype.kind == "O":
        _object_operand(prim.name, (self, other))
    return other


def _binary(prim_name, reflected=False):
    prim = getattr(_R, prim_name)
    if reflected:
        def op(self, other):
            if other.__class__ not in _FAST_OPERANDS:
                other = _operand(prim, other, self)
                if other is NotImplemented:
                    return other
            return apply2(prim, other, self)
    else:
        def op(self, other):
            if other.__class__ not in _FAST_OPERANDS:
                other = _operand(prim, other, self)
                if other is NotImplemented:
                    return other
            return apply2(prim, self, other)
    op.__name__ = f"__{'r' if reflected else ''}{prim_name[:-2]}__"
    return op


def _inplace(prim_name):
    def op(self, other):
        return _inplace_op(self, getattr(_R, prim_name), other)
    return op


def connect(rules, bridge):
    """Give tensors their primitives (the ``rules`` package) and the NumPy ``bridge``, and
    install the Python operators, which are those primitives.  Called once, by
    ``chainrule.rules`` when its tables are complete."""
    global _R, _bridge
    _R, _bridge = rules, bridge
    for _name, _prim in [("add", "add_p"), ("sub", "subtract_p"), ("mul", "multiply_p"),
                         ("truediv", "divide_p"), ("floordiv", "floor_divide_p"),
                         ("mod", "mod_p"), ("pow", "power_p"), ("matmul", "matmul_p")]:
        setattr(Tensor, f"__{_name}__", _binary(_prim))
        setattr(Tensor, f"__r{_name}__", _binary(_prim, reflected=True))
        setattr(Tensor, f"__i{_name}__", _inplace(_prim))

    for _name, _prim in [("lt", "less_p"), ("le", "less_equal_p"), ("gt", "greater_p"),
                         ("ge", "greater_equal_p"), ("eq", "equal_p"), ("ne", "not_equal_p"),
                         ("and", "bitwise_and_p"), ("or", "bitwise_or_p"),
                         ("xor", "bitwise_xor_p")]:
        setattr(Tensor, f"__{_name}__", _binary(_prim))
    # & | ^ ~ are bitwise, as on ndarrays (the same as logical on bools; TypeError on floats)
    Tensor.__rand__ = _binary("bitwise_and_p", True)
    Tensor.__ror__ = _binary("bitwise_or_p", True)
    Tensor.__rxor__ = _binary("bitwise_xor_p", True)
    Tensor.__neg__ = lambda self: apply1(_R.negative_p, self)
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: apply1(_R.absolute_p, self)
    Tensor.__invert__ = lambda self: apply1(_R.invert_p, self)
    Tensor.__divmod__ = lambda self, other: (self // other, self % other)


# ---------------------------------------------------------------------- for other modules
# The public names the engine, the bridge, the transforms and the rules use (this module
# keeps its shorter private spellings inside).
refresh_view = _refresh_view
bad_operand = _bad_operand
object_operand = _object_operand
set_items = _setitem
seed = _seed
ones_like_raw = _ones_like_raw




# ---------------------------------------------------------------------- docstrings
# for the attributes that are attached above or defined without one (help(), the API site)
_DOCS = {
    "requires_grad": "Whether operations on this tensor are recorded for differentiation "
                     "(settable on a leaf: ``x.requires_grad = True``).",
    "is_leaf": "True for a tensor not computed from others that require grad (its "
               "``.grad`` is filled by ``backward()``).",
    "grad_fn": "The graph node that computed this tensor, or ``None`` for a leaf.",
    "shape": "The shape, a tuple of ints, as ``ndarray.shape``.",
    "dtype": "The NumPy dtype of the values.",
    "ndim": "The number of dimensions, as ``ndarray.ndim``.",
    "size": "The number of elements, as ``ndarray.size``.",
    "T": "The transpose (axes reversed), as ``ndarray.T``.",
    "mT": "The matrix transpose of the last two axes, as ``ndarray.mT``.",
    "real": "The real part, as ``np.real(x)``.",
    "imag": "The imaginary part, as ``np.imag(x)``.",
    "tolist": "The values as nested Python lists (numbers), outside any graph.",
    "copy": "A copy that takes part in the graph (its gradient flows back to this tensor).",
    "clone": "Same as :meth:`copy` (PyTorch's spelling).",
    "reshape": "The same values in a new shape (``x.reshape(2, 3)`` or "
               "``x.reshape((2, 3))``), as ``np.reshape``.",
    "transpose": "Axes reversed, or permuted as given (``x.transpose(1, 0, 2)``), as "
                 "``np.transpose``.",
    "flatten": "A 1-d copy of the values (``np.ravel(x).copy()``).",
    "exp": "``np.exp(x)``.", "log": "``np.log(x)``.", "abs": "``np.abs(x)``.",
    "sqrt": "``np.sqrt(x)``.", "sin": "``np.sin(x)``.", "cos": "``np.cos(x)``.",
    "tanh": "``np.tanh(x)``.",
    "numel": "The number of elements, an int (PyTorch's ``numel()``).",
    "dim": "The number of dimensions, an int (PyTorch's ``dim()``).",
    "pow": "``x ** exponent`` (PyTorch's ``pow``).",
}
for _name, _doc in _DOCS.items():
    _attr = Tensor.__dict__.get(_name)
    if _attr is not None and not getattr(_attr, "__doc__", None):
        _attr.__doc__ = _doc
