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
