"""Lists of tensors as arrays: what ``chainrule.numpy`` adds to NumPy's functions.

NumPy turns a Python list argument into an ndarray itself (``np.asarray``), where a tensor
inside the list has no say; only some functions (``concatenate``, ``stack``, ...) look inside
their sequence argument for ``__array_function__``.  :func:`wrap` gives a NumPy function a
front that builds such lists differentiably first (``cr.tensor``'s nested build), so
``np.mean([x, x + 2])`` keeps its gradient; arguments without a list pass straight through.
"""
import functools

from ..tensor import Tensor, tensor

__all__ = ["contains_tensor", "as_array", "wrap", "namespace", "SEQUENCE_FUNCTIONS",
           "STRUCTURE_FUNCTIONS"]

# Functions whose first argument is a sequence of arrays that NumPy's dispatch already looks
# into (their parts may differ in shape, so the sequence is not one array): only the parts
# that are themselves lists of tensors are built.
SEQUENCE_FUNCTIONS = frozenset({
    "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack",
    "choose", "select", "lexsort", "multi_dot", "concat",
})
# Functions whose nested lists are structure, not arrays (NumPy's dispatch sees the tensors
# at any depth): left as NumPy's.
STRUCTURE_FUNCTIONS = frozenset({"block"})


def contains_tensor(x):
    """True when ``x`` is a tensor or a (nested) list or tuple holding one."""
    if isinstance(x, Tensor):
        return True
    if type(x) in (list, tuple):
        return any(contains_tensor(d) for d in x)
    return False


def as_array(x):
    """``x`` itself, or, for a list or tuple that holds tensors, the tensor built from it
    differentiably (as ``cr.tensor([...])``)."""
    if type(x) in (list, tuple) and contains_tensor(x):
        return tensor(x)
    return x


def _as_parts(seq):
    if type(seq) in (list, tuple):
        return type(seq)(as_array(p) for p in seq)
    return seq


def wrap(fn, name=None):
    """``fn`` with its list-of-tensor arguments built into tensors first (for a function in
    :data:`SEQUENCE_FUNCTIONS`, the parts of its first argument)."""
    name = name or fn.__name__
    convert = _as_parts if name in SEQUENCE_FUNCTIONS else as_array

    @functools.wraps(fn)
    def call(*args, **kwargs):
        for a in args:
            if type(a) in (list, tuple):
                args = (convert(args[0]),) + tuple(as_array(b) for b in args[1:])
                break
        if kwargs:
            for k, v in kwargs.items():
                if type(v) in (list, tuple):
                    kwargs = {k: as_array(v) for k, v in kwargs.items()}
                    break
        return fn(*args, **kwargs)
    call.__wrapped_numpy__ = fn
    return call


def namespace(module, skip=()):
    """The public names of NumPy's ``module``: its dispatched functions wrapped by
    :func:`wrap`, everything else (ufuncs, types, constants) the same object."""
    import numpy
    dispatched = type(numpy.mean)
    out = {}
    for name, obj in vars(module).items():
        if name.startswith("__") or name in skip:
            continue
        wrapped = type(obj) is dispatched and name not in STRUCTURE_FUNCTIONS
        out[name] = wrap(obj, name) if wrapped else obj
    return out
