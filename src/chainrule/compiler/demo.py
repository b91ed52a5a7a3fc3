"""The demo's part for cr.compile: the compiled derivative of d2l's exercise function."""
import numpy as np

__all__ = ["compiled_derivative"]


def _f(x):
    return np.log(x ** 2) * np.sin(x) + 1 / x


def compiled_derivative(out_dir=None, out=None):
    """Print (to ``out``) and return the text: the NumPy program ``cr.compile`` makes of
    the derivative of ``f(x) = log(x**2) * sin(x) + 1/x``, and its value at 2.

    >>> "def _program(x):" in compiled_derivative()
    True
    """
    from . import compile
    from ..transforms import grad
    df = compile(grad(_f))
    x = 2.0
    text = "\n".join([
        "The derivative of f(x) = log(x**2) * sin(x) + 1/x, compiled to NumPy code:",
        ">>> df = cr.compile(cr.grad(f))",
        ">>> print(df.source(2.0))",
        df.source(x).rstrip(),
        f">>> df(2.0)\n{df(x)!r}",
    ])
    if out is not None:
        print(text, file=out)
    return text
