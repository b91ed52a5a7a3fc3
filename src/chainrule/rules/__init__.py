"""The rule tables: every primitive with its NumPy implementation and derivative rules.

Each module is a flat table, one family of functions:

- :mod:`.elementwise`: ufuncs (arithmetic, powers, exp/log, trigonometry, ...)
- :mod:`.reductions`: sum, mean, prod, max, var, cumsum, ...
- :mod:`.shape`: reshape, transpose, indexing, concatenate, pad, ...
- :mod:`.linalg`: dot, matmul, einsum, norm, inv, det, solve, ...
- :mod:`.nondiff`: functions that run on values and carry no gradient
- :mod:`.fft`: ``np.fft``
- :mod:`.special`: SciPy's special functions (loaded with SciPy: see :func:`.registry.scipy_rules`)

Rules are written with NumPy calls on their arguments, so they run on plain arrays in a
first-order backward pass and on tensors when the pass is itself recorded.
"""
from .elementwise import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .nondiff import *  # noqa: F401,F403
from .fft import *  # noqa: F401,F403
from .registry import all_primitives, scipy_rules  # noqa: F401

scipy_rules()   # SciPy's special functions, if SciPy is already imported (else on first use)
