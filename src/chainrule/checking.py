"""``check_grads``: compare derivatives with finite differences, in both modes, any order."""
from __future__ import annotations

import numpy as np
from typing import Any, Callable, Optional, Sequence

from .arrays import as_array, constant_like
from .tensor import Tensor, plain

__all__ = ["check_grads"]


def _single(dtype):
    return dtype in (np.float32, np.complex64)


def _tols(dtype):
    return (2e-2, 2e-2) if _single(dtype) else (1e-5, 1e-5)


def _wide(a):
    """``a`` in double precision: float64, or complex128 for complex ``a``."""
    a = as_array(a)         # a CuPy or Dask array is checked in its own library
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
    """A standard normal draw shaped like ``x``, in ``x``'s library; complex (both parts drawn)
    for complex ``x``."""
    shape = np.shape(x)
    if as_array(x).dtype.kind == "c":
        return constant_like(rng.standard_normal(shape) + 1j * rng.standard_normal(shape), x)
    return constant_like(rng.standard_normal(shape), x)


def _cast_args(args):
    out = []
    for a in args:
        a = plain(a) if isinstance(a, Tensor) else as_array(a)
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
    Complex arguments are perturbed in complex directions (real and imaginary parts), and
    reverse mode is checked in JAX's convention (``grad = df/dx - i df/dy`` for real ``f``);
    a real output must have a real forward-mode tangent.

    Raises ``AssertionError`` that names the mode (forward/reverse, and for a higher order
    the chain of modes), the order of the derivative, the argument that disagrees (its
    position and, in a nested argument, its path such as ``argument 1 ['w'][0]``) and the
    largest absolute and relative errors.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> cr.check_grads(np.sin, np.array([0.5, 1.0]))
    """
    from .pytree import tree_paths
    from .transforms import checked_outputs, flatten_tree
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
    leaves, build = flatten_tree(list(args))
    names = []
    for path in tree_paths(list(args)):
        index, _, rest = path[1:].partition("]")
        names.append(f"argument {index}" + (f" {rest}" if rest else ""))

    def flat_fun(*xs):          # the function of the leaves of its (nested) arguments
        return fun(*build(list(xs)))
    checked_outputs(flat_fun(*_cast_args(leaves)), fun)  # numbers, or a TypeError saying what
    _check(flat_fun, leaves, names, tuple(modes), order, eps, rtol, atol, seed, ())


_MODE_NAMES = {"fwd": "forward mode (jvp)", "rev": "reverse mode (vjp)"}


def _describe(chain):
    """``'reverse mode (vjp) of the forward-mode derivative, order 2'`` for a chain of modes."""
    text = _MODE_NAMES[chain[-1]]
    for m in reversed(chain[:-1]):
        text += f" of the {'forward' if m == 'fwd' else 'reverse'}-mode derivative"
    return f"{text}, order {len(chain)}"


def _check(flat_fun, leaves, names, modes, order, eps, rtol, atol, seed, chain):
    """One order of :func:`check_grads` on the function of the flat ``leaves``; ``chain`` is
    the modes of the derivatives taken so far (empty at the first order)."""
    from .transforms import flatten_tree, jvp, vjp
    leaves = _cast_args(leaves)
    rng = np.random.default_rng(seed)
    dtype = np.result_type(*leaves)
    r_tol, a_tol = _tols(dtype)
    rtol = r_tol if rtol is None else rtol
    atol = a_tol if atol is None else atol
    if eps is None:
        eps = 1e-3 if _single(dtype) else 1e-6
    dirs = [_random_like(a, rng) for a in leaves]
    num = _numeric_dir(flat_fun, leaves, dirs, eps)

    def tangents(ds):
        return flatten_tree(jvp(flat_fun, tuple(leaves), tuple(
            d.astype(a.dtype) for a, d in zip(leaves, ds)))[1])[0]

    def only(i):               # the directions with every argument but ``i`` held still
        return [d if j == i else np.zeros_like(d) for j, d in enumerate(dirs)]

    if "fwd" in modes:
        what = _describe(chain + ("fwd",))
        tans = tangents(dirs)
        if len(tans) != len(num):
            raise AssertionError(f"{what}: {len(tans)} tangents for {len(num)} outputs")
        for k, (t, n) in enumerate(zip(tans, num)):
            if _plain(t).dtype.kind == "c" and n.dtype.kind != "c":
                raise AssertionError(f"{what}: the output is real but its tangent is complex "
                                     f"({_plain(t).dtype}): a real output's tangent must be "
                                     "real")
            if not _close(t, n, rtol, atol):
                per_arg = [(names[i], tangents(only(i))[k],
                            _numeric_dir(flat_fun, leaves, only(i), eps)[k])
                           for i in range(len(leaves))]
                _fail(what, k, len(num), t, n, per_arg, rtol, atol)
        if order > 1:
            def fwd_deriv(*xs):
                return jvp(flat_fun, tuple(xs), tuple(d.astype(a.dtype) for a, d in
                                                      zip(leaves, dirs)))[1]
            _check(fwd_deriv, leaves, names, modes, order - 1, eps, rtol, atol, seed + 1,
                   chain + ("fwd",))
    if "rev" in modes:
        what = _describe(chain + ("rev",))
        out, pullback = vjp(flat_fun, *leaves)
        outs, out_build = flatten_tree(out)
        cts = []
        for o in outs:
            arr = plain(o) if isinstance(o, Tensor) else as_array(o)
            cts.append(_random_like(arr, rng).astype(arr.dtype))
        ct = out_build(cts)
        gs = pullback(ct)
        for name, a, g in zip(names, leaves, gs):
            ga = plain(g) if isinstance(g, Tensor) else as_array(g)
            if ga.shape != a.shape:
                raise AssertionError(f"{what}: the gradient of {name} has shape {ga.shape}, "
                                     f"the argument {a.shape}")
            if ga.dtype != a.dtype:
                raise AssertionError(f"{what}: the gradient of {name} has dtype {ga.dtype}, "
                                     f"the argument {a.dtype}")
        analytic = sum(_inner(g, d) for g, d in zip(gs, dirs))
        numeric = sum(_inner(n, c) for n, c in zip(num, cts))
        if not _close(analytic, numeric, rtol, atol):
            per_arg = [(names[i], _inner(gs[i], dirs[i]),
                        sum(_inner(n, c) for n, c in
                            zip(_numeric_dir(flat_fun, leaves, only(i), eps), cts)))
                       for i in range(len(leaves))]
            _fail(what, None, len(num), analytic, numeric, per_arg, rtol, atol)
        if order > 1:
            # the next order checks the gradients contracted with fixed random weights
            ws = [_random_like(a, rng) for a in leaves]

            def rev_deriv(*xs):
                gs = vjp(flat_fun, *xs)[1](ct)
                return sum(np.sum(g * w) for g, w in zip(gs, ws))
            _check(rev_deriv, leaves, names, modes, order - 1, eps, rtol, atol, seed + 2,
                   chain + ("rev",))


def _close(analytic, numeric, rtol, atol):
    a, n = _plain(analytic), _plain(numeric)
    return a.shape == n.shape and bool(np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True))


def _errors(analytic, numeric):
    """The largest absolute and relative differences, and the index of the largest."""
    a, n = _plain(analytic), _plain(numeric)
    diff = np.abs(a - n)
    diff = np.where(np.isnan(a) != np.isnan(n), np.inf, np.nan_to_num(diff, nan=0.0))
    if diff.size == 0:
        return 0.0, 0.0, ()
    rel = diff / np.maximum(np.abs(n), np.finfo(float).tiny)
    worst = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
    return float(np.max(diff)), float(np.max(rel)), worst


def _fail(what, k, n_out, analytic, numeric, per_arg, rtol, atol):
    """Raise the AssertionError of a failed check: which argument, mode, order, how far."""
    a, n = _plain(analytic), _plain(numeric)
    if a.shape != n.shape:
        raise AssertionError(f"{what}: derivative shape {a.shape} != numeric shape {n.shape}")
    bad = [(name, _errors(t, m)) for name, t, m in per_arg if not _close(t, m, rtol, atol)]
    where = ", ".join(name for name, _ in bad) if bad else \
        "the arguments together (each alone agrees)"
    out = f" in output {k} of {n_out}" if k is not None and n_out > 1 else ""
    abs_err, rel_err, worst = _errors(a, n)
    lines = [f"{what}: derivative of {where}{out} disagrees with finite differences "
             f"(rtol={rtol:g}, atol={atol:g}): max abs error {abs_err:.3g}, max rel error "
             f"{rel_err:.3g}" + (f" at index {worst}" if worst else "")]
    for name, (e_abs, e_rel, _) in bad:
        lines.append(f"  {name}: max abs error {e_abs:.3g}, max rel error {e_rel:.3g}")
    lines.append(f"  derivative: {a}\n  numeric:    {n}")
    raise AssertionError("\n".join(lines))
