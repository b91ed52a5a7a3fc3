"""``python -m chainrule``: the demo runs and prints d2l's first example; bad commands fail."""
import io
import subprocess
import sys

import numpy as np

from chainrule.__main__ import demo


def _run(*args):
    return subprocess.run([sys.executable, "-m", "chainrule", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_demo_prints_the_d2l_example():
    res = _run("demo")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "y = Tensor(28." in out
    assert "x.grad = Tensor([ 0.,  4.,  8., 12.])" in out
    assert "x.grad == 4 * x: True" in out


def test_demo_function_returns_the_gradient(tmp_path):
    buf = io.StringIO()
    grad = demo(out_dir=tmp_path, out=buf)[0]
    np.testing.assert_array_equal(grad, 4 * np.arange(4.0))
    assert "x.grad == 4 * x: True" in buf.getvalue()


def test_demo_prints_the_compiled_derivative(tmp_path):
    buf = io.StringIO()
    demo(out_dir=tmp_path, out=buf)
    text = buf.getvalue()
    assert "cr.compile(cr.grad(f))" in text and "def _program(x):" in text
    assert "np.cos(x)" in text and "0.0823954139" in text


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
