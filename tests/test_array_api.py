"""``Tensor.__array_namespace__()`` is ``chainrule.array_api``: the standard's functions on
tensors, checked against array-api-strict (the reference implementation), differentiated,
and used by SciPy's array-API code paths (``SCIPY_ARRAY_API=1``)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chainrule as cr
import chainrule.array_api as cxp

strict = pytest.importorskip("array_api_strict")


def to_np(a):
    if isinstance(a, cr.Tensor):
        assert a.__array_namespace__() is cxp
        return a.numpy()
    return np.asarray(a)


def same(ours, ref):
    """Same values, shape and dtype as array-api-strict's result."""
    o, r = to_np(ours), to_np(ref)
    assert o.shape == r.shape and o.dtype == r.dtype, (o.shape, o.dtype, r.shape, r.dtype)
    np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-12)


def test_namespace_of_a_tensor():
    x = cr.tensor([1.0, 2.0])
    assert x.__array_namespace__() is cxp
    assert x.__array_namespace__(api_version="2023.12") is cxp
    with pytest.raises(ValueError, match="array API"):
        x.__array_namespace__(api_version="2099.12")
    assert cxp.__array_api_version__ == "2024.12"


A = np.array([[3.0, -1.0, 2.0], [0.5, 2.0, -4.0]])
B = np.array([[1.0, 2.0, 2.0], [-1.0, 0.5, 3.0]])

# name -> call with the namespace and its inputs (made by that namespace's asarray)
CALLS = {
    "zeros": lambda xp, a, b: xp.zeros((2, 3), dtype=xp.float32),
    "ones_like": lambda xp, a, b: xp.ones_like(a),
    "full": lambda xp, a, b: xp.full((2,), 7.0),
    "full_like": lambda xp, a, b: xp.full_like(a, 2.5),
    "arange": lambda xp, a, b: xp.arange(1.0, 4.0, 0.5),
    "linspace": lambda xp, a, b: xp.linspace(0.0, 1.0, 5),
    "eye": lambda xp, a, b: xp.eye(3, 4, k=1),
    "tril": lambda xp, a, b: xp.tril(a),
    "meshgrid": lambda xp, a, b: xp.meshgrid(a[0, :], b[:, 0], indexing="ij")[1],
    "astype": lambda xp, a, b: xp.astype(a, xp.float32),
    "astype-int": lambda xp, a, b: xp.astype(a, xp.int64),
    "broadcast_arrays": lambda xp, a, b: xp.broadcast_arrays(a, b[0, :])[1],
    "unique_values": lambda xp, a, b: xp.unique_values(xp.round(a)),
    "unique_counts": lambda xp, a, b: xp.unique_counts(xp.asarray([3.0, 1.0, 3.0])).counts,
    "unique_inverse": lambda xp, a, b:
        xp.unique_inverse(xp.asarray([[3.0, 1.0], [3.0, 2.0]])).inverse_indices,
    "unique_all": lambda xp, a, b: xp.unique_all(xp.asarray([2.0, 1.0, 2.0])).indices,
    "concat": lambda xp, a, b: xp.concat([a, b], axis=1),
    "stack": lambda xp, a, b: xp.stack([a, b], axis=-1),
    "permute_dims": lambda xp, a, b: xp.permute_dims(a, (1, 0)),
    "matrix_transpose": lambda xp, a, b: xp.matrix_transpose(a),
    "reshape": lambda xp, a, b: xp.reshape(a, (3, 2)),
    "expand_dims": lambda xp, a, b: xp.expand_dims(a, axis=1),
    "squeeze": lambda xp, a, b: xp.squeeze(a[:1, :], axis=0),
    "flip": lambda xp, a, b: xp.flip(a, axis=1),
    "roll": lambda xp, a, b: xp.roll(a, 1, axis=1),
    "where": lambda xp, a, b: xp.where(a > b, a, b),
    "clip": lambda xp, a, b: xp.clip(a, -1.0, 1.0),
    "pow": lambda xp, a, b: xp.pow(xp.abs(a), b),
    "atan2": lambda xp, a, b: xp.atan2(a, b),
    "acos": lambda xp, a, b: xp.acos(a / 5),
    "logaddexp": lambda xp, a, b: xp.logaddexp(a, b),
    "sum": lambda xp, a, b: xp.sum(a, axis=1, keepdims=True),
    "mean": lambda xp, a, b: xp.mean(a, axis=0),
    "prod": lambda xp, a, b: xp.prod(a),
    "max": lambda xp, a, b: xp.max(a, axis=1),
    "std": lambda xp, a, b: xp.std(a, axis=1, correction=1),
    "var": lambda xp, a, b: xp.var(a, correction=0.5),
    "cumulative_sum": lambda xp, a, b: xp.cumulative_sum(a, axis=1, include_initial=True),
    "cumulative_prod": lambda xp, a, b: xp.cumulative_prod(a, axis=0),
    "sort-desc": lambda xp, a, b: xp.sort(a, axis=1, descending=True),
    "argsort-desc": lambda xp, a, b: xp.argsort(xp.asarray([1.0, 3.0, 1.0, 2.0]),
                                                descending=True),
    "vecdot": lambda xp, a, b: xp.vecdot(a, b),
    "matmul": lambda xp, a, b: xp.matmul(a, xp.matrix_transpose(b)),
    "tensordot": lambda xp, a, b: xp.tensordot(a, b, axes=2),
    "take": lambda xp, a, b: xp.take(a, xp.asarray([2, 0]), axis=1),
    "argmax": lambda xp, a, b: xp.argmax(a, axis=1),
    "isdtype": lambda xp, a, b: xp.asarray(xp.isdtype(a.dtype, "real floating")),
    "finfo": lambda xp, a, b: xp.asarray(float(xp.finfo(xp.float32).eps)),
    "linalg.inv": lambda xp, a, b: xp.linalg.inv(a[:, :2]),
    "linalg.det": lambda xp, a, b: xp.linalg.det(a[:, 1:]),
    "linalg.vector_norm": lambda xp, a, b: xp.linalg.vector_norm(a, axis=1),
    "linalg.matrix_norm": lambda xp, a, b: xp.linalg.matrix_norm(a),
    "linalg.solve": lambda xp, a, b: xp.linalg.solve(a[:, :2], b[:, :2]),
    "linalg.outer": lambda xp, a, b: xp.linalg.outer(a[0, :], b[1, :]),
    "fft.fft": lambda xp, a, b: xp.fft.fft(xp.astype(a, xp.complex128)),
    "fft.rfft": lambda xp, a, b: xp.fft.rfft(a),
    "fft.fftfreq": lambda xp, a, b: xp.fft.fftfreq(4),
}


@pytest.mark.parametrize("name", CALLS)
def test_function_matches_array_api_strict(name):
    call = CALLS[name]
    ours = call(cxp, cxp.asarray(A), cxp.asarray(B))
    ref = call(strict, strict.asarray(A), strict.asarray(B))
    same(ours, ref)


def test_device_and_to_device():
    x = cxp.asarray([1.0, 2.0])
    assert x.device == "cpu"
    assert x.to_device("cpu") is x
    with pytest.raises(ValueError, match="lives on"):
        x.to_device("cuda:0")


def test_asarray_keeps_the_graph_of_a_tensor():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert cxp.asarray(x) is x
    y = cxp.sum(cxp.astype(x, cxp.float32) * 3.0)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def logsumexp_xp(x):
    xp = x.__array_namespace__()
    m = xp.max(x)
    return m + xp.log(xp.sum(xp.exp(x - m)))


def test_code_written_for_the_namespace_is_differentiated():
    x = np.array([0.3, -1.2, 2.0])
    cr.check_grads(lambda v: logsumexp_xp(v) * cxp.vecdot(v, v), x, order=2)
    g = cr.grad(logsumexp_xp)(x)
    np.testing.assert_allclose(g, np.exp(x) / np.exp(x).sum(), rtol=1e-12)


SCIPY_SCRIPT = textwrap.dedent("""
    import numpy as np, chainrule as cr
    from scipy.special import softmax
    from scipy.stats import zscore
    w = np.array([1.0, -2.0, 0.3, 0.7])
    x = np.array([0.5, 1.5, -0.2, 0.9])
    for f in (lambda v: np.sum(softmax(v) * w), lambda v: np.sum(zscore(v) * w)):
        t = cr.tensor(x, requires_grad=True)
        f(t).backward()                 # SciPy computed on the tensor, through chainrule
        eps = 1e-6
        fd = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(4)]
        np.testing.assert_allclose(t.grad.numpy(), fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(cr.grad(f)(x), fd, rtol=1e-6, atol=1e-8)
    print("ok")
""")


def test_scipy_array_api_functions_are_differentiated():
    pytest.importorskip("scipy")
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    src = os.path.join(os.path.dirname(cr.__file__), os.pardir)
    env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(src), env.get("PYTHONPATH", "")])
    res = subprocess.run([sys.executable, "-c", SCIPY_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-2000:]
