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


def test_cross_of_2_vectors_follows_this_numpy():
    """NumPy 2.0-2.4 take 2-vectors (deprecated), NumPy 2.5 raises: chainrule does as NumPy."""
    import warnings
    a, b = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            expect = np.cross(a, b)
        except ValueError as e:
            with pytest.raises(ValueError, match="3-dimensional"):
                np.cross(cr.tensor(a), b)
            assert "3-dimensional" in str(e)
            return
        got = np.cross(cr.tensor(a, requires_grad=True), b)
    np.testing.assert_allclose(got.detach().numpy(), expect)
