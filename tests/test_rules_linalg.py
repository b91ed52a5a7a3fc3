"""Products and linear algebra against finite differences (both modes, second order).

Shapes are fixed per line (``Arg(shape=...)``) so every rank combination is covered once.
Matrices that must be invertible are shifted by a multiple of the identity; decompositions get
well-separated eigen/singular values, so their derivatives exist and are well-conditioned.
"""
import numpy as np
import pytest

import chainrule as cr
from rulecheck import Arg, Case, numpy_has, table_test


def S(*shape, lo=-2.0, hi=2.0):
    return Arg(lo, hi, shape=shape)


def U(*shape):
    """Values in [-1, 1]: small enough that ``a + 3 I`` stays well-conditioned."""
    return Arg(-1.0, 1.0, shape=shape)


I3 = 3.0 * np.eye(3)
CONST = np.arange(6.0).reshape(3, 2) - 2.5


def _numpy_crosses_2_vectors():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            np.cross([1.0, 0.0], [0.0, 1.0])
        except ValueError:
            return False
    return True


_CROSSES_2 = _numpy_crosses_2_vectors()
# NumPy 2.0-2.4 warn on 2-vectors, and chainrule with them (tests/test_versions.py checks that)
pytestmark = pytest.mark.filterwarnings(
    "ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
SPREAD3 = np.diag([0.0, 5.0, 10.0])          # eigenvalues of a + SPREAD3 stay apart
SV32 = np.array([[4.0, 0.0], [0.0, 2.0], [0.0, 0.0]])   # singular values ~4 and ~2
SV33 = np.diag([6.0, 3.0, 1.5])
ROT = np.array([[0.0, -3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 8.0]])   # eigenvalues 8, +-3i


def modulus2(z):
    """``|z|**2`` through ``z * conj(z)``: invariant to the phase of eigenvectors."""
    return np.real(z * np.conj(z))


def H(*shape):
    """Hermitian matrices with entries in [-1, 1] (drawn as :func:`U`, then ``(a + a^H) / 2``):
    the points where one-triangle functions are usually evaluated.  check_grads still
    perturbs them in every direction, non-Hermitian ones included."""
    return Arg(-1.0, 1.0, shape=shape, hermitian=True)


def svd_parts(a, full=False):
    return np.linalg.svd(a, full_matrices=full)


CASES = [
    # ------------------------------------------------------------ matmul, every rank
    Case("matmul_1d_1d", np.matmul, [S(3), S(3)]),
    Case("matmul_2d_1d", np.matmul, [S(2, 3), S(3)]),
    Case("matmul_1d_2d", np.matmul, [S(3), S(3, 2)]),
    Case("matmul_2d_2d", np.matmul, [S(2, 3), S(3, 4)]),
    Case("matmul_nd_1d", np.matmul, [S(4, 2, 3), S(3)]),
    Case("matmul_1d_nd", np.matmul, [S(3), S(4, 3, 2)]),
    Case("matmul_2d_nd", np.matmul, [S(2, 3), S(4, 3, 2)]),
    Case("matmul_nd_2d", np.matmul, [S(2, 4, 2, 3), S(3, 2)]),
    Case("matmul_nd_nd_broadcast", np.matmul, [S(4, 1, 2, 3), S(5, 3, 2)]),
    Case("matmul_empty_k", np.matmul, [S(2, 0), S(0, 3)]),
    Case("matmul_empty_stack", np.matmul, [S(0, 2, 3), S(3, 2)]),
    Case("matmul_operator", lambda a, b: a @ b, [S(2, 3), S(4, 3, 2)]),
    Case("matmul_operator_const_left", lambda b: CONST.T @ b, [S(4, 3, 2)]),
    Case("matmul_operator_const_right", lambda a: a @ CONST, [S(2, 3)]),
    Case("matmul_self", lambda a: a @ a, [S(2, 3, 3)]),
    # ------------------------------------------------------------ dot, vdot, inner, outer
    Case("dot_0d", np.dot, [S(), S(2, 3)]),
    Case("dot_0d_0d", np.dot, [S(), S()]),
    Case("dot_1d_1d", np.dot, [S(3), S(3)]),
    Case("dot_2d_1d", np.dot, [S(2, 3), S(3)]),
    Case("dot_1d_2d", np.dot, [S(3), S(3, 2)]),
    Case("dot_2d_2d", np.dot, [S(2, 3), S(3, 4)]),
    Case("dot_nd_1d", np.dot, [S(2, 2, 3), S(3)]),
    Case("dot_2d_nd", np.dot, [S(2, 3), S(4, 3, 2)]),
    Case("dot_nd_nd", np.dot, [S(2, 2, 3), S(4, 3, 2)]),
    Case("dot_self_d2l", lambda x: np.dot(x, x), [S(4)]),
    Case("dot_method", lambda a: a.dot(CONST), [S(2, 3)]),
    Case("vdot", np.vdot, [S(2, 3), S(3, 2)]),
    Case("inner_1d", np.inner, [S(3), S(3)]),
    Case("inner_nd", np.inner, [S(2, 3), S(4, 2, 3)]),
    Case("inner_0d", np.inner, [S(), S(2, 3)]),
    Case("outer", np.outer, [S(3), S(2, 2)]),
    Case("outer_0d", np.outer, [S(), S(3)]),
    Case("linalg_outer", np.linalg.outer, [S(3), S(2)]),
    Case("vecdot", lambda a, b: np.vecdot(a, b), [S(4, 3), S(3)]),
    Case("vecdot_axis", lambda a, b: np.linalg.vecdot(a, b, axis=0), [S(3, 4), S(3, 1)]),
    *([Case("matvec", lambda a, b: np.matvec(a, b), [S(4, 2, 3), S(3)]),   # NumPy >= 2.2
       Case("vecmat", lambda a, b: np.vecmat(a, b), [S(2), S(4, 2, 3)])]
      if numpy_has("matvec") else []),
    Case("multi_dot", lambda a, b, c: np.linalg.multi_dot([a, b, c, a]),
         [S(3), S(3, 4), S(4, 3)]),
    Case("matrix_power_3", lambda a: np.linalg.matrix_power(a, 3), [S(2, 3, 3)]),
    Case("matrix_power_0", lambda a: np.linalg.matrix_power(a, 0), [S(3, 3)]),
    Case("matrix_power_neg", lambda a: np.linalg.matrix_power(a + I3, -2), [U(3, 3)]),
    # ------------------------------------------------------------ convolution
    Case("convolve", np.convolve, [S(4), S(3)]),
    Case("convolve_short_first", np.convolve, [S(2), S(5)]),
    Case("convolve_same", lambda a, v: np.convolve(a, v, "same"), [S(5), S(2)]),
    Case("convolve_valid", lambda a, v: np.convolve(a, v, mode="valid"), [S(2), S(4)]),
    Case("convolve_scalar", lambda a, v: np.convolve(a, v), [S(), S(3)]),
    Case("correlate", np.correlate, [S(5), S(3)]),
    Case("correlate_full", lambda a, v: np.correlate(a, v, "full"), [S(2), S(4)]),
    Case("correlate_same", lambda a, v: np.correlate(a, v, "same"), [S(3), S(4)]),
    Case("correlate_self", lambda a: np.correlate(a, a, "full"), [S(4)]),
    Case("convolve_const", lambda a: np.convolve(a, np.array([0.25, 0.5, 0.25]), "same"),
         [S(6)]),
    # ------------------------------------------------------------ tensordot
    Case("tensordot_2", np.tensordot, [S(2, 3, 4), S(3, 4, 2)]),
    Case("tensordot_1", lambda a, b: np.tensordot(a, b, axes=1), [S(2, 3), S(3, 2)]),
    Case("tensordot_0", lambda a, b: np.tensordot(a, b, axes=0), [S(2), S(3)]),
    Case("tensordot_pairs", lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])),
         [S(2, 3, 4), S(4, 2, 2)]),
    Case("tensordot_ints_neg", lambda a, b: np.tensordot(a, b, axes=(-1, 0)),
         [S(2, 3), S(3, 4)]),
    # ------------------------------------------------------------ einsum
    Case("einsum_matmul", lambda a, b: np.einsum("ij,jk->ik", a, b), [S(2, 3), S(3, 4)]),
    Case("einsum_implicit", lambda a, b: np.einsum("ij,jk", a, b), [S(2, 3), S(3, 4)]),
    Case("einsum_implicit_order", lambda a: np.einsum("bA", a), [S(2, 3)]),
    Case("einsum_transpose", lambda a: np.einsum("ij->ji", a), [S(2, 3)]),
    Case("einsum_diagonal", lambda a: np.einsum("ii->i", a), [S(3, 3)]),
    Case("einsum_trace", lambda a: np.einsum("ii", a), [S(3, 3)]),
    Case("einsum_diag_offset", lambda a: np.einsum("iji->j", a), [S(3, 2, 3)]),
    Case("einsum_triple_repeat", lambda a: np.einsum("iii->i", a), [S(2, 2, 2)]),
    Case("einsum_diag_times", lambda a, b: np.einsum("ii,i->i", a, b), [S(3, 3), S(3)]),
    Case("einsum_sum_all", lambda a: np.einsum("ij->", a), [S(2, 3)]),
    Case("einsum_sum_axis", lambda a: np.einsum("ij->i", a), [S(2, 3)]),
    Case("einsum_dot", lambda a, b: np.einsum("i,i", a, b), [S(3), S(3)]),
    Case("einsum_outer", lambda a, b: np.einsum("i,j->ij", a, b), [S(3), S(2)]),
    Case("einsum_batched", lambda a, b: np.einsum("bij,bjk->bik", a, b),
         [S(2, 2, 3), S(2, 3, 2)]),
    Case("einsum_ellipsis", lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
         [S(1, 2, 3), S(4, 3, 2)]),
    Case("einsum_ellipsis_implicit", lambda a, b: np.einsum("i...,i", a, b),
         [S(2, 3, 2), S(2)]),
    Case("einsum_ellipsis_sum", lambda a: np.einsum("...ij->...", a), [S(2, 2, 3)]),
    Case("einsum_broadcast_1", lambda a, b: np.einsum("i,i->i", a, b), [S(1), S(3)]),
    Case("einsum_three", lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c),
         [S(2, 3), S(3, 2), S(2, 2)]),
    Case("einsum_four_repeat", lambda a, b: np.einsum("ij,jk,kl,ll->i", a, b, b, b),
         [S(3, 2), S(2, 2)]),
    Case("einsum_same_operand", lambda a: np.einsum("ij,ij->i", a, a), [S(2, 3)]),
    Case("einsum_scalar", lambda s, a: np.einsum(",i->i", s, a), [S(), S(3)]),
    Case("einsum_empty", lambda a, b: np.einsum("ij,jk->ik", a, b), [S(2, 0), S(0, 3)]),
    Case("einsum_interleaved", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         [S(2, 3), S(3, 2)]),
    Case("einsum_optimize", lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c,
                                                      optimize=True),
         [S(2, 3), S(3, 2), S(2, 4)]),
    # ------------------------------------------------------------ kron, cross
    Case("kron", np.kron, [S(2, 3), S(3, 2)]),
    Case("kron_ranks", np.kron, [S(2), S(2, 3)]),
    Case("kron_0d", np.kron, [S(), S(3)]),
    Case("cross_3", np.cross, [S(3), S(3)]),
    Case("cross_broadcast", np.cross, [S(4, 3), S(3)]),
    *([Case("cross_2", np.cross, [S(4, 2), S(2)]),              # NumPy 2.5 refuses 2-vectors
       Case("cross_2_3", np.cross, [S(2), S(2, 3)])] if _CROSSES_2 else []),
    Case("cross_axis", lambda a, b: np.cross(a, b, axis=0), [S(3, 2), S(3, 2)]),
    Case("cross_axes", lambda a, b: np.cross(a, b, axisa=0, axisb=-1, axisc=0),
         [S(3, 2), S(2, 3)]),
    Case("linalg_cross", np.linalg.cross, [S(2, 3), S(3)]),
    # ------------------------------------------------------------ norms
    # (max/min based norms run in float64 only: a float32 finite-difference step is large
    # enough to cross a near-tie between two entries)
    Case("norm_d2l", np.linalg.norm, [S(4)]),
    Case("norm_matrix_default", np.linalg.norm, [S(2, 3)]),
    Case("norm_3d_default", np.linalg.norm, [S(2, 3, 2)]),
    Case("norm_any_shape", np.linalg.norm, [Arg()]),
    Case("norm_any_shape_axis", lambda x: np.linalg.norm(x, axis=-1, keepdims=True), [Arg()],
         min_dims=1),
    Case("norm_empty", lambda x: np.linalg.norm(x, axis=1), [S(2, 0)]),
    Case("norm_keepdims", lambda x: np.linalg.norm(x, keepdims=True), [S(2, 3)]),
    Case("norm_axis", lambda x: np.linalg.norm(x, axis=-1), [S(2, 3)]),
    Case("norm_axis0_keep", lambda x: np.linalg.norm(x, axis=0, keepdims=True), [S(2, 3)]),
    Case("norm_ord1", lambda x: np.linalg.norm(x, ord=1, axis=1),
         [Arg(shape=(2, 4), avoid=(0.0,))]),
    Case("norm_ord_inf", lambda x: np.linalg.norm(x, ord=np.inf), [S(5)], float32=False),
    Case("norm_ord_neginf", lambda x: np.linalg.norm(x, ord=-np.inf, axis=0),
         [Arg(0.2, 2.0, shape=(4, 2))], float32=False),
    Case("norm_ord3", lambda x: np.linalg.norm(x, ord=3, axis=(1,)),
         [Arg(shape=(2, 4), avoid=(0.0,))]),
    Case("norm_ord_half", lambda x: np.linalg.norm(x, ord=0.5),
         [Arg(shape=(4,), avoid=(0.0,), away=0.3)]),
    Case("norm_ord0", lambda x: np.linalg.norm(x, ord=0) * x, [Arg(shape=(4,), avoid=(0.0,))]),
    Case("norm_fro", lambda x: np.linalg.norm(x, "fro"), [S(3, 2)]),
    Case("norm_axes_pair", lambda x: np.linalg.norm(x, axis=(2, 0)), [S(3, 2, 4)]),
    Case("norm_mat_1", lambda x: np.linalg.norm(x, 1), [S(3, 4)], float32=False),
    Case("norm_mat_neg1", lambda x: np.linalg.norm(x, -1, axis=(0, 2), keepdims=True),
         [S(3, 2, 4)], float32=False),
    Case("norm_mat_inf", lambda x: np.linalg.norm(x, np.inf, axis=(-1, -2)), [S(2, 3, 4)],
         float32=False),
    Case("norm_mat_neginf", lambda x: np.linalg.norm(x, -np.inf), [S(3, 4)], float32=False),
    Case("norm_mat_2", lambda x: np.linalg.norm(x + SV32, 2), [U(3, 2)]),
    Case("norm_mat_neg2", lambda x: np.linalg.norm(x + SV32.T, -2, axis=(1, 0),
                                                   keepdims=True), [U(2, 3)]),
    Case("norm_nuc", lambda x: np.linalg.norm(x + SV32, "nuc"), [U(3, 2)]),
    Case("vector_norm", lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3),
         [Arg(shape=(2, 3, 2), avoid=(0.0,))]),
    Case("vector_norm_all", np.linalg.vector_norm, [S(2, 3)]),
    Case("matrix_norm", lambda x: np.linalg.matrix_norm(x, ord=1), [S(2, 3, 3)], float32=False),
    Case("tensor_norm_method", lambda x: x.norm() if isinstance(x, cr.Tensor)
         else np.linalg.norm(x), [S(4)]),
    # ------------------------------------------------------------ inv, det, solve
    Case("inv", lambda a: np.linalg.inv(a + I3), [U(3, 3)]),
    Case("inv_stacked", lambda a: np.linalg.inv(a + I3), [U(2, 3, 3)]),
    Case("inv_empty_stack", lambda a: np.linalg.inv(a + I3), [U(0, 3, 3)]),
    Case("det_empty_stack", lambda a: np.linalg.det(a + I3), [U(0, 3, 3)]),
    Case("det", lambda a: np.linalg.det(a + I3), [U(3, 3)]),
    Case("det_stacked", lambda a: np.linalg.det(a + I3), [U(2, 2, 3, 3)]),
    Case("det_raw", np.linalg.det, [S(2, 2)]),
    Case("slogdet", lambda a: np.linalg.slogdet(a + I3)[1], [U(2, 3, 3)]),
    Case("slogdet_sign", lambda a: np.linalg.slogdet(a - I3).sign * a, [U(3, 3)]),
    Case("solve_vector", lambda a, b: np.linalg.solve(a + I3, b), [U(3, 3), S(3)]),
    Case("solve_matrix", lambda a, b: np.linalg.solve(a + I3, b), [U(3, 3), S(3, 2)]),
    Case("solve_stacked_a", lambda a, b: np.linalg.solve(a + I3, b), [U(2, 3, 3), S(3)]),
    Case("solve_stacked_b", lambda a, b: np.linalg.solve(a + I3, b), [U(3, 3), S(2, 3, 4)]),
    Case("solve_broadcast", lambda a, b: np.linalg.solve(a + I3, b),
         [U(2, 1, 3, 3), S(4, 3, 2)]),
    Case("pinv_tall", lambda a: np.linalg.pinv(a + SV32), [U(3, 2)]),
    Case("pinv_wide", lambda a: np.linalg.pinv(a + SV32.T), [U(2, 2, 3)]),
    Case("pinv_square", lambda a: np.linalg.pinv(a + I3, rtol=1e-6), [U(3, 3)]),
    Case("lstsq_x", lambda a, b: np.linalg.lstsq(a + SV32, b)[0], [U(3, 2), S(3)]),
    Case("lstsq_residuals", lambda a, b: np.linalg.lstsq(a + SV32, b)[1], [U(3, 2), S(3, 2)]),
    Case("lstsq_sv", lambda a, b: np.linalg.lstsq(a + SV32, b)[3], [U(3, 2), S(3)]),
    Case("cond", lambda a: np.linalg.cond(a + SV33), [U(2, 3, 3)]),
    # older NumPy's cond(complex, 'fro') gives a real value in a complex dtype: not compared
    Case("cond_fro", lambda a: np.linalg.cond(a + SV33, "fro"), [U(3, 3)],
         complex=False if np.iscomplexobj(np.linalg.cond(np.eye(2, dtype=complex), "fro"))
         else None),
    Case("tensorinv", lambda a: np.linalg.tensorinv(a + np.eye(6).reshape(2, 3, 6) * 3),
         [U(2, 3, 6)]),
    Case("tensorsolve", lambda a, b: np.linalg.tensorsolve(
        a + 3 * np.eye(6).reshape(2, 3, 2, 3), b), [U(2, 3, 2, 3), S(2, 3)]),
    Case("tensorsolve_axes", lambda a, b: np.linalg.tensorsolve(
        a + 3 * np.eye(6).reshape(2, 3, 6).transpose(2, 0, 1), b, axes=(0,)),
         [U(6, 2, 3), S(2, 3)]),
    Case("matrix_transpose", np.linalg.matrix_transpose, [S(2, 3, 4)]),
    Case("linalg_diagonal", lambda a: np.linalg.diagonal(a, offset=1), [S(2, 3, 4)]),
    Case("linalg_trace", np.linalg.trace, [S(2, 3, 3)]),
    # ------------------------------------------------------------ decompositions
    # cholesky, eigh, eigvalsh, hermitian=True read one triangle of the input (NumPy's
    # functions): their derivatives are exactly those functions', checked in every direction
    # at Hermitian points (H) and at points whose other triangle differs (U)
    Case("cholesky", lambda a: np.linalg.cholesky(a + I3), [H(3, 3)]),
    Case("cholesky_stacked", lambda a: np.linalg.cholesky(a + I3), [H(2, 3, 3)]),
    Case("cholesky_nonhermitian", lambda a: np.linalg.cholesky(a + I3), [U(2, 3, 3)]),
    Case("cholesky_sym", lambda a: np.linalg.cholesky(a @ np.transpose(a, (0, 2, 1)) + I3),
         [U(2, 3, 3)]),
    Case("cholesky_upper", lambda a: np.linalg.cholesky(a + I3, upper=True), [H(3, 3)]),
    Case("cholesky_upper_nonhermitian", lambda a: np.linalg.cholesky(a + I3, upper=True),
         [U(3, 3)]),
    Case("eigh_values", lambda a: np.linalg.eigh(a + SPREAD3).eigenvalues, [H(3, 3)]),
    Case("eigh_vectors", lambda a: np.linalg.eigh(a + SPREAD3)[1] ** 2, [H(2, 3, 3)]),
    Case("eigh_vectors_nonhermitian", lambda a: np.linalg.eigh(a + SPREAD3)[1] ** 2,
         [U(2, 3, 3)]),
    Case("eigh_upper", lambda a: np.linalg.eigh(a + SPREAD3, UPLO="U")[1] ** 2 *
         np.linalg.eigh(a + SPREAD3, UPLO="U")[0], [H(3, 3)]),
    Case("eigh_upper_nonhermitian", lambda a: np.linalg.eigh(a + SPREAD3, UPLO="U")[1] ** 2,
         [U(3, 3)]),
    Case("eigh_gauge", lambda a: (lambda w, v: modulus2(v) * w[..., None, :])(
        *np.linalg.eigh(a + SPREAD3)), [H(2, 3, 3)]),
    Case("eigh_gauge_upper", lambda a: (lambda w, v: modulus2(v) * w[..., None, :])(
        *np.linalg.eigh(a + SPREAD3, UPLO="U")), [U(3, 3)]),
    Case("eigvalsh", lambda a: np.linalg.eigvalsh(a + SPREAD3), [H(3, 3)]),
    Case("eigvalsh_nonhermitian", lambda a: np.linalg.eigvalsh(a + SPREAD3), [U(3, 3)]),
    Case("eigvalsh_upper", lambda a: np.linalg.eigvalsh(a + SPREAD3, "U"), [U(2, 3, 3)]),
    Case("svdvals_hermitian", lambda a: np.linalg.svd(a + SPREAD3, compute_uv=False,
                                                      hermitian=True), [H(3, 3)]),
    Case("svdvals_hermitian_nonhermitian", lambda a: np.linalg.svd(
        a + SPREAD3, compute_uv=False, hermitian=True), [U(3, 3)]),
    Case("pinv_hermitian", lambda a: np.linalg.pinv(a + SPREAD3 + I3, hermitian=True),
         [H(2, 3, 3)]),
    Case("pinv_hermitian_nonhermitian", lambda a: np.linalg.pinv(a + SPREAD3 + I3,
                                                                 hermitian=True), [U(3, 3)]),
    Case("svdvals", lambda a: np.linalg.svd(a + SV32, compute_uv=False), [U(2, 3, 2)]),
    Case("svdvals_wide", lambda a: np.linalg.svdvals(a + SV32.T), [U(2, 3)]),
    Case("svd_u_tall", lambda a: svd_parts(a + SV32)[0] ** 2, [U(3, 2)]),
    Case("svd_v_tall", lambda a: svd_parts(a + SV32)[2] ** 2, [U(2, 3, 2)]),
    Case("svd_u_wide", lambda a: svd_parts(a + SV32.T)[0] ** 2, [U(2, 3)]),
    Case("svd_v_wide", lambda a: svd_parts(a + SV32.T)[2] ** 2, [U(2, 3)]),
    Case("svd_square", lambda a: (lambda r: r[0] * r[2].T * r[1])(svd_parts(a + SV33, True)),
         [U(3, 3)]),
    Case("qr_q", lambda a: np.linalg.qr(a + SV32)[0], [U(3, 2)]),
    Case("qr_r", lambda a: np.linalg.qr(a + SV32)[1], [U(2, 3, 2)]),
    Case("qr_square", lambda a: np.linalg.qr(a + SV33).Q, [U(3, 3)]),
    Case("qr_mode_r", lambda a: np.linalg.qr(a + SV33, mode="r"), [U(3, 3)]),
    # ------------------------------------------------------------ general eig
    Case("eigvals_real", lambda a: np.linalg.eigvals(a + SPREAD3), [U(3, 3)], float32=False),
    Case("eig_vectors_real", lambda a: np.linalg.eig(a + SPREAD3)[1], [U(2, 3, 3)],
         float32=False),
    Case("eigvals_complex_pair", lambda a: np.linalg.eigvals(a + ROT), [U(3, 3)],
         float32=False),
    Case("eig_vectors_complex_pair", lambda a: modulus2(np.linalg.eig(a + ROT)[1]),
         [U(3, 3)], float32=False),
    # ------------------------------------------------------------ degenerate matrices
    Case("det_rank_deficient", lambda a: np.linalg.det(
        np.concatenate([a[..., :1, :], 2 * a[..., :1, :], a[..., 1:2, :]], axis=-2)),
        [S(2, 3, 3)]),
    Case("det_outer", lambda v: np.linalg.det(v[..., :, None] * v[..., None, :] + 0 * I3),
         [S(3)]),
]

try:        # SciPy's matrix functions (optional): chainrule.rules.linalg.matrix_functions
    import scipy.linalg as _sl

    from chainrule.rules.linalg import matrix_functions as _mf

    def _matfun(name):
        def f(a):
            return (getattr(_mf, name) if isinstance(a, cr.Tensor) else getattr(_sl, name))(a)
        return f
    CASES += [Case("expm", lambda a: _matfun("expm")(a), [U(2, 3, 3)], float32=False),
              Case("logm", lambda a: _matfun("logm")(a + I3), [U(3, 3)], float32=False),
              Case("sqrtm", lambda a: _matfun("sqrtm")(a + I3), [U(3, 3)], float32=False)]
except ImportError:
    pass

# eigenvectors and singular vectors of complex input are defined up to a phase: the table
# checks them through phase-invariant functions only (tests/test_linalg_degenerate_complex.py
# checks the complex ones)
PHASE_DEPENDENT = ("eigh_vectors", "eigh_upper", "svd_u_", "svd_v_", "svd_square",
                   "eig_vectors_real",
                   "cholesky_sym")      # (and a a^T is positive definite for real a only)
for _case in CASES:
    if _case.name.startswith(PHASE_DEPENDENT):
        _case.complex = False

test_linalg = table_test(CASES)


# ------------------------------------------------------------------ beyond the table
def test_norm_grad_at_zero_is_zero():
    for x in (np.zeros(3), np.zeros((2, 3))):
        g = cr.grad(np.linalg.norm)(x)
        assert np.all(g == 0)
        _, t = cr.jvp(np.linalg.norm, (x,), (np.ones_like(x),))
        assert t == 0
    t = cr.tensor(np.zeros(4), requires_grad=True)
    np.linalg.norm(t).backward()
    assert np.all(t.grad.numpy() == 0)
    g = cr.grad(lambda v: np.linalg.norm(v, axis=1).sum())(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(g, [[0, 0], [0.6, 0.8]])


def test_d2l_dot_and_norm_on_tensors():
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y = 2 * np.dot(x, x)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.arange(4.0))
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    n = np.linalg.norm(b)
    (g,) = cr.autograd.grad(n, b, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [0.6, 0.8])
    g.sum().backward()   # second order through the recorded backward pass
    np.testing.assert_allclose(b.grad.numpy(), np.eye(2).sum(0) / 5 - 1.4 * b.data / 25)
    h = cr.hessian(lambda v: np.dot(v, v) * np.linalg.norm(v))(np.array([1.0, 2.0]))
    assert h.shape == (2, 2)
    cr.check_grads(lambda v: np.linalg.norm(v) * np.dot(v, v), np.array([1.0, -2.0, 0.5]))


def test_jacobians_of_products():
    a = np.random.default_rng(0).standard_normal((3, 2, 3))
    b = np.random.default_rng(1).standard_normal(3)
    jf = cr.jacfwd(lambda x: x @ b)(a)
    jr = cr.jacrev(lambda x: x @ b)(a)
    np.testing.assert_allclose(jf, jr)
    np.testing.assert_allclose(jf[1, 0, 1, 0], b)
    m = np.random.default_rng(2).uniform(-1, 1, (3, 3))
    hf = cr.hessian(lambda x: np.sum(np.linalg.inv(x + 3 * np.eye(3)) ** 2))(m)
    assert hf.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(hf, np.transpose(hf, (2, 3, 0, 1)), atol=1e-10)


def test_einsum_errors_and_forms():
    a = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        np.einsum("ijk->i", a)
    with pytest.raises(ValueError):
        np.einsum("ij,jk", a)
    with pytest.raises(ValueError):
        np.einsum("...j->j", cr.tensor(np.ones((2, 2, 3)), requires_grad=True))
    r = np.einsum("ij", a)
    assert r.shape == (2, 3)


def test_unsupported_options_are_loud():
    a = cr.tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(NotImplementedError):
        np.linalg.svd(a)             # full_matrices=True of a non-square matrix
    with pytest.raises(NotImplementedError):
        np.linalg.qr(cr.tensor(np.ones((2, 3)), requires_grad=True))
    with pytest.raises(ValueError):
        np.linalg.norm(a, ord="nuc", axis=0)
    with pytest.raises(ValueError):
        np.linalg.norm(cr.tensor(np.ones((2, 2, 2)), requires_grad=True), ord=2)


def test_eig_at_a_repeated_eigenvalue_says_so():
    a = np.array([[2.0, 1.0], [0.0, 2.0]])
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        cr.grad(lambda a: np.real(np.linalg.eigvals(a)).sum())(a)
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        cr.jvp(np.linalg.eigvals, (a,), (np.eye(2),))
    # without a gradient it runs on the values
    t = cr.tensor(a)
    np.testing.assert_allclose(np.linalg.eigvals(t).numpy(), np.linalg.eigvals(a))


def test_multi_dot_keeps_numpys_order():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in [(7,), (7, 2), (2, 9), (9, 3), (3,)]]
    got = np.linalg.multi_dot([cr.tensor(a) for a in arrays])
    assert got.numpy() == np.linalg.multi_dot(arrays)     # same products, same rounding


def test_convolve_matches_numpy_bit_for_bit():
    rng = np.random.default_rng(0)
    for n, m in [(1, 4), (5, 2), (4, 4), (2, 7)]:
        a, v = rng.standard_normal(n), rng.standard_normal(m)
        for mode in ("full", "same", "valid"):
            for f in (np.convolve, np.correlate):
                np.testing.assert_array_equal(f(cr.tensor(a), v, mode).numpy(), f(a, v, mode))
    with pytest.raises(ValueError, match="cannot be empty"):
        np.convolve(cr.tensor(np.ones(2)), np.ones(0))


def test_cross_puts_nan_and_signed_zeros_where_numpy_does():
    """Component by component: a NaN (here inf - inf) stays in its component, and the
    other components keep NumPy's signed zeros (an einsum with the Levi-Civita symbol gave
    NaN everywhere)."""
    big = 1e200
    cases = [(np.array([big, big, 0.0]), np.array([big, big, -0.0])),
             (np.array([0.0, np.nan, 1.0]), np.array([1.0, 0.0, 0.0]))]
    if _CROSSES_2:                       # NumPy 2.5 refuses 2-vectors
        cases += [(np.array([np.inf, 1.0]), np.array([2.0, 0.0, np.inf])),
                  (np.array([1.0, -0.0, np.inf]), np.array([0.0, 2.0]))]
    with np.errstate(all="ignore"):
        for a, b in cases:
            ref = np.cross(a, b)
            got = np.cross(cr.tensor(a), cr.tensor(b)).numpy()
            np.testing.assert_array_equal(got, ref)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))


def test_hermitian_reads_the_lower_triangle_or_raises():
    """``hermitian=True``: NumPy reads the lower triangle only; so do values and gradients
    (pinv, singular values).  svd's vectors would differ from NumPy's: that raises."""
    a = np.random.default_rng(1).normal(size=(3, 3))
    np.testing.assert_allclose(np.linalg.pinv(cr.tensor(a), hermitian=True).numpy(),
                               np.linalg.pinv(a, hermitian=True), atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.svd(cr.tensor(a), compute_uv=False, hermitian=True).numpy(),
        np.linalg.svd(a, compute_uv=False, hermitian=True), atol=1e-12)
    g = cr.grad(lambda x: np.sum(np.linalg.pinv(x, hermitian=True)))(a)
    assert np.all(np.triu(g, 1) == 0)          # the upper triangle is not read
    assert np.any(np.tril(g, -1) != 0)
    cr.check_grads(lambda x: np.linalg.pinv(x, hermitian=True), a, order=1)
    with pytest.raises(NotImplementedError, match="hermitian=True"):
        np.linalg.svd(cr.tensor(a), hermitian=True)
