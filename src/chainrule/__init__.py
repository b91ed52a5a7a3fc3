"""chainrule: automatic differentiation for plain NumPy code.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> x = cr.tensor(np.arange(4.0), requires_grad=True)
>>> y = 2 * np.dot(x, x)
>>> y.backward()
>>> x.grad
Tensor([ 0.,  4.,  8., 12.])
>>> cr.grad(lambda x: np.sin(x).sum())(np.zeros(2))
array([1., 1.])
"""
from typing import TypeVar as _TypeVar

import numpy as _np

_T = _TypeVar("_T")

if int(_np.__version__.split(".")[0]) < 2:
    raise ImportError(
        f"chainrule needs NumPy >= 2.0, found {_np.__version__}. Its rules follow NumPy 2's "
        "type promotion (NEP 50) and complex sign; on NumPy 1.x results would come out in "
        "other dtypes and some complex derivatives (of abs) would be wrong. Upgrade with "
        "pip install -U 'numpy>=2'.")

from . import engine as _engine
from .engine import detect_anomaly, enable_grad, no_grad, set_grad_enabled
from .tensor import Tensor, tensor
from . import rules  # noqa: F401  (registers the primitives with the NumPy bridge)
from . import numpy_api  # noqa: F401  (registers NumPy's functions: their handlers)
from .extend import primitive, defvjp, defjvp
from .checking import check_grads
from .diagnostics import ChainruleWarning, NonLeafGradWarning, ScalarConversionWarning
from . import autograd
from . import optim, pytree
from .dialects import GradientTape, UnconnectedGradients, Variable

__version__ = "0.1.0"


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded.

    Examples
    --------
    >>> import chainrule as cr
    >>> with cr.no_grad():
    ...     cr.is_grad_enabled()
    False
    """
    return _engine.STATE.grad_enabled


def stop_gradient(x: _T) -> _T:
    """``x`` with the same values and no gradient (``x.detach()``); other values as they are.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> float(cr.grad(lambda x: x * cr.stop_gradient(x))(3.0))
    3.0
    """
    return x.detach() if isinstance(x, Tensor) else x


__all__ = ["Tensor", "tensor", "detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "stop_gradient", "Variable", "GradientTape", "UnconnectedGradients", "primitive",
           "defvjp", "defjvp", "check_grads", "autograd",
           "ChainruleWarning", "ScalarConversionWarning", "NonLeafGradWarning", "optim",
           "pytree"]

from .transforms import (grad, value_and_grad, vjp, jvp, jacrev, jacfwd, jacobian,  # noqa
                         hessian, hvp, elementwise_grad, checkpoint)

__all__ += ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian",
            "hvp", "elementwise_grad", "checkpoint"]

from .visual import graph, Graph, GraphvizMissing, explain, Explanation, plot, cost  # noqa

__all__ += ["graph", "Graph", "GraphvizMissing", "explain", "Explanation", "plot", "cost"]

from .compiler import compile  # noqa: E402  (shadows the builtin inside this namespace only)

__all__ += ["compile"]
