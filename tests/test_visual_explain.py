"""cr.explain: both sweeps end in cr.grad's derivative, node by node records, the tables."""
import numpy as np
import pytest

import chainrule as cr


def exercise(x):
    return np.log(x ** 2) * np.sin(x) + 1 / x


@pytest.mark.parametrize("x", [0.3, 1.0, 2.0, -1.7, 5.5])
def test_both_sweeps_equal_grad_at_scalar_points(x):
    e = cr.explain(exercise, x)
    g = cr.grad(exercise)(x)
    np.testing.assert_allclose(e.forward, g, rtol=1e-12)
    np.testing.assert_allclose(e.reverse, g, rtol=1e-12)
    assert e.records[-1]["tangent"] == pytest.approx(g)
    assert e.records[0]["adjoint"] == pytest.approx(g)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vector_input_with_a_direction(seed):
    rng = np.random.default_rng(seed)
    x, d = rng.normal(size=4), rng.normal(size=4)
    f = lambda x: np.sum(np.tanh(x) * x ** 2) + np.dot(x, x[::-1])   # noqa: E731
    e = cr.explain(f, x, direction=d)
    g = cr.grad(f)(x)
    np.testing.assert_allclose(e.reverse, g, rtol=1e-12)
    np.testing.assert_allclose(e.forward, np.dot(g, d), rtol=1e-12)
    assert "the same number" in e.conclusion()


def test_records_hold_values_partials_tangents_adjoints():
    x = 2.0
    e = cr.explain(exercise, x)
    rec = {r["node"]: r for r in e.records}
    assert [r["node"] for r in e.records] == ["x", "v1", "v2", "v3", "v4", "v5", "v6"]
    assert rec["v1"]["formula"] == "v1 = x ** 2 (power)" and rec["v1"]["op"] == "power"
    assert rec["v2"]["value"] == pytest.approx(np.log(4.0))
    assert rec["v1"]["partials"] == {"x": pytest.approx(2 * x)}
    assert rec["v2"]["partials"] == {"v1": pytest.approx(1 / x ** 2)}
    assert rec["v4"]["partials"] == {"v2": pytest.approx(np.sin(x)),
                                     "v3": pytest.approx(np.log(x ** 2))}
    assert rec["v5"]["partials"] == {"x": pytest.approx(-1 / x ** 2)}
    # the chain rule, checked on the data: tangent = sum of partial * input tangent
    assert rec["v4"]["tangent"] == pytest.approx(np.sin(x) * rec["v2"]["tangent"]
                                                 + np.log(x ** 2) * rec["v3"]["tangent"])
    assert rec["v3"]["adjoint"] == pytest.approx(np.log(x ** 2))
    assert rec["v2"]["tangent"] == pytest.approx(2 / x)


def test_repeated_input_gets_one_partial_per_argument():
    e = cr.explain(lambda x: x * x, 3.0)
    assert e.records[1]["partials"] == {"x": 3.0, "x (argument 2)": 3.0}
    assert e.forward == pytest.approx(6.0) and e.reverse == pytest.approx(6.0)


def test_elementwise_partials_are_jacobians():
    x = np.array([0.5, 1.0, 2.0])
    e = cr.explain(lambda x: np.sum(np.sin(x)), x)
    np.testing.assert_allclose(e.records[1]["partials"]["x"], np.diag(np.cos(x)))
    assert "∂v1/∂x = diag [" in str(e)


def test_text_table_and_sweeps():
    e = cr.explain(exercise, 2.0)
    text = str(e)
    head = text.splitlines()[0].split()
    assert head[:3] == ["node", "operation", "value"] and "adjoint" in head
    assert "v2 = log(v1)" in text and "∂v2/∂v1 = 0.25" in text
    assert "Both sweeps give the derivative" in text
    fwd, rev = e.forward_sweep(), e.reverse_sweep()
    assert "dv4/dx = ∂v4/∂v2 · dv2/dx + ∂v4/∂v3 · dv3/dx" in fwd
    assert "df/dx = df/dv1 · ∂v1/∂x + df/dv3 · ∂v3/∂x + df/dv5 · ∂v5/∂x" in rev
    assert f"{float(cr.grad(exercise)(2.0)):.4g}" in fwd.splitlines()[-1]


def test_direction_shape_is_checked():
    with pytest.raises(ValueError, match="direction has shape"):
        cr.explain(np.sin, np.ones(3), direction=np.ones(2))


def test_non_scalar_output_reverse_is_the_gradient_of_the_sum():
    x = np.array([0.2, 0.4])
    e = cr.explain(np.sin, x)
    np.testing.assert_allclose(e.reverse, np.cos(x))
    np.testing.assert_allclose(e.forward, np.cos(x))


def test_in_place_operators_are_followed():
    def f(x):
        y = x * 1.0
        y += np.sin(x)
        y += 1                      # the tangent passes through unchanged here
        y *= x
        return y.sum()
    x = np.array([0.5, 2.0])
    g = cr.graph(f, x)
    assert [n.name for n in g.ops] == ["multiply", "sin", "add", "add", "multiply", "sum"]
    assert "v4 = v3 + 1" in str(g) and "v5 = v4 * x" in str(g)
    e = cr.explain(f, x)
    np.testing.assert_allclose(e.reverse, cr.grad(f)(x), rtol=1e-12)
    np.testing.assert_allclose(e.forward, cr.grad(f)(x).sum(), rtol=1e-12)
    assert e.records[1]["value"].tolist() == [0.5, 2.0]     # a snapshot, not the array now


def test_element_writes_are_drawn_from_the_engine_graph_and_not_explained():
    def f(x):
        y = np.zeros_like(x)
        y[0] = x[0] * 2
        return np.sum(y ** 2)
    g = cr.graph(f, np.ones(2))          # the engine's recorded graph, setitem included
    assert [n.name for n in g.ops] == ["getitem", "multiply", "setitem", "power", "sum"]
    assert "v3 = setitem(const, v2, idx=0)" in str(g)
    with pytest.raises(NotImplementedError, match=r"y\[i\] = \.\.\..*np.stack"):
        cr.explain(f, np.ones(2))
    with pytest.raises(NotImplementedError, match="element by element"):
        cr.graph(f, np.ones(2), grads=True)
