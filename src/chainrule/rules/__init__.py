"""The rule tables: every primitive with its NumPy implementation and derivative rules.

This package is the calculus only.  NumPy's functions reach these primitives through the
NumPy-API layer (:mod:`chainrule.numpy_api`), which parses their arguments; the rule tables
never import it.  Each module is a flat table, one family of functions:

- :mod:`.elementwise`: ufuncs (arithmetic, powers, exp/log, trigonometry, ...)
- :mod:`.reductions`: sum, mean, prod, max, var, cumsum, ...
- :mod:`.shape`: reshape, transpose, indexing, concatenate, pad, ...
- :mod:`.linalg`: a package: products (matmul, einsum, dot, ...), norms, solve (inv, det,
  solve, ...), decompositions (cholesky, eigh, svd, qr) and convolution
- :mod:`.nondiff`: functions that run on values and carry no gradient
- :mod:`.fft`: ``np.fft``
- :mod:`.special`: SciPy's special functions (loaded with SciPy, :func:`.registry.scipy_rules`)

:mod:`.registry` declares primitives (``defprim``; ``defufunc`` takes an elementwise
derivative once, ``d=``, and makes both modes from it), and :mod:`.api` is the rule-writing
API the tables (and ``cr.primitive`` users) import.  Each primitive declares what its
backward pass keeps (``keep=``, ``keep_ans=``).  When the tables exist, this package hands
the tensor its operators (:func:`chainrule.tensor.connect`): the tensor is a lower layer and
imports none of this.

Rules are written with NumPy calls on their arguments, so they run on plain arrays in a
first-order backward pass and on tensors when the pass is itself recorded.
"""
import sys

from .elementwise import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .nondiff import *  # noqa: F401,F403
from .fft import *  # noqa: F401,F403
from .registry import all_primitives, scipy_rules  # noqa: F401
from .. import numpy_bridge as _bridge
from ..dispatch import LATE_LOADERS as _LATE_LOADERS
from ..tensor import connect as _connect

_connect(sys.modules[__name__], _bridge)   # the tensor's operators are these primitives
# SciPy's special functions: now if SciPy is already imported, else when a SciPy ufunc first
# meets a tensor (chainrule does not import SciPy itself just to start)
if not scipy_rules():
    _LATE_LOADERS.append(scipy_rules)
