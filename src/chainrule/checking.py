"""``check_grads``: compare derivatives with finite differences, in both modes, any order."""
import numpy as np

from .tensor import Tensor, plain

__all__ = ["check_grads"]


def _tols(dtype):
    return (2e-2, 2e-2) if dtype == np.float32 else (1e-5, 1e-5)


def _numeric_dir(fun, args, dirs, eps):
    """Central difference of ``fun`` along ``dirs``, evaluated in float64."""
    plus = [np.asarray(a, dtype=np.float64) + eps * d for a, d in zip(args, dirs)]
    minus = [np.asarray(a, dtype=np.float64) - eps * d for a, d in zip(args, dirs)]
    return (_plain(fun(*plus)) - _plain(fun(*minus))) / (2 * eps)


def _plain(x):
    return np.asarray(plain(x) if isinstance(x, Tensor) else x, dtype=np.float64)


def _inner(a, b):
    return float(np.sum(_plain(a) * _plain(b)))


def _random_like(x, rng):
    return rng.standard_normal(np.shape(x))


def _cast_args(args):
    out = []
    for a in args:
        a = plain(a) if isinstance(a, Tensor) else np.asarray(a)
        if not np.issubdtype(a.dtype, np.inexact):
            raise TypeError(f"check_grads needs floating point arguments, got {a.dtype}; pass "
                            "floats, e.g. np.asarray(x, dtype=float)")
        out.append(a)
    return out


def check_grads(fun, *args, modes=("fwd", "rev"), order=2, eps=None, rtol=None, atol=None,
                seed=0):
    """Check the derivatives of ``fun`` at ``args`` against finite differences.

    For each mode, the directional derivative along a random direction (forward mode: the
    JVP; reverse mode: the VJP contracted with the direction) must match a central
    difference; then, up to ``order``, the same check runs on the derivative function itself.
    Raises ``AssertionError`` that says which mode, order and argument differ, and by how much.

    >>> import numpy as np, chainrule as cr
    >>> cr.check_grads(np.sin, np.array([0.5, 1.0]))
    """
    from .transforms import checked_outputs, jvp, vjp
    if not callable(fun):
        raise TypeError(f"check_grads needs a function, got {type(fun).__name__}")
    if isinstance(modes, str):
        raise TypeError(f"modes must be a tuple such as ('fwd', 'rev'), not the string {modes!r}")
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"order must be a positive int, not {order!r}")
    if not args:
        raise TypeError("check_grads needs at least one argument to differentiate at")
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ValueError(f"modes must contain 'fwd' and/or 'rev', not {m!r}")
    args = _cast_args(args)
    checked_outputs(fun(*args), fun)           # numbers, or a TypeError that says what came back
    rng = np.random.default_rng(seed)
    dtype = np.result_type(*args)
    r_tol, a_tol = _tols(dtype)
    rtol = r_tol if rtol is None else rtol
    atol = a_tol if atol is None else atol
    if eps is None:
        eps = 1e-3 if dtype == np.float32 else 1e-6
    dirs = [_random_like(a, rng) for a in args]
    num = _numeric_dir(fun, args, dirs, eps)
    if "fwd" in modes:
        _, tan = jvp(fun, tuple(args), tuple(d.astype(a.dtype) for a, d in zip(args, dirs)))
        _compare(tan, num, rtol, atol, "forward mode (jvp)", order)
        if order > 1:
            def fwd_deriv(*xs):
                return jvp(fun, tuple(xs), tuple(d.astype(a.dtype) for a, d in zip(args, dirs)))[1]
            check_grads(fwd_deriv, *args, modes=modes, order=order - 1, eps=eps, rtol=rtol,
                        atol=atol, seed=seed + 1)
    if "rev" in modes:
        out, pullback = vjp(fun, *args)
        out_arr = plain(out) if isinstance(out, Tensor) else np.asarray(out)
        ct = _random_like(out_arr, rng).astype(out_arr.dtype)
        gs = pullback(ct)
        for a, g in zip(args, gs):
            ga = plain(g) if isinstance(g, Tensor) else np.asarray(g)
            if ga.shape != a.shape:
                raise AssertionError(f"reverse mode: gradient shape {ga.shape} != input shape "
                                     f"{a.shape}")
            if ga.dtype != a.dtype:
                raise AssertionError(f"reverse mode: gradient dtype {ga.dtype} != input dtype "
                                     f"{a.dtype}")
        analytic = sum(_inner(g, d) for g, d in zip(gs, dirs))
        _compare(analytic, _inner(num, ct), rtol, atol, "reverse mode (vjp)", order)
        if order > 1:
            # the next order checks the gradients contracted with fixed random weights
            ws = [_random_like(a, rng) for a in args]

            def rev_deriv(*xs):
                gs = vjp(fun, *xs)[1](ct)
                return sum(np.sum(g * w) for g, w in zip(gs, ws))
            check_grads(rev_deriv, *args, modes=modes, order=order - 1, eps=eps, rtol=rtol,
                        atol=atol, seed=seed + 2)


def _compare(analytic, numeric, rtol, atol, what, order):
    a = _plain(analytic)
    n = _plain(numeric)
    if a.shape != n.shape:
        raise AssertionError(f"{what}: derivative shape {a.shape} != numeric shape {n.shape}")
    if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
        diff = np.abs(a - n)
        worst = np.unravel_index(np.argmax(np.where(np.isnan(diff), np.inf, diff)), diff.shape) \
            if diff.ndim else ()
        raise AssertionError(
            f"{what} disagrees with finite differences (checking to order {order}):\n"
            f"  derivative: {a}\n  numeric:    {n}\n  largest difference {np.nanmax(diff)} "
            f"at index {worst}")
