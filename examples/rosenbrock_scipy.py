"""SciPy's ``minimize`` on the 100-dimensional Rosenbrock function, with the gradient
(``jac=``) and Hessian-vector products (``hessp=``) from chainrule, checked against
SciPy's own hand-written ``rosen_der`` / ``rosen_hess_prod``.

    python examples/rosenbrock_scipy.py [--n 100]
"""
import argparse

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess_prod

import chainrule as cr


def rosenbrock(x):
    """Plain NumPy: ``sum(100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2)``."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


jac = cr.grad(rosenbrock)


def hessp(x, p):
    """The Hessian at ``x`` times ``p``, forward over reverse, never forming the Hessian."""
    return cr.hvp(rosenbrock, x, p)


def main(n=100, method="trust-ncg", seed=0):
    """Minimise from a random start; return SciPy's ``OptimizeResult``."""
    x0 = np.random.default_rng(seed).uniform(-1.5, 1.5, n)
    v = np.linspace(-1, 1, n)
    assert np.isclose(rosenbrock(x0), rosen(x0))
    np.testing.assert_allclose(jac(x0), rosen_der(x0), rtol=1e-12)
    np.testing.assert_allclose(hessp(x0, v), rosen_hess_prod(x0, v), rtol=1e-12, atol=1e-9)
    res = minimize(rosenbrock, x0, jac=jac, hessp=hessp, method=method,
                   options={"gtol": 1e-8})
    print(f"{method}: f = {res.fun:.3e} after {res.nit} iterations, {res.nfev} function, "
          f"{res.njev} gradient and {res.nhev} Hessian-vector evaluations")
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    main(n=ap.parse_args().n)
