"""TensorFlow's spelling: cr.Variable and cr.GradientTape (SPEC section 1)."""
import copy
import pickle

import numpy as np
import pytest

import chainrule as cr


def test_d2l_first_example():
    x = cr.Variable(np.arange(4.0))
    with cr.GradientTape() as t:
        y = 2 * np.dot(x, x)
    g = t.gradient(y, x)
    np.testing.assert_array_equal(g.numpy(), 4 * np.arange(4.0))
    assert isinstance(g, cr.Tensor) and not isinstance(g, cr.Variable)


def test_plain_tensor_watched_only_when_asked():
    x = cr.tensor(3.0)
    with cr.GradientTape() as t:
        y = x * x
    assert t.gradient(y, x) is None
    with cr.GradientTape() as t:
        t.watch(x)
        y = x * x
    assert float(t.gradient(y, x)) == 6.0
    # the watch ends with the tape: x is a plain tensor again
    assert not x.requires_grad
    assert not (x * x).requires_grad
    np.asarray(x)                              # converts: nothing to drop


def test_sin_under_a_tape_gives_cos():
    x = cr.tensor(np.linspace(-3, 3, 7))
    with cr.GradientTape() as t:
        t.watch(x)
        y = np.sin(x)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), np.cos(x.numpy()))


def test_watch_accessed_variables():
    a, b = cr.Variable(2.0), cr.Variable(5.0)
    with cr.GradientTape(watch_accessed_variables=False) as t:
        t.watch(a)
        y = a * b
    assert float(t.gradient(y, a)) == 5.0
    with cr.GradientTape(watch_accessed_variables=False, persistent=True) as t:
        y = a * b
    assert t.gradient(y, a) is None and t.gradient(y, b) is None
    assert t.watched_variables() == ()
    with cr.GradientTape() as t:
        y = b * a
    assert {id(v) for v in t.watched_variables()} == {id(a), id(b)}   # read: watched


def test_structure_of_sources_kept():
    w = cr.Variable(np.ones((2, 3)))
    b = cr.Variable(np.zeros(3))
    u = cr.Variable(1.0)
    with cr.GradientTape(persistent=True) as t:
        y = (np.tanh(cr.tensor([1.0, 2.0]) @ w + b) ** 2).sum()
    g = t.gradient(y, {"w": w, "b": b})
    assert set(g) == {"w", "b"}
    assert g["w"].shape == (2, 3) and g["b"].shape == (3,)
    lst = t.gradient(y, [w, (b, [u])])
    assert isinstance(lst, list) and isinstance(lst[1], tuple) and isinstance(lst[1][1], list)
    np.testing.assert_allclose(lst[0].numpy(), g["w"].numpy())
    np.testing.assert_allclose(lst[1][0].numpy(), g["b"].numpy())
    assert lst[1][1][0] is None
    dup = t.gradient(y, [b, b])
    np.testing.assert_allclose(dup[0].numpy(), dup[1].numpy())
    z = t.gradient(y, (w, u), unconnected_gradients="zero")
    assert isinstance(z, tuple) and float(z[1]) == 0.0
    z = t.gradient(y, [u], unconnected_gradients=cr.UnconnectedGradients.ZERO)
    assert z[0].shape == () and float(z[0]) == 0.0
    with pytest.raises(ValueError, match="unconnected_gradients"):
        t.gradient(y, u, unconnected_gradients="zeros")


def test_non_scalar_target_summed_and_output_gradients():
    x = cr.Variable([1.0, 2.0, 3.0])
    with cr.GradientTape(persistent=True) as t:
        y = x * x
        z = [y, x.sum()]
    np.testing.assert_array_equal(t.gradient(y, x).numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(
        t.gradient(y, x, output_gradients=np.array([1.0, 0.0, 2.0])).numpy(), [2.0, 0.0, 12.0])
    np.testing.assert_array_equal(t.gradient(z, x).numpy(), [3.0, 5.0, 7.0])
    with pytest.raises(ValueError, match="output_gradients"):
        t.gradient(z, x, output_gradients=[np.ones(3)])
    with pytest.raises(ValueError, match="shape"):
        t.gradient(y, x, output_gradients=np.ones(2))


def test_non_persistent_tape_answers_once():
    x = cr.Variable(3.0)
    with cr.GradientTape() as t:
        y = x * x
    assert float(t.gradient(y, x)) == 6.0
    with pytest.raises(RuntimeError, match="persistent"):
        t.gradient(y, x)
    with cr.GradientTape(persistent=True) as t:
        y = x * x
        z = y * y
    assert float(t.gradient(y, x)) == 6.0
    assert float(t.gradient(z, x)) == 108.0
    assert float(t.gradient(z, y)) == 18.0          # an intermediate as the source


def test_stop_recording():
    x, y = cr.Variable(2.0), cr.Variable(3.0)
    with cr.GradientTape() as t:
        x_sq = x * x
        with t.stop_recording():
            y_sq = y * y
        z = x_sq + y_sq
    g = t.gradient(z, {"x": x, "y": y})
    assert float(g["x"]) == 4.0 and g["y"] is None
    with pytest.raises(RuntimeError, match="not recording"):
        t.stop_recording()
    # only this tape stops: an outer one goes on recording
    with cr.GradientTape() as outer:
        with cr.GradientTape() as inner:
            with inner.stop_recording():
                w = y * y
        assert inner.gradient(w, y) is None
    assert float(outer.gradient(w, y)) == 6.0


def test_target_computed_outside_the_tape():
    v = cr.Variable(3.0)
    y = v * v                                       # before the tape: not on it
    with cr.GradientTape(persistent=True) as t:
        z = y * 2
        w = y * v                                   # y is a constant to the tape
    assert t.gradient(z, v) is None
    assert float(t.gradient(w, v)) == 9.0
    assert float(t.gradient(w, v, unconnected_gradients="zero")) == 9.0
    assert t.gradient(y, v) is None
    # the graph outside the tape is intact: the tensor API still differentiates it
    (dy,) = cr.autograd.grad(y, v)
    assert float(dy) == 6.0


def test_reset():
    x, y = cr.Variable(2.0), cr.Variable(3.0)
    with cr.GradientTape() as t:
        y_sq = y * y
        t.reset()
        z = x * x + y_sq
    g = t.gradient(z, [x, y])
    assert float(g[0]) == 4.0 and g[1] is None
    assert t.watched_variables() == (x,)


def test_nested_tapes_second_derivative():
    x = cr.Variable(1.0)
    with cr.GradientTape() as t2:
        with cr.GradientTape() as t1:
            y = x * x * x
        dy = t1.gradient(y, x)
    d2y = t2.gradient(dy, x)
    assert dy.item() == 3.0 and d2y.item() == 6.0
    c = cr.tensor(5.0)
    with cr.GradientTape() as g:
        g.watch(c)
        with cr.GradientTape() as gg:
            gg.watch(c)
            y = c * c
        dy = gg.gradient(y, c)
    assert dy.item() == 10.0 and g.gradient(dy, c).item() == 2.0
    # one persistent tape differentiates its own gradient
    with cr.GradientTape(persistent=True) as t:
        y = np.sin(x)
        dy = t.gradient(y, x)
    np.testing.assert_allclose(float(t.gradient(dy, x)), -np.sin(1.0))


def test_third_derivative_three_tapes():
    x = cr.Variable(0.7)
    with cr.GradientTape() as t3:
        with cr.GradientTape() as t2:
            with cr.GradientTape() as t1:
                y = np.exp(2 * x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    np.testing.assert_allclose(float(d3), 8 * np.exp(1.4))


def test_gradient_inside_non_persistent_tape_stops_it():
    x = cr.Variable(2.0)
    with cr.GradientTape() as t:
        y = x * x
        assert float(t.gradient(y, x)) == 4.0
        z = x * 3                                  # not recorded any more
    assert t.watched_variables() == (x,)


def test_jacobian_and_batch_jacobian():
    x = cr.Variable([1.0, 2.0, 3.0])
    u = cr.Variable(1.0)
    with cr.GradientTape(persistent=True) as t:
        y = x[:, None] * x[None, :]                # (3, 3)
        s = np.sin(x)
    j = t.jacobian(y, x)
    assert j.shape == (3, 3, 3)
    xs = x.numpy()
    expect = np.zeros((3, 3, 3))
    for a in range(3):
        for b in range(3):
            expect[a, b, a] += xs[b]
            expect[a, b, b] += xs[a]
    np.testing.assert_allclose(j.numpy(), expect)
    both = t.jacobian(s, {"x": x, "u": u})
    np.testing.assert_allclose(both["x"].numpy(), np.diag(np.cos(xs)))
    assert both["u"] is None
    z = t.jacobian(s, [u], unconnected_gradients="zero")
    assert z[0].shape == (3,) and not z[0].numpy().any()
    xb = cr.Variable(np.arange(6.0).reshape(3, 2))
    w = cr.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    with cr.GradientTape(persistent=True) as t:
        yb = np.tanh(xb @ w)                       # (3, 3), example i from row i
    bj = t.batch_jacobian(yb, xb)
    assert bj.shape == (3, 3, 2)
    full = t.jacobian(yb, xb).numpy()
    for i in range(3):
        np.testing.assert_allclose(bj.numpy()[i], full[i, :, i, :])
    with pytest.raises(ValueError, match="batch"):
        t.batch_jacobian(yb, cr.Variable(np.ones((2, 2))))


def test_jacobian_once_on_non_persistent_tape():
    x = cr.Variable([1.0, 2.0])
    with cr.GradientTape() as t:
        y = x ** 3
    np.testing.assert_allclose(t.jacobian(y, x).numpy(), np.diag(3 * x.numpy() ** 2))
    with pytest.raises(RuntimeError, match="one set"):
        t.jacobian(y, x)


def test_jacobian_nested_gives_hessian():
    x = cr.Variable([0.5, -1.0])
    with cr.GradientTape() as outer:
        with cr.GradientTape() as inner:
            y = (x ** 3).sum() + x[0] * x[1]
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x)
    np.testing.assert_allclose(h.numpy(), cr.hessian(
        lambda v: (v ** 3).sum() + v[0] * v[1])(x.numpy()))


def test_variable_assign_inside_a_tape():
    v = cr.Variable(1.0)
    with cr.GradientTape() as t:
        y1 = v * 1.0                                 # read before: sees 1
        v.assign(v * 3)                              # recorded: no in-place-leaf error
        y2 = v * v                                   # read after: sees 3
        y = y1 + y2
    assert float(v) == 3.0
    assert float(t.gradient(y, v)) == 1.0 + 6.0


def test_assign_add_in_a_training_loop():
    x = cr.Variable(2.0)
    seen = []
    for _ in range(2):
        with cr.GradientTape() as tape:
            y = x + 1
        seen.append(float(tape.gradient(y, x)))
        x.assign_add(1)                              # stays a Variable
    assert seen == [1.0, 1.0] and float(x) == 4.0
    x = x + 1                                        # a tensor now, not a Variable
    with cr.GradientTape() as tape:
        y = x + 1
    assert tape.gradient(y, x) is None               # as in TensorFlow


def test_state_stops_gradients():
    x0 = cr.Variable(3.0)
    x1 = cr.Variable(0.0)
    with cr.GradientTape(persistent=True) as tape:
        x1.assign_add(x0)
        y = x1 ** 2
    assert tape.gradient(y, x0) is None
    assert float(tape.gradient(y, x1)) == 6.0
    x1.assign_sub(cr.tensor(1.0))
    assert float(x1) == 2.0


def test_variable_basics():
    v = cr.Variable([1.0, 2.0], name="w")
    assert v.requires_grad and v.is_leaf and v.trainable and v.name == "w:0"
    assert repr(v) == "<cr.Variable 'w:0' shape=(2,) dtype=float64, numpy=array([1., 2.])>"
    a = v.numpy()
    a[0] = 10.0
    assert v[0].item() == 1.0                        # numpy() is a copy
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="complex"):
        v.assign([1j, 2.0])
    with pytest.raises(RuntimeError, match="assign_add"):
        v += 1
    assert isinstance(v, cr.Variable)
    v2 = copy.deepcopy(v)
    v3 = pickle.loads(pickle.dumps(v))
    for w in (v2, v3):
        assert isinstance(w, cr.Variable) and w.name == "w:0" and w.requires_grad
        np.testing.assert_array_equal(w.numpy(), v.numpy())
    frozen = cr.Variable(1.0, trainable=False)
    with cr.GradientTape() as t:
        y = frozen * 2
    assert not frozen.requires_grad and t.gradient(y, frozen) is None
    assert cr.Variable(np.float32(1.5)).dtype == np.float32
    # the tensor API works on a Variable too: .grad accumulates
    (v * v).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 4.0])
    with pytest.raises(ValueError, match="initial_value"):
        cr.Variable()


def test_integer_sources_have_no_gradient():
    i = cr.Variable(3)
    assert i.dtype.kind == "i" and not i.requires_grad
    x = cr.tensor(2)
    with cr.GradientTape() as t:
        with pytest.warns(UserWarning, match="int"):
            t.watch(x)
        y = i * 2.0
    with pytest.warns(UserWarning, match="int"):
        assert t.gradient(y, [i, x]) == [None, None]


def test_bad_arguments():
    with cr.GradientTape() as t:
        with pytest.raises(TypeError, match="cr.tensor"):
            t.watch(np.ones(2))
        with pytest.raises(RuntimeError, match="already recording"):
            t.__enter__()
    with pytest.raises(TypeError, match="sources"):
        t.gradient(cr.tensor(1.0), np.ones(2))


def test_complex_source_tensor_api_convention():
    # SPEC section 5: the tape reports the tensor API's (PyTorch's) convention, 2 z
    z = cr.Variable(np.array([1.0 + 2.0j, -0.5 + 0.25j]))
    with cr.GradientTape() as t:
        y = (np.abs(z) ** 2).sum()
    np.testing.assert_allclose(t.gradient(y, z).numpy(), 2 * z.numpy())


def test_stop_gradient():
    x = cr.Variable(2.0)
    with cr.GradientTape() as t:
        y = x * cr.stop_gradient(x * x)
    assert float(t.gradient(y, x)) == 4.0


def test_tape_agrees_with_the_transforms():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    f = lambda w, b: np.sum(np.log1p(np.exp(a @ w + b)) ** 2)   # noqa: E731
    w0, b0 = rng.standard_normal(4), 0.3
    w, b = cr.Variable(w0), cr.Variable(b0)
    with cr.GradientTape() as t:
        y = f(w, b)
    gw, gb = t.gradient(y, (w, b))
    ew, eb = cr.grad(f, argnums=(0, 1))(w0, b0)
    np.testing.assert_allclose(gw.numpy(), ew)
    np.testing.assert_allclose(float(gb), eb)
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    torch.sum(torch.log1p(torch.exp(torch.tensor(a) @ tw + tb)) ** 2).backward()
    np.testing.assert_allclose(gw.numpy(), tw.grad.numpy())


def test_float32_source_keeps_its_dtype():
    x = cr.Variable(np.ones(3, dtype=np.float32))
    with cr.GradientTape() as t:
        y = (x * 2.0).sum()
    g = t.gradient(y, x)
    assert g.dtype == np.float32


def test_a_tensor_watched_by_another_tape_is_a_constant_here():
    x = cr.tensor(2.0)
    with cr.GradientTape() as outer:
        with cr.GradientTape() as inner:
            inner.watch(x)
            y = x * x
            assert x.requires_grad                  # while inner records
            assert outer.gradient(y, x) is None     # outer never watched x
    assert not x.requires_grad
    assert float(inner.gradient(y, x)) == 4.0


def test_target_is_the_source():
    x = cr.Variable([1.0, 2.0])
    with cr.GradientTape() as t:
        t.watch(x)
    np.testing.assert_array_equal(t.gradient(x, x).numpy(), [1.0, 1.0])


def test_tapes_are_per_thread():
    import threading
    v = cr.Variable(3.0)
    seen = {}
    with cr.GradientTape() as t:
        def other():
            with cr.GradientTape() as t2:
                y2 = v * 2
            seen["g"] = float(t2.gradient(y2, v))
        th = threading.Thread(target=other)
        th.start()
        th.join()
        y = v * v
    assert seen["g"] == 2.0 and float(t.gradient(y, v)) == 6.0


def test_complex_sources_in_a_dict_match_the_tensor_api():
    # the tape reports what .grad reports for the same function (one path: autograd.grad)
    z0 = np.array([1 + 2j, -0.5 + 0.3j])
    w0 = np.array([0.2 - 1j, 1.5 + 0.5j])
    f = lambda z, w: (np.abs(z) ** 2 + np.real(z * w) + np.imag(np.conj(z) * w)).sum()  # noqa
    z, w = cr.Variable(z0), cr.Variable(w0)
    with cr.GradientTape() as t:
        y = f(z, w)
    g = t.gradient(y, {"z": z, "w": w})
    zt, wt = cr.tensor(z0, requires_grad=True), cr.tensor(w0, requires_grad=True)
    f(zt, wt).backward()
    np.testing.assert_allclose(g["z"].numpy(), zt.grad.numpy())
    np.testing.assert_allclose(g["w"].numpy(), wt.grad.numpy())
    assert g["z"].dtype == np.complex128


def test_operations_before_a_watch_are_not_recorded():
    # TensorFlow: an operation is recorded when one of its inputs is watched at that moment
    v = cr.Variable(3.0)
    with cr.GradientTape(watch_accessed_variables=False, persistent=True) as t:
        y = v * v                                   # v not watched yet: a constant 9
        t.watch(v)
        z = y * v
    assert float(t.gradient(z, v)) == 9.0           # not 3 v**2 = 27
    assert t.gradient(y, v) is None
    with cr.GradientTape(watch_accessed_variables=False, persistent=True) as t:
        y = v * v
        t.watch(y)                                  # an intermediate, watched
        z = 3 * y
    assert float(t.gradient(z, y)) == 3.0
    assert t.gradient(z, v) is None
    assert t.gradient(z, [y, v]) == [t.gradient(z, y), None]


def test_non_trainable_variables_are_not_watched_when_read():
    w, f = cr.Variable(1.0), cr.Variable(2.0, trainable=False)
    with cr.GradientTape() as t:
        y = w * f
    assert t.watched_variables() == (w,)
    assert float(t.gradient(y, w)) == 2.0


def _tape_grad(x):
    with cr.GradientTape() as t:
        t.watch(x)
        y = np.sin(x).sum()
    return t.gradient(y, x)


def test_a_tape_inside_the_transforms():
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(cr.jacrev(_tape_grad)(x), np.diag(-np.sin(x)))
    f = lambda v: np.sum(_tape_grad(v) ** 2)     # noqa: E731  sum of cos(v)**2
    np.testing.assert_allclose(cr.grad(f)(x), -np.sin(2 * x))
    np.testing.assert_allclose(cr.hessian(f)(x), np.diag(-2 * np.cos(2 * x)))

    def cube_slope(x):
        with cr.GradientTape() as t:
            t.watch(x)
            y = x ** 3
        return t.gradient(y, x)
    assert cr.grad(cube_slope)(2.0) == 12.0 and cr.grad(cr.grad(cube_slope))(2.0) == 6.0
    with pytest.raises(RuntimeError, match="forward-mode"):
        cr.jacfwd(_tape_grad)(x)


def test_a_training_loop_with_tapes_keeps_no_graph():
    import gc
    import weakref
    rng = np.random.default_rng(0)
    x, w_true = rng.standard_normal((50, 3)), np.array([1.0, -2.0, 0.5])
    w = cr.Variable(np.zeros(3))
    refs = []
    for _ in range(100):
        with cr.GradientTape() as tape:
            loss = np.mean((x @ w - x @ w_true) ** 2)
        w.assign_sub(0.2 * tape.gradient(loss, w))
        refs.append(weakref.ref(loss))
    np.testing.assert_allclose(w.numpy(), w_true, atol=1e-6)
    del loss, tape
    gc.collect()
    assert all(r() is None for r in refs)        # each step's graph went with its tensors


def test_complex_sources_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    z0 = np.array([1 + 2j, -0.5 + 0.3j])
    w0 = np.array([0.2 - 1j, 1.5 + 0.5j])
    z, w = cr.Variable(z0), cr.Variable(w0)
    with cr.GradientTape() as t:
        y = (np.abs(z) ** 2 + np.real(z * w) + np.imag(np.conj(z) * w)).sum()
    gz, gw = t.gradient(y, [z, w])
    tz = torch.tensor(z0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    (tz.abs() ** 2 + (tz * tw).real + (tz.conj() * tw).imag).sum().backward()
    np.testing.assert_allclose(gz.numpy(), tz.grad.numpy())
    np.testing.assert_allclose(gw.numpy(), tw.grad.numpy())
