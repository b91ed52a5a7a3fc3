"""Behaviour that once depended on the NumPy version (the version matrix in .ci/run runs this
file on every supported Python and NumPy), and the documented floor."""
import numpy as np
import pytest

import chainrule as cr


def test_abs_of_a_complex_number_has_the_jax_gradient():
    # NumPy 1.x's complex np.sign (the sign of the real part) once made this 1+0j
    g = cr.grad(lambda z: np.sum(np.abs(z)))(1 + 2j)
    np.testing.assert_allclose(g, (1 - 2j) / np.sqrt(5), rtol=1e-14)
    z = np.array([3 + 4j, -1j, 2.0 + 0j])
    np.testing.assert_allclose(cr.grad(lambda z: np.sum(np.abs(z)))(z), np.conj(z / np.abs(z)),
                               rtol=1e-14)


def test_abs_of_a_complex_tensor_has_the_pytorch_gradient():
    z = cr.tensor(np.array([1 + 2j, -3 + 4j]), requires_grad=True)
    np.abs(z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), np.array([1 + 2j, -3 + 4j]) /
                               np.array([np.sqrt(5), 5.0]), rtol=1e-14)


def test_zero_grad_of_a_0d_parameter():
    b = cr.tensor(0.0, requires_grad=True)
    (3 * b).backward()
    b.grad.zero_()
    assert b.grad.item() == 0.0 and b.grad.shape == ()
    (2 * b).backward()
    assert b.grad.item() == 2.0


def test_declared_numpy_floor_is_the_one_enforced():
    import re
    from pathlib import Path
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("not run from a checkout")
    floor = re.search(r'"numpy>=([0-9.]+)"', pyproject.read_text()).group(1)
    assert tuple(int(p) for p in np.__version__.split(".")[:2]) >= tuple(
        int(p) for p in floor.split("."))
    assert floor == "2.0"          # chainrule/__init__.py refuses NumPy 1.x with this floor


def _outcome(f, *args):
    """``(result or (exception type, message), [(warning category, message)])`` of
    ``f(*args)``."""
    import warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = f(*args)
        except Exception as e:
            out = (type(e), str(e))
    return out, [(w.category, str(w.message)) for w in seen]


@pytest.mark.parametrize("shapes", [((2, 2), (2,)), ((2,), (2, 3)), ((3,), (2,)), ((4,), (3,))],
                         ids=["2-2", "2-3", "3-2", "4-3"])
def test_cross_of_2_vectors_follows_this_numpy(shapes):
    """NumPy 2.0-2.4 take 2-vectors with a DeprecationWarning, NumPy 2.5 raises ValueError:
    chainrule's np.cross does what this NumPy does (the same warning, or the same error), and
    the warning points at the caller's line.  (4-vectors: an error on every NumPy.)"""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s) for s in shapes)
    expect, numpy_warns = _outcome(np.cross, a, b)
    got, ours = _outcome(lambda a, b: np.cross(cr.tensor(a, requires_grad=True), b), a, b)
    assert ours == numpy_warns
    if isinstance(expect, tuple):               # the same error, word for word
        assert expect[0] is ValueError and got == expect
        return
    np.testing.assert_allclose(got.detach().numpy(), expect)
    import warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        np.cross(cr.tensor(a), b)
    assert seen and all(w.filename == __file__ for w in seen)


@pytest.mark.parametrize("shapes", [((2,), (2,)), ((4, 2), (3,)), ((3, 2), (3, 2))])
def test_linalg_cross_takes_3_vectors_only(shapes):
    """``np.linalg.cross`` refuses anything but 3-vectors on every NumPy, as NumPy does."""
    a, b = (np.ones(s) for s in shapes)
    expect, _ = _outcome(np.linalg.cross, a, b)
    got, _ = _outcome(lambda a, b: np.linalg.cross(cr.tensor(a), b), a, b)
    assert expect[0] is ValueError and got == expect


def test_linalg_cross_along_another_axis():
    a, b = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    np.testing.assert_array_equal(np.linalg.cross(cr.tensor(a), b, axis=0).numpy(),
                                  np.linalg.cross(a, b, axis=0))


def test_cross_of_2_vectors_as_numpy_2_5(monkeypatch):
    """What NumPy 2.5 does (simulated where an older NumPy is installed): any vector length
    but 3 raises NumPy 2.5's ValueError, 3-vectors still work."""
    from chainrule.numpy_api.linalg import products
    monkeypatch.setattr(products, "_CROSS_2", False)
    monkeypatch.setattr(products, "_CROSS_2_WARNING", None)
    for sa, sb in [((2,), (2,)), ((4, 2), (3,)), ((3,), (2,)), ((4,), (3,))]:
        with pytest.raises(ValueError, match=f"Both input arrays must be \\(arrays of\\) "
                           f"3-dimensional vectors, but they are {sa[-1]} and {sb[-1]} "
                           f"dimensional instead"):
            np.cross(cr.tensor(np.ones(sa)), np.ones(sb))
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0])
    np.testing.assert_array_equal(np.cross(cr.tensor(a), b).numpy(), np.cross(a, b))


def test_convolve_refuses_empty_input_as_numpy():
    with pytest.raises(ValueError, match="cannot be empty"):
        np.convolve(cr.tensor(np.ones(2)), np.ones(0))
