"""The caller's array type is kept: the same gradients over NumPy, array-api-strict (the
strict stand-in for CuPy: no implicit conversion, no NumPy arrays mixed in, data on a
non-default device) and CuPy (only where it imports and a GPU answers)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.api_arrays import unwrap


def _strict():
    xp = pytest.importorskip("array_api_strict")
    dev = xp.Device("device1")      # not the default device: mixing with it raises, as on a GPU

    def to(a):
        return xp.asarray(a, device=dev)

    def back(a):
        assert type(a).__module__.startswith("array_api_strict"), type(a)
        assert a.device == dev
        return np.asarray(xp.asarray(a, device=xp.Device("CPU_DEVICE")))
    return to, back


def _cupy():
    cp = pytest.importorskip("cupy")
    try:
        cp.cuda.runtime.getDeviceCount()
        cp.zeros(1).sum().item()
    except Exception as e:                                  # noqa: BLE001
        pytest.skip(f"CuPy imports but no GPU answers ({type(e).__name__})")

    def back(a):
        assert isinstance(a, cp.ndarray), type(a)
        return cp.asnumpy(a)
    return cp.asarray, back


def _numpy():
    def back(a):
        assert isinstance(a, (np.ndarray, np.generic)), type(a)
        return np.asarray(a)
    return np.asarray, back


BACKENDS = {"numpy": _numpy, "array-api-strict": _strict, "cupy": _cupy}


@pytest.fixture(params=list(BACKENDS))
def backend(request):
    return BACKENDS[request.param]()


OPS = {
    "sin": np.sin, "exp": np.exp, "log": lambda v: np.log(v + 1), "tanh": np.tanh,
    "sqrt": np.sqrt, "abs": np.abs, "square": lambda v: v ** 2, "power": lambda v: v ** v,
    "divide": lambda v: 1 / (v + 1), "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "maximum": lambda v: np.maximum(v, 0.5), "logaddexp": lambda v: np.logaddexp(v, 0.5),
    "where": lambda v: np.where(v > 0.5, v, 0.0), "clip": lambda v: np.clip(v, 0.3, 0.6),
    "sum": np.sum, "mean": np.mean, "var": np.var, "std": np.std, "max": np.max,
    "prod": lambda v: np.prod(v[:5]), "cumsum": np.cumsum, "norm": np.linalg.norm,
    "sum-axis": lambda v: np.sum(v.reshape(3, 4) ** 2, axis=1),
    "matmul": lambda v: v.reshape(3, 4) @ v.reshape(4, 3), "dot": lambda v: np.dot(v, v),
    "tensordot": lambda v: np.tensordot(v.reshape(3, 4), v.reshape(3, 4), axes=2),
    "slice": lambda v: v[3:11:3], "new-axis": lambda v: v[None, :] * v[:5, None],
    "fancy-repeated": lambda v: v[np.array([1, 2, 3, 1])],
    "reshape-T": lambda v: v.reshape(3, 4).T, "broadcast": lambda v: v.reshape(3, 4) * v[:4],
    "concatenate": lambda v: np.concatenate([v, 2 * v]), "stack": lambda v: np.stack([v, v]),
    "flip-roll": lambda v: np.roll(np.flip(v), 3),
    "concatenate-constant": lambda v: np.concatenate([v, np.ones_like(v)]),
    "stack-constant": lambda v: np.stack([np.ones_like(v), v]),
    "setitem": lambda v: _written(v), "tril": lambda v: np.tril(v.reshape(3, 4)),
    "real": np.real, "cumprod": lambda v: np.cumprod(v[:5]), "min": np.min,
    "sort": lambda v: np.sort(v) * v, "linalg.inv": lambda v: np.linalg.inv(v[:4].reshape(2, 2)),
}


def _written(v):
    out = np.zeros_like(v)
    out[2:5] = v[:3] * 2
    return out


@pytest.mark.parametrize("name", OPS)
def test_gradients_keep_the_array_type(backend, name):
    to, back = backend
    f = OPS[name]
    xn = np.random.default_rng(1).uniform(0.1, 1.0, 12)

    def loss(v):
        y = f(v)
        return np.sum(y * y)
    g = cr.grad(loss)(to(xn))
    np.testing.assert_allclose(back(g), cr.grad(loss)(xn), rtol=1e-10)
    _, t = cr.jvp(f, (to(xn),), (to(np.ones(12)),))
    np.testing.assert_allclose(back(t), cr.jvp(f, (xn,), (np.ones(12),))[1], rtol=1e-10)


def test_tensor_api_keeps_the_array_type(backend):
    to, back = backend
    xn = np.linspace(-1, 1, 6)
    x = cr.tensor(to(xn), requires_grad=True)
    y = (np.tanh(x) * x).sum()
    y.backward()
    # array-API-only arrays are held in an APIArray (.array is the caller's array)
    np.testing.assert_allclose(back(unwrap(x.grad.data)), np.tanh(xn) + xn / np.cosh(xn) ** 2,
                               rtol=1e-12)


def test_second_order_keeps_the_array_type(backend):
    to, back = backend
    xn = np.linspace(0.2, 1.0, 4)
    h = cr.hvp(lambda v: np.sum(np.sin(v) * v), to(xn), to(np.ones(4)))
    np.testing.assert_allclose(back(h), 2 * np.cos(xn) - xn * np.sin(xn), rtol=1e-12)


def test_strict_arrays_are_never_converted_to_numpy():
    xp = pytest.importorskip("array_api_strict")
    x = cr.tensor(xp.asarray([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="array_api_strict.*implicitly"):
        np.asarray(x.data)


def test_numpy_arrays_mixed_into_strict_data_are_refused():
    xp = pytest.importorskip("array_api_strict")
    x = cr.tensor(xp.asarray([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="NumPy array.*mixed.*array_api_strict"):
        x * np.array([1.0, 2.0])


def test_function_the_namespace_lacks_names_the_type_and_the_function():
    xp = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match=r"array_api_strict\.Array.*np\.einsum"):
        cr.grad(lambda v: np.einsum("i,i->", v, v))(xp.asarray([1.0, 2.0]))


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "jacobian", "hessian"])
def test_jacobians_keep_the_array_type(backend, transform):
    to, back = backend
    xn = np.linspace(0.1, 1.0, 4)
    f = (lambda v: np.sum(np.sin(v) * v)) if transform == "hessian" else \
        (lambda v: np.sin(v) * v[::-1])
    t = getattr(cr, transform)
    np.testing.assert_allclose(back(t(f)(to(xn))), t(f)(xn), rtol=1e-12)
