"""Bad input, clear error: hypothesis drives the public API with wrong types, wrong shapes,
non-finite values, object and string data, zero-size arrays and huge ranks.

Every call must either give the right answer or raise one of the documented exceptions
(``TypeError``, ``ValueError`` and its subclasses ``AxisError`` and ``LinAlgError``,
``RuntimeError``, ``FloatingPointError``) with a message. Indexing may also raise
``IndexError``, and only where NumPy raises it for the same index. Never an internal
``AttributeError``/``IndexError``/``KeyError``/``UnboundLocalError``/``RecursionError``, never
a hang, never a wrong number.

"The right answer" is checked against an oracle: NumPy's own result on plain arrays for
values (same value, NaN where NumPy has NaN, same dtype), counting for the gradient of
indexing, closed forms for the transforms, and forward mode against reverse mode (the
dot-product test ``<u, J v> == <J^T u, v>``) for reductions and shape methods.
"""
import contextlib
import math
import operator
import os
import signal
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

AxisError = np.exceptions.AxisError
DOCUMENTED = (TypeError, ValueError, RuntimeError, FloatingPointError)   # AxisError, LinAlgError
INTERNAL = (AttributeError, KeyError, UnboundLocalError, RecursionError, NameError,
            AssertionError)
MAXDIMS = 64 if int(np.__version__.split(".")[0]) >= 2 else 32

# more examples than the table tests (each one is a few cheap calls); for a deeper search,
# CHAINRULE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
FUZZ = settings(max_examples=int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "0"))
                or settings().max_examples * 4)


# ---------------------------------------------------------------------- harness
@contextlib.contextmanager
def _watchdog(seconds=20):
    """Turn a hang into a failure (where SIGALRM exists), and keep NumPy's warnings quiet."""
    def alarm(signum, frame):
        raise TimeoutError(f"the call took more than {seconds} s: a hang")
    has_alarm = hasattr(signal, "SIGALRM")
    if has_alarm:
        old = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                yield
    finally:
        if has_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


class Raised:
    def __init__(self, exc):
        self.exc = exc

    def __repr__(self):
        return f"Raised({type(self.exc).__name__}: {self.exc})"


def attempt(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or :class:`Raised` with the exception."""
    with _watchdog():
        try:
            return fn(*args, **kwargs)
        except TimeoutError:
            raise
        except Exception as e:          # noqa: BLE001  (classified by check_error)
            return Raised(e)


def check_error(res, numpy_res=None):
    """``res`` is a :class:`Raised` with a documented exception and a message."""
    e = res.exc
    assert not isinstance(e, INTERNAL), f"internal error: {res!r}"
    numpy_exc = numpy_res.exc if isinstance(numpy_res, Raised) else None
    if isinstance(e, ArithmeticError) and not isinstance(e, FloatingPointError):
        assert type(e) is type(numpy_exc), f"{res!r} where NumPy gives {numpy_res!r}"
    elif isinstance(e, IndexError) and not isinstance(e, AxisError):
        assert isinstance(numpy_exc, IndexError), \
            f"IndexError where NumPy gives {numpy_res!r}: {res!r}"
    else:
        assert isinstance(e, DOCUMENTED), f"undocumented exception: {res!r}"
    assert str(e).strip(), f"exception without a message: {res!r}"


def plain(x):
    return x.numpy() if isinstance(x, cr.Tensor) else x


def answered_as_numpy(res, ref):
    """False when chainrule raised (then checked against NumPy's outcome); True when both
    gave a value (NumPy raising where chainrule answered fails the test)."""
    if isinstance(res, Raised):
        check_error(res, ref)
        return False
    assert not isinstance(ref, Raised), f"NumPy raises {ref!r} but chainrule gave {res!r}"
    return True


def backward_of_sum(res):
    """Run ``res.sum().backward()``; False (after checking the error) if it raised."""
    out = attempt(lambda: res.sum().backward())
    if isinstance(out, Raised):
        check_error(out)
        return False
    return True


def same_value(ours, theirs, dtype=True):
    """Ours equals NumPy's: the same numbers (NaN where NumPy has NaN) and the same dtype."""
    assert isinstance(ours, cr.Tensor), f"expected a tensor, got {type(ours).__name__}"
    a, b = ours.numpy(), np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    if dtype:
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=1e-6 if a.dtype.itemsize <= 8 else 1e-12,
                                   atol=0, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- strategies
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-38]
float_elements = st.one_of(st.floats(-10, 10, width=32), st.sampled_from(SPECIAL))
small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
huge_ranks = st.integers(MAXDIMS - 31, MAXDIMS).map(lambda k: (1,) * k)
shapes = st.one_of(small_shapes, small_shapes, small_shapes, huge_ranks)
float_dtypes = st.sampled_from([np.float64, np.float32])


def float_arrays(shape=shapes, dtype=float_dtypes):
    return hnp.arrays(dtype, shape, elements=float_elements)


other_arrays = st.one_of(
    float_arrays(),
    hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8]), small_shapes,
               elements=st.integers(-3, 3).filter(lambda v: v >= 0) if False else
               st.integers(0, 3)),
    hnp.arrays(np.bool_, small_shapes),
    hnp.arrays(np.complex128, small_shapes, elements=st.complex_numbers(max_magnitude=10)),
    hnp.arrays(np.dtype("U2"), small_shapes),
    hnp.arrays(object, small_shapes, elements=st.sampled_from([None, 1.0, "a"])),
)


class _Opaque:
    def __repr__(self):
        return "<opaque>"


bad_scalars = st.sampled_from([
    None, "a", b"x", _Opaque(), {}, {"a": 1.0}, set(), [1.0, "a"], [[1.0], [1.0, 2.0]], [], (),
    1j, True, 3, -2, 2.5, np.nan, np.inf, Ellipsis, slice(None), print,
])
anything = st.one_of(other_arrays, bad_scalars, st.floats(allow_nan=True),
                     st.lists(st.floats(-5, 5), max_size=4))


# ---------------------------------------------------------------------- cr.tensor
@FUZZ
@given(data=st.one_of(anything, float_arrays()),
       dtype=st.sampled_from([None, None, np.float64, np.float32, np.int64, np.bool_,
                              np.complex64, str, object, "foo", 3]),
       requires_grad=st.booleans())
def test_tensor_construction(data, dtype, requires_grad):
    res = attempt(cr.tensor, data, dtype=dtype, requires_grad=requires_grad)
    ref = attempt(lambda: np.array(data, dtype=dtype))
    note(f"ours {res!r}, numpy {ref!r}")
    if isinstance(res, Raised):
        check_error(res, ref)
        return
    assert not isinstance(ref, Raised), f"NumPy refuses this data but chainrule took it: {ref!r}"
    assert ref.dtype.kind in "biufc", "a tensor of non-numbers was made"
    same_value(res, ref)
    assert res.requires_grad == requires_grad
    if requires_grad:
        assert ref.dtype.kind in "fc"


# ---------------------------------------------------------------------- operators
BINARY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
    "<": operator.lt, "==": operator.eq, "&": operator.and_,
}
SMOOTH = {"+", "-", "*", "/", "**"}


def _fd_elementwise(op, a, b, eps=1e-6):
    """d sum(op(a, b)) / da for an elementwise ``op``, by central differences in float64."""
    a = a.astype(np.float64)
    fd = (op(a + eps, b) - op(a - eps, b)) / (2 * eps)
    fd = fd + np.zeros_like(a)          # (np.broadcast_shapes stops at 32 dims)
    extra = fd.ndim - a.ndim
    fd = fd.sum(axis=tuple(range(extra))) if extra else fd
    axes = tuple(i for i, n in enumerate(a.shape) if n == 1 and fd.shape[i] != 1)
    return fd.sum(axis=axes, keepdims=True) if axes else fd


@FUZZ
@given(x=float_arrays(), other=st.one_of(anything, float_arrays()),
       name=st.sampled_from(sorted(BINARY)), reflected=st.booleans(),
       requires_grad=st.booleans())
def test_binary_operators(x, other, name, reflected, requires_grad):
    op = BINARY[name]
    t = cr.tensor(x, requires_grad=requires_grad)
    call = (lambda a, b: op(b, a)) if reflected else op
    res = attempt(call, t, other)
    ref = attempt(call, x, other)
    note(f"ours {res!r}, numpy {ref!r}")
    if not answered_as_numpy(res, ref):
        return
    if not isinstance(res, cr.Tensor):
        # Python answered without us (str % tensor formats, string == tensor compares ids)
        assert isinstance(other, (str, bytes)) or name == "==", (res, ref)
        np.testing.assert_array_equal(res, ref)
        return
    same_value(res, ref)
    if not (requires_grad and res.requires_grad):
        return
    if not backward_of_sum(res):
        return
    g = t.grad.numpy()
    assert g.shape == x.shape and g.dtype == x.dtype
    # the derivative against central differences, where everything is finite and smooth
    o = np.asarray(other)
    if (name in SMOOTH and not reflected and o.dtype.kind in "f" and x.dtype == np.float64
            and np.all(np.isfinite(x)) and np.all(np.isfinite(o)) and np.all(np.abs(x) < 20)
            and np.all(np.abs(o) < 20) and np.all(np.abs(o) > 0.1) and np.all(x > 0.1)):
        with _watchdog():
            fd = _fd_elementwise(op, x, o)
        assume(np.all(np.isfinite(fd)) and np.all(np.abs(fd) < 1e6))
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5)


UNARY = {"neg": operator.neg, "abs": abs, "pos": operator.pos, "not": operator.invert,
         "float": float, "int": int, "bool": bool, "len": len, "iter": list}


@FUZZ
@given(x=st.one_of(float_arrays(), other_arrays.filter(lambda a: a.dtype.kind in "biufc")),
       name=st.sampled_from(sorted(UNARY)))
def test_unary_operators_and_conversions(x, name):
    op = UNARY[name]
    res = attempt(op, cr.tensor(x))
    # float(), int(), bool() of any one-element tensor are its value (as in PyTorch; NumPy 2
    # takes only 0-d arrays for float and int)
    ref = attempt(op, x.reshape(()) if name in ("float", "int", "bool") and x.size == 1 else x)
    if name == "pos" and x.dtype == np.bool_:
        ref = x                     # +x is x (NumPy refuses np.positive of bools)
    note(f"ours {res!r}, numpy {ref!r}")
    if isinstance(res, Raised):
        check_error(res, ref)
        return
    if isinstance(ref, Raised):
        pytest.fail(f"NumPy raises {ref!r} but chainrule gave {res!r}")
    if isinstance(res, cr.Tensor):
        same_value(res, ref)
    elif name == "iter":
        assert len(res) == len(ref)
        for r, e in zip(res, ref):
            same_value(r, e)
    else:
        assert res == ref or (res != res and ref != ref), (res, ref)   # NaN == NaN here


# ---------------------------------------------------------------------- indexing
def _bad_indices(shape):
    n = len(shape)
    return st.one_of(
        st.integers(-5, 5),
        st.tuples(*[st.integers(-4, 4)] * min(n + 1, 3)),
        st.sampled_from([1.5, "a", None, Ellipsis, (None, Ellipsis, None), (Ellipsis, Ellipsis),
                         [True], [0, 0, 1], [[0], [1]], [], slice(None, None, -1), (slice(5),),
                         slice(0, 10, 2)]),
        hnp.arrays(np.bool_, st.sampled_from([shape, shape[:1], (4,), ()])),
        hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
                   elements=st.integers(-4, 4)),
    )


@st.composite
def indexing_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    idx = draw(st.one_of(hnp.basic_indices(shape, allow_newaxis=True),
                         hnp.integer_array_indices(shape) if len(shape) and all(shape)
                         else hnp.basic_indices(shape),
                         _bad_indices(shape)))
    return shape, idx


@FUZZ
@given(case=indexing_cases(), as_tensor_index=st.booleans())
def test_indexing(case, as_tensor_index):
    shape, idx = case
    x = np.arange(int(np.prod(shape)), dtype=float).reshape(shape) + 0.5
    t = cr.tensor(x, requires_grad=True)
    tidx = idx
    if as_tensor_index and isinstance(idx, np.ndarray):
        tidx = cr.tensor(idx)
    res = attempt(lambda: t[tidx])
    ref = attempt(lambda: x[idx])
    note(f"index {idx!r}: ours {res!r}, numpy {ref!r}")
    if not answered_as_numpy(res, ref):
        return
    same_value(res, ref)
    if not backward_of_sum(res):
        return
    # d sum(x[idx]) / dx counts how often each element was picked
    pos = np.arange(x.size).reshape(shape)[idx]
    expect = np.bincount(np.ravel(pos), minlength=x.size).reshape(shape).astype(float)
    np.testing.assert_array_equal(t.grad.numpy(), expect)


@FUZZ
@given(case=indexing_cases(), value=st.one_of(st.floats(-3, 3), float_arrays(small_shapes),
                                              bad_scalars))
def test_setitem(case, value):
    shape, idx = case
    x = np.arange(int(np.prod(shape)), dtype=float).reshape(shape)
    leaf = cr.tensor(x, requires_grad=True)
    res = attempt(lambda: _assign(leaf * 1.0, idx, value))
    ref = attempt(lambda: _assign(x.copy(), idx, value))
    note(f"index {idx!r} value {value!r}: ours {res!r}, numpy {ref!r}")
    if not answered_as_numpy(res, ref):
        return
    same_value(res, ref)
    if not backward_of_sum(res):
        return
    # the old values that were overwritten get no gradient, the others get 1
    kept = np.ones(shape)
    kept[idx] = 0.0
    np.testing.assert_array_equal(leaf.grad.numpy(), kept)


def _assign(y, idx, value):
    y[idx] = value
    return y


# ---------------------------------------------------------------------- methods
axes = st.one_of(st.none(), st.integers(-4, 3), st.tuples(st.integers(-3, 3)),
                 st.tuples(st.integers(-3, 3), st.integers(-3, 3)),
                 st.sampled_from(["a", 1.5, (0, "a"), [0]]))
METHODS = {
    "sum": (st.fixed_dictionaries({"axis": axes, "keepdims": st.booleans()}), np.sum),
    "mean": (st.fixed_dictionaries({"axis": axes}), np.mean),
    "prod": (st.fixed_dictionaries({"axis": axes}), np.prod),
    "max": (st.fixed_dictionaries({"axis": axes, "keepdims": st.booleans()}), np.max),
    "min": (st.fixed_dictionaries({"axis": axes}), np.min),
    "argmax": (st.fixed_dictionaries({"axis": st.one_of(st.none(), st.integers(-3, 3))}),
               np.argmax),
    "var": (st.fixed_dictionaries({"axis": axes, "ddof": st.integers(0, 3)}), np.var),
    "std": (st.fixed_dictionaries({"axis": axes, "ddof": st.integers(0, 3)}), np.std),
    "cumsum": (st.fixed_dictionaries({"axis": st.one_of(st.none(), st.integers(-3, 3))}),
               np.cumsum),
    "reshape": (st.fixed_dictionaries({"shape": st.one_of(
        st.tuples(), st.tuples(st.integers(-2, 6)), st.tuples(st.integers(-1, 4),
                                                               st.integers(-1, 4)),
        st.sampled_from(["a", None, 2.5]))}), np.reshape),
    "transpose": (st.fixed_dictionaries({"axes": st.one_of(
        st.none(), st.permutations([0, 1]), st.permutations([0, 1, 2]),
        st.tuples(st.integers(-3, 3)), st.just((0, 0)))}), np.transpose),
    "squeeze": (st.fixed_dictionaries({"axis": axes}), np.squeeze),
    "clip": (st.fixed_dictionaries({"a_min": st.one_of(st.none(), st.floats(-2, 0)),
                                    "a_max": st.one_of(st.none(), st.floats(0, 2))}),
             np.clip),
    "norm": (st.fixed_dictionaries({"ord": st.sampled_from([None, 1, 2, np.inf, "fro", 0.5]),
                                    "axis": st.one_of(st.none(), st.integers(-2, 1))}),
             np.linalg.norm),
    "ravel": (st.fixed_dictionaries({}), np.ravel),
    "all": (st.fixed_dictionaries({"axis": axes}), np.all),
    "astype": (st.fixed_dictionaries({"dtype": st.sampled_from(
        [np.float32, np.float64, np.int64, np.bool_, np.complex128, str, object, "foo"])}),
        lambda a, dtype: a.astype(dtype)),
}


def _dot_test(fun, x, seed=0):
    """``<u, J v>`` by forward mode equals ``<J^T u, v>`` by reverse mode."""
    rng = np.random.default_rng(seed)
    res = attempt(cr.vjp, fun, x)
    if isinstance(res, Raised):
        return check_error(res)
    out, pullback = res
    out = np.asarray(out)
    if out.dtype.kind != "f" or not np.all(np.isfinite(out)):
        return
    u = rng.standard_normal(out.shape).astype(out.dtype)
    v = rng.standard_normal(x.shape).astype(x.dtype)
    gx = attempt(pullback, u)
    jv = attempt(cr.jvp, fun, (x,), (v,))
    for r in (gx, jv):
        if isinstance(r, Raised):
            return check_error(r)
    gx, jv = np.asarray(gx[0]), np.asarray(jv[1])
    assert gx.shape == x.shape and gx.dtype == x.dtype, (gx.shape, gx.dtype)
    assert jv.shape == out.shape, (jv.shape, out.shape)
    if np.all(np.isfinite(gx)) and np.all(np.isfinite(jv)):
        lhs, rhs = float(np.sum(u * jv)), float(np.sum(gx * v))
        tol = 1e-3 if np.float32 in (x.dtype, out.dtype) else 1e-9
        assert abs(lhs - rhs) <= tol * (1 + abs(lhs) + abs(rhs)), (lhs, rhs)


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(METHODS)),
       x=float_arrays(st.one_of(small_shapes, small_shapes, huge_ranks)))
def test_methods(data, name, x):
    kwargs_strategy, np_fun = METHODS[name]
    kwargs = data.draw(kwargs_strategy)
    method = lambda a: getattr(a, name)(**kwargs)  # noqa: E731
    reference = lambda a: np_fun(a, **kwargs)  # noqa: E731
    res = attempt(method, cr.tensor(x, requires_grad=True))
    ref = attempt(reference, x)
    note(f"{name}({kwargs}): ours {res!r}, numpy {ref!r}")
    if isinstance(res, Raised):
        check_error(res, ref)
        return
    if isinstance(ref, Raised):
        # chainrule also takes axes as lists: then the answer must be NumPy's for the tuple
        lenient = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        ref = attempt(lambda a: np_fun(a, **lenient), x)
    assert not isinstance(ref, Raised), f"NumPy raises {ref!r} but chainrule gave {res!r}"
    same_value(res, np.asarray(ref))
    if np.all(np.abs(np.nan_to_num(x.astype(np.float64))) < 1e3) and np.all(np.isfinite(x)):
        _dot_test(method, x)


# ---------------------------------------------------------------------- NumPy functions
FUNCTIONS = {
    "concatenate": lambda a, b: np.concatenate([a, b]),
    "concatenate axis": lambda a, b: np.concatenate([a, b], axis=-1),
    "stack": lambda a, b: np.stack([a, b]),
    "where": lambda a, b: np.where(a > 0, a, b),
    "dot": np.dot, "outer": np.outer, "inner": np.inner, "matmul": np.matmul,
    "einsum": lambda a, b: np.einsum("i,i->", a, b),
    "maximum": np.maximum, "arctan2": np.arctan2, "hypot": np.hypot, "power": np.power,
    "logaddexp": np.logaddexp, "divide": np.divide, "subtract": np.subtract,
    "inv": lambda a, b: np.linalg.inv(a), "det": lambda a, b: np.linalg.det(a),
    "solve": np.linalg.solve, "slogdet": lambda a, b: np.linalg.slogdet(a)[1],
    "pinv": lambda a, b: np.linalg.pinv(a), "eigh": lambda a, b: np.linalg.eigh(a)[0],
    "norm": lambda a, b: np.linalg.norm(a), "clip": lambda a, b: np.clip(a, b, None),
    "reshape like": lambda a, b: np.reshape(a, np.shape(b)),
    "broadcast_to": lambda a, b: np.broadcast_to(a, np.shape(b)),
    "tensordot": lambda a, b: np.tensordot(a, b, axes=1),
    "kron": np.kron, "cross": np.cross, "trace": lambda a, b: np.trace(a),
    "cumprod": lambda a, b: np.cumprod(a), "sort": lambda a, b: np.sort(a),
    "diff": lambda a, b: np.diff(a), "flip": lambda a, b: np.flip(a),
    "pad": lambda a, b: np.pad(a, 1), "tile": lambda a, b: np.tile(a, 2),
}
finite_arrays = hnp.arrays(float_dtypes, small_shapes, elements=st.floats(-10, 10, width=32))
NEEDS_FLOAT = {"inv", "det", "solve", "slogdet", "pinv", "eigh"}


@FUZZ
@given(name=st.sampled_from(sorted(FUNCTIONS)), a=finite_arrays,   # (BLAS may drop NaN * 0)
       b=st.one_of(finite_arrays, other_arrays, bad_scalars),
       b_is_tensor=st.booleans())
def test_numpy_functions_on_tensors(name, a, b, b_is_tensor):
    fun = FUNCTIONS[name]
    ta = cr.tensor(a, requires_grad=True)
    tb = b
    if b_is_tensor and isinstance(b, np.ndarray) and b.dtype.kind in "biufc":
        tb = cr.tensor(b, requires_grad=b.dtype.kind in "fc")
    res = attempt(fun, ta, tb)
    ref = attempt(fun, a, b)
    note(f"{name}: ours {res!r}, numpy {ref!r}")
    if isinstance(res, Raised):
        check_error(res, ref)
        return
    if isinstance(ref, Raised) and "up to 32 dimensions" in str(ref.exc):
        return                  # some NumPy functions stop at 32 dimensions; we do not
    assert not isinstance(ref, Raised), f"NumPy raises {ref!r} but chainrule gave {res!r}"
    if name in NEEDS_FLOAT and np.asarray(ref).dtype != np.asarray(res.numpy()).dtype:
        assume(False)   # NumPy's linalg computes float32 in float64: values differ
    # a Python number or list as operand: NumPy's non-ufunc functions make it a strong-typed
    # array first (1j: complex128), the handlers pass it to ufuncs as a weak scalar
    # (complex64 with float32); only the dtype differs, so compare values then
    same_value(res, ref, dtype=isinstance(b, np.ndarray))
    if res.requires_grad and res.dtype.kind == "f":
        out = attempt(lambda: res.sum().backward())
        if isinstance(out, Raised):
            check_error(out)
            return
        assert ta.grad is None or (ta.grad.shape == a.shape and ta.grad.dtype == a.dtype)


@FUZZ
@given(x=float_arrays(small_shapes), other=st.one_of(anything, float_arrays(small_shapes)),
       name=st.sampled_from(["+=", "-=", "*=", "/=", "**=", "//=", "%=", "@="]),
       leaf=st.booleans())
def test_inplace_operators(x, other, name, leaf):
    ops = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
           "/=": operator.itruediv, "**=": operator.ipow, "//=": operator.ifloordiv,
           "%=": operator.imod, "@=": operator.imatmul}
    op = ops[name]
    src = cr.tensor(x, requires_grad=True)

    def ours():
        if leaf:                                # a parameter update
            with cr.no_grad():
                return op(src, other)
        return op(src * 1.0, other)
    res = attempt(ours)
    ref = attempt(lambda: op(x.copy(), other))
    note(f"{name}: ours {res!r}, numpy {ref!r}")
    if not answered_as_numpy(res, ref):
        return
    same_value(res, ref)


# ---------------------------------------------------------------------- backward
@FUZZ
@given(x=float_arrays(small_shapes), gradient=st.one_of(anything, float_arrays(small_shapes)),
       retain_graph=st.booleans(), create_graph=st.booleans())
def test_backward_with_any_gradient(x, gradient, retain_graph, create_graph):
    t = cr.tensor(x, requires_grad=True)
    with _watchdog():
        y = t * 3.0
    res = attempt(y.backward, gradient=gradient, retain_graph=retain_graph,
                  create_graph=create_graph)
    g = np.asarray(gradient) if not isinstance(gradient, (list, tuple)) else None
    note(f"ours {res!r}")
    if isinstance(res, Raised):
        check_error(res)
        ok_kind = g is not None and g.dtype.kind in ("biuf" if x.dtype.kind == "f" else "biufc")
        assert not (ok_kind and g.shape == x.shape), f"a valid gradient= was refused: {res!r}"
        return
    seed = np.ones_like(x) if gradient is None else np.asarray(gradient, dtype=x.dtype)
    with _watchdog():
        expect = seed * x.dtype.type(3.0)
    got = t.grad.numpy()
    assert got.shape == x.shape and got.dtype == x.dtype
    np.testing.assert_array_equal(got, expect)


# ---------------------------------------------------------------------- transforms
leaf_values = st.one_of(
    float_arrays(), st.floats(allow_nan=True, allow_infinity=True), bad_scalars,
    other_arrays)
trees = st.recursive(leaf_values, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.tuples(kids, kids),
    st.dictionaries(st.sampled_from("abc"), kids, max_size=2)), max_leaves=4)
argnums_values = st.one_of(st.integers(-3, 3), st.tuples(st.integers(-3, 3)),
                           st.sampled_from([(0, 1), (), (0, 0), None, "a", 1.5, True, [0]]))


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [tree]


def _sum_squares(*args):
    """sum over every leaf of sum(leaf ** 2): its gradient is 2 * leaf, leaf by leaf."""
    total = 0.0
    for leaf in _leaves(list(args)):
        total = total + np.sum(leaf * leaf)
    return total


def _is_float_leaf(v):
    """Float (or complex: the holomorphic derivative, as JAX's holomorphic=True)."""
    kind = np.asarray(v).dtype.kind if not isinstance(v, (list, tuple, dict)) else "O"
    return kind in "fc" or (isinstance(v, float))


def _check_tree_grad(g, tree):
    if isinstance(tree, dict):
        assert isinstance(g, dict) and set(g) == set(tree)
        for k in tree:
            _check_tree_grad(g[k], tree[k])
    elif isinstance(tree, (list, tuple)):
        assert isinstance(g, type(tree)) and len(g) == len(tree), (type(g), g)
        for gi, ti in zip(g, tree):
            _check_tree_grad(gi, ti)
    else:
        arr = np.asarray(tree)
        got = np.asarray(g)
        assert got.shape == arr.shape and got.dtype == arr.dtype, (got.shape, got.dtype)
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(got, 2 * arr)


@FUZZ
@given(args=st.lists(trees, min_size=0, max_size=3), argnums=argnums_values)
def test_grad_of_pytrees_with_any_leaves(args, argnums):
    res = attempt(cr.grad(_sum_squares, argnums=argnums), *args)
    note(f"args {args!r}, argnums {argnums!r}: {res!r}")
    if isinstance(res, Raised):
        check_error(res)
        return
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    assert not isinstance(argnums, bool)
    for a in nums:
        assert all(_is_float_leaf(v) for v in _leaves(args[a])), "a non-float input was taken"
    if isinstance(argnums, int):
        _check_tree_grad(res, args[argnums])
    else:
        assert isinstance(res, tuple) and len(res) == len(nums)
        for g, a in zip(res, nums):
            _check_tree_grad(g, args[a])


def _bad_fun(kind):
    return {
        "None": lambda x: None, "str": lambda x: "a", "const": lambda x: 3.0,
        "int": lambda x: 3, "list": lambda x: [x, x], "tuple": lambda x: (x, 1.0),
        "dict": lambda x: {"a": x}, "complex": lambda x: x * 1j, "bool": lambda x: x > 0,
        "object": lambda x: np.array([None]), "strarr": lambda x: np.array(["a"]),
        "raise": lambda x: np.reshape(x, (7, 11)), "vector": lambda x: x * 2.0,
        "scalar": lambda x: np.sum(x * x), "empty": lambda x: np.zeros(0),
    }[kind]


TRANSFORMS = {
    "grad": lambda f, x: cr.grad(f)(x),
    "value_and_grad": lambda f, x: cr.value_and_grad(f)(x),
    "elementwise_grad": lambda f, x: cr.elementwise_grad(f)(x),
    "jacfwd": lambda f, x: cr.jacfwd(f)(x),
    "jacrev": lambda f, x: cr.jacrev(f)(x),
    "jacobian": lambda f, x: cr.jacobian(f)(x),
    "hessian": lambda f, x: cr.hessian(f)(x),
    "jvp": lambda f, x: cr.jvp(f, (x,), (np.ones_like(x),)),
    "vjp": lambda f, x: cr.vjp(f, x)[1](f(np.asarray(x))),
    "hvp": lambda f, x: cr.hvp(f, x, np.ones_like(x)),
    "check_grads": lambda f, x: cr.check_grads(f, x, order=1),
}


@FUZZ
@given(transform=st.sampled_from(sorted(TRANSFORMS)),
       kind=st.sampled_from(["None", "str", "const", "int", "list", "tuple", "dict",
                             "complex", "bool", "object", "strarr", "raise", "vector",
                             "scalar", "empty"]),
       x=float_arrays(small_shapes, st.just(np.float64)))
def test_transforms_of_odd_functions(transform, kind, x):
    f = _bad_fun(kind)
    res = attempt(TRANSFORMS[transform], f, x)
    note(f"{transform} of {kind}: {res!r}")
    if isinstance(res, Raised) and transform == "check_grads" and isinstance(
            res.exc, AssertionError) and "finite differences" in str(res.exc):
        return                  # check_grads' documented answer: the derivatives differ
    if isinstance(res, Raised):
        check_error(res)
        assert kind not in ("scalar",) or transform not in ("grad", "value_and_grad", "hvp",
                                                            "hessian"), res
        return
    # what came back is right
    if kind in ("const", "int", "bool") and transform in ("grad", "elementwise_grad"):
        np.testing.assert_array_equal(res, np.zeros_like(x))
    if kind == "scalar" and transform == "grad":
        np.testing.assert_array_equal(res, 2 * x)
    if kind == "vector" and transform in ("jacfwd", "jacrev", "jacobian"):
        np.testing.assert_array_equal(res, 2.0 * np.eye(x.size).reshape(x.shape + x.shape))
    assert not (kind in ("None", "str", "object", "strarr")), f"{kind} output accepted: {res!r}"


@FUZZ
@given(primals=st.lists(leaf_values, min_size=0, max_size=2),
       tangents=st.lists(leaf_values, min_size=0, max_size=2))
def test_jvp_with_any_primals_and_tangents(primals, tangents):
    res = attempt(cr.jvp, _sum_squares, tuple(primals), tuple(tangents))
    note(f"{res!r}")
    if isinstance(res, Raised):
        check_error(res)
        return
    out, tan = res
    ps, ts = _leaves(primals), _leaves(tangents)
    assert len(ps) == len(ts)
    assert all(_is_float_leaf(p) for p in ps), "a non-float primal was taken"
    with _watchdog():
        expect = sum(np.sum(np.asarray(p) * np.asarray(t, dtype=np.asarray(p).dtype)) * 2
                     for p, t in zip(ps, ts))
    np.testing.assert_allclose(tan, expect, rtol=1e-5, equal_nan=True)


@FUZZ
@given(x=float_arrays(small_shapes, st.just(np.float64)), ct=st.one_of(anything,
                                                                      float_arrays(small_shapes)))
def test_vjp_with_any_cotangent(x, ct):
    _, pullback = cr.vjp(lambda v: v * 2.0, x)
    res = attempt(pullback, ct)
    note(f"{res!r}")
    if isinstance(res, Raised):
        check_error(res)
        return
    (g,) = res
    np.testing.assert_array_equal(g, 2.0 * np.asarray(ct, dtype=np.float64))


# ---------------------------------------------------------------------- huge ranks
@pytest.mark.parametrize("rank", [MAXDIMS - 31, MAXDIMS - 1, MAXDIMS])
def test_huge_ranks(rank):
    x = np.full((1,) * rank, 1.5)
    f = lambda v: np.sum(np.sin(v) * v)  # noqa: E731
    expect = np.cos(x) * x + np.sin(x)
    with _watchdog():
        np.testing.assert_allclose(cr.grad(f)(x), expect)
        t = cr.tensor(x, requires_grad=True)
        f(t).backward()
        np.testing.assert_allclose(t.grad.numpy(), expect)
        np.testing.assert_allclose(cr.jvp(f, (x,), (np.ones_like(x),))[1], expect.sum())
        for jac in (cr.jacfwd, cr.jacrev, cr.jacobian, cr.hessian):
            fun = (lambda v: np.sin(v) * v) if jac is not cr.hessian else f
            try:
                J = jac(fun)(x)
            except ValueError as e:
                assert 2 * rank > MAXDIMS and "dimensions" in str(e), e
            else:
                assert J.ndim == 2 * rank and J.size == 1


# ---------------------------------------------------------------------- non-finite entries
# Functions written term by term as NumPy computes them must put NaN and infinities where
# NumPy does (np.cross once multiplied NaN by the zeros of the Levi-Civita symbol and gave
# [nan, nan, nan] for NumPy's [0, -0, nan]).  Draws lean on 0, +-0, inf and NaN, where such
# bugs live, so the CI profile finds them too.
special_floats = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -2.0, np.inf, -np.inf, np.nan]),
                           st.floats(-1e3, 1e3))
# 3-vectors, alone or in batches that broadcast against each other (NumPy 2.5 refuses
# 2-vectors: tests/test_versions.py checks that chainrule does as the installed NumPy there)
vector_batches = st.integers(1, 3).flatmap(
    lambda n: st.tuples(*[st.sampled_from([(), (1,), (n,)])] * 2))


@st.composite
def vector_pairs(draw):
    batch_a, batch_b = draw(vector_batches)
    return tuple(draw(hnp.arrays(np.float64, batch + (3,), elements=special_floats))
                 for batch in (batch_a, batch_b))


@FUZZ
@given(ab=vector_pairs())
def test_cross_on_non_finite_entries_matches_numpy(ab):
    a, b = ab
    with _watchdog(), np.errstate(all="ignore"):
        ref = np.cross(a, b)
        got = np.cross(cr.tensor(a), cr.tensor(b)).numpy()
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))


# ---------------------------------------------------------------------- 0-d results
ZERO_D = {
    "sum": lambda x: x.sum(), "mean": lambda x: np.mean(x), "max": lambda x: np.max(x),
    "prod": lambda x: np.prod(x), "norm": lambda x: np.linalg.norm(x),
    "dot": lambda x: np.dot(x.ravel(), x.ravel()), "first": lambda x: x.ravel()[0],
    "add.reduce": lambda x: np.add.reduce(x.ravel()), "var": lambda x: np.var(x),
}
finite_arrays = hnp.arrays(float_dtypes, hnp.array_shapes(min_dims=0, max_dims=2, min_side=1,
                                                          max_side=3),
                           elements=st.floats(-3, 3, width=32))


@FUZZ
@given(x=finite_arrays, name=st.sampled_from(sorted(ZERO_D)), requires_grad=st.booleans())
def test_0d_results_behave_as_0d_arrays(x, name, requires_grad):
    """Every 0-d result converts like a 0-d ndarray once detached (or when it never needed a
    gradient), its ``.numpy()`` is a 0-d ndarray, and logging it is silent."""
    f = ZERO_D[name]
    t = cr.tensor(x, requires_grad=requires_grad)
    with _watchdog():
        res, ref = f(t), f(x)
    assert res.shape == ()
    assert np.array([res.detach()] * 2).shape == (2,)       # a list of logged losses
    for arr in (np.asarray(res.detach()), res.numpy(), np.array(res.detach())):
        assert type(arr) is np.ndarray and arr.shape == () and arr.dtype == np.asarray(ref).dtype
        np.testing.assert_allclose(arr, ref, rtol=1e-5)
    if not requires_grad:
        np.testing.assert_allclose(np.asarray(res), ref, rtol=1e-5)
    else:
        with pytest.raises(TypeError, match=r"item\(\)"):
            np.asarray(res)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert res.item() == pytest.approx(float(ref), rel=1e-5)


# ---------------------------------------------------------------------- in-place on 0-d
INPLACE = {"+=": (operator.iadd, operator.add), "-=": (operator.isub, operator.sub),
           "*=": (operator.imul, operator.mul), "/=": (operator.itruediv, operator.truediv)}


@FUZZ
@given(x=finite_arrays, name=st.sampled_from(sorted(ZERO_D)),
       steps=st.lists(st.tuples(st.sampled_from(sorted(INPLACE)),
                                st.one_of(st.floats(0.5, 2.0), st.just("x0"))),
                      min_size=1, max_size=4),
       where=st.sampled_from(["result", "element", "out"]),
       mode=st.sampled_from(["tensor", "grad", "hessian"]))
def test_inplace_arithmetic_on_0d_values(x, name, steps, where, mode):
    """``s op= v`` on a 0-d result, on a 0-d element (``y[0] op= v``) and into a 0-d
    ``out=``: the value and the gradient equal the out-of-place program's."""
    def program(t, inplace):
        s = ZERO_D[name](t)
        if where == "out":
            o = np.zeros_like(s)
            s = np.multiply(s, 1.0, out=o) if inplace else s * 1.0
        y = t.ravel() * 1.0
        for op_name, v in steps:
            iop, op = INPLACE[op_name]
            v = t.ravel()[0] if v == "x0" else v
            if where != "element":
                s = iop(s, v) if inplace else op(s, v)
            elif inplace:
                e = y[0]                 # what Python runs for y[0] op= v
                y[0] = iop(e, v)
            else:
                y = np.concatenate([op(y[:1], v), y[1:]])
        return s + y.sum()
    if mode != "tensor":                # the same inside transforms (0-d values at levels)
        tr = cr.grad if mode == "grad" else cr.hessian
        with _watchdog():
            a = tr(lambda v: program(v, True))(x.astype(np.float64))
            b = tr(lambda v: program(v, False))(x.astype(np.float64))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
        return
    with _watchdog():
        ta, tb = (cr.tensor(x.astype(np.float64), requires_grad=True) for _ in range(2))
        a, b = program(ta, True), program(tb, False)
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-9, equal_nan=True)
        a.backward()
        b.backward()
    np.testing.assert_allclose(ta.grad.numpy(), tb.grad.numpy(), rtol=1e-9, atol=1e-12,
                               equal_nan=True)


# ---------------------------------------------------------------------- conversions
CONVERSIONS = {"float": float, "int": int, "complex": complex, "math.exp": math.exp,
               "math.sqrt": lambda v: math.sqrt(abs(v)), "math.tanh": math.tanh,
               "np.float64": np.float64, "np.float32": np.float32}
IN_TRANSFORMS = {"grad": lambda f, x: cr.grad(lambda x: f(x).sum())(x),
              "jvp": lambda f, x: cr.jvp(f, (x,), (np.ones_like(x),)),
              "jacrev": lambda f, x: cr.jacrev(f)(x), "jacfwd": lambda f, x: cr.jacfwd(f)(x),
              "hessian": lambda f, x: cr.hessian(lambda x: f(x).sum())(x),
              "vjp": lambda f, x: cr.vjp(f, x)}


@FUZZ
@given(x=finite_arrays, conv=st.sampled_from(sorted(CONVERSIONS)),
       transform=st.sampled_from(sorted(IN_TRANSFORMS)), name=st.sampled_from(sorted(ZERO_D)),
       constant=st.booleans())
def test_scalar_conversions_inside_transforms(x, conv, transform, name, constant):
    """Inside any transform, turning a traced value into a Python number raises a TypeError
    that says what to use instead; turning a constant (an index, a count) into one runs."""
    c = CONVERSIONS[conv]

    def f(t):
        if constant:
            return t * np.real(c(np.argmax(t)))
        return t * c(ZERO_D[name](t))
    res = attempt(IN_TRANSFORMS[transform], f, x.astype(np.float64))
    note(repr(res))
    if constant:
        assert not isinstance(res, Raised), res
    else:
        assert isinstance(res, Raised) and isinstance(res.exc, TypeError), res
        assert "np.exp" in str(res.exc) and "differentiating" in str(res.exc)


# ---------------------------------------------------------------------- degenerate matrices
@st.composite
def degenerate_matrices(draw):
    """(kind, matrix): a singular matrix of random rank, a symmetric matrix with repeated
    eigenvalues, or a matrix with repeated singular values (random orthogonal factors)."""
    n = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    kind = draw(st.sampled_from(["singular", "repeated_eigenvalues", "repeated_singular"]))
    q1, _ = np.linalg.qr(rng.normal(size=(n, n)))
    q2, _ = np.linalg.qr(rng.normal(size=(n, n)))
    if kind == "singular":
        rank = draw(st.integers(0, n - 1))
        a = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, n))
        if draw(st.booleans()):
            a = np.round(a)          # exact zeros in the determinant, as in [[1, 2], [2, 4]]
        return kind, a
    levels = draw(st.lists(st.sampled_from([-1.0, 1.0, 2.0]), min_size=n, max_size=n))
    if kind == "repeated_eigenvalues":
        return kind, q1 @ np.diag(levels) @ q1.T
    return kind, q1 @ np.diag(np.abs(levels) + 1) @ q2


def _cofactors(a):
    n = a.shape[0]
    c = np.ones((n, n))
    for i in range(n):
        for j in range(n):
            if n > 1:
                c[i, j] = (-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
    return c


@FUZZ
@given(case=degenerate_matrices())
def test_degenerate_matrices(case):
    """Derivatives that exist at degenerate matrices come out finite and right: det's
    cofactors at singular matrices (both modes), sums of eigenvalues (the identity) and of
    singular values (the polar factor U V^T) where they repeat."""
    kind, a = case
    note(repr(a))
    t = np.random.default_rng(1).normal(size=a.shape)
    if kind == "singular":
        g = cr.grad(np.linalg.det)(a)
        np.testing.assert_allclose(g, _cofactors(a), atol=1e-8)
        _, jt = cr.jvp(np.linalg.det, (a,), (t,))
        assert jt == pytest.approx(np.sum(g * t), abs=1e-8)
    elif kind == "repeated_eigenvalues":
        g = cr.grad(lambda m: np.linalg.eigvalsh(m).sum())(a)
        np.testing.assert_allclose(g, np.eye(len(a)), atol=1e-8)
        _, jt = cr.jvp(lambda m: np.linalg.eigvalsh(m).sum(), (a,), (t + t.T,))
        assert jt == pytest.approx(np.trace(t + t.T), abs=1e-8)
    else:
        g = cr.grad(lambda m: np.linalg.svd(m)[1].sum())(a)
        u, _, vh = np.linalg.svd(a)
        np.testing.assert_allclose(g, u @ vh, atol=1e-8)
        _, jt = cr.jvp(lambda m: np.linalg.svd(m)[1].sum(), (a,), (t,))
        assert jt == pytest.approx(np.sum(g * t), abs=1e-8)
