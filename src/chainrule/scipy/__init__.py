"""SciPy functions on tensors: ``chainrule.scipy.special``, ``.stats``, ``.linalg``,
``.signal`` (``convolve``) and ``.integrate`` (``odeint``).

SciPy's special functions that are ufuncs (``scipy.special.expit``, ``erf``, ``gammaln``, the
Bessel functions, ...) work on tensors directly, through the rules in
:mod:`chainrule.rules.special`.  SciPy's plain Python functions (``logsumexp``, ``softmax``,
``polygamma``, ``scipy.stats.norm.logpdf``, ...) turn their inputs into ndarrays, which would
drop a gradient (chainrule refuses with ``TypeError``): the functions of the same names here
take tensors and ndarrays alike, as HIPS autograd's ``autograd.scipy`` does.  Likewise
``chainrule.scipy.linalg`` (``expm``, ``sqrtm``, ``solve_triangular``, ``cho_solve``,
``solve_sylvester``, ...), ``convolve`` and ``odeint`` (with the adjoint method), each SciPy's
own function when no tensor is passed.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy.special import logsumexp
>>> cr.grad(logsumexp)(np.zeros(2))
array([0.5, 0.5])
"""
from . import integrate, linalg, signal, special, stats  # noqa: F401
