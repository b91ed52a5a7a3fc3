"""examples/d2l_autograd: the chapter in the four idioms, and its exercises, run and assert."""
import os
import runpy

import numpy as np
import pytest

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "d2l_autograd")


@pytest.mark.parametrize("script", ["mxnet_style.py", "pytorch_style.py", "tensorflow_style.py",
                                    "jax_style.py"])
def test_idiom_script_runs_and_asserts(script, capsys):
    ns = runpy.run_path(os.path.join(HERE, script), run_name="__main__")
    out = capsys.readouterr().out
    for part in ("simple function", "detaching", "control flow", "higher order",
                 "forward vs reverse"):
        assert part in out
    # the chapter's results, as each script returns them
    np.testing.assert_array_equal(np.asarray(ns["non_scalar_backward"]()), 2 * np.arange(4.0))
    np.testing.assert_array_equal(np.asarray(ns["detaching"]()), np.arange(4.0) ** 2)
    assert ns["higher_order"]() == (12.0, 12.0)


def test_exercises(tmp_path, capsys):
    pytest.importorskip("matplotlib")          # the plot exercise (the 'plot' extra)
    ns = runpy.run_path(os.path.join(HERE, "exercises.py"))
    res = ns["main"](str(tmp_path))
    out = capsys.readouterr().out
    with open(res["plot"], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(res["plot"]) > 10_000
    assert res["cost"]["ops_hess"] > res["cost"]["ops_grad"] and res["cost"]["time_ratio"] > 1
    assert "retain_graph=True" in res["second_backward"]
    fwd, rev = res["chain_rule"]
    x = 2.0
    exact = 2 * np.sin(x) / x + np.log(x ** 2) * np.cos(x) - 1 / x ** 2
    assert np.isclose(fwd, exact) and np.isclose(rev, exact)
    np.testing.assert_array_equal(res["auction"], [0.0, 0.0, 1.0, 0.0])
    assert any(p.endswith("f_dependency_graph.dot") for p in res["graph"])
    assert any(p.endswith("f_graph_cr.dot") for p in res["graph"])      # drawn by cr.graph
    assert "Both sweeps give the derivative" in out                     # cr.explain's table
    for k in range(1, 10):
        assert f"\n{k}." in "\n" + out or f"\n{k}-" in "\n" + out or f"-{k}." in out


def test_readme_four_idioms_side_by_side():
    import re
    with open(os.path.join(os.path.dirname(__file__), os.pardir, "README.md")) as fh:
        text = fh.read()
    section = text.split("## The four idioms side by side", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 4
    import chainrule as cr
    for block in blocks:
        lines = [ln.split("#")[0].rstrip() for ln in block.strip().splitlines()]
        lines = [ln for ln in lines if ln.strip()]
        ns = {"np": np, "cr": cr}
        exec("\n".join(lines[:-1]), ns)
        result = eval(lines[-1], ns)
        np.testing.assert_array_equal(np.asarray(getattr(result, "numpy", lambda: result)()),
                                      [0.0, 4.0, 8.0, 12.0])
