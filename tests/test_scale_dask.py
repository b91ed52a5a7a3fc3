"""Dask arrays through chainrule: gradients stay lazy Dask graphs until .compute(), run on a
dask.distributed cluster, and match NumPy (SPEC section 7, docs/scale.md)."""
import warnings

import numpy as np
import pytest

import chainrule as cr

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
from dask.callbacks import Callback  # noqa: E402

rng = np.random.default_rng(0)


class Computes(Callback):
    """Counts the graphs Dask computes while it is active."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


def lstsq_loss(w, X, y):
    r = X @ w - y
    return np.sum(r * r) / 2


@pytest.fixture
def data():
    Xn = rng.standard_normal((400, 5))
    yn = rng.standard_normal(400)
    wn = rng.standard_normal(5)
    return Xn, yn, wn, da.from_array(Xn, chunks=(100, 5)), da.from_array(yn, chunks=100)


def test_grad_is_a_lazy_dask_array_until_compute(data):
    Xn, yn, wn, X, y = data
    with Computes() as c:
        g = cr.grad(lstsq_loss)(wn, X, y)
        assert c.count == 0, "chainrule computed the Dask graph before it was asked to"
        assert isinstance(g, da.Array)
        gv = g.compute()
        assert c.count == 1
    np.testing.assert_allclose(gv, Xn.T @ (Xn @ wn - yn), rtol=1e-12)
    np.testing.assert_allclose(gv, cr.grad(lstsq_loss)(wn, Xn, yn), rtol=1e-12)


def test_grad_with_respect_to_a_dask_array_returns_one(data):
    Xn, yn, wn, X, y = data
    with Computes() as c:
        g = cr.grad(lambda X: lstsq_loss(wn, X, y))(X)
        assert c.count == 0 and isinstance(g, da.Array) and g.chunks == X.chunks
    np.testing.assert_allclose(g.compute(), np.outer(Xn @ wn - yn, wn), rtol=1e-12)


def test_tensor_api_on_dask_data(data):
    Xn, yn, wn, X, y = data
    with Computes() as c:
        x = cr.tensor(X, requires_grad=True)
        loss = np.mean(np.tanh(x @ wn) ** 2)
        loss.backward()
        assert c.count == 0
        assert isinstance(x.grad.data, da.Array) and isinstance(loss.data, da.Array)
    ref = cr.tensor(Xn, requires_grad=True)
    np.mean(np.tanh(ref @ wn) ** 2).backward()
    np.testing.assert_allclose(x.grad.data.compute(), ref.grad.numpy(), rtol=1e-12)


# each function, at a Dask input: the gradient (reverse) and the JVP (forward) are Dask
# arrays, nothing is computed, and the values are NumPy's
OPS = {
    "sin": np.sin, "exp": np.exp, "log1p": np.log1p, "sqrt": np.sqrt, "tanh": np.tanh,
    "power": lambda v: v ** 3, "divide": lambda v: 1 / (v + 1), "abs": np.abs,
    "maximum": lambda v: np.maximum(v, 0.5), "where": lambda v: np.where(v > 0.5, v, 0.0),
    "sum-axis": lambda v: np.sum(v.reshape(8, 10) ** 2, axis=1),
    "mean": np.mean, "var": np.var, "max": np.max, "prod": lambda v: np.prod(v[:6]),
    "cumsum": np.cumsum, "matmul": lambda v: v.reshape(8, 10) @ v.reshape(10, 8),
    "einsum": lambda v: np.einsum("ij,ij->i", v.reshape(8, 10), v.reshape(8, 10)),
    "slice": lambda v: v[3:60:4], "new-axis": lambda v: v[None, :] * v[:5, None],
    "fancy-repeated": lambda v: v[np.array([1, 2, 2, 7])],
    "concatenate": lambda v: np.concatenate([v, 2 * v]), "transpose": lambda v: v.reshape(8, 10).T,
    "broadcast": lambda v: v.reshape(8, 10) * v[:10], "norm": np.linalg.norm,
    "logaddexp": lambda v: np.logaddexp(v, 0.5), "clip": lambda v: np.clip(v, 0.3, 0.6),
    "index-by-argmax": lambda v: v[np.argmax(v)] * v,     # the index is a lazy Dask array
    "setitem": lambda v: _written(v), "tril": lambda v: np.tril(v.reshape(8, 10)),
}


def _written(v):
    out = np.zeros_like(v)
    out[2:5] = v[:3] * 2
    return out


@pytest.mark.parametrize("name", OPS)
def test_op_stays_lazy_and_matches_numpy(name):
    f = OPS[name]
    xn = rng.uniform(0.1, 1.0, 80)
    x = da.from_array(xn, chunks=20)

    def loss(v):
        y = f(v)
        return np.sum(y * y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # Dask warns when it falls back to NumPy
        with Computes() as c:
            g = cr.grad(loss)(x)
            _, t = cr.jvp(f, (x,), (da.ones_like(x),))
            assert c.count == 0
    assert isinstance(g, da.Array) and isinstance(t, da.Array)
    np.testing.assert_allclose(g.compute(), cr.grad(loss)(xn), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(t.compute(), cr.jvp(f, (xn,), (np.ones_like(xn),))[1],
                               rtol=1e-10, atol=1e-12)


def test_hessian_vector_product_of_dask_data(data):
    Xn, yn, wn, X, y = data
    hv = cr.hvp(lambda w: lstsq_loss(w, X, y), wn, np.ones(5))
    assert isinstance(hv, da.Array)
    np.testing.assert_allclose(hv.compute(), Xn.T @ (Xn @ np.ones(5)), rtol=1e-12)


def test_operation_dask_cannot_do_names_dask_and_the_operation():
    x = cr.tensor(da.ones((4, 6), chunks=2), requires_grad=True)
    y = x[:, np.array([1, 1, 2])]          # repeated columns: the gradient is a scatter-add
    with pytest.raises(TypeError, match=r"dask\.array.*scatter-add"):
        np.sum(y).backward()


def test_gradient_on_a_local_distributed_cluster(data):
    distributed = pytest.importorskip("distributed")
    Xn, yn, wn, X, y = data
    # two workers in this process, talking TCP over loopback only
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, timeout="30s") as client:
        g = cr.grad(lstsq_loss)(wn, X, y)
        assert isinstance(g, da.Array)
        fut = client.compute(g)
        gv = fut.result(timeout=60)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_allclose(gv, Xn.T @ (Xn @ wn - yn), rtol=1e-12)


def test_the_dask_benchmark_runs_at_a_tiny_size(capsys):
    """benchmarks/dask_lstsq.py (docs/scale.md): chainrule's gradient and the hand-written
    one agree, both lazy, on a one-worker cluster.  Nothing here is about time."""
    pytest.importorskip("distributed")
    pytest.importorskip("psutil")
    import pathlib
    import sys
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks import dask_lstsq
    dask_lstsq.main(["--n", "2e4", "--d", "4", "--chunk-mb", "0.05", "--workers", "1",
                     "--pairs", "1"])
    out = capsys.readouterr().out
    assert out.count("lazy until compute: True") == 2 and "time ratio" in out


def test_dask_arrays_as_operands_of_numpy_tensors():
    xn = np.arange(1.0, 5.0)
    d = da.from_array(np.linspace(0.5, 2.0, 4), chunks=2)
    x = cr.tensor(xn, requires_grad=True)
    with Computes() as c:
        ys = [x * d, d * x, np.multiply(x, d), x + d, np.where(d > 1, x, 0.0)]
        assert all(isinstance(y.data, da.Array) for y in ys)
        sum(np.sum(y) for y in ys).backward()
        assert c.count == 0 and isinstance(x.grad.data, da.Array)
    dn = d.compute()
    np.testing.assert_allclose(x.grad.data.compute(), 3 * dn + 1 + (dn > 1))


@pytest.mark.parametrize("jac", [cr.jacrev, cr.jacfwd, cr.jacobian])
def test_jacobians_of_dask_arrays_match_numpy(jac):
    # Other libraries' arrays always take the strong zero's masked form: a pullback recorded
    # at a zero cotangent gave an all-zero Jacobian (regression).
    x = np.array([0.5, 1.0, 2.0, 3.0])
    for f in (lambda v: v ** 2, np.exp, np.sqrt, lambda v: np.outer(v, np.exp(v))):
        got = jac(f)(da.from_array(x, chunks=2))
        assert isinstance(got, da.Array)
        np.testing.assert_allclose(np.asarray(got), cr.jacfwd(f)(x), rtol=1e-12)


def test_optimizer_steps_stay_lazy_and_equal_numpys():
    """cr.optim on Dask parameters: the update is a Dask graph (nothing computed), and its
    values equal the same steps on NumPy."""
    w0 = np.linspace(0.5, 1.5, 6).reshape(3, 2)
    lazy = cr.tensor(da.from_array(w0, chunks=(2, 2)), requires_grad=True)
    eager = cr.tensor(w0, requires_grad=True)
    for p in (lazy, eager):
        opt = cr.optim.Adam([p], lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()
    assert isinstance(lazy.data, da.Array)
    np.testing.assert_allclose(lazy.data.compute(), eager.numpy(), rtol=1e-13)
