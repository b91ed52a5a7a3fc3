"""The test-table machinery: every primitive is checked against finite differences.

A table entry is ``Case(name, fun, args)`` where each arg is an :class:`Arg` that says the
domain of its values.  :func:`run_case` draws shapes (0-d, empty, broadcasting) and dtypes
(float32, float64) with hypothesis and checks, for each draw:

- ``cr.check_grads(fun, *args, modes=("fwd", "rev"), order=2)``;
- that forward mode with a *batch* of tangents (what ``jacfwd`` and ``hessian`` push) equals
  one JVP per tangent;
- that the value on tensors equals the value NumPy computes on plain arrays.

Every case whose function NumPy computes on complex input also draws complex64/complex128
arguments (real part as the ``Arg`` says, imaginary part in ``(ilo, ihi)``; ``complex=True``
or ``False`` overrides the check); ``check_grads`` then perturbs them in complex directions
and checks JAX's convention (SPEC section 5).  A function that NumPy computes on complex
input but chainrule refuses (``TypeError``) says so with ``complex=False`` and a test of
that error.
"""
from dataclasses import dataclass, field

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.transforms import _make_jvp


@dataclass
class Arg:
    """One argument: value range ``(lo, hi)``, and whether it may broadcast against others.

    ``shape`` fixes the shape (a tuple) or ties it to the drawn base shape (None).
    ``away`` keeps values at least that far from the points listed in ``avoid``
    (kinks, poles).
    """
    lo: float = -2.0
    hi: float = 2.0
    shape: tuple = None
    broadcast: bool = True
    avoid: tuple = ()
    away: float = 0.1
    integer: bool = False
    ilo: float = -1.0
    ihi: float = 1.0
    real: bool = False          # stays real when the case draws complex arguments
    hermitian: bool = False     # each matrix (last two axes) Hermitian: (x + x^H) / 2


def numpy_has(*names):
    """True when this NumPy has every function named (``"linalg.cross"``): the cases of
    functions newer than the oldest supported NumPy (2.0) are left out on older ones."""
    def has(name):
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part, None)
        return obj is not None
    return all(has(n) for n in names)


@dataclass
class Case:
    name: str
    fun: object
    args: list = field(default_factory=lambda: [Arg()])
    min_dims: int = 0
    max_dims: int = 3
    allow_empty: bool = True
    modes: tuple = ("fwd", "rev")
    order: int = 2
    float32: bool = True
    complex: bool = None        # None: when NumPy computes the function on complex input
    rtol: float = None
    atol: float = None

    def __str__(self):
        return self.name


def _values(rng, arg, shape, dtype):
    x = rng.uniform(arg.lo, arg.hi, size=shape)
    for p in arg.avoid:
        close = np.abs(x - p) < arg.away
        x = np.where(close, p + np.where(x >= p, arg.away, -arg.away) * 1.5, x)
    if arg.integer:
        return np.round(x).astype(np.int64)
    if np.dtype(dtype).kind == "c":
        if arg.real:
            return x.astype(np.float32 if dtype == np.complex64 else np.float64)
        x = x + 1j * rng.uniform(arg.ilo, arg.ihi, size=shape)
    if arg.hermitian:
        x = (x + np.conj(np.swapaxes(x, -1, -2))) / 2
    return x.astype(dtype)


@st.composite
def draws(draw, case):
    """(args, dtype) for one example of ``case``."""
    dtypes = [np.float64, np.float32] if case.float32 else [np.float64]
    if takes_complex(case):
        dtypes += [np.complex128, np.complex64] if case.float32 else [np.complex128]
    dtype = draw(st.sampled_from(dtypes))
    nd = draw(st.integers(case.min_dims, case.max_dims))
    lo = 0 if case.allow_empty else 1
    base = tuple(draw(st.lists(st.integers(lo, 3), min_size=nd, max_size=nd)))
    if case.allow_empty and 0 in base and draw(st.booleans()):
        pass  # keep the empty shape sometimes
    elif 0 in base:
        base = tuple(max(1, b) for b in base)
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    args = []
    for a in case.args:
        if a.shape is not None:
            shape = a.shape
        elif a.broadcast and len(case.args) > 1 and base:
            # drop some leading dims and set some dims to 1: still broadcasts to base
            drop = draw(st.integers(0, len(base)))
            shape = tuple(1 if draw(st.booleans()) and n != 0 else n for n in base[drop:])
        else:
            shape = base
        args.append(_values(rng, a, shape, dtype))
    return args, dtype


def check_value(fun, args):
    """The function gives NumPy's value when run on tensors."""
    expect = fun(*[np.asarray(a) for a in args])
    got = fun(*[cr.tensor(a) for a in args])
    got = got.numpy() if isinstance(got, cr.Tensor) else np.asarray(got)
    np.testing.assert_allclose(got, np.asarray(expect), rtol=1e-6, atol=1e-6)
    assert got.dtype == np.asarray(expect).dtype, (got.dtype, np.asarray(expect).dtype)


def check_batched_jvp(fun, args, rtol=1e-6, atol=1e-6, batch=2, seed=0):
    """A batch of tangents pushed at once equals one JVP per tangent."""
    rng = np.random.default_rng(seed)
    floats = [i for i, a in enumerate(args) if np.issubdtype(np.asarray(a).dtype, np.inexact)]
    for i in floats:
        dt = np.asarray(args[i]).dtype
        tb = rng.standard_normal((batch,) + np.shape(args[i]))
        if dt.kind == "c":
            tb = tb + 1j * rng.standard_normal(tb.shape)
        tb = tb.astype(dt)

        def f_i(x, i=i):
            full = list(args)
            full[i] = x
            return fun(*full)
        _, tan = _make_jvp(f_i, (args[i],), (tb,))
        tan = np.asarray(tan)
        for b in range(batch):
            _, one = _make_jvp(f_i, (args[i],), (tb[b],))
            np.testing.assert_allclose(tan[b], np.asarray(one), rtol=rtol, atol=atol,
                                       err_msg=f"batched JVP of argument {i}")


def fixed_draw(case, dtype=np.float64):
    """One deterministic draw for ``case`` (float64, or ``dtype``): arguments without a fixed
    shape share the base shape ``(3, 2, 4)[:nd]`` (no broadcasting, nothing empty)."""
    nd = max(case.min_dims, min(2, case.max_dims))
    base = (3, 2, 4)[:nd]
    rng = np.random.default_rng(0)
    return [_values(rng, a, a.shape if a.shape is not None else base, dtype)
            for a in case.args], dtype


_TAKES_COMPLEX = {}


def _numpy_takes_complex(case):
    key = id(case)
    if key not in _TAKES_COMPLEX:
        _TAKES_COMPLEX[key] = (case, _try_complex(case))
    return _TAKES_COMPLEX[key][1]


def _try_complex(case):
    args, _ = fixed_draw(case, np.complex128)
    if not any(np.asarray(a).dtype.kind == "c" for a in args):
        return False
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.fun(*[np.asarray(a) for a in args])
    except (TypeError, ValueError, NotImplementedError, np.exceptions.AxisError):
        return False
    return True


def takes_complex(case):
    """Whether ``case`` is checked on complex arguments too (see the module docstring)."""
    return case.complex if case.complex is not None else _numpy_takes_complex(case)


def run_case(case, data):
    """Body of a table-driven test: ``data`` is hypothesis' ``st.data()``."""
    args, dtype = data.draw(draws(case))
    check_case(case, args, dtype)


def check_case(case, args, dtype):
    """Every check of one table entry at one draw of its arguments."""
    check_value(case.fun, args)
    float_idx = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]

    def f(*xs):
        full = list(args)
        for i, x in zip(float_idx, xs):
            full[i] = x
        return case.fun(*full)
    fargs = [args[i] for i in float_idx]
    cr.check_grads(f, *fargs, modes=case.modes, order=case.order, rtol=case.rtol,
                   atol=case.atol)
    if "fwd" in case.modes:
        tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-7
        check_batched_jvp(f, fargs, rtol=tol, atol=tol)


def table_test(cases):
    """A pytest test function parametrized over ``cases`` (use as ``test_x = table_test(T)``)."""
    import pytest

    @pytest.mark.parametrize("case", cases, ids=str)
    @given(data=st.data())
    def test(case, data):
        run_case(case, data)
    return test
