"""``check_grads``: compare derivatives with finite differences, in both modes, any order."""
from __future__ import annotations

import numpy as np
from typing import Any, Callable, Optional, Sequence

from .tensor import Tensor, plain

__all__ = ["check_grads"]


def _single(dtype):
    return dtype in (np.float32, np.complex64)


def _tols(dtype):
    return (2e-2, 2e-2) if _single(dtype) else (1e-5, 1e-5)


def _wide(a):
    """``a`` in double precision: float64, or complex128 for complex ``a``."""
    a = np.asarray(a)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _numeric_dir(fun, args, dirs, eps):
    """Central differences of ``fun``'s outputs (a list, one per leaf of its result) along
    ``dirs``, evaluated in double precision (complex arguments move along complex
    directions: real and imaginary parts at once)."""
    from .transforms import flatten_tree
    plus = flatten_tree(fun(*[_wide(a) + eps * d for a, d in zip(args, dirs)]))[0]
    minus = flatten_tree(fun(*[_wide(a) - eps * d for a, d in zip(args, dirs)]))[0]
    return [(_plain(p) - _plain(m)) / (2 * eps) for p, m in zip(plus, minus)]


def _plain(x):
    return _wide(plain(x) if isinstance(x, Tensor) else x)


def _inner(a, b):
    """The real pairing ``Re sum(a * b)`` under which, in JAX's convention, a cotangent
    ``ct`` of ``z`` acts on a tangent ``t`` of ``z`` (for real arrays the dot product)."""
    return float(np.real(np.sum(_plain(a) * _plain(b))))


def _random_like(x, rng):
    """A standard normal draw shaped like ``x``; complex (both parts drawn) for complex ``x``."""
    shape = np.shape(x)
    if np.asarray(x).dtype.kind == "c":
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def _cast_args(args):
    out = []
    for a in args:
        a = plain(a) if isinstance(a, Tensor) else np.asarray(a)
        if not np.issubdtype(a.dtype, np.inexact):
            raise TypeError(f"check_grads needs floating point arguments, got {a.dtype}; pass "
                            "floats, e.g. np.asarray(x, dtype=float)")
        out.append(a)
    return out


def check_grads(fun: Callable[..., Any], *args: Any, modes: Sequence[str] = ("fwd", "rev"),
                order: int = 2, eps: Optional[float] = None, rtol: Optional[float] = None,
                atol: Optional[float] = None, seed: int = 0) -> None:
    """Check the derivatives of ``fun`` at ``args`` against finite differences.

    ``args`` and the result may be (nested) tuples, lists and dicts of arrays.  For each
    mode, the directional derivative along a random direction (forward mode: the
    JVP; reverse mode: the VJP contracted with the direction) must match a central
    difference; then, up to ``order``, the same check runs on the derivative function itself.
    Raises ``AssertionError`` that says which mode, order and argument differ, and by how much.
    Complex arguments are perturbed in complex directions (real and imaginary parts), and
    reverse mode is checked in JAX's convention (``grad = df/dx - i df/dy`` for real ``f``);
    a real output must have a real forward-mode tangent.

    Examples
    --------
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
    from .transforms import flatten_tree
    leaves, build = flatten_tree(list(args))
    leaves = _cast_args(leaves)

    def flat_fun(*xs):          # the function of the leaves of its (nested) arguments
        return fun(*build(list(xs)))
    checked_outputs(flat_fun(*leaves), fun)     # numbers, or a TypeError that says what came back
    rng = np.random.default_rng(seed)
    dtype = np.result_type(*leaves)
    r_tol, a_tol = _tols(dtype)
    rtol = r_tol if rtol is None else rtol
    atol = a_tol if atol is None else atol
    if eps is None:
        eps = 1e-3 if _single(dtype) else 1e-6
    dirs = [_random_like(a, rng) for a in leaves]
    num = _numeric_dir(flat_fun, leaves, dirs, eps)
    if "fwd" in modes:
        _, tan = jvp(flat_fun, tuple(leaves), tuple(d.astype(a.dtype) for a, d in
                                                     zip(leaves, dirs)))
        tans = flatten_tree(tan)[0]
        if len(tans) != len(num):
            raise AssertionError(f"forward mode (jvp): {len(tans)} tangents for {len(num)} "
                                 "outputs")
        for t, n in zip(tans, num):
            if _plain(t).dtype.kind == "c" and n.dtype.kind != "c":
                raise AssertionError(f"forward mode (jvp): the output is real but its tangent "
                                     f"is complex ({_plain(t).dtype}): a real output's tangent "
                                     "must be real")
            _compare(t, n, rtol, atol, "forward mode (jvp)", order)
        if order > 1:
            def fwd_deriv(*xs):
                return jvp(flat_fun, tuple(xs), tuple(d.astype(a.dtype) for a, d in
                                                      zip(leaves, dirs)))[1]
            check_grads(fwd_deriv, *leaves, modes=modes, order=order - 1, eps=eps, rtol=rtol,
                        atol=atol, seed=seed + 1)
    if "rev" in modes:
        out, pullback = vjp(flat_fun, *leaves)
        outs, out_build = flatten_tree(out)
        cts = []
        for o in outs:
            arr = plain(o) if isinstance(o, Tensor) else np.asarray(o)
            cts.append(_random_like(arr, rng).astype(arr.dtype))
        ct = out_build(cts)
        gs = pullback(ct)
        for a, g in zip(leaves, gs):
            ga = plain(g) if isinstance(g, Tensor) else np.asarray(g)
            if ga.shape != a.shape:
                raise AssertionError(f"reverse mode: gradient shape {ga.shape} != input shape "
                                     f"{a.shape}")
            if ga.dtype != a.dtype:
                raise AssertionError(f"reverse mode: gradient dtype {ga.dtype} != input dtype "
                                     f"{a.dtype}")
        analytic = sum(_inner(g, d) for g, d in zip(gs, dirs))
        _compare(analytic, sum(_inner(n, c) for n, c in zip(num, cts)), rtol, atol,
                 "reverse mode (vjp)", order)
        if order > 1:
            # the next order checks the gradients contracted with fixed random weights
            ws = [_random_like(a, rng) for a in leaves]

            def rev_deriv(*xs):
                gs = vjp(flat_fun, *xs)[1](ct)
                return sum(np.sum(g * w) for g, w in zip(gs, ws))
            check_grads(rev_deriv, *leaves, modes=modes, order=order - 1, eps=eps, rtol=rtol,
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
