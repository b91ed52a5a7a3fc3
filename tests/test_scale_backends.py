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


def _device():
    """The CPU stand-in for CuPy (tests/devicearray.py): runs everywhere, as strict."""
    from devicearray import DeviceArray

    def back(a):
        assert isinstance(a, DeviceArray), type(a)
        return a.get()
    return DeviceArray, back


def _numpy():
    def back(a):
        assert isinstance(a, (np.ndarray, np.generic)), type(a)
        return np.asarray(a)
    return np.asarray, back


BACKENDS = {"numpy": _numpy, "array-api-strict": _strict, "device": _device, "cupy": _cupy}


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


# NumPy functions outside the array API standard (array-api-strict has no einsum, pad, ...):
# checked over NumPy and CuPy, which implements NEP 13/18 and most of NumPy.
def _sq(v):
    """A well-conditioned 3x3 matrix made of v alone (no NumPy constant to mix in)."""
    return v[:9].reshape(3, 3) + np.diag(v[9:12] + 3)


NEP18_OPS = {
    "einsum": lambda v: np.einsum("ij,jk->ik", v.reshape(3, 4), v.reshape(4, 3)),
    "fft": lambda v: np.abs(np.fft.fft(v)), "rfft": lambda v: np.fft.irfft(np.fft.rfft(v) * 2),
    "solve": lambda v: np.linalg.solve(_sq(v), v[9:]), "det": lambda v: np.linalg.det(_sq(v)),
    "slogdet": lambda v: np.linalg.slogdet(_sq(v))[1],
    "eigh": lambda v: np.linalg.eigvalsh(_sq(v) + _sq(v).T),
    "svd": lambda v: np.linalg.svd(v.reshape(3, 4), compute_uv=False),
    "qr-r": lambda v: np.abs(np.linalg.qr(v.reshape(4, 3))[1]),
    "cholesky": lambda v: np.linalg.cholesky(_sq(v) @ _sq(v).T),
    "pinv": lambda v: np.linalg.pinv(v.reshape(3, 4)),
    "matrix_power": lambda v: np.linalg.matrix_power(_sq(v), 3),
    "pad": lambda v: np.pad(v, 2), "take_along_axis": lambda v: np.take_along_axis(
        v.reshape(3, 4), np.argsort(v.reshape(3, 4), axis=1), axis=1),
    "diff": lambda v: np.diff(v, 2), "outer": lambda v: np.outer(v, v[:3]),
    "kron": lambda v: np.kron(v[:3], v[3:6]), "trace": lambda v: np.trace(v.reshape(3, 4)),
    "diagonal": lambda v: np.diagonal(v.reshape(3, 4)), "cross": lambda v: np.cross(v[:3], v[3:6]),
    "max-axis": lambda v: np.max(v.reshape(3, 4), axis=0),
    "norm-axis": lambda v: np.linalg.norm(v.reshape(3, 4), axis=1),
    "cumsum-axis": lambda v: np.cumsum(v.reshape(3, 4), axis=1),
    "repeat-tile": lambda v: np.tile(np.repeat(v[:3], 2), 2),
    "split": lambda v: np.split(v, 3)[1] * 2, "arctan2": lambda v: np.arctan2(v, v[::-1]),
    "hypot": lambda v: np.hypot(v, 0.5), "expm1-log1p": lambda v: np.log1p(np.expm1(v)),
    "complex": lambda v: np.abs(np.exp(1j * v) * (v + 2j)),
    "mean-var-axis": lambda v: np.var(v.reshape(3, 4), axis=0) + np.mean(v.reshape(3, 4), 1)[0],
    "float32": lambda v: (v.astype(np.float32) ** 2).astype(np.float64),
}


@pytest.fixture(params=["numpy", "device", "cupy"])
def nep18_backend(request):
    return BACKENDS[request.param]()


@pytest.mark.parametrize("name", NEP18_OPS)
def test_nep18_functions_keep_the_array_type(nep18_backend, name):
    _same_gradient_and_jvp(*nep18_backend, NEP18_OPS[name], seed=2,
                           rtol=1e-5 if name == "float32" else 1e-9)


def _same_gradient_and_jvp(to, back, f, seed, rtol):
    """The gradient of sum(f(v)**2) and the JVP of f on ``to``'s arrays equal NumPy's."""
    xn = np.random.default_rng(seed).uniform(0.1, 1.0, 12)

    def loss(v):
        y = f(v)
        return np.sum(y * y)
    g = cr.grad(loss)(to(xn))
    np.testing.assert_allclose(back(g), cr.grad(loss)(xn), rtol=rtol)
    _, t = cr.jvp(f, (to(xn),), (to(np.ones(12)),))
    np.testing.assert_allclose(back(t), cr.jvp(f, (xn,), (np.ones(12),))[1], rtol=rtol,
                               atol=1e-12)


def _written(v):
    out = np.zeros_like(v)
    out[2:5] = v[:3] * 2
    return out


@pytest.mark.parametrize("name", OPS)
def test_gradients_keep_the_array_type(backend, name):
    _same_gradient_and_jvp(*backend, OPS[name], seed=1, rtol=1e-10)


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


@pytest.mark.parametrize("backend_name", ["array-api-strict", "cupy", "dask"])
def test_compile_refuses_other_array_types_with_a_way_out(backend_name):
    if backend_name == "dask":
        da = pytest.importorskip("dask.array")
        x = da.ones(4, chunks=2)
    else:
        to, _ = BACKENDS[backend_name]()
        x = to(np.ones(4))
    f = cr.compile(cr.grad(lambda v: np.sum(np.sin(v))))
    with pytest.raises(TypeError, match=r"cr\.compile: an argument is a .*NumPy arrays.*"
                                        r"without cr\.compile"):
        f(x)
    np.testing.assert_allclose(f(np.ones(4)), np.cos(np.ones(4)))


def test_scipy_matrix_functions_on_device_arrays_say_scipy_needs_numpy():
    pytest.importorskip("scipy")
    from chainrule.scipy import linalg
    to, _ = _device()
    x = cr.tensor(to(np.eye(2)), requires_grad=True)
    with pytest.raises(TypeError, match=r"DeviceArray arrays cannot do scipy\.linalg\.expm "
                                        r"\(SciPy computes on NumPy arrays only\)"):
        linalg.expm(x)


@pytest.fixture(params=["device", "cupy"])
def strict_backend(request):
    """The libraries that refuse NumPy arrays: the CPU stand-in, and CuPy where a GPU is."""
    return BACKENDS[request.param]()


@pytest.mark.parametrize("kind", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizers_keep_the_array_type(strict_backend, kind):
    """Training on the device: the optimizers' state and updates stay in the data's library
    (they copied to NumPy with .numpy(), which CuPy refuses), in both styles."""
    to, back = strict_backend
    w0, c = np.linspace(0.5, 1.5, 6).reshape(3, 2), np.arange(1.0, 3.0)
    got, want = cr.tensor(to(w0), requires_grad=True), cr.tensor(w0, requires_grad=True)
    opts = {}
    for p, cc in ((got, to(c)), (want, c)):
        opt = opts[id(p)] = getattr(cr.optim, kind)([p], lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            (p * p * cc).sum().backward()
            opt.step()
    np.testing.assert_allclose(back(got.data), want.numpy(), rtol=1e-13)
    state = opts[id(got)].state_dict()["state"][0]
    assert not any(isinstance(v, np.ndarray) for v in state.values()), state
    fn = getattr(cr.optim, kind)(lr=0.1)
    s = fn.init(to(w0))
    p, s = fn.update(to(2 * w0 * c), s, to(w0))
    ref = getattr(cr.optim, kind)(lr=0.1)
    p_ref, _ = ref.update(2 * w0 * c, ref.init(w0), w0)
    np.testing.assert_allclose(back(p), p_ref, rtol=1e-13)


def test_check_grads_runs_in_the_data_library(strict_backend):
    to, _ = strict_backend
    cr.check_grads(lambda v: np.sum(np.tanh(v) ** 2), to(np.linspace(0, 1, 4)), order=2)
    cr.check_grads(lambda v, w: np.abs(np.exp(1j * v) * w) ** 2, to(np.linspace(0, 1, 4)),
                   to(np.linspace(0, 1, 4) + 0.5j), order=2)
    wrong = cr.primitive(lambda v: np.sin(v))
    cr.defvjp(wrong, lambda ans, v: lambda g: g * v)          # not cos(v): must be caught
    with pytest.raises(AssertionError, match="reverse mode"):
        cr.check_grads(wrong, to(np.linspace(0.1, 1, 4)), modes=("rev",), order=1)


def test_real_input_gradient_of_a_complex_computation_is_real_without_a_warning(
        strict_backend):
    import warnings
    to, back = strict_backend
    x = np.linspace(0, 1, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = cr.grad(lambda v: np.sum(np.abs(np.exp(1j * v) * (v + 2j)) ** 2))(to(x))
    np.testing.assert_allclose(back(g), 2 * x, rtol=1e-12)


def test_graph_of_device_arrays_says_to_draw_host_copies():
    to, _ = _device()
    with pytest.raises(TypeError, match=r"cr\.graph records NumPy computations.*DeviceArray.*"
                                        r"cupy\.asnumpy"):
        cr.graph(lambda v: np.sum(np.sin(v)), to(np.ones(3)))


def test_tensorflow_variables_and_the_tape_keep_the_array_type(strict_backend):
    to, back = strict_backend
    x0 = np.linspace(0.1, 1.0, 6).reshape(2, 3)
    v = cr.Variable(to(x0))
    with cr.GradientTape() as t:
        y = np.sum(v * v)
    np.testing.assert_allclose(back(unwrap(t.gradient(y, v).data)), 2 * x0, rtol=1e-14)
    assert cr.Variable(cr.tensor(to(x0)), dtype=np.float32).dtype == np.float32


def test_numpy_of_device_data_says_how_to_copy_to_the_host():
    to, _ = _device()
    with pytest.raises(TypeError, match=r"x\.numpy\(\) makes a NumPy array.*DeviceArray.*"
                                        r"cupy\.asnumpy\(x\.data\)"):
        cr.tensor(to(np.ones(3))).numpy()


def test_in_place_writes_into_device_data_are_seen(strict_backend):
    """A write into device data reaches the saved-tensor check and the views' gradients, as
    on NumPy (CuPy views point to their owner through .base, as NumPy's do)."""
    to, back = strict_backend
    x = cr.tensor(to(np.arange(3.0)), requires_grad=True)
    y = x * 1.0
    z = y * y                   # saves y
    y += 1.0
    with pytest.raises(RuntimeError, match="saved for the backward pass"):
        z.sum().backward()
    x = cr.tensor(to(np.arange(4.0)), requires_grad=True)
    y = x * 1.0
    v = y.reshape(2, 2).T        # a view of y
    y += x * x
    v.sum().backward()
    np.testing.assert_allclose(back(unwrap(x.grad.data)), 1 + 2 * np.arange(4.0))
    r = cr.tensor(to(np.array([-1.0, 2.0])), requires_grad=True)
    r.relu().sum().backward()
    np.testing.assert_allclose(back(unwrap(r.grad.data)), [0.0, 1.0])


@pytest.mark.parametrize("name", OPS)
def test_hessian_vector_products_keep_the_array_type(backend, name):
    """Second order runs the rules on tensors of the data: masks and counts made there must
    stay in the data's library too (max/min's tie mask did not, on array-API arrays)."""
    to, back = backend
    f = OPS[name]
    xn = np.random.default_rng(4).uniform(0.1, 1.0, 12)
    if name in ("max", "min"):                # a tie, which max/min's rules split evenly
        xn[7] = xn[2] = xn.max() + 0.5 if name == "max" else xn.min() - 0.05

    def loss(v):
        y = f(v)
        return np.sum(y * y * y)
    vn = np.linspace(-1.0, 1.0, 12)
    h = cr.hvp(loss, to(xn), to(vn))
    np.testing.assert_allclose(back(h), cr.hvp(loss, xn, vn), rtol=1e-9, atol=1e-12)
