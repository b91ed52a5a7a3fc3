"""Linear algebra, one module per family: :mod:`.products` (matmul, einsum and what is
written with them), :mod:`.norms`, :mod:`.solve` (inverse, determinant, solve, pinv, ...),
:mod:`.decompositions` (cholesky, eigh, svd, qr) and :mod:`.convolution`; :mod:`.common` holds
their shared helpers.  NumPy's signatures are handled in :mod:`chainrule.numpy_api.linalg`.
Rules only use NumPy calls that chainrule itself supports, so every
rule can be differentiated again.
"""
from .products import *  # noqa: F401,F403
from .decompositions import *  # noqa: F401,F403
from .norms import *  # noqa: F401,F403
from .solve import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from . import matrix_functions  # noqa: F401
from . import convolution, decompositions, norms, products, solve

__all__ = (products.__all__ + decompositions.__all__ + norms.__all__ + solve.__all__ +
           convolution.__all__)
