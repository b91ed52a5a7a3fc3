"""``python -m chainrule``: the demo runs, prints d2l's first example and the explained sweeps,
writes its pictures (and degrades without matplotlib or Graphviz); bad commands fail."""
import io
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from chainrule.__main__ import demo


def _run(*args, cwd=None, env=None, code=None):
    cmd = [sys.executable, "-m", "chainrule", *args] if code is None else \
        [sys.executable, "-c", code, *args]
    if env is None:     # the chainrule under test, wherever the command runs
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL)


def test_demo_prints_the_d2l_example_and_writes_into_the_current_folder(tmp_path):
    res = _run("demo", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "y = Tensor(28." in out
    assert "x.grad = Tensor([ 0.,  4.,  8., 12.])" in out
    assert "x.grad == 4 * x: True" in out
    assert (tmp_path / "chainrule-demo").is_dir()


def test_demo_function_returns_the_gradient(tmp_path):
    buf = io.StringIO()
    results = demo(out_dir=tmp_path, out=buf)
    np.testing.assert_array_equal(results[0], 4 * np.arange(4.0))
    assert "x.grad == 4 * x: True" in buf.getvalue()


def test_demo_writes_the_plot_and_the_graph_and_explains_the_sweeps(tmp_path):
    pytest.importorskip("matplotlib")
    res = _run("demo", "--out", str(tmp_path / "pics"))
    assert res.returncode == 0, res.stderr
    png = tmp_path / "pics" / "sin_derivative.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    graphviz_here = shutil.which("dot") is not None
    try:
        import graphviz  # noqa: F401
    except ImportError:
        graphviz_here = False
    pic = tmp_path / "pics" / ("exercise_graph.svg" if graphviz_here else "exercise_graph.dot")
    assert pic.exists()
    if graphviz_here:
        assert "<svg" in pic.read_text() and ">divide<" in pic.read_text()
    out = res.stdout
    assert "f = v6 = v4 + v5" in out                      # the text drawing
    assert "Forward mode: one sweep from x to f" in out
    assert "Reverse mode: one sweep from f back to x" in out
    assert "df/dx = dv6/dx = 0.0824" in out and "= 0.0824" in out.split("Reverse mode")[1]
    assert "Hessian" in out and "recorded ops" in out


# Blocks the optional packages (as if only NumPy were installed) and runs the demo.
_ONLY_NUMPY = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("matplotlib", "graphviz"):
            raise ImportError(f"{name} is blocked for this test")
sys.meta_path.insert(0, Block())
from chainrule.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_demo_with_only_numpy_degrades(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path),
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    res = _run("demo", "--out", str(tmp_path / "pics"), code=_ONLY_NUMPY, env=env)
    assert res.returncode == 0, res.stderr
    assert "skipped: matplotlib is not installed" in res.stdout
    assert "Graphviz is not installed" in res.stdout
    dot = (tmp_path / "pics" / "exercise_graph.dot").read_text()
    assert dot.startswith("digraph chainrule {") and "divide" in dot
    assert not (tmp_path / "pics" / "sin_derivative.png").exists()
    assert "Reverse mode" in res.stdout


def test_help_lists_demo():
    res = _run("--help")
    assert res.returncode == 0
    assert "demo" in res.stdout


def test_unknown_command_is_an_error():
    res = _run("no-such-command")
    assert res.returncode == 2
    assert "invalid choice: 'no-such-command'" in res.stderr


def test_no_command_is_an_error():
    res = _run()
    assert res.returncode == 2
    assert "name a command" in res.stderr
