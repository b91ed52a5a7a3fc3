"""Reshape-family views (reshape, ravel, view, .T, transpose, swapaxes, moveaxis, expand_dims,
squeeze, broadcast_to, ...) follow in-place writes into their base, as their values do.

Every expected gradient is derived here with NumPy alone: a view ``V`` moves elements, so
``d/dy sum(c * V(y))`` is ``c`` scattered back to the positions ``V`` took them from (found by
applying ``V`` to position tags).  Where PyTorch imports, the same programs are also run there.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule.rules.api import make_tensor

SHAPE = (2, 3)
X0 = np.arange(1.0, 7.0).reshape(SHAPE)
W0 = np.linspace(0.5, 3.0, 6).reshape(SHAPE)

# name: (the view of y, in chainrule and NumPy; PyTorch's spelling, None where PyTorch copies)
VIEWS = {
    "reshape": (lambda y: y.reshape(3, 2), lambda y: y.reshape(3, 2)),
    "ravel": (lambda y: y.ravel(), lambda y: y.reshape(-1)),
    "np.ravel": (lambda y: np.ravel(y), lambda y: y.reshape(-1)),
    "view()": (lambda y: y.view(), lambda y: y.view(SHAPE)),
    ".T": (lambda y: y.T, lambda y: y.T),
    "mT": (lambda y: y.mT, lambda y: y.mT),
    "np.transpose": (lambda y: np.transpose(y), lambda y: y.permute(1, 0)),
    "swapaxes": (lambda y: y.swapaxes(0, 1), lambda y: y.swapaxes(0, 1)),
    "moveaxis": (lambda y: np.moveaxis(y, 0, -1), lambda y: y.movedim(0, -1)),
    "[..., None]": (lambda y: y[..., None], lambda y: y[..., None]),
    "expand_dims": (lambda y: np.expand_dims(y, 1), lambda y: y.unsqueeze(1)),
    "squeeze": (lambda y: np.squeeze(y[None]), lambda y: y[None].squeeze(0)),
    "atleast_3d": (lambda y: np.atleast_3d(y), lambda y: y.unsqueeze(-1)),
    "broadcast_to": (lambda y: np.broadcast_to(y, (2,) + SHAPE), lambda y: y.expand(2, *SHAPE)),
    "rot90": (lambda y: np.rot90(y), None),
    # chains: a view of a view
    "reshape then index": (lambda y: y.reshape(3, 2)[1:], lambda y: y.reshape(3, 2)[1:]),
    "index then reshape": (lambda y: y[1:].reshape(3, 1), lambda y: y[1:].reshape(3, 1)),
    "index, .T, reshape": (lambda y: y[:1].T.reshape(1, 3), lambda y: y[:1].T.reshape(1, 3)),
    ".T then index": (lambda y: y.T[::2], lambda y: y.T[::2]),
}
# PyTorch's spellings that chainrule's tensors have too (NumPy's arrays do not)
TENSOR_ONLY = {
    "view(6)": (lambda y: y.view(6), lambda y: y.reshape(6)),
    "unsqueeze": (lambda y: y.unsqueeze(0), lambda y: y[None]),
}

# name: (the write into y, its PyTorch spelling, d y_new / d y_old, d y_new / d w, elementwise)
WRITES = {
    "+= w * w": (lambda y, w: y.__iadd__(w * w), None,
                 lambda x, w: np.ones_like(x), lambda x, w: 2 * w),
    "*= w": (lambda y, w: y.__imul__(w), None, lambda x, w: w, lambda x, w: x),
    "[0] = w[0]": (lambda y, w: y.__setitem__(0, w[0]), None,
                   lambda x, w: np.r_[[0.0] * 3, [1.0] * 3].reshape(SHAPE),
                   lambda x, w: np.r_[[1.0] * 3, [0.0] * 3].reshape(SHAPE)),
    "out=": (lambda y, w: np.add(y, w * w, out=y), lambda y, w: y.add_(w * w),
             lambda x, w: np.ones_like(x), lambda x, w: 2 * w),
    "[...] = 3 * w": (lambda y, w: y.__setitem__(Ellipsis, 3 * w), None,
                      lambda x, w: np.zeros_like(x), lambda x, w: 3 * np.ones_like(x)),
    "fill": (lambda y, w: y.fill(2.0), lambda y, w: y.fill_(2.0),
             lambda x, w: np.zeros_like(x), lambda x, w: np.zeros_like(x)),
    "[:, 1] -= w[:, 1]": (lambda y, w: y[:, 1].__isub__(w[:, 1]), None,
                          lambda x, w: np.ones_like(x),
                          lambda x, w: -np.array([[0.0, 1, 0], [0, 1, 0]])),
}


def pulled_back(view, c):
    """``d/dy sum(c * view(y))`` for a ``view`` that moves elements: ``c`` summed back."""
    tags = np.arange(X0.size).reshape(SHAPE)
    out = np.zeros(X0.size)
    np.add.at(out, np.ravel(view(tags)), np.ravel(c))
    return out.reshape(SHAPE)


def weights(shape):
    return np.linspace(-1.0, 2.0, int(np.prod(shape))).reshape(shape)


def program(lib, view, write):
    """``sum(c * v)`` where ``v = view(y)`` was taken before ``write`` changed ``y``."""
    x = lib.tensor(X0, requires_grad=True)
    w = lib.tensor(W0, requires_grad=True)
    y = x * 1.0
    v = view(y)
    write(y, w)
    (v * lib.tensor(weights(tuple(v.shape)))).sum().backward()
    return [v.detach().numpy()] + [np.zeros(SHAPE) if g is None else g.detach().numpy()
                                   for g in (x.grad, w.grad)]


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("name", list(VIEWS) + list(TENSOR_ONLY))
def test_a_view_sees_a_write_into_its_base(name, write):
    view, np_view = TENSOR_ONLY[name] if name in TENSOR_ONLY else (VIEWS[name][0],) * 2
    do, _, dy_dx, dy_dw = WRITES[write]
    v, gx, gw = program(cr, view, do)
    y_new = cr.tensor(X0)
    do(y_new, cr.tensor(W0))
    np.testing.assert_array_equal(v, np_view(y_new.numpy()))      # the values: NumPy's
    c_base = pulled_back(np_view, weights(v.shape))
    np.testing.assert_allclose(gx, c_base * dy_dx(X0, W0), rtol=1e-12)
    np.testing.assert_allclose(gw, c_base * dy_dw(X0, W0), rtol=1e-12)


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("name", [n for n, (_, t) in VIEWS.items() if t is not None]
                         + list(TENSOR_ONLY))
def test_a_view_sees_a_write_into_its_base_as_in_pytorch(name, write):
    torch = pytest.importorskip("torch")
    do, tdo = WRITES[write][:2]
    ours_view, theirs_view = ((TENSOR_ONLY[name][0],) * 2 if name in TENSOR_ONLY
                              else VIEWS[name])
    ours = program(cr, ours_view, do)
    theirs = program(torch, theirs_view, tdo or do)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("name", ["reshape", ".T", "moveaxis", "broadcast_to",
                                  "index, .T, reshape"])
def test_forward_mode_through_a_view_sees_the_write(name):
    view = VIEWS[name][0]

    def f(x):
        y = x * 1.0
        v = view(y)
        y *= x                              # y = x ** 2: v's tangent is view(2 x t)
        return v * 2.0
    t = np.linspace(1.0, -1.0, 6).reshape(SHAPE)
    out, tan = cr.jvp(f, (X0,), (t,))
    np.testing.assert_allclose(out, 2 * view(X0 ** 2))
    np.testing.assert_allclose(tan, 2 * view(2 * X0 * t))
    np.testing.assert_allclose(cr.jacfwd(f)(X0), cr.jacrev(f)(X0))


@pytest.mark.parametrize("name", ["ravel", "swapaxes", "broadcast_to", "reshape then index"])
def test_second_order_through_a_view_sees_the_write(name):
    view = VIEWS[name][0]
    c = weights(np.shape(view(X0)))

    def f(x):
        y = x * 1.0
        v = view(y)
        y *= x                              # v = view(x ** 2)
        return (c * v * v).sum()            # sum_j C_j x_j ** 4
    cb = pulled_back(view, c)
    np.testing.assert_allclose(cr.grad(f)(X0), 4 * cb * X0 ** 3)
    np.testing.assert_allclose(cr.hessian(f)(X0).reshape(6, 6),
                               np.diag(np.ravel(12 * cb * X0 ** 2)))
    d = np.ones(SHAPE)
    np.testing.assert_allclose(cr.grad(lambda x: (cr.grad(f)(x) * d).sum())(X0), 12 * cb * X0 ** 2)


def test_tensor_api_create_graph_through_a_view():
    x = cr.tensor(X0, requires_grad=True)
    y = x * 1.0
    v = y.T
    y *= x
    (g,) = cr.autograd.grad((v * v).sum(), x, create_graph=True)     # 4 x ** 3
    g.sum().backward()
    np.testing.assert_allclose(g.numpy(), 4 * X0 ** 3)
    np.testing.assert_allclose(x.grad.numpy(), 12 * X0 ** 2)


def test_a_reshape_that_copies_is_not_a_view():
    x = cr.tensor(X0, requires_grad=True)
    w = cr.tensor(W0, requires_grad=True)
    y = x * 1.0
    v = y.T.reshape(-1)                     # non-contiguous: NumPy copies
    assert not np.shares_memory(v.numpy(), y.numpy())
    y += w
    np.testing.assert_array_equal(v.numpy(), X0.T.reshape(-1))       # the old values
    c = np.arange(6.0)
    (v * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), c.reshape(3, 2).T)
    assert w.grad is None
    v[0] = 100.0                            # its own memory: y does not change
    np.testing.assert_array_equal(y.numpy(), X0 + W0)


def test_a_view_taken_before_its_base_required_grad():
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    y = cr.tensor(np.zeros(6))              # no gradient when the view is taken
    v = y.reshape(2, 3)
    assert not v.requires_grad
    y[...] = x * 2.0
    assert v.requires_grad
    (v * np.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.arange(6.0))


def test_writes_through_a_reshape_view_reach_the_base():
    x = cr.tensor(X0, requires_grad=True)
    w = cr.tensor(W0, requires_grad=True)
    y = x * 2.0
    v = y.T                                 # (3, 2)
    v[0] = w[:, 0] * 5.0                    # y[:, 0] = 5 w[:, 0]
    r = y.reshape(-1)
    r *= w.reshape(-1)                      # y *= w
    np.testing.assert_allclose(y.numpy(), np.c_[5 * W0[:, 0], 2 * X0[:, 1:]] * W0)
    (y * np.arange(6.0).reshape(SHAPE)).sum().backward()
    c = np.arange(6.0).reshape(SHAPE)
    np.testing.assert_allclose(x.grad.numpy(), np.c_[np.zeros(2), 2 * (c * W0)[:, 1:]])
    gw = c * np.c_[5 * W0[:, 0], 2 * X0[:, 1:]]
    gw[:, 0] += (c * W0)[:, 0] * 5.0
    np.testing.assert_allclose(w.grad.numpy(), gw)


def test_writes_through_a_reshape_view_as_in_pytorch():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (torch, cr):
        x = lib.tensor(X0, requires_grad=True)
        w = lib.tensor(W0, requires_grad=True)
        y = x * 2.0
        z = y.T
        z[1] *= w[:, 2]                      # through a transpose, then an index view of it
        z2 = y.reshape(3, 2)[1:]             # an index view of a reshape view
        z2 += w[0, :2]
        y.view(6)[::2] = w.reshape(-1)[1::2] ** 2
        (y * y).sum().backward()
        out.append([np.array(t.detach().numpy()) for t in (y, x.grad, w.grad)])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_forward_mode_write_through_a_view():
    def f(v):
        w = v * 2
        wt = np.transpose(w)
        wt[0] = v[1] * v[1]                 # w[0] = v[1] ** 2
        return w
    v = np.array([1.5, -2.0])
    out, tan = cr.jvp(f, (v,), (np.array([1.0, 0.5]),))
    np.testing.assert_allclose(out, [4.0, -4.0])
    np.testing.assert_allclose(tan, [2 * -2.0 * 0.5, 1.0])
    np.testing.assert_allclose(cr.jacfwd(f)(v), cr.jacrev(f)(v))


def test_a_write_through_a_broadcast_view_is_refused():
    y = cr.tensor(X0, requires_grad=True) * 1.0
    b = np.broadcast_to(y, (2,) + SHAPE)
    with pytest.raises(RuntimeError, match="broadcast_to view.*read-only"):
        b[0, 0, 0] = 1.0
    np.testing.assert_array_equal(y.numpy(), X0)


def test_a_write_through_a_view_of_a_leaf_is_refused_before_writing():
    x = cr.tensor(X0, requires_grad=True)
    for write in (lambda v: v.__setitem__(0, 1.0), lambda v: v.__iadd__(1.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            write(x.T)
    np.testing.assert_array_equal(x.numpy(), X0)        # nothing was written
    with cr.no_grad():                                   # a parameter update through a view
        x.T[0] -= 1.0
    np.testing.assert_array_equal(x.numpy(), X0 - np.array([[1.0, 0, 0], [1, 0, 0]]))
    assert x.is_leaf and x.requires_grad


def test_views_cost_nothing_without_gradients():
    y = cr.tensor(X0)
    v = y.reshape(3, 2)
    y += 1.0
    assert v._node is None and v._tangent is None       # nothing to replay
    np.testing.assert_array_equal(v.numpy(), (X0 + 1).reshape(3, 2))


def test_view_with_a_dtype_is_refused():
    with pytest.raises(TypeError, match="astype"):
        cr.tensor(X0).view(np.float32)


def test_an_untracked_view_written_in_place_is_refused():
    # the safety net for a view that no view function made (here: a rule author's tensor
    # wrapping a NumPy view of another tensor's memory, with a graph of its own)
    a = cr.tensor(np.arange(1.0, 5.0), requires_grad=True)
    x = a * 2
    u = make_tensor(x.data.reshape(2, 2), (a * 1.0)._node, 0, None)
    with pytest.raises(RuntimeError, match=r"view into another array's memory.*copy"):
        u[0, 0] = 100.0
    np.testing.assert_array_equal(x.numpy(), [2.0, 4.0, 6.0, 8.0])


def _transposed_square(x):
    y = x * 1.0
    v = y.T
    y *= x                                  # returned: v = (x ** 2).T
    return v


def test_a_returned_view_sees_a_later_write_in_every_interface():
    jac = np.zeros(SHAPE[::-1] + SHAPE)
    for i in range(SHAPE[0]):
        for j in range(SHAPE[1]):
            jac[j, i, i, j] = 2 * X0[i, j]
    np.testing.assert_allclose(cr.jacrev(_transposed_square)(X0), jac)
    np.testing.assert_allclose(cr.jacfwd(_transposed_square)(X0), jac)
    t = np.linspace(1.0, 2.0, 6).reshape(SHAPE)
    np.testing.assert_allclose(cr.jvp(_transposed_square, (X0,), (t,))[1], (2 * X0 * t).T)
    np.testing.assert_allclose(cr.vjp(_transposed_square, X0)[1](t.T)[0], 2 * X0 * t)
    x = cr.tensor(X0, requires_grad=True)
    (g,) = cr.autograd.grad(_transposed_square(x), x)                  # MXNet / PyTorch
    np.testing.assert_allclose(g.numpy(), 2 * X0)
    x.attach_grad()
    with cr.autograd.record():
        v = _transposed_square(x)
    cr.autograd.backward(v)
    np.testing.assert_allclose(x.grad.numpy(), 2 * X0)


def test_second_order_write_through_views_matches_the_program_without_them():
    def through_views(x):
        y = x * 1.0
        y.T[0] = x[:, 0] ** 3               # a write through a transpose
        r = y.reshape(-1)
        r *= x.reshape(-1)                  # and through a reshape
        return (y * y).sum()

    def without(x):
        y = x * 1.0
        y[:, 0] = x[:, 0] ** 3
        y = y * x
        return (y * y).sum()
    for fn in (cr.grad, cr.hessian, lambda f: cr.jacfwd(cr.grad(f))):
        np.testing.assert_allclose(fn(through_views)(X0), fn(without)(X0), rtol=1e-12)


def test_retain_grad_follows_a_view_to_its_new_history():
    x = cr.tensor(X0, requires_grad=True)
    y = x * 1.0
    v = y.T
    v.retain_grad()
    hits = []
    v.register_hook(hits.append)            # registered on the value before the write
    y += 1.0
    assert v.grad_fn is not None and "transpose" in repr(v)
    (v * 2.0).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), np.full(SHAPE[::-1], 2.0))
    assert hits == []                       # as in PyTorch: that value is not used
    np.testing.assert_array_equal(x.grad.numpy(), np.full(SHAPE, 2.0))


def test_a_views_hooks_see_what_flows_into_the_view_after_a_write_through_it():
    x = cr.tensor(X0, requires_grad=True)
    y = x * 1.0
    v = y.T
    v *= 2.0                                # y is 2 x now
    seen = []
    v.register_hook(seen.append)
    v.retain_grad()
    y.retain_grad()
    ((v * 3.0).sum() + (y * 5.0).sum()).backward()
    np.testing.assert_array_equal(seen[0].numpy(), np.full(SHAPE[::-1], 3.0))  # v's own use
    np.testing.assert_array_equal(v.grad.numpy(), np.full(SHAPE[::-1], 3.0))
    np.testing.assert_array_equal(y.grad.numpy(), np.full(SHAPE, 8.0))        # 5 + 3
    np.testing.assert_array_equal(x.grad.numpy(), np.full(SHAPE, 16.0))


def test_retain_grad_follows_an_in_place_write():
    x = cr.tensor(np.arange(3.0), requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    y *= 2.0                                # .grad is the new y's gradient, as in PyTorch
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 12.0, 12.0])


@pytest.mark.parametrize("make", [
    lambda x: x.T.reshape(2, 3),                    # a reshape that copies
    lambda x: np.take(x, [0, 1, 2], axis=1),        # NumPy builds these as views of scratch
    lambda x: np.tile(x, 1),
])
def test_a_result_on_scratch_memory_with_a_view_can_be_written(make):
    x = cr.tensor(X0, requires_grad=True)
    z = make(x * 1.0)
    before = z.numpy().copy()
    v = z[1:]                                       # a tracked view holds the memory too
    z[0] = 5.0
    (z * v).sum().backward()                        # 5 * row 1 + row 1 ** 2
    row = before[1]
    expect = np.zeros(before.shape)
    expect[1] = 5.0 + 2 * row
    tags = make(np.arange(6).reshape(SHAPE))        # where z's elements come from in x
    grad = np.zeros(6)
    np.add.at(grad, tags.ravel(), expect.ravel())
    np.testing.assert_allclose(x.grad.numpy(), grad.reshape(SHAPE))


# ------------------------------------------------------------------ out= is the operator
def _written_through_out(x, w):
    y = x * 1.0
    np.multiply(y, w, out=y)          # multiply saves y: the node must keep y's old value
    np.add(y, x, out=y)
    np.exp(y, out=y)
    np.subtract(w, y, out=y)          # y as the second operand
    np.power(y, 2, out=y)
    return np.sum(y)


def _written_by_operators(x, w):
    y = x * 1.0
    y *= w
    y += x
    y = np.exp(y)
    y = w - y
    return np.sum(y ** 2)


def test_ufunc_out_into_an_input_is_the_in_place_operator():
    """np.multiply(y, w, out=y) differentiates as y *= w (it raised "saved tensor modified")
    in reverse mode, forward mode and at second order, and on the tensor API."""
    x, w = np.array([0.1, 0.2, 0.3]), np.array([0.5, -0.4, 0.3])
    for fn in (cr.grad, cr.hessian):
        for got, want in zip(fn(_written_through_out, argnums=(0, 1))(x, w),
                             fn(_written_by_operators, argnums=(0, 1))(x, w)):
            np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(
        cr.jvp(lambda a: _written_through_out(a, w), (x,), (np.ones(3),))[1],
        cr.jvp(lambda a: _written_by_operators(a, w), (x,), (np.ones(3),))[1], rtol=1e-13)
    cr.check_grads(_written_through_out, x, w, modes=("fwd", "rev"), order=2)
    tx, tw = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    _written_through_out(tx, tw).backward()
    np.testing.assert_allclose(tx.grad.numpy(), cr.grad(_written_by_operators)(x, w),
                               rtol=1e-13)
