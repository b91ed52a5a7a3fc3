"""chainrule against JAX (and PyTorch's tensor API) on every function both have, real and
complex input: values, VJPs with a random cotangent and JVPs with a random tangent.

The list of functions is not written by hand: it is every NumPy function and ufunc that
chainrule's bridge handles and ``jax.numpy`` also has.  Each needs a recipe (how to call it)
below or a reason in ``SKIP``; a test fails when one has neither, so a new rule is compared
with JAX as soon as it is registered.
"""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import numpy_bridge

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

S = (3, 4)


class R:
    """How to call one function: ``call(m, *arrays)`` with ``m`` the NumPy or the JAX
    namespace; ``args``: one ``(lo, hi)`` or ``(lo, hi, shape)`` per array argument;
    ``complex``: also compare on complex input (None: when NumPy computes it on complex
    input); ``real``: the indexes of arguments that stay real when the others are complex."""

    def __init__(self, call, args=((0.3, 0.9),), complex=None, real=(), tol=1e-6,
                 second=False):
        self.call, self.args, self.complex, self.real, self.tol = call, args, complex, real, tol
        self.second = second        # also compare second order (forward over reverse)


def _u(name, args=None, **kw):
    """Recipe of a ufunc ``np.<name>``."""
    f = getattr(np, name)
    return R(lambda m, *a: getattr(m, name)(*a), args or ((0.3, 0.9),) * f.nin, **kw)


M = (0.3, 0.9, S)
SQ = (-1.0, 1.0, (3, 3))
V = (0.3, 0.9, (4,))
W = (-1.0, 1.0, (5,))


def _spd(m, a):
    return a @ m.swapaxes(a, -1, -2) + 3 * m.eye(a.shape[-1])


def _mH(m, a):
    return m.conj(m.swapaxes(a, -1, -2))


def _hpd(m, a):
    """A Hermitian positive definite matrix (stack) from any ``a``."""
    return a @ _mH(m, a) + 3 * m.eye(a.shape[-1])


SPREAD = np.diag([0.0, 3.0, 6.0])


def _hspread(m, a):
    """A Hermitian matrix (stack) with well-separated eigenvalues."""
    return (a + _mH(m, a)) / 2 + SPREAD


def _eigh_gauge(m, a, uplo="L"):
    """What does not depend on the eigenvectors' phases: ``V diag(sin w) V^H``, ``|V|^2 w``."""
    w, v = m.linalg.eigh(_hspread(m, a), UPLO=uplo)
    return (v * m.sin(w)[..., None, :]) @ _mH(m, v) + m.abs(v) ** 2 * w[..., None, :]


def _svd_gauge(m, a):
    """``U diag(sin s) V^H``, ``|U|^2 s`` and ``s |V^H|^2`` (phase-invariant), stacked."""
    u, s, vh = m.linalg.svd(a, full_matrices=False)
    parts = [(u * m.sin(s)[..., None, :]) @ vh, m.abs(u) ** 2 * s[..., None, :],
             s[..., :, None] * m.abs(vh) ** 2]
    return m.concatenate([m.reshape(p, a.shape[:-2] + (-1,)) for p in parts], axis=-1)


def _eig_gauge(m, a):
    """Invariant to the eigenvectors' phases and to the order of the eigenpairs:
    ``V diag(sin w) V^-1`` and ``|V|^2 w`` (unit-norm columns)."""
    if m is np:
        w, v = np.linalg.eig(a)
    else:           # JAX asks to opt in: the eigenvalues here are distinct
        w, v = jax.lax.linalg.eig(a, compute_left_eigenvectors=False,
                                  enable_eigvec_derivs=True)
    f = (v * m.sin(w)[..., None, :]) @ m.linalg.inv(v)
    f = m.concatenate([f, (m.abs(v) ** 2 @ w[..., :, None])], axis=-1)
    return m.concatenate([m.real(f), m.imag(f)], axis=-1)    # JAX's are always complex


def _sym3(m, w):
    """Symmetric functions of eigenvalues (invariant to their order), real and imaginary
    parts (NumPy's eigenvalues are real where all are, JAX's always complex)."""
    out = [w.sum(-1), (w * w).sum(-1), (w * w * w).sum(-1)]
    return m.stack([m.real(x) for x in out] + [m.imag(x) for x in out], -1)


def _expm(m, a):
    if m is np:
        from chainrule.rules.linalg.matrix_functions import expm
        return expm(a)
    import jax.scipy.linalg
    return jax.scipy.linalg.expm(a)


EIG = (-1.0, 1.0, (2, 3, 3))           # a batch of general matrices
TALL = (-1.0, 1.0, (2, 4, 3))
SQB = (-1.0, 1.0, (2, 3, 3))


RECIPES = {
    # ufuncs whose default domain (0.3, 0.9) does not fit
    "arccosh": _u("arccosh", ((1.2, 3.0),)),
    "arctan2": _u("arctan2", ((0.3, 0.9), (-0.9, -0.3))),
    "power": _u("power", ((0.3, 0.9), (-1.0, 1.0))),
    "ldexp": R(lambda m, x: m.ldexp(x, 3)),
    "left_shift": R(lambda m, x: m.left_shift(m.round(x * 10).astype(int), 1)),
    "right_shift": R(lambda m, x: m.right_shift(m.round(x * 10).astype(int), 1)),
    "bitwise_and": R(lambda m, x: m.bitwise_and(m.round(x * 10).astype(int), 3)),
    "bitwise_or": R(lambda m, x: m.bitwise_or(m.round(x * 10).astype(int), 3)),
    "bitwise_xor": R(lambda m, x: m.bitwise_xor(m.round(x * 10).astype(int), 3)),
    "invert": R(lambda m, x: m.invert(m.round(x * 10).astype(int))),
    "heaviside": _u("heaviside", ((-1.0, 1.0), (0.3, 0.9))),
    # reductions and statistics
    **{n: R(lambda m, x, n=n: getattr(m, n)(x, axis=0), (M,)) for n in (
        "sum", "mean", "prod", "max", "min", "amax", "amin", "ptp", "var", "std",
        "cumsum", "cumprod", "nansum", "nanmean", "nanprod", "nanmax", "nanmin", "nanvar",
        "nanstd", "nancumsum", "nancumprod", "sort")},
    # JAX refuses complex input to these (order statistics of complex numbers); the rule
    # tables check chainrule's (NumPy's lexicographic order) against finite differences
    **{n: R(lambda m, x, n=n: getattr(m, n)(x, axis=0), (M,), complex=False)
       for n in ("median", "nanmedian")},
    "cumulative_sum": R(lambda m, x: m.cumulative_sum(x, axis=1), (M,)),
    "cumulative_prod": R(lambda m, x: m.cumulative_prod(x, axis=1), (M,)),
    "average": R(lambda m, x, w: m.average(x, axis=1, weights=w), (M, (0.5, 1.0, (4,)))),
    "percentile": R(lambda m, x: m.percentile(x, 30, axis=1), (M,)),
    "quantile": R(lambda m, x: m.quantile(x, 0.3, axis=1), (M,)),
    "nanpercentile": R(lambda m, x: m.nanpercentile(x, 30, axis=1), (M,)),
    "nanquantile": R(lambda m, x: m.nanquantile(x, 0.3, axis=1), (M,)),
    "cov": R(lambda m, x: m.cov(x), (M,)),
    "corrcoef": R(lambda m, x: m.corrcoef(x), (M,)),
    "diff": R(lambda m, x: m.diff(x, axis=0), (M,)),
    "ediff1d": R(lambda m, x: m.ediff1d(x), (M,)),
    "gradient": R(lambda m, x: m.gradient(x, axis=1), (M,)),
    "trapezoid": R(lambda m, x: m.trapezoid(x, axis=1), (M,)),
    "clip": R(lambda m, x: m.clip(x, 0.4, 0.8), (M,), complex=False),   # JAX: no complex
    # beyond the k-th place the order is unspecified (JAX's differs from NumPy's): sort it
    "partition": R(lambda m, x: m.sort(m.partition(x, 1, axis=1), axis=1), (M,),
                   complex=False),
    "interp": R(lambda m, x: m.interp(x, m.asarray([0.0, 0.5, 1.0]),
                                       m.asarray([1.0, -1.0, 2.0])), (M,)),
    "interp_values": R(lambda m, x, f: m.interp(x, m.asarray([0.0, 0.5, 1.0]), f),
                       (M, (-1.0, 1.0, (3,))), real=(0,)),
    "convolve": R(lambda m, a, b: m.convolve(a, b), (V, W)),
    "correlate": R(lambda m, a, b: m.correlate(a, b, "full"), (V, W)),
    "where": R(lambda m, a, b: m.where(a > 0.5, a, b), (M, M)),
    "select": R(lambda m, a, b: m.select([a > 0.6, a < 0.4], [a, b], 0.0), (M, M)),
    "piecewise": R(lambda m, a: m.piecewise(a, [a > 0.6], [lambda v: v * v, lambda v: -v]),
                   (M,), complex=False),
    "nan_to_num": R(lambda m, a: m.nan_to_num(a), (M,), complex=False),
    "sinc": R(lambda m, a: m.sinc(a), (M,)),
    "angle": R(lambda m, a: m.angle(a), (M,)),
    "real": R(lambda m, a: m.real(a), (M,)),
    "imag": R(lambda m, a: m.imag(a), (M,)),
    "frexp": R(lambda m, a: m.frexp(a)[0], (M,), complex=False),
    "modf": R(lambda m, a: m.modf(a * 3)[0], (M,), complex=False),
    "divmod": R(lambda m, a: m.divmod(a * 3, 0.7)[0], (M,), complex=False),
    # shapes and indexing
    **{n: R(lambda m, x, n=n: getattr(m, n)(x), (M,)) for n in (
        "ravel", "transpose", "squeeze", "atleast_1d", "atleast_2d", "atleast_3d", "copy",
        "fliplr", "flipud", "diagflat", "tril", "triu", "rot90", "matrix_transpose",
        "diagonal", "trace", "zeros_like", "ones_like", "empty_like")},
    "full_like": R(lambda m, x: m.full_like(x, 2.0), (M,)),
    "reshape": R(lambda m, x: m.reshape(x, (2, 6)), (M,)),
    "resize": R(lambda m, x: m.resize(x, (5, 3)), (M,)),
    "broadcast_to": R(lambda m, x: m.broadcast_to(x, (2, 3, 4)), (M,)),
    "expand_dims": R(lambda m, x: m.expand_dims(x, 1), (M,)),
    "moveaxis": R(lambda m, x: m.moveaxis(x, 0, 1), (M,)),
    "rollaxis": R(lambda m, x: m.rollaxis(x, 1), (M,)),
    "swapaxes": R(lambda m, x: m.swapaxes(x, 0, 1), (M,)),
    "flip": R(lambda m, x: m.flip(x, 1), (M,)),
    "roll": R(lambda m, x: m.roll(x, 2, 1), (M,)),
    "repeat": R(lambda m, x: m.repeat(x, 2, axis=0), (M,)),
    "tile": R(lambda m, x: m.tile(x, (2, 1)), (M,)),
    "pad": R(lambda m, x: m.pad(x, ((1, 0), (0, 2)), mode="reflect"), (M,)),
    "diag": R(lambda m, x: m.diag(x), (V,)),
    "take": R(lambda m, x: m.take(x, m.asarray([2, 0, 2]), axis=1), (M,)),
    "take_along_axis": R(lambda m, x: m.take_along_axis(
        x, m.asarray([[0, 3], [1, 1], [2, 0]]), axis=1), (M,)),
    "delete": R(lambda m, x: m.delete(x, 1, axis=1), (M,)),
    "insert": R(lambda m, x, y: m.insert(x, 1, y, axis=0), (M, (0.3, 0.9, (4,)))),
    "append": R(lambda m, x, y: m.append(x, y, axis=0), (M, M)),
    "concatenate": R(lambda m, x, y: m.concatenate([x, y], axis=1), (M, M)),
    "stack": R(lambda m, x, y: m.stack([x, y], axis=1), (M, M)),
    "hstack": R(lambda m, x, y: m.hstack([x, y]), (M, M)),
    "vstack": R(lambda m, x, y: m.vstack([x, y]), (M, M)),
    "dstack": R(lambda m, x, y: m.dstack([x, y]), (M, M)),
    "column_stack": R(lambda m, x, y: m.column_stack([x, y]), (V, V)),
    "block": R(lambda m, x, y: m.block([[x, y]]), (M, M)),
    "split": R(lambda m, x: m.split(x, 2, axis=1)[1], (M,)),
    "array_split": R(lambda m, x: m.array_split(x, 3, axis=1)[0], (M,)),
    "hsplit": R(lambda m, x: m.hsplit(x, 2)[0], (M,)),
    "vsplit": R(lambda m, x: m.vsplit(x, 3)[2], (M,)),
    "dsplit": R(lambda m, x: m.dsplit(m.reshape(x, (3, 2, 2)), 2)[1], (M,)),
    "meshgrid": R(lambda m, x, y: m.meshgrid(x, y)[0] * m.meshgrid(x, y)[1], (V, W)),
    "linspace": R(lambda m, a, b: m.linspace(a, b, 5), (V, W[:2] + ((4,),))),
    "logspace": R(lambda m, a, b: m.logspace(a, b, 5), (V, (0.3, 0.9, (4,))),
                  complex=False),
    # products and linear algebra that is not a decomposition
    "dot": R(lambda m, a, b: m.dot(a, b), ((-1, 1, (3, 4)), (-1, 1, (4, 2)))),
    "vdot": R(lambda m, a, b: m.vdot(a, b), (W, W)),
    "inner": R(lambda m, a, b: m.inner(a, b), (M, M)),
    "outer": R(lambda m, a, b: m.outer(a, b), (V, W)),
    "matmul": R(lambda m, a, b: m.matmul(a, b), ((-1, 1, (2, 3, 4)), (-1, 1, (4, 2)))),
    "matvec": R(lambda m, a, b: m.matvec(a, b), (M, V)),
    "vecmat": R(lambda m, a, b: m.vecmat(a, b), ((0.3, 0.9, (3,)), M)),
    "vecdot": R(lambda m, a, b: m.vecdot(a, b), (M, M)),
    "tensordot": R(lambda m, a, b: m.tensordot(a, b, axes=([1], [1])), (M, M)),
    "kron": R(lambda m, a, b: m.kron(a, b), ((-1, 1, (2, 2)), (-1, 1, (2, 3)))),
    "einsum": R(lambda m, a, b: m.einsum("ij,kj->ik", a, b), (M, M)),
    "cross": R(lambda m, a, b: m.cross(a, b), ((-1, 1, (4, 3)), (-1, 1, (4, 3)))),
    "linalg.cross": R(lambda m, a, b: m.linalg.cross(a, b), ((-1, 1, (4, 3)), (-1, 1, (4, 3)))),
    "linalg.outer": R(lambda m, a, b: m.linalg.outer(a, b), (V, W)),
    "linalg.matmul": R(lambda m, a, b: m.linalg.matmul(a, b), (M, (0.3, 0.9, (4, 2)))),
    "linalg.vecdot": R(lambda m, a, b: m.linalg.vecdot(a, b), (M, M)),
    "linalg.tensordot": R(lambda m, a, b: m.linalg.tensordot(a, b, axes=1),
                          (M, (0.3, 0.9, (4, 2)))),
    "linalg.trace": R(lambda m, a: m.linalg.trace(a), (M,)),
    "linalg.diagonal": R(lambda m, a: m.linalg.diagonal(a), (M,)),
    "linalg.matrix_transpose": R(lambda m, a: m.linalg.matrix_transpose(a), (M,)),
    "linalg.multi_dot": R(lambda m, a, b: m.linalg.multi_dot([a, b, a]), (SQ, SQ)),
    "linalg.matrix_power": R(lambda m, a: m.linalg.matrix_power(a, 3), (SQ,)),
    "linalg.inv": R(lambda m, a: m.linalg.inv(_spd(m, a)), (SQ,)),
    "linalg.pinv": R(lambda m, a: m.linalg.pinv(a), ((-1, 1, (3, 2)),), tol=1e-5),
    # JAX takes sign's derivative as 0 also for complex z, where z / |z| has one (PyTorch's
    # sgn agrees with chainrule: test_tensor_grad_matches_pytorch[sign-complex])
    "sign": _u("sign", complex=False),
    "linalg.det": R(lambda m, a: m.linalg.det(_spd(m, a)), (SQ,)),
    "linalg.solve": R(lambda m, a, b: m.linalg.solve(_spd(m, a), b), (SQ, (-1, 1, (3, 2)))),
    "linalg.tensorinv": R(lambda m, a: m.linalg.tensorinv(
        m.reshape(_spd(m, a), (2, 2, 4)), ind=2), ((-1, 1, (4, 4)),)),
    "linalg.tensorsolve": R(lambda m, a, b: m.linalg.tensorsolve(
        m.reshape(_spd(m, a), (2, 2, 4)), b), ((-1, 1, (4, 4)), (-1, 1, (2, 2)))),
    # FFT
    **{f"fft.{n}": R(lambda m, x, n=n: getattr(m.fft, n)(x), (M,), complex=True)
       for n in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "irfft", "irfft2", "irfftn",
                 "hfft", "fftshift", "ifftshift")},
    **{f"fft.{n}": R(lambda m, x, n=n: getattr(m.fft, n)(x), (M,), complex=False)
       for n in ("rfft", "rfft2", "rfftn", "ihfft")},
    "fft.fft_n_norm": R(lambda m, x: m.fft.fft(x, n=6, axis=0, norm="ortho"), (M,), complex=True),
    "fft.irfft_n": R(lambda m, x: m.fft.irfft(x, n=5, norm="forward"), (M,), complex=True),
    "fft.rfftn_s": R(lambda m, x: m.fft.rfftn(x, s=(4, 6), axes=(0, 1)), (M,), complex=False),
}

# linear algebra: every function both have, through outputs that do not depend on a
# decomposition's gauge (phases and order of eigen- and singular vectors), batched, real and
# complex, both modes, second order
_NORM_ORDS_VEC = (None, 1, 2, np.inf, -np.inf, 3, 0.5, -1)
_NORM_ORDS_MAT = (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
_COND_PS = (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf)
LINALG = {
    "linalg.cholesky": R(lambda m, a: m.linalg.cholesky(_hpd(m, a)), (SQB,), second=True),
    "linalg.eigh": R(lambda m, a: _eigh_gauge(m, a), (SQB,), second=True),
    "linalg.eigh_upper": R(lambda m, a: _eigh_gauge(m, a, "U"), (SQB,)),
    "linalg.eigvalsh": R(lambda m, a: m.linalg.eigvalsh(_hspread(m, a)), (SQB,), second=True),
    "linalg.eig": R(lambda m, a: _eig_gauge(m, a + m.asarray(SPREAD)), (EIG,), tol=1e-5,
                    complex=True, second=True),
    "linalg.eigvals": R(lambda m, a: _sym3(m, m.linalg.eigvals(a + m.asarray(SPREAD))),
                        (EIG,), complex=True),     # second order: JAX's needs eig's opt-in
    "linalg.svd": R(lambda m, a: _svd_gauge(m, a), (TALL,), tol=1e-5, second=True),
    "linalg.svd_wide": R(lambda m, a: _svd_gauge(m, m.swapaxes(a, -1, -2)), (TALL,),
                         tol=1e-5),
    "linalg.svdvals": R(lambda m, a: m.linalg.svdvals(a), (TALL,)),
    "linalg.svd_hermitian": R(lambda m, a: m.linalg.svd(_hspread(m, a), compute_uv=False,
                                                        hermitian=True), (SQB,)),
    "linalg.qr": R(lambda m, a: m.concatenate(tuple(m.linalg.qr(a)), axis=-2), (TALL,),
                   second=True),
    "linalg.qr_r": R(lambda m, a: m.linalg.qr(a, mode="r"), (TALL,)),
    "linalg.slogdet": R(lambda m, a: m.stack(tuple(m.linalg.slogdet(a + 2 * m.eye(3))), -1),
                        (SQB,), second=True),
    "linalg.inv_batched": R(lambda m, a: m.linalg.inv(a + 3 * m.eye(3)), (SQB,), second=True),
    "linalg.solve_batched": R(lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3), b),
                              (SQB, (-1.0, 1.0, (2, 3, 2))), second=True),
    "linalg.pinv_batched": R(lambda m, a: m.linalg.pinv(a), (TALL,), tol=1e-5, second=True),
    "linalg.pinv_hermitian": R(lambda m, a: m.linalg.pinv(_hspread(m, a) + m.eye(3),
                                                          hermitian=True), (SQB,)),
    "linalg.lstsq": R(lambda m, a, b: m.linalg.lstsq(a, b, rcond=None)[0],
                      ((-1.0, 1.0, (4, 3)), (-1.0, 1.0, (4, 2))), tol=1e-5, second=True),
    "linalg.matrix_power_neg": R(lambda m, a: m.linalg.matrix_power(a + 3 * m.eye(3), -2),
                                 (SQB,)),
    "linalg.matrix_rank": R(lambda m, a: m.linalg.matrix_rank(a), (TALL,)),
    "linalg.expm": R(lambda m, a: _expm(m, a), (SQB,)),
    # every order in one recipe (one JAX compilation), in the order of the tuples above
    "linalg.norm_vec": R(lambda m, a: m.stack([m.linalg.norm(a, o, axis=-1)
                                               for o in _NORM_ORDS_VEC], -1), (TALL,),
                         second=True),
    "linalg.norm_mat": R(lambda m, a: m.stack([m.linalg.norm(a, o, axis=(-2, -1))
                                               for o in _NORM_ORDS_MAT], -1), (TALL,),
                         tol=1e-5, second=True),
    "linalg.norm": R(lambda m, a: m.linalg.norm(a), (TALL,)),
    "linalg.norm_axis": R(lambda m, a: m.linalg.norm(a, "nuc", axis=(2, 0), keepdims=True),
                          (TALL,), tol=1e-5),
    "linalg.vector_norm": R(lambda m, a: m.linalg.vector_norm(a, ord=3, axis=(0, 2)), (TALL,)),
    "linalg.matrix_norm": R(lambda m, a: m.stack([m.linalg.matrix_norm(a, ord=o) for o in (
        "fro", "nuc", 2, -2, 1, np.inf)], -1), (TALL,), tol=1e-5),
    "linalg.cond": R(lambda m, a: m.stack([m.linalg.cond(a + 2 * m.eye(3), p)
                                           for p in _COND_PS], -1), (SQB,), tol=1e-5,
                     second=True),
}
RECIPES.update(LINALG)

# functions both have that this comparison leaves out, and why
SKIP = {
    "bincount": "integer counts (weights: compared in the rule tables)",
    "histogram": "bin counts: no derivative",
    "unique": "JAX gives unique no derivative; chainrule's (a gather) is in the rule tables",
    "shape": "no array result", "ndim": "no array result", "size": "no array result",
}


def _key(f):
    mod = getattr(f, "__module__", "") or ""
    sub = "fft." if "fft" in mod else "linalg." if "linalg" in mod else ""
    return sub + f.__name__


def _jax_has(key):
    ns = jnp
    for part in key.split("."):
        ns = getattr(ns, part, None)
        if ns is None:
            return False
    return True


def _both():
    """Every function chainrule's bridge handles that jax.numpy has too."""
    funcs = [f for f in numpy_bridge.UFUNCS if getattr(np, f.__name__, None) is f]
    funcs += list(numpy_bridge.FUNCTIONS)
    return sorted({_key(f) for f in funcs if _jax_has(_key(f))})


def _recipe(key):
    if key in RECIPES:
        return RECIPES[key]
    f = getattr(np, key, None)
    if isinstance(f, np.ufunc):
        return _u(key)
    return None


def test_every_shared_function_has_a_recipe_or_a_reason():
    missing = [k for k in _both() if _recipe(k) is None and k not in SKIP]
    assert not missing, f"add a recipe (or a reason in SKIP) for: {missing}"


def _cases():
    out = []
    for key in sorted(set(_both()) | set(RECIPES)):      # RECIPES: also variants (n=, s=...)
        r = _recipe(key)
        if r is None:
            continue
        cplx = r.complex
        if cplx is None:
            cplx = _numpy_takes_complex(r)
        out.append(pytest.param(key, False, id=key))
        if cplx:
            out.append(pytest.param(key, True, id=key + "-complex"))
    return out


def _numpy_takes_complex(r):
    """Whether NumPy computes the recipe on complex input (then it is compared there too)."""
    args = _draw(r, True, np.random.default_rng(0))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = np.asarray(r.call(np, *args))
    except (TypeError, ValueError):
        return False
    return out.dtype.kind in "fc"


def _draw(r, complex_, rng):
    args = []
    for i, spec in enumerate(r.args):
        lo, hi = spec[:2]
        shape = spec[2] if len(spec) > 2 else S
        x = rng.uniform(lo, hi, shape)
        if complex_ and i not in r.real:
            x = x + 1j * rng.uniform(-0.5, 0.5, shape)
        args.append(x)
    return args


def _like(x, rng):
    x = np.asarray(x)
    v = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        v = v + 1j * rng.standard_normal(x.shape)
    return v.astype(x.dtype)


def _close(a, b, tol, what):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol, err_msg=what)


def _jax_side(r, args, ct, tans):
    """JAX's value, VJPs and JVP, in one compiled function (one compilation per case, not
    one per operation: that is what keeps this file fast)."""
    def f(*xs):
        return r.call(jnp, *xs)

    def all_of(xs, ct, ts):
        y, pull = jax.vjp(f, *xs)
        return y, pull(ct), jax.jvp(f, tuple(xs), tuple(ts))[1]
    return jax.jit(all_of)([jnp.asarray(a) for a in args], jnp.asarray(ct),
                           [jnp.asarray(t) for t in tans])


@pytest.mark.parametrize("key, complex_", _cases())
def test_against_jax(key, complex_):
    r = _recipe(key)
    rng = np.random.default_rng(0)
    args = _draw(r, complex_, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = r.call(np, *[cr.tensor(a) for a in args])
        got = np.asarray(got.numpy() if isinstance(got, cr.Tensor) else got)
        if got.dtype.kind not in "fc":      # integers and booleans: the value, no derivative
            _close(got, r.call(jnp, *[jnp.asarray(a) for a in args]), r.tol, "value")
            return
        ct = _like(got, rng)
        tans = [_like(a, rng) for a in args]
        try:
            want, jgs, jt = _jax_side(r, args, ct, tans)
        except TypeError as e:
            if not (complex_ and _jax_refuses_complex(e)):
                raise
            _check_without_jax(key, r, args, got, ct, tans)     # this can fail
            pytest.skip(f"JAX {jax.__version__} refuses complex input to {key} ({e}); "
                        f"checked against NumPy's values and derivatives instead")
        _close(got, want, r.tol, "value")

        def f_cr(*xs):
            return r.call(np, *xs)
        _, pull = cr.vjp(f_cr, *args)
        for i, (g, jg) in enumerate(zip(pull(ct), jgs)):
            _close(g, jg, r.tol, f"VJP of argument {i}")
        _, t = cr.jvp(f_cr, tuple(args), tuple(tans))
        _close(t, jt, r.tol, "JVP")
        assert np.iscomplexobj(t) == np.iscomplexobj(np.asarray(jt)), "JVP dtype kind"


def _jax_refuses_complex(e):
    """Whether JAX refused complex input as such (JAX 0.11 on complex maximum: ``gt does not
    accept dtype complex128``), rather than failing otherwise."""
    return isinstance(e, TypeError) and "does not accept dtype complex" in str(e)


# functions that pick one argument per element (NumPy orders complex numbers
# lexicographically): the derivative is the picked argument's
PICKERS = {"maximum", "minimum", "fmax", "fmin"}


def _check_without_jax(key, r, args, got, ct, tans):
    """Where JAX refuses the input: the value is NumPy's, the derivatives pass
    finite differences, and a function in PICKERS passes the picked argument's derivative
    on (JVP: its tangent; VJP: the cotangent, to it alone)."""
    _close(got, r.call(np, *args), r.tol, "value (NumPy's)")
    cr.check_grads(lambda *xs: r.call(np, *xs), *args, order=1)
    if key not in PICKERS:
        return
    x, y = args
    first = r.call(np, x, y) == x               # NumPy's choice, element by element
    _, pull = cr.vjp(lambda *xs: r.call(np, *xs), x, y)
    gx, gy = pull(ct)
    _close(gx, np.where(first, ct, 0), 1e-15, "VJP of the picked argument")
    _close(gy, np.where(first, 0, ct), 1e-15, "VJP of the other argument")
    _, t = cr.jvp(lambda *xs: r.call(np, *xs), (x, y), tuple(tans))
    _close(t, np.where(first, tans[0], tans[1]), 1e-15, "JVP")


def test_jax_refusing_complex_input_skips_after_numpys_check(monkeypatch):
    """Simulated JAX 0.11 (refuses complex maximum): the case is checked without JAX, then
    skipped; any other TypeError from JAX fails the case."""
    def refuse(r, args, ct, tans):
        raise TypeError("gt does not accept dtype complex128. Accepted dtypes are subtypes "
                        "of int, uint, float.")
    monkeypatch.setitem(globals(), "_jax_side", refuse)
    with pytest.raises(pytest.skip.Exception, match=f"JAX {jax.__version__} refuses"):
        test_against_jax("maximum", True)
    with pytest.raises(TypeError, match="does not accept"):
        test_against_jax("maximum", False)          # real input: JAX must take it
    # a chainrule that got complex maximum wrong (here: minimum on tensors) still fails
    monkeypatch.setitem(RECIPES, "maximum", R(lambda m, x, y: (
        np.minimum if isinstance(x, cr.Tensor) else np.maximum)(x, y), ((0.3, 0.9),) * 2))
    with pytest.raises(AssertionError):
        test_against_jax("maximum", True)


def _second_cases():
    out = []
    for key, r in sorted(LINALG.items()):
        if r.second:
            out.append(pytest.param(key, False, id=key))
            if r.complex is not False and _numpy_takes_complex(r):
                out.append(pytest.param(key, True, id=key + "-complex"))
    return out


@pytest.mark.parametrize("key, complex_", _second_cases())
def test_second_order_against_jax(key, complex_):
    """Forward over reverse: the JVP of the VJP (a Hessian-vector product, per argument)."""
    r = RECIPES[key]
    rng = np.random.default_rng(2)
    args = _draw(r, complex_, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ct = _like(r.call(np, *args), rng)
        tans = [_like(a, rng) for a in args]

        def pull_cr(*xs):
            return cr.vjp(lambda *ys: r.call(np, *ys), *xs)[1](ct)
        _, got = cr.jvp(pull_cr, tuple(args), tuple(tans))

        def pull_jax(*xs):
            return jax.vjp(lambda *ys: r.call(jnp, *ys), *xs)[1](jnp.asarray(ct))
        want = jax.jit(lambda xs, ts: jax.jvp(pull_jax, tuple(xs), tuple(ts))[1])(
            [jnp.asarray(a) for a in args], [jnp.asarray(t) for t in tans])
    for i, (g, w) in enumerate(zip(got, want)):
        _close(g, w, 10 * r.tol, f"second order, argument {i}")


# ---------------------------------------------------------------- PyTorch's tensor API
# NumPy's names of ufuncs where PyTorch's differ
TORCH_NAMES = {"absolute": "abs", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
               "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
               "arctan2": "atan2", "conjugate": "conj_physical", "divide": "div",
               "multiply": "mul", "subtract": "sub", "power": "pow", "negative": "neg",
               "fmax": "fmax", "fmin": "fmin", "remainder": "remainder", "positive": "positive",
               "sign": "sgn"}
TORCH_NO_DERIVATIVE = {"floor_divide"}
TORCH_NO_COMPLEX = {"fmax", "fmin", "maximum", "minimum"}


def _torch_cases():
    torch = pytest.importorskip("torch")
    out = []
    for f, prim in sorted(numpy_bridge.UFUNCS.items(), key=lambda kv: kv[0].__name__):
        name = f.__name__
        if getattr(np, name, None) is not f or prim.nondiff:
            continue
        tname = TORCH_NAMES.get(name, name)
        if not hasattr(torch, tname) or name in TORCH_NO_DERIVATIVE or (
                name in RECIPES and name != "sign"):
            continue
        out.append(pytest.param(name, tname, False, id=name))
        if any("D" in t.split("->")[0] for t in f.types) and name not in TORCH_NO_COMPLEX:
            out.append(pytest.param(name, tname, True, id=name + "-complex"))
    return out


def _torch_params():
    try:
        return _torch_cases()
    except pytest.skip.Exception:
        return []


@pytest.mark.parametrize("name, tname, complex_", _torch_params())
def test_tensor_grad_matches_pytorch(name, tname, complex_):
    """``.grad`` (PyTorch's convention) equals PyTorch's on real and complex input."""
    torch = pytest.importorskip("torch")
    f = getattr(np, name)
    rng = np.random.default_rng(1)
    xs = [rng.uniform(0.3, 0.9, 5) + (1j * rng.uniform(-0.5, 0.5, 5) if complex_ else 0)
          for _ in range(f.nin)]
    w1, w2 = rng.standard_normal(5), rng.standard_normal(5)
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    ty = getattr(torch, tname)(*ts)
    tloss = (torch.real(ty) * torch.tensor(w1)).sum()
    if ty.is_complex():
        tloss = tloss + (torch.imag(ty) * torch.tensor(w2)).sum()
    tloss.backward()
    cs = [cr.tensor(x, requires_grad=True) for x in xs]
    y = f(*cs)
    loss = (np.real(y) * w1).sum() + ((np.imag(y) * w2).sum() if np.iscomplexobj(y) else 0)
    loss.backward()
    for c, t in zip(cs, ts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.resolve_conj().numpy(force=True),
                                   rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- PyTorch's torch.linalg
def _torch_linalg():
    """``name: (chainrule's function, PyTorch's, argument shapes)``, gauge-invariant outputs
    as for JAX above; ``m`` is NumPy (on tensors) or torch."""
    def mh(m, a):
        return m.conj(m.swapaxes(a, -1, -2)) if m is np else a.mH

    def eye(m, a):
        return np.eye(a.shape[-1]) if m is np else _torch_eye(a)

    def hpd(m, a):
        return a @ mh(m, a) + 3 * eye(m, a)

    def hsp(m, a):
        return (a + mh(m, a)) / 2 + (np.asarray(SPREAD) if m is np else _torch_const(SPREAD, a))

    def eigh_g(m, a, uplo):
        w, v = m.linalg.eigh(hsp(m, a), UPLO=uplo)
        return (v * m.sin(w)[..., None, :]) @ mh(m, v) + m.abs(v) ** 2 * w[..., None, :]

    def svd_g(m, a):
        u, s, vh = m.linalg.svd(a, full_matrices=False)
        parts = [(u * m.sin(s)[..., None, :]) @ vh, m.abs(u) ** 2 * s[..., None, :]]
        return np.concatenate(parts, axis=-2) if m is np else _torch_cat(parts)

    def eig_g(m, a):
        w, v = m.linalg.eig(a + (np.asarray(SPREAD) if m is np else _torch_const(SPREAD, a)))
        f = (v * m.sin(w)[..., None, :]) @ m.linalg.inv(v)
        return m.real(f) if m is np else f.real

    def norms(m, a):
        ords = ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)
        mat = [m.linalg.matrix_norm(a, ord=o) for o in ords]
        vec = [m.linalg.vector_norm(a[..., 0, :], ord=o, **{"axis" if m is np else "dim": -1})
               for o in (1, 2, 3, np.inf, -np.inf)]
        return m.stack(mat + vec, -1)

    def expm(m, a):
        if m is np:
            from chainrule.rules.linalg.matrix_functions import expm as cr_expm
            return cr_expm(a)
        return m.linalg.matrix_exp(a)

    return {
        "inv": (lambda m, a: m.linalg.inv(a + 3 * eye(m, a)), [SQB]),
        "det": (lambda m, a: m.linalg.det(a), [SQB]),
        "slogdet": (lambda m, a: m.linalg.slogdet(a + 2 * eye(m, a))[1], [SQB]),
        "solve": (lambda m, a, b: m.linalg.solve(a + 3 * eye(m, a), b),
                  [SQB, (-1.0, 1.0, (2, 3, 2))]),
        "pinv": (lambda m, a: m.linalg.pinv(a), [TALL]),
        "matrix_power": (lambda m, a: m.linalg.matrix_power(a + 3 * eye(m, a), -2), [SQB]),
        "cholesky": (lambda m, a: m.linalg.cholesky(hpd(m, a)), [SQB]),
        "eigh": (lambda m, a: eigh_g(m, a, "L"), [SQB]),
        "eigh_upper": (lambda m, a: eigh_g(m, a, "U"), [SQB]),
        "eigvalsh": (lambda m, a: m.linalg.eigvalsh(hsp(m, a)), [SQB]),
        "eig": (eig_g, [SQB]),
        "svd": (svd_g, [TALL]),
        "svdvals": (lambda m, a: m.linalg.svdvals(a), [TALL]),
        "qr": (lambda m, a: m.linalg.qr(a)[0], [TALL]),
        "qr_r": (lambda m, a: m.linalg.qr(a)[1], [TALL]),
        "norms": (norms, [TALL]),
        "cond": (lambda m, a: m.linalg.cond(a + 2 * eye(m, a)), [SQB]),
        "expm": (expm, [SQB]),
    }


def _torch_eye(a):
    import torch
    return torch.eye(a.shape[-1], dtype=a.dtype)


def _torch_const(c, a):
    import torch
    return torch.tensor(c, dtype=a.dtype)


def _torch_cat(parts):
    import torch
    return torch.cat(parts, dim=-2)


_TORCH_LINALG = sorted(_torch_linalg())


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("name", _TORCH_LINALG)
def test_linalg_grad_matches_pytorch(name, complex_):
    """``.grad`` of torch.linalg's functions (PyTorch's convention) on batched real and
    complex input.  Functions of a Hermitian matrix get one built from the input (``hpd``,
    ``hsp``), so NumPy's one-triangle functions and PyTorch's agree as functions of it."""
    torch = pytest.importorskip("torch")
    f, shapes = _torch_linalg()[name]
    rng = np.random.default_rng(4)
    xs = _draw(R(None, shapes), complex_, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = f(np, *[cr.tensor(x) for x in xs]).numpy()
        ct = _like(y, rng)
        ts = [torch.tensor(x, requires_grad=True) for x in xs]
        ty = f(torch, *ts)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-6, atol=1e-6)
        torch.real(ty * torch.tensor(ct)).sum().backward() if ty.is_complex() else \
            (ty * torch.tensor(ct)).sum().backward()
        cs = [cr.tensor(x, requires_grad=True) for x in xs]
        out = f(np, *cs)
        np.sum(np.real(out * ct)).backward()
    for c, t in zip(cs, ts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.resolve_conj().numpy(), rtol=1e-5,
                                   atol=1e-6)
