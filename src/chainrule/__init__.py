"""chainrule: automatic differentiation for plain NumPy code.

>>> import numpy as np, chainrule as cr
>>> x = cr.tensor(np.arange(4.0), requires_grad=True)
>>> y = 2 * np.dot(x, x)
>>> y.backward()
>>> x.grad
Tensor([ 0.,  4.,  8., 12.])
>>> cr.grad(lambda x: np.sin(x).sum())(np.zeros(2))
array([1., 1.])
"""
from . import engine as _engine
from .engine import detect_anomaly, enable_grad, no_grad, set_grad_enabled
from .tensor import Tensor, tensor
from . import rules  # noqa: F401  (registers the primitives with the NumPy bridge)
from .extend import primitive, defvjp, defjvp
from .checking import check_grads
from .diagnostics import ChainruleWarning, NonLeafGradWarning, ScalarConversionWarning
from . import autograd

__version__ = "0.1.0"


def is_grad_enabled():
    """True when operations on tensors that require grad are being recorded."""
    return _engine.STATE.grad_enabled


def stop_gradient(x):
    """``x`` with the same values and no gradient (``x.detach()``)."""
    return x.detach() if isinstance(x, Tensor) else x


__all__ = ["Tensor", "tensor", "detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "stop_gradient", "primitive", "defvjp", "defjvp", "check_grads", "autograd",
           "ChainruleWarning", "ScalarConversionWarning", "NonLeafGradWarning"]

from .transforms import (grad, value_and_grad, vjp, jvp, jacrev, jacfwd, jacobian,  # noqa
                         hessian, hvp, elementwise_grad, checkpoint)

__all__ += ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian",
            "hvp", "elementwise_grad", "checkpoint"]

from .visual import graph, Graph, GraphvizMissing, explain, Explanation, plot, cost  # noqa

__all__ += ["graph", "Graph", "GraphvizMissing", "explain", "Explanation", "plot", "cost"]
