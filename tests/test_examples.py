"""Every script in examples/ runs, at a small size, and gets the result it is there for."""
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name):
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    return load


def test_linear_regression_from_scratch(example, tmp_path, capsys):
    w, b, losses = example("linear_regression_scratch").main(
        num_epochs=3, num_examples=1000, plot=tmp_path / "loss.png")
    np.testing.assert_allclose(w, [2.0, -3.4], atol=0.05)
    assert abs(b - 4.2) < 0.05
    assert losses[-1] < losses[0] and "epoch 2, loss" in capsys.readouterr().out
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_linear_regression_concise(example):
    w, b, losses = example("linear_regression_concise").main(num_epochs=3, num_examples=1000)
    np.testing.assert_allclose(w, [2.0, -3.4], atol=0.05)
    assert abs(b - 4.2) < 0.05 and losses[-1] < 1e-3


def test_mlp_on_digits(example):
    pytest.importorskip("sklearn")
    accuracy, losses = example("mlp_digits").main(num_epochs=6, hidden=32, n=600)
    assert losses[-1] < losses[0] / 2
    assert accuracy > 0.7          # chance is 0.1


def test_rosenbrock_with_scipy_jac_and_hessp(example):
    pytest.importorskip("scipy")
    res = example("rosenbrock_scipy").main(n=100)
    assert res.success
    np.testing.assert_allclose(res.x, np.ones(100), atol=1e-6)
    assert res.nhev > 0                  # the Hessian-vector products were used


def test_ode_rk4_parameter_gradient_matches_finite_differences(example):
    g, g_fd, theta, losses = example("ode_rk4").main(steps=40, fit_iters=30)
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-9)
    assert np.all(g != 0)
    assert losses[-1] < losses[0] / 5


def test_custom_scipy_primitive(example):
    pytest.importorskip("scipy")
    mod = example("custom_scipy_primitive")
    import chainrule as cr
    x = np.linspace(-2, 2, 5)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(cr.elementwise_grad(mod.expit)(x), s * (1 - s), rtol=1e-12)
    w, losses = mod.main(n=100, iters=40)
    assert losses[-1] < losses[0] / 2 and w[0] > 0 > w[1]


def test_typed_usage_runs(example):
    mod = example("typed_usage")
    assert np.isfinite(mod.tensor_style())
    params = mod.functional_training()
    np.testing.assert_allclose(params.w, [3.0], atol=1e-3)
    assert abs(params.b - 0.5) < 1e-3
