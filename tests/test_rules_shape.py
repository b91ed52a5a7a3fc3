"""Shape, joining and indexing functions against finite differences (both modes, 2nd order).

Every case also runs with a batch of tangents (what jacfwd and hessian push), which checks
``index_tangent`` / ``setitem_tangent`` and each JVP rule past leading batch dimensions.
"""
import numpy as np
import pytest

import chainrule as cr
from rulecheck import Arg, Case, table_test

A = Arg
NB = Arg(broadcast=False)            # same shape as the other arguments
NZ = Arg(avoid=(0.0,), away=0.2)     # values-dependent masks must not flip under perturbation


def S(*shape, **kw):
    return Arg(shape=shape, **kw)


M = np.array([[True, False, True, True, False],
              [False, False, True, False, True],
              [True, True, False, False, False],
              [False, True, False, True, True]])


# ---------------------------------------------------------------- x[idx]
INDEXING = [
    Case("basic_slices", lambda x: x[1:, ::-1], [S(4, 5)]),
    Case("int", lambda x: x[2], [S(4, 5)]),
    Case("negative_int_step", lambda x: x[-1, 4:0:-2], [S(4, 5)]),
    Case("negative_step", lambda x: x[::-2], [A()], min_dims=1),
    Case("none_ellipsis", lambda x: x[None, ..., 1], [S(3, 4, 2)]),
    Case("ellipsis_none", lambda x: x[..., None], [A()]),
    Case("empty_tuple", lambda x: x[()], [A()]),
    Case("none", lambda x: x[None], [A()]),
    Case("ellipsis", lambda x: x[...], [A()]),
    Case("numpy_int", lambda x: x[np.int64(1), np.intp(-2)], [S(3, 4)]),
    Case("int_array_repeated", lambda x: x[[0, 2, 2, 1, 2]], [S(4, 5)]),
    Case("int_array_2d", lambda x: x[np.array([[0, 1], [3, 3]])], [S(4, 5)]),
    Case("int_array_negative", lambda x: x[np.array([-1, 0, -1])], [A()], min_dims=1,
         allow_empty=False),
    Case("int_arrays_pairs", lambda x: x[[0, 0, 3], [1, 1, 4]], [S(4, 5)]),
    Case("int_arrays_broadcast", lambda x: x[[[0], [3]], [1, 1, 4]], [S(4, 5)]),
    Case("bool_mask", lambda x: x[M], [S(4, 5)]),
    Case("bool_mask_rows", lambda x: x[np.array([True, False, True, True])], [S(4, 5)]),
    Case("bool_mask_cols", lambda x: x[:, [True, False, True, False, True]], [S(4, 5)]),
    Case("value_mask", lambda x: x[x > 0], [NZ]),
    Case("scalar_bool", lambda x: x[True], [A()]),
    Case("mixed_adjacent", lambda x: x[:, [0, 0, 3], 1:3], [S(3, 4, 5)]),
    Case("mixed_separated", lambda x: x[[0, 2], :, [1, 1]], [S(3, 4, 5)]),
    Case("int_slice_array", lambda x: x[1, :, [0, 4, 4]], [S(3, 4, 5)]),
    Case("separated_broadcast", lambda x: x[[[0], [2]], 1:, [0, 4]], [S(3, 4, 5)]),
    Case("ellipsis_array", lambda x: x[..., [0, 2, 0]], [S(2, 3, 4)]),
    Case("none_array_slice", lambda x: x[None, [1, 1], None, ::2], [S(3, 4, 5)]),
    Case("mask_and_slice", lambda x: x[np.array([True, False, True]), 1:], [S(3, 4, 5)]),
    Case("chained", lambda x: x[1:][::-1][:, [0, 0]][0], [S(3, 4)]),
    Case("index_then_math", lambda x: np.sin(x[[1, 1]]) * x[0], [S(3, 4)]),
]


# ---------------------------------------------------------------- x[idx] = v
# A traced v cannot be written into a plain ndarray (that raises), and the checks also run
# with x constant: so the buffers are tensors whenever x or v is, as np.zeros_like makes them.
def _copy(x, v):
    return x + np.zeros_like(v, shape=np.shape(x))


def _set(idx, scale=1.0):
    def f(x, v):
        y = _copy(x, v)
        y[idx] = v * scale
        return y
    return f


def _set_view(x, v):
    y = _copy(x, v)
    row = y[1]             # a view: writing into it changes y
    row[2:] = v
    return y * 2.0


def _set_use(x, v):
    y = _copy(x, v)
    y[0] = v
    return np.sin(y) * y


def _set_self(x, v):
    y = _copy(x, v)
    y[0] = y[1] + v * 2.0     # (y[1] * v would save the view y[1]: PyTorch's error)
    return y


def _set_buffer(x, v):
    out = np.zeros_like(_copy(x, v))
    out[1:] = x[:-1] * v
    return out


def _iadd_basic(x, v):
    y = _copy(x, v)
    y[1:3] += v
    return y


def _iadd_repeated(x, v):
    y = _copy(x, v)
    y[[0, 0, 2]] += v
    return y


def _set_twice(x, v):
    y = _copy(x, v)
    y[0] = v
    y[:, 1] = v[1] * 3.0
    return y


def _set_view_then_base(x, v):
    y = _copy(x, v)
    col = y[:, 0]
    y[1] = v              # base write: the view sees it
    return col * y[:, 2]


SETITEM = [
    Case("set_row", _set(0), [S(3, 4), S(4)]),
    Case("set_row_broadcast", _set(0), [S(3, 4), S(1)]),
    Case("set_row_extra_dims", _set(0), [S(3, 4), S(1, 1, 4)]),
    Case("set_scalar", _set((1, 2)), [S(3, 4), S()]),
    Case("set_slice_broadcast", _set((slice(1, None), slice(None, None, 2))), [S(3, 4), S(2)]),
    Case("set_negative_step", _set((slice(None, None, -1), 0)), [S(3, 4), S(3)]),
    Case("set_ellipsis", _set((Ellipsis, 1), 2.0), [S(2, 3, 4), S(2, 3)]),
    Case("set_repeated_rows", _set([0, 0, 2]), [S(3, 4), S(3, 4)]),
    Case("set_repeated_broadcast", _set([0, 0, 2]), [S(3, 4), S(4)]),
    Case("set_pairs", _set(([0, 2, 0], [1, 3, 1])), [S(3, 4), S(3)]),
    Case("set_mask", _set(M), [S(4, 5), S(int(M.sum()))]),
    Case("set_mask_scalar", _set(M), [S(4, 5), S()]),
    Case("set_mixed", _set((slice(None), [0, 3], 1)), [S(2, 4, 3), S(2)]),
    Case("set_separated", _set(([0, 1], slice(None), [2, 0])), [S(2, 4, 3), S(2, 4)]),
    Case("set_all", _set(Ellipsis), [NB, A()], min_dims=1),
    Case("set_view", _set_view, [S(3, 4), S(2)]),
    Case("set_then_use", _set_use, [S(3, 4), S(4)]),
    Case("set_from_self", _set_self, [S(3, 4), S(4)]),
    Case("set_into_zeros_like", _set_buffer, [S(3, 4), S(4)]),
    Case("iadd_slice", _iadd_basic, [S(4, 3), S(3)]),
    Case("iadd_repeated", _iadd_repeated, [S(4, 3), S(3, 3)]),
    Case("set_twice", _set_twice, [S(3, 4), S(4)]),
    Case("set_base_seen_by_view", _set_view_then_base, [S(3, 4), S(4)]),
]


# ---------------------------------------------------------------- shape functions
def _spread(x):
    """``x`` plus a fixed shuffled grid with steps wider than x's range: an order that is
    not the identity, and values that never come close to a tie (sorting has kinks there)."""
    shape = np.shape(x)
    grid = np.random.default_rng(0).permutation(int(np.prod(shape, dtype=int)))
    return x + 5.0 * grid.reshape(shape)


SHAPES = [
    Case("swapaxes", lambda x: np.swapaxes(x, 0, -1), [A()], min_dims=1),
    Case("swapaxes_method", lambda x: x.swapaxes(1, 0), [A()], min_dims=2),
    Case("moveaxis", lambda x: np.moveaxis(x, 0, -1), [A()], min_dims=1),
    Case("moveaxis_many", lambda x: np.moveaxis(x, (0, 1), (2, 0)), [S(2, 3, 4)]),
    Case("expand_dims", lambda x: np.expand_dims(x, 0), [A()]),
    Case("expand_dims_neg", lambda x: np.expand_dims(x, -1), [A()]),
    Case("expand_dims_tuple", lambda x: np.expand_dims(x, (0, 2)), [A()], min_dims=1),
    Case("squeeze", np.squeeze, [A()]),
    Case("squeeze_axis", lambda x: np.squeeze(x, axis=(1, -1)), [S(2, 1, 3, 1)]),
    Case("squeeze_method", lambda x: x.squeeze(0), [S(1, 3)]),
    Case("atleast_1d", np.atleast_1d, [A()]),
    Case("atleast_2d", np.atleast_2d, [A()]),
    Case("atleast_3d", np.atleast_3d, [A()]),
    Case("atleast_many", lambda x, y: np.atleast_2d(x, y)[0] * 2 + np.atleast_2d(x, y)[1],
         [NB, NB]),
    # joining
    Case("concatenate", lambda x, y: np.concatenate([x, y]), [NB, NB], min_dims=1),
    Case("concatenate_neg", lambda x, y: np.concatenate((x, y, x), axis=-1), [NB, NB],
         min_dims=1),
    Case("concatenate_none", lambda x, y: np.concatenate([x, y], axis=None), [A(), A()]),
    Case("concatenate_sizes", lambda x, y: np.concatenate([x, y], axis=1),
         [S(2, 3), S(2, 1)]),
    Case("concatenate_const", lambda x: np.concatenate([np.ones((1, 3)), x, x[:1] * 2]),
         [S(2, 3)]),
    Case("concatenate_dtype", lambda x: np.concatenate([x, x], dtype=np.float64), [A()],
         min_dims=1),
    Case("stack", lambda x, y: np.stack([x, y]), [NB, NB]),
    Case("stack_neg", lambda x, y: np.stack((x, y, x), axis=-1), [NB, NB]),
    Case("stack_const", lambda x: np.stack([x, np.zeros(np.shape(x))], axis=1), [A()],
         min_dims=1),
    Case("hstack", lambda x, y: np.hstack([x, y]), [NB, NB]),
    Case("vstack", lambda x, y: np.vstack([x, y]), [NB, NB]),
    Case("dstack", lambda x, y: np.dstack([x, y]), [NB, NB]),
    Case("column_stack", lambda x, y: np.column_stack([x, y]), [NB, NB], max_dims=2),
    Case("append", np.append, [A(), A()]),
    Case("append_axis", lambda x, y: np.append(x, y, axis=0), [NB, NB], min_dims=1),
    Case("insert", lambda x, v: np.insert(x, 1, v), [A(), S(2)], allow_empty=False),
    Case("insert_axis", lambda x, v: np.insert(x, [0, 2, 2], v, axis=1), [S(2, 3), S(2, 3)]),
    Case("insert_scalar_row", lambda x, v: np.insert(x, -1, v, axis=0), [S(3, 2), S(2)]),
    Case("insert_slice_const", lambda x: np.insert(x, slice(0, 2), 7.5, axis=-1), [S(2, 3)]),
    Case("insert_into_const", lambda v: np.insert(np.ones((2, 3)), 1, v, axis=1), [S(2)]),
    Case("delete", lambda x: np.delete(x, [0, 2]), [S(2, 3)]),
    Case("delete_axis", lambda x: np.delete(x, -1, axis=-1), [A()], min_dims=1,
         allow_empty=False),
    Case("delete_slice", lambda x: np.delete(x, slice(None, None, 2), axis=0), [A()],
         min_dims=1),
    Case("delete_mask", lambda x: np.delete(x, [True, False, True], axis=0), [S(3, 2)]),
    Case("resize_grow", lambda x: np.resize(x, (3, 5)), [S(2, 3)]),
    Case("resize_shrink", lambda x: np.resize(x, 4), [S(2, 3)]),
    Case("resize_drawn", lambda x: np.resize(x, (2, 2)), [A()]),
    Case("block", lambda x, y: np.block([[x, x[:, :1] * 3.0], [y, np.ones((1, 1))]]),
         [S(2, 3), S(1, 3)]),
    Case("block_1d", lambda x, y: np.block([x, y, 1.5]), [S(3), S(2)]),
    Case("block_3d", lambda x: np.block([[[x]], [[x * 2.0]]]), [S(2, 3)]),
    Case("rollaxis", lambda x: np.rollaxis(x, 2), [S(2, 3, 4)]),
    Case("rollaxis_start", lambda x: np.rollaxis(x, 0, 3), [S(2, 3, 4)]),
    Case("rollaxis_same", lambda x: np.rollaxis(x, -1, 1), [A()], min_dims=1),
    # grids
    Case("meshgrid", lambda x, y: np.stack(np.meshgrid(x, y)), [A(), A()], max_dims=1),
    Case("meshgrid_ij_3", lambda x, y: np.stack(np.meshgrid(x, y, x[:2], indexing="ij")),
         [S(3), S(2)]),
    Case("meshgrid_sparse", lambda x, y: np.sin(np.meshgrid(x, y, sparse=True)[0]) *
         np.meshgrid(x, y, sparse=True)[1], [S(3), S(4)]),
    Case("linspace", lambda a, b: np.linspace(a, b, 5), [A(), A()]),
    Case("linspace_open_axis", lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=-1),
         [A(), A()]),
    Case("linspace_const_start", lambda b: np.linspace(0.5, b, 3), [A()]),
    Case("linspace_step", lambda a, b: np.linspace(a, b, 6, retstep=True)[1], [A(), A()]),
    Case("linspace_one", lambda a, b: np.linspace(a, b, 1), [A(), A()]),
    Case("logspace", lambda a, b: np.logspace(a, b, 4, base=2.0), [A(), A()]),
    Case("nested_tensor", lambda x: cr.tensor([[x[0], 1.0], [x[1] * x[0], x[2]]])
         if isinstance(x, cr.Tensor) else np.array([[x[0], 1.0], [x[1] * x[0], x[2]]]),
         [S(3)]),
    # splitting: put the pieces back together in another order
    Case("split", lambda x: np.concatenate(np.split(x, 2)[::-1]), [S(4, 3)]),
    Case("split_indices", lambda x: np.concatenate(np.split(x, [1, 3], axis=1)[::-1], axis=1),
         [S(2, 5)]),
    Case("array_split", lambda x: np.concatenate(np.array_split(x, 3, axis=-1)[::-1], axis=-1),
         [A()], min_dims=1),
    Case("split_piece", lambda x: np.split(x, 3, axis=1)[1] * np.split(x, 3, axis=1)[2],
         [S(2, 6)]),
    Case("hsplit", lambda x: np.hsplit(x, 2)[1], [S(3, 4)]),
    Case("vsplit", lambda x: np.vsplit(x, [1])[1], [S(3, 4)]),
    Case("dsplit", lambda x: np.dsplit(x, 2)[0], [S(2, 2, 4)]),
    # reordering
    Case("flip", np.flip, [A()]),
    Case("flip_axis", lambda x: np.flip(x, 0), [A()], min_dims=1),
    Case("flip_axes", lambda x: np.flip(x, (0, -1)), [A()], min_dims=2),
    Case("fliplr", np.fliplr, [A()], min_dims=2),
    Case("flipud", np.flipud, [A()], min_dims=1),
    Case("rot90", lambda x: np.rot90(x), [S(2, 3, 2)]),
    Case("rot90_2", lambda x: np.rot90(x, 2, axes=(1, 2)), [S(2, 3, 2)]),
    Case("rot90_3", lambda x: np.rot90(x, -1, axes=(2, 0)), [S(2, 3, 2)]),
    Case("roll", lambda x: np.roll(x, 1), [A()]),
    Case("roll_axis", lambda x: np.roll(x, -2, axis=-1), [A()], min_dims=1),
    Case("roll_axes", lambda x: np.roll(x, (1, 5), axis=(0, 1)), [A()], min_dims=2),
    Case("roll_same_axis", lambda x: np.roll(x, (1, 1), axis=(0, 0)), [A()], min_dims=1),
    Case("sort", lambda x: np.sort(_spread(x)), [A()], min_dims=1),
    Case("sort_axis0", lambda x: np.sort(_spread(x), axis=0), [A()], min_dims=1),
    Case("sort_none", lambda x: np.sort(_spread(x), axis=None), [A()]),
    Case("partition", lambda x: np.partition(_spread(x), 1, axis=0), [S(4, 3)]),
    # repeating and padding
    Case("repeat", lambda x: np.repeat(x, 2), [A()]),
    Case("repeat_axis", lambda x: np.repeat(x, 3, axis=-1), [A()], min_dims=1),
    Case("repeat_zero", lambda x: np.repeat(x, 0, axis=0), [A()], min_dims=1),
    Case("repeat_one", lambda x: np.repeat(x, 1, axis=0), [A()], min_dims=1),
    Case("repeat_counts", lambda x: np.repeat(x, [1, 0, 2], axis=0), [S(3, 2)]),
    Case("repeat_method", lambda x: x.repeat(2, axis=1), [S(2, 3)]),
    Case("tile", lambda x: np.tile(x, 2), [A()]),
    Case("tile_more_dims", lambda x: np.tile(x, (2, 1, 2)), [A()]),
    Case("tile_fewer_reps", lambda x: np.tile(x, (3,)), [S(2, 3)]),
    Case("tile_zero", lambda x: np.tile(x, (0, 2)), [S(2, 3)]),
    Case("pad", lambda x: np.pad(x, 1), [A()]),
    Case("pad_pairs", lambda x: np.pad(x, ((1, 0), (0, 2)), constant_values=3.0), [S(2, 3)]),
    Case("pad_pair", lambda x: np.pad(x, (2, 1), mode="constant"), [A()]),
    Case("pad_edge", lambda x: np.pad(x, ((2, 1), (0, 3)), mode="edge"), [S(3, 4)]),
    Case("pad_reflect", lambda x: np.pad(x, ((2, 1), (5, 3)), mode="reflect"), [S(3, 4)]),
    Case("pad_symmetric", lambda x: np.pad(x, 2, mode="symmetric"), [S(3, 4)]),
    Case("pad_wrap", lambda x: np.pad(x, ((0, 0), (1, 6)), mode="wrap"), [S(3, 4)]),
    Case("pad_edge_nothing", lambda x: np.pad(x, 0, mode="edge"), [A()]),
    # diagonals and triangles
    Case("diag_vector", np.diag, [A()], min_dims=1, max_dims=1),
    Case("diag_vector_k", lambda x: np.diag(x, 1), [S(3)]),
    Case("diag_vector_negk", lambda x: np.diag(x, k=-2), [S(3)]),
    Case("diag_matrix", np.diag, [A()], min_dims=2, max_dims=2),
    Case("diag_matrix_k", lambda x: np.diag(x, -1), [S(4, 3)]),
    Case("diagflat", lambda x: np.diagflat(x, 1), [S(2, 2)]),
    Case("diagonal", np.diagonal, [A()], min_dims=2),
    Case("diagonal_axes", lambda x: np.diagonal(x, 1, -1, 0), [S(3, 2, 4)]),
    Case("diagonal_method", lambda x: x.diagonal(offset=-1), [S(4, 3)]),
    Case("trace", np.trace, [A()], min_dims=2),
    Case("trace_offset", lambda x: np.trace(x, 1, axis1=1, axis2=2), [S(2, 3, 4)]),
    Case("trace_method", lambda x: x.trace(), [S(3, 3)]),
    Case("tril", np.tril, [A()], min_dims=2),
    Case("tril_k", lambda x: np.tril(x, -1), [S(3, 4)]),
    Case("tril_vector", np.tril, [A()], min_dims=1, max_dims=1),
    Case("triu", np.triu, [A()], min_dims=2),
    Case("triu_k", lambda x: np.triu(x, k=1), [S(2, 4, 3)]),
    # gathering
    Case("take", lambda x: np.take(x, [0, 2, 0]), [S(2, 3)]),
    Case("take_scalar", lambda x: np.take(x, 1, axis=-1), [S(2, 3)]),
    Case("take_axis", lambda x: np.take(x, [[1, 0], [1, 1]], axis=1), [S(2, 3, 2)]),
    Case("take_wrap", lambda x: np.take(x, [4, -4], axis=0, mode="wrap"), [S(3, 2)]),
    Case("take_clip", lambda x: np.take(x, [4, -4, 1], mode="clip"), [S(3, 2)]),
    Case("take_method", lambda x: x.take([2, 2], axis=0), [S(3, 2)]),
    Case("take_along_axis",
         lambda x: np.take_along_axis(x, np.array([[0, 2, 2], [1, 1, 0]]), axis=1),
         [S(2, 4)]),
    Case("take_along_axis_bcast",
         lambda x: np.take_along_axis(x, np.array([[0], [2], [2]]), axis=0), [S(3, 4)]),
    Case("take_along_axis_none",
         lambda x: np.take_along_axis(x, np.array([5, 0, 0]), axis=None), [S(2, 3)]),
    Case("take_along_argsort",
         lambda x: np.take_along_axis(x, np.argsort(_spread(x), axis=-1), -1),
         [A()], min_dims=1),
    # NumPy finds the positions, the values move differentiably
    Case("unique", lambda x: np.unique(_spread(x)), [A()]),
    Case("unique_repeated",
         lambda x: np.unique(np.concatenate([_spread(x), _spread(x)[::-1]])), [S(4)]),
    Case("bincount_weights",
         lambda w: np.bincount(np.array([0, 3, 3, 1, 0]), weights=w, minlength=6), [S(5)]),
]

test_indexing = table_test(INDEXING)
test_setitem = table_test(SETITEM)
test_shapes = table_test(SHAPES)


# ---------------------------------------------------------------- hessians
def _sample(case, rng):
    """One deterministic draw of arguments for ``case`` (all arguments share a base shape)."""
    nd = max(case.min_dims, min(2, case.max_dims))
    base = (3, 2, 4)[:nd]
    return [rng.uniform(a.lo, a.hi, size=a.shape if a.shape is not None else base)
            for a in case.args]


@pytest.mark.parametrize("case", INDEXING + SETITEM + SHAPES, ids=str)
def test_hessian_matches_reverse_over_reverse(case):
    """cr.hessian (forward over reverse, batched tangents through the VJP rules)."""
    args = _sample(case, np.random.default_rng(0))
    if case.name == "value_mask":
        args = [np.where(np.abs(a) < 0.2, 0.5, a) for a in args]

    def scalar(x0):
        y = case.fun(x0, *args[1:])
        return np.sum(np.sin(y) * y)
    h1 = cr.hessian(scalar)(args[0])
    h2 = cr.jacrev(cr.jacrev(scalar))(args[0])
    np.testing.assert_allclose(h1, h2, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- behaviour beyond values
def test_repeated_index_gradients_accumulate():
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    x[[0, 0, 0, 3]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 0.0, 1.0])


def test_setitem_repeated_index_last_write_wins():
    x = cr.tensor(np.zeros(3), requires_grad=True)
    v = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 1.0
    y[[0, 0, 1]] = v
    (y * np.array([10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0, 0.0])
    np.testing.assert_array_equal(v.grad.numpy(), [0.0, 10.0, 100.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1000.0])


def test_setitem_gradient_old_values_and_broadcast_value():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    v = cr.tensor(np.array(5.0), requires_grad=True)
    y = x * 2.0
    y[:, 1:] = v
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    assert float(v.grad) == 4.0


def test_setitem_into_leaf_that_requires_grad_raises():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        x[0] = 2.0


def test_split_returns_views_and_lists():
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    parts = np.split(x, 3)
    assert isinstance(parts, list) and len(parts) == 3
    assert all(isinstance(p, cr.Tensor) and p.shape == (2,) for p in parts)
    (parts[0] * parts[2]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 5.0, 0.0, 0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="equal division"):
        np.split(x, 4)


def test_atleast_multiple_returns_tuple():
    x = cr.tensor(1.0, requires_grad=True)
    a, b = np.atleast_1d(x, np.ones(2))
    assert a.shape == (1,) and b.shape == (2,)
    assert np.atleast_3d(x).shape == (1, 1, 1)


def test_concatenate_mixed_dtypes_and_constants():
    x = cr.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = np.concatenate([x, np.zeros(1)])
    assert y.dtype == np.float64
    (y * np.arange(3.0)).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_concatenate_forward_with_constant_parts():
    f = lambda x: np.concatenate([x, np.ones(2), 2 * x])
    j = cr.jacfwd(f)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(j, [[1, 0], [0, 1], [0, 0], [0, 0], [2, 0], [0, 2]])


def test_sort_gradient_follows_permutation():
    x = np.array([3.0, 1.0, 2.0])
    g = cr.grad(lambda x: np.sum(np.sort(x) * np.array([1.0, 10.0, 100.0])))(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])


@pytest.mark.parametrize("call, err", [
    (lambda x: np.squeeze(x, 0), ValueError),
    (lambda x: np.concatenate([x[0, 0], x[0, 0]]), ValueError),
    (lambda x: np.stack([x, x[0]]), ValueError),
    (lambda x: np.moveaxis(x, 5, 0), np.exceptions.AxisError),
    (lambda x: np.pad(x, 1, mode="linear_ramp"), NotImplementedError),
    (lambda x: np.pad(x, 1, mode="reflect", reflect_type="odd"), NotImplementedError),
    (lambda x: np.pad(x, -1), ValueError),
    (lambda x: np.diag(x[None]), ValueError),
    (lambda x: np.diagonal(x, axis1=1, axis2=-1), ValueError),
    (lambda x: np.fliplr(x[0]), ValueError),
    (lambda x: np.sort(x, order="a"), NotImplementedError),
    (lambda x: np.take(x, [0], mode="bogus"), ValueError),
    (lambda x: np.take_along_axis(x, np.array([0]), axis=0), ValueError),
    (lambda x: np.repeat(x, -1), ValueError),
])
def test_errors(call, err):
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(err):
        call(x)


def test_views_track_base_writes_forward_mode():
    """The tangent of a view follows in-place writes into its base (index_tangent)."""
    def f(x):
        y = x * 1.0
        view = y[::-1, [0]] if False else y[::-1]
        y[0] = x[1] * x[1]
        return view * 1.0
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(cr.jacfwd(f)(x), cr.jacrev(f)(x))


def test_pad_constant_values_keep_dtype():
    x = cr.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    c = cr.tensor(2.0, requires_grad=True)
    y = np.pad(x, 1, constant_values=c)
    assert y.dtype == np.float32
    y.sum().backward()
    assert float(c.grad) == 2.0


def test_pad_traced_constant_value():
    # np.pad dispatches on its array only, so the array must be a tensor too
    cr.check_grads(lambda x, c: np.pad(x, ((1, 0), (2, 1)), constant_values=c),
                   np.ones((2, 3)), np.array(0.5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("idx", [
    (np.array([0, 3, 3, 7, 0] * 60),),                        # rows, repeated
    (slice(None), np.array([1, 1, 4] * 50)),                  # columns, repeated
    (np.array([2, 2, 5] * 400), np.array([0, 0, 9] * 400)),   # pairs
])
def test_large_scatter_accumulates(dtype, idx):
    """Big gathers scatter their gradient through flat positions: same sums as np.add.at."""
    x = np.random.default_rng(0).standard_normal((8, 10)).astype(dtype)
    w = np.random.default_rng(1).standard_normal(np.shape(x[idx])).astype(dtype)
    g = cr.grad(lambda x: np.sum(x[idx] * w))(x)
    ref = np.zeros_like(x)
    np.add.at(ref, idx, w)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, ref, rtol=1e-5)


def test_linspace_matches_numpy_and_differentiates_both_ends():
    for args, kw in [((0.5, 2.0, 7), {}), ((np.array([0.0, 1.0]), 3.0, 4), {"axis": -1}),
                     ((1.0, 1.0, 3), {}), ((0.0, 1.0, 5), {"endpoint": False}),
                     ((-1.0, 2.0, 4), {"dtype": np.int64})]:
        a, b, n = args
        want = np.linspace(a, b, n, **kw)
        got = np.linspace(cr.tensor(a), b, n, **kw)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.numpy(), want)
    ja = cr.jacrev(lambda a: np.linspace(a, 3.0, 4))(1.0)
    jb = cr.jacfwd(lambda b: np.linspace(1.0, b, 4))(3.0)
    np.testing.assert_allclose(ja, [1.0, 2 / 3, 1 / 3, 0.0])
    np.testing.assert_allclose(jb, [0.0, 1 / 3, 2 / 3, 1.0])


def test_rearrangers_raise_as_numpy_does():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(IndexError):
        np.insert(x, 7, 1.0, axis=1)
    with pytest.raises(IndexError):
        np.delete(x, 3, axis=1)
    with pytest.raises(ValueError):
        np.block([[x], [x[:, :2]]])
    with pytest.raises(np.exceptions.AxisError):
        np.rollaxis(x, 0, 5)
    assert type(np.meshgrid(x[0], x[1])) is type(np.meshgrid(np.ones(3), np.ones(3)))
    assert np.resize(x[:, :0], (2, 2)).shape == (2, 2)


def test_rot90_errors_are_numpys():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="Axes must be different"):
        np.rot90(x[0])
    with pytest.raises(ValueError, match="out of range"):
        np.rot90(x, axes=(0, 3))
