"""Contract battery for SPEC §3: primitives with HIPS-shaped rules under every transform."""
import numpy as np
import pytest

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


def test_check_grads_raises_assertion_naming_the_mode():
    @cr.primitive
    def bad_rev(x):
        return np.sin(x)
    cr.defvjp(bad_rev, lambda ans, x: lambda g: g * np.cos(x) * 1.1)
    cr.defjvp(bad_rev, lambda t, ans, x: t * np.cos(x))
    x = np.array([0.3, 0.4])
    cr.check_grads(bad_rev, x, modes=("fwd",), order=1)          # forward mode is right
    with pytest.raises(AssertionError, match="reverse mode"):
        cr.check_grads(bad_rev, x, modes=("rev",), order=1)
    cr.check_grads(_logsumexp, x)
    cr.check_grads(lambda a, b: np.sum(np.tanh(a) * b ** 2), x, x + 1, modes=["fwd", "rev"])


def test_primitive_rules_in_hips_shapes_with_none_and_keywords():
    @cr.primitive
    def scaled(a, b, scale=2.0):
        return a * np.sin(b) * scale
    cr.defvjp(scaled, None, lambda ans, a, b, scale=2.0: lambda g: g * a * np.cos(b) * scale)
    cr.defjvp(scaled, None, lambda t, ans, a, b, scale=2.0: t * a * np.cos(b) * scale)
    assert np.isclose(cr.grad(scaled, argnums=1)(1.5, 0.4, scale=3.0), 4.5 * np.cos(0.4))
    assert np.isclose(cr.jacfwd(scaled, argnums=1)(1.5, 0.4), 3.0 * np.cos(0.4))
    with pytest.raises(TypeError, match="defvjp"):
        cr.grad(scaled)(1.5, 0.4)                   # no rule for argument 0: says how to add

    @cr.primitive
    def sees_plain(x):
        assert type(x) is np.ndarray
        return x * 2
    cr.defvjp(sees_plain, lambda ans, x: lambda g: 2 * g)
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    sees_plain(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [2.0, 2.0])


def test_checkpoint_recomputes_and_matches_in_every_mode():
    calls = []

    def block(a, k=1.0):
        calls.append(1)
        return np.sin(a) * np.exp(a) * k
    ck = cr.checkpoint(block)
    x = np.array([0.1, 0.5, -1.0])
    want = cr.grad(lambda a: np.sum(block(a, k=2.0) ** 2))(x)
    del calls[:]
    np.testing.assert_allclose(cr.grad(lambda a: np.sum(ck(a, k=2.0) ** 2))(x), want)
    assert len(calls) == 2                       # forward, then again in the backward pass
    np.testing.assert_allclose(cr.hessian(lambda a: np.sum(ck(a)))(x),
                               cr.hessian(lambda a: np.sum(block(a)))(x))
    np.testing.assert_allclose(cr.jacfwd(ck)(x), cr.jacfwd(block)(x))
    t = cr.tensor(x, requires_grad=True)
    ck(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), (np.cos(x) + np.sin(x)) * np.exp(x))
