"""cr.plot draws the engine's derivatives; cr.cost measures value, gradient and Hessian."""
import numpy as np
import pytest

import chainrule as cr

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_plot_sin_and_its_derivatives():
    x = np.linspace(-np.pi, np.pi, 41)
    ax = cr.plot(np.sin, x, orders=(0, 1, 2))
    lines = ax.get_lines()
    data = [ln for ln in lines if ln.get_label() in ("sin(x)", "sin'(x)", "sin''(x)")]
    assert [ln.get_label() for ln in data] == ["sin(x)", "sin'(x)", "sin''(x)"]
    for ln, want in zip(data, (np.sin(x), np.cos(x), -np.sin(x))):
        np.testing.assert_allclose(ln.get_xdata(), x)
        np.testing.assert_allclose(ln.get_ydata(), want, atol=1e-12)
    assert ax.get_xlabel() == "x" and "sin(x) and its derivatives" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "sin(x)", "sin'(x)", "sin''(x)"]
    plt.close(ax.figure)


def test_plot_on_a_given_axes_with_a_lambda():
    fig, ax = plt.subplots()
    x = np.linspace(-2, 2, 9)
    out = cr.plot(lambda x: x * np.tanh(x), x, orders=(1,), ax=ax, color="k")
    assert out is ax
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "f'(x)"]
    np.testing.assert_allclose(line.get_ydata(), np.tanh(x) + x * (1 - np.tanh(x) ** 2))
    assert line.get_color() == "k"
    plt.close(fig)


def test_plot_argument_errors():
    with pytest.raises(ValueError, match="1-d grid"):
        cr.plot(np.sin, np.ones((2, 2)))
    with pytest.raises(ValueError, match="whole numbers"):
        cr.plot(np.sin, np.ones(3), orders=(-1,))


def test_cost_report_shows_why_the_hessian_costs_more():
    c = cr.cost(lambda x: np.sum(np.tanh(x) ** 2), np.ones(50), budget=0.01)
    value, grad, hess = c.rows
    assert (value["recorded"], value["saved_bytes"]) == (0, 0)
    assert grad["recorded"] == 3 and grad["saved_bytes"] >= 50 * 8
    assert hess["recorded"] > grad["recorded"] and hess["saved_bytes"] > grad["saved_bytes"]
    assert all(r["seconds"] > 0 for r in c.rows)
    text = str(c)
    assert "recorded ops" in text and "Hessian" in text and "50 directions" in text
