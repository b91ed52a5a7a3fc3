"""Contract battery for SPEC §3: primitives with HIPS-shaped rules under every transform."""
import numpy as np

import chainrule as cr


@cr.primitive
def _sumsq(x):
    return np.sum(x ** 2)


cr.defvjp(_sumsq, lambda ans, x: lambda g: g * 2 * x)
cr.defjvp(_sumsq, lambda t, ans, x: np.sum(t * 2 * x))   # written for ONE tangent


@cr.primitive
def _logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


cr.defvjp(_logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
cr.defjvp(_logsumexp, lambda t, ans, x: np.sum(t * np.exp(x - ans)))


def test_user_jvp_rule_that_sums_its_tangent_under_batched_jacfwd():
    x = np.array([1.0, 2.0, -0.5])
    np.testing.assert_allclose(cr.jacfwd(_sumsq)(x), 2 * x)
    np.testing.assert_allclose(cr.jacfwd(cr.jacfwd(_sumsq))(x), 2 * np.eye(3))
    np.testing.assert_allclose(cr.hessian(_sumsq)(x), 2 * np.eye(3))


def test_user_primitive_hessian_matches_closed_form_in_every_nesting():
    x = np.array([0.1, 0.5, -1.0])
    s = np.exp(x - np.log(np.sum(np.exp(x))))
    want = np.diag(s) - np.outer(s, s)
    for h in (cr.hessian, lambda f: cr.jacfwd(cr.grad(f)), lambda f: cr.jacrev(cr.grad(f)),
              lambda f: cr.jacfwd(cr.jacfwd(f))):
        np.testing.assert_allclose(h(_logsumexp)(x), want, atol=1e-12)
