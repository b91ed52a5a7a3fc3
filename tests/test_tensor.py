"""The Tensor API: attributes, methods, operators, indexing, grad modes, hooks."""
import copy
import operator
import pickle

import numpy as np
import pytest

import chainrule as cr


def leaf(data):
    return cr.tensor(np.asarray(data, dtype=float), requires_grad=True)


def test_construction_and_dtypes():
    assert cr.tensor(1.0).dtype == np.float64
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert cr.tensor(np.ones(2, np.complex64)).dtype == np.complex64
    assert cr.tensor([1, 2], dtype=np.float32).dtype == np.float32
    t = cr.Tensor([[1.0, 2.0]], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.shape == (1, 2) and t.ndim == 2 and t.size == 2
    assert t.T.shape == (2, 1)


def test_attributes_of_computed_tensors():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert x.grad_fn is None
    assert isinstance(y.data, np.ndarray)
    z = y.detach()
    assert not z.requires_grad and z.is_leaf


def test_nested_list_with_tensors_is_differentiable():
    a, c = leaf(2.0), leaf(3.0)
    m = cr.tensor([[a, a * c], [0.0, c]])
    assert m.shape == (2, 2)
    m.sum().backward()
    assert float(a.grad) == 4.0 and float(c.grad) == 3.0


def test_repr_len_iter_and_conversions():
    x = leaf([1.0, 2.0, 3.0])
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<multiply>" in repr(x * 2)
    assert len(x) == 3
    assert [float(v) for v in x] == [1.0, 2.0, 3.0]
    s = x[1]
    assert float(s) == 2.0 and int(s) == 2 and bool(s) is True
    assert complex(s) == 2 + 0j
    assert [10, 20, 30][cr.tensor(2)] == 30
    assert f"{x.sum():.1f}" == "6.0"
    assert x.tolist() == [1.0, 2.0, 3.0] and x.sum().item() == 6.0
    with pytest.raises(TypeError):
        len(cr.tensor(1.0))


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow])
def test_binary_operators_both_sides(op):
    a = np.array([1.5, 2.0])
    for left, right in [(leaf(a), 3.0), (3.0, leaf(a)), (leaf(a), a + 1), (a + 1, leaf(a))]:
        out = op(left, right)
        expect = op(np.asarray(left.detach() if isinstance(left, cr.Tensor) else left),
                    np.asarray(right.detach() if isinstance(right, cr.Tensor) else right))
        np.testing.assert_allclose(out.numpy(), expect)
        out.sum().backward()
        t = left if isinstance(left, cr.Tensor) else right
        assert t.grad is not None and t.grad.shape == (2,)


def test_other_operators():
    x = leaf([1.5, -2.5])
    np.testing.assert_allclose((-x).numpy(), [-1.5, 2.5])
    np.testing.assert_allclose(abs(x).numpy(), [1.5, 2.5])
    np.testing.assert_allclose((x // 1).numpy(), [1.0, -3.0])
    np.testing.assert_allclose((x % 1).numpy(), [0.5, 0.5])
    m = leaf(np.eye(2))
    np.testing.assert_allclose((m @ x).numpy(), x.numpy())
    np.testing.assert_allclose((x.numpy() @ m).numpy(), x.numpy())
    cmp = x > 0
    assert cmp.dtype == bool and not cmp.requires_grad
    for c in (x < 0, x <= 0, x >= 0, x == 1.5, x != 1.5, ~(x > 0), (x > 0) & (x < 2),
              (x > 0) | (x < 2)):
        assert not c.requires_grad


def test_methods():
    x = leaf(np.arange(6.0).reshape(2, 3) + 1)
    assert x.sum().shape == () and x.sum(axis=0).shape == (3,)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.transpose().shape == (3, 2) and x.T.shape == (3, 2)
    assert x.ravel().shape == (6,) and x.flatten().shape == (6,)
    assert x[None].squeeze().shape == (2, 3)
    assert int(x.argmax()) == 5 and int(x.argmin()) == 0
    assert x.astype(np.float32).dtype == np.float32
    assert x.copy() is not x
    assert float(x[0].norm()) == pytest.approx(np.sqrt(14))
    assert float(x.norm()) == pytest.approx(np.sqrt(np.sum(np.arange(1, 7.0) ** 2)))
    total = (x.mean() + x.prod() + x.max() + x.min() + x.clip(2, 4).sum() + x.cumsum().sum()
             + x.var() + x.std() + x[0].dot(x[1]) + x.all() + x.any())
    total.backward()
    assert x.grad.shape == (2, 3) and np.all(np.isfinite(x.grad.numpy()))


def test_indexing_gradients():
    x = leaf(np.arange(12.0).reshape(3, 4))
    parts = [x[1], x[:, 2], x[::-1, ::2], x[..., None], x[[0, 0, 2]], x[x > 5],
             x[np.array([0, 2]), np.array([1, 3])], x[1:, [0, 0]], x[-1, -1]]
    sum(p.sum() for p in parts).backward()
    expect = np.zeros((3, 4))
    expect[1] += 1
    expect[:, 2] += 1
    expect[::-1, ::2] += 1
    expect += 1
    np.add.at(expect, [0, 0, 2], 1)
    expect[np.arange(12.0).reshape(3, 4) > 5] += 1
    expect[[0, 2], [1, 3]] += 1
    np.add.at(expect, (slice(1, None), [0, 0]), 1)
    expect[-1, -1] += 1
    np.testing.assert_array_equal(x.grad.numpy(), expect)


def test_setitem_gradients_for_old_values_and_new():
    x = leaf(np.arange(6.0).reshape(2, 3))
    v = leaf([10.0, 20.0, 30.0])
    y = x * 2
    y[1] = v * v
    y[0, :2] = v[0]          # broadcast a scalar into a slice
    (y * np.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(v.grad.numpy(), [2 * 10 * 3 + 0 + 1, 2 * 20 * 4, 2 * 30 * 5])


def test_build_array_in_a_loop():
    x = leaf([0.5, 1.5])
    out = np.zeros_like(x, shape=(3,))
    out[0] = x[0]
    for i in range(1, 3):
        out[i] = out[i - 1] * x[1]
    out.sum().backward()
    # out = [a, a b, a b^2]
    a, b = 0.5, 1.5
    np.testing.assert_allclose(x.grad.numpy(), [1 + b + b * b, a + 2 * a * b])


def test_views_see_base_writes_with_gradient():
    x = leaf(np.zeros(4))
    w = leaf([2.0])
    out = np.zeros_like(x)
    v = out[1:3]                # a view
    out[1] = w[0]               # written through the base after the view was taken
    assert float(v[0]) == 2.0
    (v * 5).sum().backward()
    assert float(w.grad[0]) == 5.0


def test_write_through_a_view_updates_base():
    x = leaf(np.ones((2, 2)))
    y = x * 1.0
    row = y[0]
    row[1] = x[1, 1] * 7      # chained assignment y[0][1] = ...
    assert float(y[0, 1]) == 7.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0], [1, 8]])


def test_inplace_arithmetic_on_computed_tensor():
    x = leaf([1.0, 2.0])
    y = x * 1.0
    y *= x
    y += 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_ufunc_out_where_and_reduce():
    x = leaf([1.0, 2.0, 3.0])
    out = np.zeros_like(x)
    np.multiply(x, x, out=out)
    res = np.add(x, 10.0, where=np.array([True, False, True]))
    np.testing.assert_array_equal(res.numpy(), [11.0, 0.0, 13.0])
    total = out.sum() + res.sum() + np.add.reduce(x) + np.multiply.reduce(x) + \
        np.maximum.reduce(x)
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + [1, 0, 1] + 1 + [6, 3, 2] +
                               [0, 0, 1])


def test_mixed_inputs_broadcast_and_reduce_back():
    x = leaf(np.ones((1, 3)))
    b = leaf(2.0)
    y = x * np.arange(6.0).reshape(2, 3) + b
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0, 5.0, 7.0]])
    assert b.grad.shape == () and float(b.grad) == 6.0


def test_float32_gradients_stay_float32():
    x = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    (np.sin(x) * 2.0).sum().backward()
    assert x.grad.dtype == np.float32


def test_grad_modes():
    x = leaf(1.0)
    with cr.no_grad():
        assert not (x * 2).requires_grad
        with cr.enable_grad():
            assert (x * 2).requires_grad
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @cr.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    assert cr.is_grad_enabled()
    assert not cr.stop_gradient(x * 2).requires_grad


def test_hooks_and_retain_grad():
    x = leaf([1.0, 2.0])
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x.register_hook(lambda g: g * 10)
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    with pytest.raises(RuntimeError):
        cr.tensor(1.0).register_hook(lambda g: g)


def test_create_graph_gives_differentiable_grad():
    x = leaf([1.0, 2.0])
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


def test_third_order_with_autograd_grad():
    x = leaf(0.5)
    g1, = cr.autograd.grad(np.sin(x), x, create_graph=True)
    g2, = cr.autograd.grad(g1, x, create_graph=True)
    g3, = cr.autograd.grad(g2, x)
    assert float(g3) == pytest.approx(-np.cos(0.5))


def test_million_op_chain_is_iterative():
    x = leaf(1.0)
    y = x
    with np.errstate(all="ignore"):
        for _ in range(1_000_000):
            y = y * 1.0
    y.backward()
    assert float(x.grad) == 1.0


def test_backward_frees_saved_values():
    import weakref
    x = leaf(np.ones(1000))
    y = np.sin(x)
    node = y.grad_fn
    saved = weakref.ref(node.raws[0])       # sin's rule reads x
    assert saved() is x.data
    z = y.sum()
    z.backward()
    assert node.raws is None and node.ans is None


def test_copy_and_pickle():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    for y in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert y.requires_grad and y.is_leaf
        np.testing.assert_array_equal(y.numpy(), x.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), x.grad.numpy())
    with pytest.raises(RuntimeError, match="detach"):
        pickle.dumps(x * 2)


def test_primitive_and_defvjp():
    @cr.primitive
    def cube(x):
        assert isinstance(x, np.ndarray)      # the body sees plain arrays
        return x ** 3
    cr.defvjp(cube, lambda ans, x: lambda g: g * 3 * x ** 2)
    cr.defjvp(cube, lambda t, ans, x: t * 3 * x ** 2)
    x = leaf([1.0, 2.0])
    cube(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])
    assert cr.grad(lambda v: cube(v).sum())(np.array([2.0]))[0] == 12.0
    assert cr.grad(cr.grad(lambda v: cube(v)))(2.0) == 12.0
    cr.check_grads(cube, np.array([0.5, -1.0]))


def test_primitive_without_rule():
    @cr.primitive
    def f(x):
        return x * 2
    with pytest.raises(TypeError, match="defvjp"):
        f(leaf(1.0))
