"""cr.check_grads on nested arguments and results (tuples, lists, dicts)."""
import numpy as np
import pytest

import chainrule as cr


def test_nested_arguments_and_results():
    a, b = np.array([0.5, -1.0]), np.array([[1.0, 2.0], [0.3, 0.1]])
    cr.check_grads(lambda xs: np.concatenate(xs) ** 2, (a, a * 2))
    cr.check_grads(lambda d: np.sum(d["w"] @ d["x"]), {"w": b, "x": a})
    cr.check_grads(lambda x: np.gradient(x), b)                 # a tuple of two arrays
    cr.check_grads(lambda x: [np.sin(x), {"c": np.cos(x)}], a, order=3)


def test_a_wrong_rule_in_one_output_is_found():
    @cr.primitive
    def twice(x):
        return 2 * x
    cr.defvjp(twice, lambda ans, x: lambda g: 3 * g)             # wrong: 2 g
    cr.defjvp(twice, lambda t, ans, x: 2 * t)
    with pytest.raises(AssertionError, match="reverse mode"):
        cr.check_grads(lambda x: (np.sin(x), twice(x)), np.array([0.5]), order=1)


def _wrong_twice():
    """``2 x`` with a reverse rule that is wrong by 50% (3 g) and a right forward rule."""
    @cr.primitive
    def twice(x):
        return 2 * x
    cr.defvjp(twice, lambda ans, x: lambda g: 3 * g)
    cr.defjvp(twice, lambda t, ans, x: 2 * t)
    return twice


def test_the_message_names_argument_mode_order_and_error():
    twice = _wrong_twice()
    a, w = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    with pytest.raises(AssertionError) as e:
        cr.check_grads(lambda x, p: np.sin(x) + twice(p["w"][1]), a, {"w": [w, w]},
                       modes=("rev",), order=1)
    msg = str(e.value)
    assert "reverse mode (vjp), order 1" in msg
    assert "argument 1 ['w'][1]" in msg and "argument 0" not in msg
    assert "max abs error" in msg and "max rel error" in msg
    # the relative error of a rule wrong by 3/2 is 0.5 per argument
    assert "argument 1 ['w'][1]: max abs error" in msg and "max rel error 0.5" in msg


def test_a_wrong_second_derivative_is_named_as_such():
    @cr.primitive
    def square(x):
        return x * x

    @cr.primitive
    def double(x):          # the derivative of square, with a wrong derivative of its own
        return 2 * x
    cr.defvjp(double, lambda ans, x: lambda g: 5 * g)
    cr.defjvp(double, lambda t, ans, x: 5 * t)
    cr.defvjp(square, lambda ans, x: lambda g: g * double(x))
    cr.defjvp(square, lambda t, ans, x: t * double(x))
    cr.check_grads(square, np.array([0.3, 2.0]), order=1)          # first order is right
    with pytest.raises(AssertionError, match=r"forward mode \(jvp\), order 1"):
        cr.check_grads(lambda x: double(x) * 1.0, np.array([0.3]), modes=("fwd",), order=1)
    with pytest.raises(AssertionError) as e:
        cr.check_grads(square, np.array([0.3, 2.0]), modes=("rev",), order=2)
    assert "of the reverse-mode derivative, order 2" in str(e.value)
    assert "argument 0" in str(e.value)


def test_forward_mode_failure_names_the_output():
    twice = _wrong_twice()
    cr.defjvp(twice, lambda t, ans, x: 4 * t)       # now forward is wrong too
    with pytest.raises(AssertionError) as e:
        cr.check_grads(lambda x, y: (np.sin(x), twice(y)), np.array([0.5]), np.array([1.0]),
                       modes=("fwd",), order=1)
    msg = str(e.value)
    assert "forward mode (jvp), order 1" in msg and "output 1 of 2" in msg
    assert "argument 1" in msg and "max rel error 1" in msg
