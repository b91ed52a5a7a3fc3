"""Linear algebra, one module per family: :mod:`.products` (matmul, einsum and what is
written with them), :mod:`.norms`, :mod:`.solve` (inverse, determinant, solve, pinv, ...),
:mod:`.decompositions` (cholesky, eigh, svd, qr) and :mod:`.convolution`; :mod:`.common` holds
their shared helpers.  Rules only use NumPy calls that chainrule itself supports, so every
rule can be differentiated again.
"""
import numpy as np

from .products import *  # noqa: F401,F403
from .decompositions import *  # noqa: F401,F403
from .norms import *  # noqa: F401,F403
from .solve import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from . import convolution, decompositions, norms, products, solve
from ...dispatch import FUNCTIONS as _FUNCTIONS
from ..api import implements as _implements, real_only as _real_only

__all__ = (products.__all__ + decompositions.__all__ + norms.__all__ + solve.__all__ +
           convolution.__all__)

# Complex input: the rules of these decompositions and norms are written for real matrices
# so far (docs/coverage.md lists them); they refuse complex input rather than give a wrong
# derivative.
for _f in (np.linalg.norm, getattr(np.linalg, "vector_norm", None),
           getattr(np.linalg, "matrix_norm", None), np.linalg.slogdet, np.linalg.pinv,
           np.linalg.lstsq, np.linalg.cond, np.linalg.cholesky, np.linalg.eigh,
           np.linalg.eigvalsh, np.linalg.svd, getattr(np.linalg, "svdvals", None),
           np.linalg.qr):
    if _f in _FUNCTIONS:
        _implements(_f)(_real_only(_f, "its derivative rules are written for real matrices "
                                       "so far", _FUNCTIONS[_f]))
