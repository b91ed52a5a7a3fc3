"""xarray DataArrays wrapping tensors keep their labels through differentiable operations;
pydata/sparse arrays work where sparse has the operation, and otherwise get an error that
names sparse and the operation."""
import numpy as np
import pytest

import chainrule as cr


def test_xarray_dataarray_around_a_tensor_keeps_labels_and_gradient():
    xr = pytest.importorskip("xarray")
    wn = np.arange(6.0).reshape(2, 3) / 4
    w = cr.tensor(wn, requires_grad=True)
    arr = xr.DataArray(w, dims=("time", "site"),
                       coords={"time": [10, 20], "site": ["a", "b", "c"]})
    out = np.sin(arr) * 2 + arr.sel(site="a")           # broadcasts by label
    assert out.dims == ("time", "site") and list(out.coords["site"].values) == ["a", "b", "c"]
    assert isinstance(out.data, cr.Tensor)
    loss = (out ** 2).sum(dim="site").mean(dim="time")
    assert loss.dims == () and isinstance(loss.data, cr.Tensor)
    loss.data.backward()

    def plain(v):
        o = np.sin(v) * 2 + v[:, :1]
        return np.mean(np.sum(o ** 2, axis=1))
    np.testing.assert_allclose(w.grad.numpy(), cr.grad(plain)(wn), rtol=1e-12)


def test_xarray_inside_a_transform():
    xr = pytest.importorskip("xarray")

    def loss(v):
        a = xr.DataArray(v, dims=("x",), coords={"x": [0.0, 1.0, 2.0]})
        return (a * a.coords["x"]).sum().data
    g = cr.grad(loss)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 1.0, 2.0])


def test_sparse_gradient_where_sparse_has_the_operations():
    sparse = pytest.importorskip("sparse")
    dense = np.array([[0.0, 1.5], [2.0, 0.0]])
    s = sparse.COO.from_numpy(dense)
    g = cr.grad(lambda v: np.sum(np.sin(v) * v))(s)
    assert isinstance(g, sparse.COO)
    np.testing.assert_allclose(g.todense(), np.sin(dense) + dense * np.cos(dense))


def test_sparse_operation_it_cannot_do_names_sparse_and_the_operation():
    sparse = pytest.importorskip("sparse")
    s = sparse.COO.from_numpy(np.array([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(TypeError, match=r"sparse\.COO arrays cannot do .*'matmul'"):
        cr.grad(lambda v: np.sum(v @ v))(s)


def test_docs_scale_examples_run():
    """The Python examples of docs/scale.md run as one script, in order."""
    pytest.importorskip("dask.array")
    pytest.importorskip("distributed")
    pytest.importorskip("xarray")
    pytest.importorskip("scipy")
    import os
    import re
    import subprocess
    import sys
    root = os.path.join(os.path.dirname(__file__), os.pardir)
    with open(os.path.join(root, "docs", "scale.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 4
    # the SciPy block sets SCIPY_ARRAY_API before SciPy's first import: run it first
    scipy_block = [b for b in blocks if "SCIPY_ARRAY_API" in b]
    script = "\n".join(scipy_block + [b for b in blocks if b not in scipy_block])
    env = dict(os.environ)
    src = os.path.abspath(os.path.join(os.path.dirname(cr.__file__), os.pardir))
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
