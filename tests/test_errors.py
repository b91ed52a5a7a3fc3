"""Every mistake a user can make gets a specific error that says what to do."""
import math

import numpy as np
import pytest

import chainrule as cr


def test_function_without_rule_names_it():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.i0.*cr\.defvjp"):
        np.i0(x)
    with pytest.raises(TypeError, match=r"unwrap.*cr\.primitive|np\.unwrap"):
        np.unwrap(x)


def test_function_without_rule_runs_on_plain_tensors():
    x = cr.tensor(np.ones(3))
    res = np.i0(x)
    assert isinstance(res, cr.Tensor)
    np.testing.assert_allclose(res.numpy(), np.i0(np.ones(3)))


def test_asarray_of_tensor_requiring_grad():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"detach\(\)"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"detach\(\)"):
        np.array(x)
    np.testing.assert_array_equal(np.asarray(x.detach()), np.ones(3))
    np.testing.assert_array_equal(x.numpy(), np.ones(3))


def test_assign_into_plain_ndarray_says_zeros_like():
    x = cr.tensor(np.ones(3), requires_grad=True)
    B = np.zeros(4)
    with pytest.raises(TypeError, match=r"np\.zeros_like\(x\)"):
        B[:3] = x
    B = np.zeros_like(x)
    assert isinstance(B, cr.Tensor)
    B[:2] = x[:2] * 3
    B.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 0.0])


def test_math_exp_on_vector_points_to_np_exp():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.exp"):
        math.exp(x)
    assert math.exp(cr.tensor(0.0)) == 1.0


def test_second_backward_needs_retain_graph():
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = (np.sin(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()
    y = (np.sin(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * (np.cos(1.0) + np.sin(1.0)))


@pytest.mark.parametrize("data", [np.arange(3), np.array([True, False])])
def test_requires_grad_on_integer_or_bool(data):
    with pytest.raises(ValueError, match=r"float"):
        cr.tensor(data, requires_grad=True)
    with pytest.raises(ValueError, match=r"float"):
        cr.tensor(data).requires_grad_()
    with pytest.raises(ValueError, match=r"float"):
        cr.tensor(data).attach_grad()


def test_gradient_of_wrong_shape():
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match=r"shape"):
        y.backward(gradient=np.ones(4))


def test_inplace_change_of_saved_tensor():
    x = cr.tensor(np.ones(3), requires_grad=True)
    h = x * 1.0
    y = np.sin(h)
    h[0] = 5.0
    with pytest.raises(RuntimeError, match=r"'sin'.*in-place"):
        y.sum().backward()


def test_inplace_change_of_saved_output():
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = np.exp(x)
    y[0] = 0.0
    with pytest.raises(RuntimeError, match=r"'exp'.*in-place"):
        y.sum().backward()


def test_inplace_change_not_needed_is_fine():
    x = cr.tensor(np.ones(3), requires_grad=True)
    y = x + 1            # add saves nothing
    y[0] = 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])


def test_write_into_a_view_of_a_temporary_or_a_copy_is_fine():
    a = cr.tensor(np.arange(1.0, 5.0), requires_grad=True)
    out = np.zeros_like(a).reshape(2, 2)      # a view, but of nothing anyone else holds
    out[0, 0] = a[0] * 3
    out[1] = a[2:]
    y = (a * 2).reshape(2, 2).copy()
    y[0, 0] = 0.0
    (out.sum() + y.sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 2.0, 3.0, 3.0])
    x = a.detach().reshape(2, 2)              # no differentiation involved: NumPy's aliasing
    x[0, 0] = 9.0


def test_inplace_on_leaf_requiring_grad():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"no_grad"):
        x += 1
    with pytest.raises(RuntimeError, match=r"no_grad"):
        x[0] = 2.0
    with cr.no_grad():
        x -= 0.5                 # a parameter update
    assert x.requires_grad and x.is_leaf
    np.testing.assert_array_equal(x.numpy(), 0.5 * np.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match=r"requires_grad=True"):
        cr.tensor(1.0).backward()


def test_bool_of_vector():
    with pytest.raises(ValueError, match=r"any\(\).*all\(\)"):
        bool(cr.tensor([1.0, 2.0]))


def test_transform_integer_input():
    with pytest.raises(TypeError, match=r"float"):
        cr.grad(lambda x: x * x)(2)
    with pytest.raises(TypeError, match=r"float"):
        cr.jacfwd(lambda x: x * x)(np.arange(3))


def test_grad_of_vector_function():
    with pytest.raises(TypeError, match=r"scalar.*jacobian"):
        cr.grad(lambda x: x * x)(np.ones(3))


def test_autograd_grad_unused_and_no_grad_input():
    x = cr.tensor(1.0, requires_grad=True)
    z = cr.tensor(1.0, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"allow_unused=True"):
        cr.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = cr.autograd.grad(y, [x, z], allow_unused=True)
    assert float(gx) == 2.0 and gz is None
    with pytest.raises(RuntimeError, match=r"requires_grad=True"):
        cr.autograd.grad(x * 2, cr.tensor(1.0))


def test_unsupported_ufunc_method():
    x = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.add\.outer|rule"):
        np.add.outer(x, x)


def test_functions_that_would_drop_a_gradient_in_a_secondary_argument():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"np.histogram with weights=.*bincount"):
        np.histogram(np.arange(3.0), weights=w)
    with pytest.raises(TypeError, match=r"np.bincount counts integers.*detach"):
        np.bincount(cr.tensor([0.0, 1.0], requires_grad=True))
    counts, edges = np.histogram(cr.tensor(np.arange(3.0)), bins=3)   # values only: fine
    np.testing.assert_array_equal(counts.numpy(), [1, 1, 1])
    u, inverse, n = np.unique(w * 0 + np.array([2.0, 1.0, 2.0]), return_inverse=True,
                              return_counts=True)
    assert u.requires_grad and not inverse.requires_grad
    np.testing.assert_array_equal(inverse.numpy(), [1, 0, 1])


def test_a_scipy_function_gets_a_rule_the_way_the_error_says():
    # a SciPy ufunc chainrule has no rule for (expit, erf, ... have rules: rules/special.py)
    sp = pytest.importorskip("scipy.special")
    x = cr.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(TypeError, match=r"'dawsn' \(from a library other than NumPy.*"
                                        r"cr\.primitive"):
        sp.dawsn(x)
    dawsn = cr.primitive(sp.dawsn)
    cr.defvjp(dawsn, lambda ans, x: lambda g: g * (1 - 2 * x * ans))
    dawsn(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
