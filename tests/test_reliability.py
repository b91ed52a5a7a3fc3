"""Reliability: memory is freed, threads are independent, anomalies are named, tensors copy
and persist. Each test pins a line of docs/reliability.md."""
import concurrent.futures
import copy
import gc
import pickle
import sys
import threading
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def no_gc():
    """Collect first, then keep the cyclic collector off: what dies, dies by refcount alone,
    so no reference cycle holds it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _ref(t):
    """A weak reference to a tensor's value array."""
    return weakref.ref(t.data if isinstance(t, cr.Tensor) else t)


# ---------------------------------------------------------------------- memory
def test_backward_frees_saved_arrays():
    x = cr.tensor(np.ones(1000), requires_grad=True)
    h = np.sin(x)
    ref = weakref.ref(h.data)
    y = np.exp(h * h).sum()
    del h
    gc.collect()
    assert ref() is not None          # saved for the backward pass (h * h reads h)
    y.backward()
    gc.collect()
    assert ref() is None              # freed by it


def test_graph_keeps_only_what_the_rules_read():
    x = cr.tensor(np.ones(1000), requires_grad=True)
    h = np.sin(x)
    ref = weakref.ref(h.data)
    y = (h * 2.0 + 1.0).sum()         # the rules of * 2.0 and + 1.0 need no input values
    del h
    gc.collect()
    assert ref() is None
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(np.ones(1000)))
    # ops whose rules need only their input's shape or dtype keep that, not the array
    # (reshape and broadcast_to return NumPy views of it, which is NumPy's business)
    for op in (lambda h: h.reshape(10, 100), lambda h: h.sum(axis=0),
               lambda h: np.broadcast_to(h, (2, 1000)), lambda h: h.astype(np.float32)):
        y = op(np.sin(x))
        assert y.grad_fn.raws == (None,), y.grad_fn


def _many_ops(x, A, keep):
    """A graph through many kinds of rules; ``keep`` collects weak refs to what they save."""
    h1 = np.sin(x)
    h2 = A @ h1
    h3 = np.linalg.solve(A, h2)
    idx = np.argsort(h3.numpy())                      # an index array saved in the graph
    h4 = h3[idx]
    mask = h4.numpy() > 0
    h5 = np.where(mask, h4, np.exp(h4))
    h6 = np.concatenate([h5, h5 ** 2])
    h7 = np.cumsum(h6 * np.linspace(0, 1, 10))
    h8 = np.max(np.reshape(h7, (2, 5)), axis=0)
    for name, v in [("sin", h1), ("matmul", h2), ("solve", h3), ("idx", idx), ("getitem", h4),
                    ("mask", mask), ("where", h5), ("concat", h6), ("cumsum", h7),
                    ("max", h8)]:
        keep[name] = _ref(v)
    return np.linalg.norm(h8) * np.tanh(h6).sum()


def test_backward_frees_every_saved_array_but_retain_graph_keeps_them():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5)) + 5 * np.eye(5)
    x = cr.tensor(rng.standard_normal(5), requires_grad=True)
    keep = {}
    y = _many_ops(x, A, keep)
    gc.collect()
    saved = {k for k, r in keep.items() if r() is not None}   # what some rule reads
    # (concatenate keeps nothing since it reads only the pieces' sizes, as PyTorch's cat)
    assert {"sin", "where"} <= saved and "concat" not in saved, saved
    y.backward(retain_graph=True)
    gc.collect()
    freed = [k for k in saved if keep[k]() is None]
    assert not freed, f"retain_graph=True freed {freed}"
    first = x.grad.numpy().copy()
    y.backward()                                        # the last one frees everything
    gc.collect()
    alive = [k for k, r in keep.items() if r() is not None]
    assert not alive, f"still alive after backward: {alive}"
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    assert y.grad_fn is not None                        # the graph's nodes may stay; not data
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


@pytest.mark.parametrize("transform", [
    lambda f, x: cr.grad(f)(x), lambda f, x: cr.value_and_grad(f)(x),
    lambda f, x: cr.hessian(f)(x), lambda f, x: cr.jacrev(cr.grad(f))(x),
    lambda f, x: cr.jvp(f, (x,), (np.ones_like(x),)), lambda f, x: cr.vjp(f, x)[1](1.0),
    lambda f, x: cr.grad(lambda v: f(cr.checkpoint(np.sin)(v)))(x)])
def test_transforms_leave_nothing_alive_and_make_no_cycles(transform, no_gc):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    keep = {}

    def f(v):
        h = np.tanh(A @ v)
        keep["h"] = _ref(h)
        keep["node"] = weakref.ref(h._node) if isinstance(h, cr.Tensor) and h._node else None
        return np.sum(np.exp(h) * v)
    res = transform(f, rng.standard_normal(4))
    assert keep["h"]() is None
    assert keep["node"] is None or keep["node"]() is None
    del res


def test_graphs_die_with_their_output_without_gc(no_gc):
    x = cr.tensor(np.ones(10), requires_grad=True)
    y = np.tanh(x * 3.0)
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None          # no reference cycles keep graphs alive


def _graph_kinds():
    """Ways to build a graph that could close a reference cycle: hooks, retain_grad, views and
    in-place writes, create_graph, detect_anomaly, checkpoint."""
    def hooks(x):
        y = np.sin(x)
        y.register_hook(lambda g: g * 2)
        y.retain_grad()
        return y

    def views(x):
        y = x * 1.0
        v = y[1:3]
        v[0] = 5.0 * x[0]
        y[::2] *= 2.0
        return y

    def anomaly(x):
        with cr.detect_anomaly():
            return np.exp(np.sin(x))

    def checkpointed(x):
        return cr.checkpoint(lambda v: np.sin(np.sin(v)))(x)
    return {"hooks": hooks, "views": views, "anomaly": anomaly, "checkpoint": checkpointed,
            "setitem": lambda x: _setitem_build(x)}


def _setitem_build(x):
    out = np.zeros_like(x)
    for i in range(len(x)):
        out[i] = x[i] * x[i]
    return out


@pytest.mark.parametrize("kind", sorted(_graph_kinds()))
@pytest.mark.parametrize("backward", ["none", "plain", "create_graph"])
def test_no_reference_cycles_keep_graphs_alive(kind, backward, no_gc):
    x = cr.tensor(np.linspace(0.1, 1.0, 4), requires_grad=True)
    y = _graph_kinds()[kind](x)
    refs = [weakref.ref(y.grad_fn), _ref(y)]
    create_graph = backward == "create_graph"
    if backward != "none":
        y.sum().backward(create_graph=create_graph)
    g = x.grad
    if create_graph and g.requires_grad:
        refs.append(weakref.ref(g.grad_fn))
        (g * g).sum().backward()              # differentiate the gradient once more
    x.grad = None
    del y, g
    dead = [r() is None for r in refs]
    assert all(dead), f"{kind}: alive {dead}"


def _mlp(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 4))
    Y = np.sin(X @ np.array([1.0, -2.0, 0.5, 3.0]))[:, None]
    params = [cr.tensor(rng.standard_normal((4, 16)) * 0.5, requires_grad=True),
              cr.tensor(rng.standard_normal((16, 1)) * 0.5, requires_grad=True)]
    return X, Y, params


def test_ten_thousand_training_steps_keep_a_flat_peak():
    """A two-layer network trained for 10,000 steps (tensor API: backward, update under
    no_grad, grad reset). tracemalloc watches steps 1-1,000 and 9,001-10,000: in each window
    the memory still held at its end is small and the peaks are the same, so nothing grows
    and the peak is flat. In between (tracemalloc makes every allocation ~5x slower), Python's
    count of allocated blocks, taken every 1,000 steps, stays put: every leaked array or graph
    node leaves at least one block behind, so a leak of one per step would add 1,000 a sample.
    """
    X, Y, params = _mlp()
    W1, W2 = params

    def step():
        h = np.tanh(X @ W1)
        loss = np.mean((h @ W2 - Y) ** 2)
        loss.backward()
        with cr.no_grad():
            for p in params:
                p -= 0.05 * p.grad
                p.grad = None
        return float(loss)
    gc.collect()                    # (this also empties Python's free lists: refill them first)
    first_loss = step()
    for _ in range(2500):
        step()
    windows, blocks = [], []
    for i in range(10_000):
        if i in (0, 9000):
            tracemalloc.start()
        last_loss = step()
        if i in (999, 9999):
            windows.append(tracemalloc.get_traced_memory())      # (held at the end, peak)
            tracemalloc.stop()
        elif 1000 < i < 9000 and i % 1000 == 999:
            blocks.append(sys.getallocatedblocks())
    (held1, peak1), (held2, peak2) = windows
    # one step allocates ~20 arrays of up to 32 x 16 floats (~4 kB each); what a window may
    # hold at its end is interpreter caches (a free list of 2,000 tuples is 96 kB)
    assert held1 < 128_000 and held2 < 128_000, windows
    assert abs(peak2 - peak1) < 64_000 and peak2 < 1_000_000, windows
    assert blocks[-1] - blocks[0] < 500, blocks
    assert last_loss < first_loss / 10


def test_functional_training_loop_memory_is_flat():
    """The same network trained with cr.value_and_grad over a dict of parameters, with a
    cr.checkpoint made anew in each step (a checkpointed function must not be kept for good)."""
    X, Y, params = _mlp(1)
    p = {k: v.numpy().copy() for k, v in zip(("W1", "W2"), params)}

    def loss(p):
        layer = cr.checkpoint(lambda h: np.tanh(h @ p["W1"]))
        return np.mean((layer(X) @ p["W2"] - Y) ** 2)
    vg = cr.value_and_grad(loss)

    def step():
        value, g = vg(p)
        for k in p:
            p[k] = p[k] - 0.05 * g[k]
        return value
    for _ in range(100):
        step()
    tracemalloc.start()
    try:
        for _ in range(300):       # free lists and caches fill once after tracing starts
            step()
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(500):
            step()
        second, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert second - first < 64_000, (first, second)
    assert peak < 1_000_000, peak


# ---------------------------------------------------------------------- threads
def test_threads_have_their_own_recording_state():
    def work(seed):
        rng = np.random.default_rng(seed)
        a = rng.standard_normal(5)
        out = []
        for _ in range(50):
            if seed % 2:
                with cr.no_grad():
                    x = cr.tensor(a, requires_grad=True)
                    assert not (x * 2).requires_grad
            g = cr.grad(lambda x: np.sum(np.sin(x) * x))(a)
            x = cr.tensor(a, requires_grad=True)
            (np.cos(x) * seed).sum().backward()
            out.append((g, x.grad.numpy()))
        expect_g = np.cos(a) * a + np.sin(a)
        for g, xg in out:
            np.testing.assert_allclose(g, expect_g)
            np.testing.assert_allclose(xg, -np.sin(a) * seed)
        return True
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        assert all(ex.map(work, range(8)))


def test_recording_modes_are_per_thread_while_both_run():
    """Thread A sits inside no_grad, detect_anomaly and autograd.pause(train_mode=True) while
    thread B records (barriers make them overlap): each sees only its own modes."""
    barrier = threading.Barrier(2, timeout=30)
    seen = {}

    def a():
        with cr.no_grad(), cr.detect_anomaly(), cr.autograd.pause(train_mode=True):
            barrier.wait()                        # B starts recording now
            x = cr.tensor(np.ones(3), requires_grad=True)
            seen["a"] = ((x * 2).requires_grad, cr.is_grad_enabled(),
                         cr.autograd.is_training(), cr.engine.STATE.anomaly)
            barrier.wait()

    def b():
        barrier.wait()
        x = cr.tensor(np.ones(3), requires_grad=True)
        y = np.sqrt(x - 1.0)                      # sqrt'(0) = inf: an anomaly, if checked
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y.sum().backward()                    # not checked here: no FloatingPointError
        seen["b"] = (y.requires_grad, cr.is_grad_enabled(), cr.autograd.is_training(),
                     cr.engine.STATE.anomaly, np.isinf(x.grad.numpy()).all())
        barrier.wait()
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        for f in [ex.submit(a), ex.submit(b)]:
            f.result()
    assert seen["a"] == (False, False, True, True)
    assert seen["b"] == (True, True, False, False, True)
    assert cr.is_grad_enabled() and not cr.engine.STATE.anomaly


CONCURRENT = {
    "hessian": (lambda x: cr.hessian(lambda v: np.sum(v ** 3))(x), lambda x: np.diag(6 * x)),
    "jacfwd": (lambda x: cr.jacfwd(np.sin)(x), lambda x: np.diag(np.cos(x))),
    "jacrev": (lambda x: cr.jacrev(lambda v: v * np.sum(v))(x),
               lambda x: np.diag(np.full(len(x), np.sum(x))) + x[:, None]),
    "grad of grad": (lambda x: cr.elementwise_grad(cr.elementwise_grad(np.tanh))(x),
                     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "jvp": (lambda x: cr.jvp(np.exp, (x,), (np.ones_like(x),))[1], np.exp),
    "backward": (lambda x: _backward_grad(x), lambda x: 2 * x * np.cos(x * x)),
    "nested": (lambda x: cr.grad(lambda v: v[0] * cr.grad(lambda y: v[0] * y)(1.0))(x),
               lambda x: np.eye(len(x))[0] * 2 * x[0]),
}


def _backward_grad(x):
    t = cr.tensor(x, requires_grad=True)
    np.sum(np.sin(t * t)).backward()
    return t.grad.numpy()


def test_threads_differentiating_different_functions_at_once():
    """Seven kinds of differentiation in parallel, each checked against its closed form."""
    names = sorted(CONCURRENT)
    start = threading.Barrier(len(names), timeout=30)

    def work(name):
        fun, expect = CONCURRENT[name]
        rng = np.random.default_rng(len(name))
        start.wait()
        for _ in range(40):
            x = rng.uniform(-1, 1, 4)
            np.testing.assert_allclose(fun(x), expect(x), rtol=1e-10, atol=1e-12,
                                       err_msg=name)
        return name
    with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
        assert sorted(ex.map(work, names)) == names


# ---------------------------------------------------------------------- anomalies
def test_detect_anomaly_names_op_and_line():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        y = np.log(x) * 2.0 + x       # the line to be named
        with pytest.raises(FloatingPointError) as info:
            with np.errstate(all="ignore"):
                y.sum().backward()
    msg = str(info.value)
    assert "'log'" in msg and "y = np.log(x) * 2.0 + x" in msg
    assert "test_reliability.py" in msg
    # outside the context nothing is checked
    x.grad = None
    with np.errstate(all="ignore"):
        (np.log(x) * 2.0).sum().backward()
    assert np.isinf(x.grad.numpy()[0])


def test_detect_anomaly_names_the_first_bad_gradient():
    """The inf appears at sqrt; the multiply before it (later in the backward pass) would see
    it too, but the first one is named."""
    a = cr.tensor([0.0, 1.0], requires_grad=True)
    with cr.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        b = a * 2.0
        c = np.sqrt(b)                          # here
        y = np.log(c + 1.0).sum()
        with pytest.raises(FloatingPointError, match=r"'sqrt'.*c = np\.sqrt\(b\)"):
            y.backward()


def test_detect_anomaly_inside_transforms_and_as_decorator():
    @cr.detect_anomaly()
    def g(x):
        return cr.grad(lambda v: np.sum(np.sqrt(v)))(x)     # sqrt'(0) = inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match=r"'sqrt'.*np\.sum\(np\.sqrt\(v\)\)"):
            g(np.array([0.0, 1.0]))
        assert np.isinf(cr.grad(lambda v: np.sum(np.sqrt(v)))(np.array([0.0, 1.0]))[0])
        with cr.detect_anomaly():                             # second order: hessian
            with pytest.raises(FloatingPointError, match=r"'log'"):
                cr.hessian(lambda v: np.sum(np.log(v)))(np.array([0.0, 1.0]))
            x = cr.tensor([0.0, 1.0], requires_grad=True)
            with pytest.raises(FloatingPointError, match=r"'sqrt'"):
                (gx,) = cr.autograd.grad(np.sum(x * np.sqrt(x + 1.0) ** 3), x,
                                         create_graph=True)
                np.sum(np.sqrt(gx - gx[0])).backward()


def test_detect_anomaly_ignores_masked_non_finite_values():
    """np.where's discarded branch: its NaN/inf never reach the gradient, so nothing to name."""
    x = cr.tensor([0.0, -1.0, 4.0], requires_grad=True)
    with cr.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.sum(np.where(x > 0, np.sqrt(x), 0.0)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.25])


# ---------------------------------------------------------------------- copy and persistence
def _trained(dtype=np.float64, mode=None):
    x = cr.tensor(np.array([1.0, 2.0, 3.0], dtype=dtype))
    if mode is None:
        x.requires_grad_()
    else:
        x.attach_grad(mode)
    (x * x).sum().backward()
    return x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", [None, "write", "add"])
@pytest.mark.parametrize("how", ["deepcopy", *[f"pickle{p}" for p in
                                                range(pickle.HIGHEST_PROTOCOL + 1)]])
def test_copies_keep_data_requires_grad_and_grad(dtype, mode, how):
    x = _trained(dtype, mode)
    y = copy.deepcopy(x) if how == "deepcopy" else pickle.loads(
        pickle.dumps(x, protocol=int(how[6:])))
    assert y is not x and y.is_leaf and y.requires_grad
    assert y.dtype == dtype and y.grad.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), x.grad.numpy())
    # independent of the original, and the gradient mode (accumulate / overwrite) survives
    y.numpy()[0] = 100.0
    assert x.numpy()[0] == 1.0
    (y * 3.0).sum().backward()
    expect = 3.0 if mode == "write" else 3.0 + 2 * np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y.grad.numpy(), expect)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_copies_of_tensors_without_grad_and_shared_references():
    a = cr.tensor(np.arange(4.0).reshape(2, 2))
    params = {"w": a, "again": a, "b": cr.tensor(1.5, requires_grad=True)}
    for clone in (copy.deepcopy(params), pickle.loads(pickle.dumps(params))):
        assert clone["w"] is clone["again"]               # sharing is kept
        assert not clone["w"].requires_grad and clone["w"].grad is None
        np.testing.assert_array_equal(clone["w"].numpy(), a.numpy())
        assert clone["b"].requires_grad and float(clone["b"]) == 1.5


def test_deepcopy_of_a_leaf_whose_grad_has_a_graph():
    """After backward(create_graph=True) .grad is part of a graph; the copy gets its values."""
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    for y in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert not y.grad.requires_grad
        np.testing.assert_array_equal(y.grad.numpy(), [3.0, 12.0])


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_tensors_in_the_middle_of_a_graph_are_refused(how):
    dump = pickle.dumps if how == "pickle" else copy.deepcopy
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for t in (x * 2, x[0], np.sin(x)):
        with pytest.raises(RuntimeError, match=r"middle of a graph.*x\.detach\(\)"):
            dump(t)
    seen = []

    def f(v):
        with pytest.raises(RuntimeError, match="middle of a graph"):
            dump(v)                                      # a transform's traced input
        seen.append(True)
        return np.sum(v)
    cr.grad(f)(np.ones(2))
    cr.jvp(f, (np.ones(2),), (np.ones(2),))
    assert seen == [True, True]
    # the documented way: detach (a copy without history), then make it a leaf if wanted
    y = pickle.loads(pickle.dumps((x * 2).detach()))
    assert not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


def test_save_detached_tensor(tmp_path):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    np.save(tmp_path / "x.npy", x.detach())
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), [1.0, 2.0])
    np.save(tmp_path / "y.npy", (x * 2).detach())
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), [2.0, 4.0])
    np.save(tmp_path / "z.npy", cr.tensor(np.eye(2, dtype=np.float32)))   # no grad: fine
    z = np.load(tmp_path / "z.npy")
    assert z.dtype == np.float32 and np.array_equal(z, np.eye(2))
    with pytest.raises(TypeError, match=r"detach\(\)"):
        np.save(tmp_path / "w.npy", x)                  # would drop the gradient: says so
    with pytest.raises(TypeError, match=r"detach\(\)"):
        np.savez(tmp_path / "w.npz", w=x * 2)
