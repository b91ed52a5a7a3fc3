"""``chainrule.array_api``: the array API standard's namespace for tensors.

``Tensor.__array_namespace__()`` returns this module, so array-API-aware code (SciPy with
``SCIPY_ARRAY_API=1``; scikit-learn's ``array_api_dispatch`` finds it too) runs on tensors
and is differentiated.  Every function is the standard's, computed with the NumPy
function of the same meaning, which NumPy hands to chainrule for tensors; plain results
(``zeros``, ``arange``, ...) come back as tensors.  What chainrule has no derivative rule
for raises ``TypeError`` when a gradient would flow through it, as anywhere else.

>>> import numpy as np, chainrule as cr
>>> x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> xp = x.__array_namespace__()
>>> y = xp.sum(xp.exp(x) / xp.sum(xp.exp(x)) * xp.arange(3.0))
>>> y.backward()
>>> x.grad.shape
(3,)
"""
import functools
import types
from collections import namedtuple

import numpy as np

from .tensor import Tensor, make_tensor, tensor

__array_api_version__ = "2024.12"

# constants and data types (NumPy's dtypes compare equal to a tensor's .dtype)
e, inf, nan, pi, newaxis = np.e, np.inf, np.nan, np.pi, None
bool = np.bool_                                             # noqa: A001
int8, int16, int32, int64 = np.int8, np.int16, np.int32, np.int64
uint8, uint16, uint32, uint64 = np.uint8, np.uint16, np.uint32, np.uint64
float32, float64, complex64, complex128 = np.float32, np.float64, np.complex64, np.complex128


def _tensors(res):
    """Plain NumPy results as (constant) tensors; tuples and named tuples element by element."""
    if isinstance(res, Tensor):
        return res
    if isinstance(res, (np.ndarray, np.generic)):
        return make_tensor(np.asarray(res), None, 0, None)
    if isinstance(res, tuple):
        items = [_tensors(r) for r in res]
        return type(res)(*items) if hasattr(res, "_fields") else tuple(items)
    if isinstance(res, list):
        return [_tensors(r) for r in res]
    return res


def _tensorized(fn, name=None):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        return _tensors(fn(*args, **kwargs))
    run.__name__ = name or getattr(fn, "__name__", "function")
    run.__doc__ = f"The array API's ``{run.__name__}`` on tensors (NumPy's, differentiated)."
    return run


# functions whose NumPy spelling takes the standard's arguments as they are
_SAME = """
abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_invert
bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign cos cosh divide equal exp
expm1 floor floor_divide greater greater_equal hypot imag isfinite isinf isnan less
less_equal log log1p log2 log10 logaddexp logical_and logical_not logical_or logical_xor
maximum minimum multiply negative nextafter not_equal positive pow real reciprocal remainder
round sign signbit sin sinh sqrt square subtract tan tanh trunc
all any argmax argmin count_nonzero diff max mean min prod sum
broadcast_to concat expand_dims flip moveaxis permute_dims repeat roll squeeze stack tile
unstack matmul tensordot take take_along_axis where nonzero searchsorted isin
arange empty empty_like eye full full_like linspace meshgrid ones ones_like tril triu zeros
zeros_like from_dlpack broadcast_arrays broadcast_shapes can_cast finfo iinfo isdtype
result_type
""".split()

for _name in _SAME:
    _fn = getattr(np, _name, None)
    if _fn is not None:
        globals()[_name] = _tensorized(_fn, _name)


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    """A tensor of ``obj``; a tensor given as it is (same graph) unless a copy or cast is asked."""
    if isinstance(obj, Tensor):
        out = obj if dtype is None else obj.astype(dtype)
        return out.copy() if copy and out is obj else out
    return tensor(obj, dtype=dtype)


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` cast to ``dtype`` (a float cast keeps the gradient)."""
    if not copy and x.dtype == np.dtype(dtype):
        return x
    return x.astype(dtype)


def reshape(x, /, shape, *, copy=None):
    return np.reshape(x, tuple(shape))


def matrix_transpose(x, /):
    return np.swapaxes(x, -1, -2)


def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)``."""
    return np.sum(np.conj(x1) * x2, axis=axis)


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    return np.std(x, axis=axis, ddof=correction, keepdims=keepdims)


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    return np.var(x, axis=axis, ddof=correction, keepdims=keepdims)


def _cumulative(np_fn, start):
    def run(x, /, *, axis=None, dtype=None, include_initial=False):
        if axis is None:
            if np.ndim(x) > 1:
                raise ValueError("axis is required for arrays of more than one dimension")
            axis = 0
        if dtype is not None:
            x = x.astype(dtype)
        out = np_fn(x, axis=axis)
        if include_initial:
            shape = list(np.shape(out))
            shape[axis] = 1
            out = np.concatenate([np.full_like(out, start, shape=tuple(shape)), out], axis=axis)
        return _tensors(out)
    return run


cumulative_sum = _cumulative(np.cumsum, 0)
cumulative_prod = _cumulative(np.cumprod, 1)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    out = np.sort(x, axis=axis)
    return np.flip(out, axis=axis) if descending else out


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    if descending:      # stable and descending: sort the reversed array, then map back
        n = np.shape(x)[axis]
        return _tensors(n - 1 - np.flip(np.argsort(np.flip(x, axis=axis), axis=axis,
                                                   kind="stable"), axis=axis))
    return _tensors(np.argsort(x, axis=axis, kind="stable"))


UniqueAllResult = namedtuple("UniqueAllResult", "values indices inverse_indices counts")
UniqueCountsResult = namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = namedtuple("UniqueInverseResult", "values inverse_indices")


def unique_values(x, /):
    return _tensors(np.unique(np.reshape(x, (-1,))))


def unique_counts(x, /):
    v, c = np.unique(np.reshape(x, (-1,)), return_counts=True)
    return _tensors(UniqueCountsResult(v, c))


def unique_inverse(x, /):
    v, i = np.unique(np.reshape(x, (-1,)), return_inverse=True)
    return _tensors(UniqueInverseResult(v, np.reshape(i, np.shape(x))))


def unique_all(x, /):
    v, first, inv, c = np.unique(np.reshape(x, (-1,)), return_index=True,
                                 return_inverse=True, return_counts=True)
    return _tensors(UniqueAllResult(v, first, np.reshape(inv, np.shape(x)), c))


def __array_namespace_info__():
    """What this namespace supports (NumPy's answers: tensors live where NumPy's arrays do)."""
    return np.__array_namespace_info__()


def _extension(module, names):
    ns = types.SimpleNamespace()
    for n in names:
        fn = getattr(module, n, None)
        if fn is not None:
            setattr(ns, n, _tensorized(fn, n))
    return ns


linalg = _extension(np.linalg, """
cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power matrix_rank
matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace vecdot vector_norm
""".split())
fft = _extension(np.fft, """
fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift ifftshift
""".split())

del _name, _fn
