"""``scipy.integrate.odeint`` with derivatives in the initial state, the times and the
parameters, as HIPS autograd's and ``jax.experimental.ode``'s.

SciPy's ``odeint`` cannot see tensors.  This one has its signature, integrates with SciPy,
and differentiates:

- reverse mode by the adjoint method: the adjoint ``a(t) = dL/dy(t)`` is integrated backward
  together with the state, ``da/dt = -a df/dy`` and ``d(a_args)/dt = -a df/dargs``, from one
  requested time to the previous one (``a`` jumps by the cotangent of each output row).
  Moving a time ``t_i`` moves ``y(t_i)`` by ``f(y_i, t_i)``; moving ``t_0`` shifts the whole
  trajectory, ``dL/dt_0 = -a(t_0) . f(y_0, t_0)``;
- forward mode by the sensitivity equations: the tangent ``s = dy`` is integrated with the
  state, ``ds/dt = df/dy s + df/dargs dargs``, from ``s(t_0) = dy_0 - f(y_0, t_0) dt_0``.

The backward and tangent integrations call this ``odeint`` again, so derivatives of every
order exist (each order integrates a larger system).  ``func`` must be written with NumPy
calls chainrule differentiates; ``y0`` is a real vector (SciPy's ``odeint`` is real only).
Accuracy follows the integration tolerances (``rtol``, ``atol``).  It cannot be compiled by
``cr.compile`` (a clear ``TypeError`` says so).

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy.integrate import odeint
>>> decay = lambda y, t, k: -k * y
>>> t = np.array([0.0, 1.0])
>>> float(cr.grad(lambda k: odeint(decay, np.ones(1), t, args=(k,))[-1, 0])(0.5))  # -e^-k
-0.6065306...
"""
import numpy as np

from ..numpy.lists import contains_tensor
from ..pytree import tree_flatten
from ..rules.api import defprim
from ..tensor import Tensor, plain
from ..transforms import jvp as _jvp, vjp as _vjp
from . import host

__all__ = ["odeint"]

# what docs/coverage.md says: reverse, forward, 2nd order, complex, notes
COVERAGE = {"odeint": ("rule", "rule", "yes", "TypeError",
                       "adjoint method; forward by sensitivity equations")}


def _is_param(x):
    return isinstance(x, Tensor) or (np.asarray(x).dtype.kind == "f"
                                     if isinstance(x, (np.ndarray, float, np.floating)) else False)


def _flat_params(args):
    """``(theta, rebuild)``: the floating-point leaves of ``args`` as one vector, and the
    function that puts a vector back as ``args`` (other leaves are kept as they are)."""
    leaves, build = tree_flatten(tuple(args))
    params = [i for i, x in enumerate(leaves) if _is_param(x)]
    shapes = [np.shape(leaves[i]) for i in params]
    sizes = [int(np.prod(s)) for s in shapes]
    theta = (np.concatenate([np.reshape(leaves[i], (-1,)) for i in params]) if params
             else np.zeros(0))

    def rebuild(vec):
        out, start = list(leaves), 0
        for i, shape, n in zip(params, shapes, sizes):
            out[i] = np.reshape(vec[start:start + n], shape)
            start += n
        return build(out)
    return theta, rebuild


def _check_real(*xs):
    for x in xs:
        if np.iscomplexobj(x):
            raise TypeError("odeint integrates real systems (as SciPy's odeint does); for a "
                            "complex state, integrate its real and imaginary parts as one "
                            "real vector")


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):
    """Integrate ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; rows of the result are
    ``y`` at the times ``t`` (``scipy.integrate.odeint``'s signature and options).

    Differentiable in ``y0``, ``t`` and the floating-point arrays in ``args``, in reverse
    mode (adjoint method) and forward mode (sensitivity equations), to any order.
    ``full_output``, ``Dfun`` and the banded-Jacobian options are SciPy's alone: they are
    refused with tensor inputs.
    """
    import scipy.integrate
    kw = dict(rtol=rtol, atol=atol, tcrit=tcrit, h0=h0, hmax=hmax, hmin=hmin, mxstep=mxstep,
              mxhnil=mxhnil, mxordn=mxordn, mxords=mxords)
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if any(host.traced(plain(x)) for x in tree_flatten((y0, t) + args)[0]):
        raise TypeError("odeint cannot be compiled by cr.compile (SciPy calls func back with "
                        "values the compiled program cannot replay); call it without "
                        "cr.compile")
    if not contains_tensor((y0, t) + args):
        return scipy.integrate.odeint(func, y0, t, args=args, Dfun=Dfun, col_deriv=col_deriv,
                                      full_output=full_output, ml=ml, mu=mu, ixpr=ixpr,
                                      printmessg=printmessg, tfirst=tfirst, **kw)
    if full_output or Dfun is not None or ml is not None or mu is not None:
        raise TypeError("odeint of tensors: full_output, Dfun, ml and mu are not supported "
                        "(the derivatives come from func itself); leave them out")
    f = (lambda y, s, *a: func(s, y, *a)) if tfirst else func
    from ..numpy import asarray
    y0, t = asarray(y0), asarray(t)
    if np.ndim(y0) != 1 or np.ndim(t) != 1:
        raise ValueError(f"odeint: y0 and t must be vectors, got shapes {np.shape(y0)} and "
                         f"{np.shape(t)}")
    theta, rebuild = _flat_params(args)
    _check_real(y0, t, theta)
    return _primitive(f, rebuild, kw)(y0, t, theta)


def _primitive(f, rebuild, kw):
    """The primitive ``(y0, t, theta) -> y(t)`` of one system ``f`` with its rules."""
    def rhs(y, s, theta):
        return f(y, s, *rebuild(theta))

    def values(y0, t, theta):
        import scipy.integrate
        out = scipy.integrate.odeint(lambda y, s: np.asarray(rhs(y, s, theta), float),
                                     np.asarray(y0, float), np.asarray(t, float), **kw)
        return out

    def adjoint_rhs(state, s, theta):
        d = (np.shape(state)[0] - np.shape(theta)[0]) // 2
        y, a = state[:d], state[d:2 * d]
        dy, pull = _vjp(lambda y, th: rhs(y, s, th), y, theta)
        gy, gth = pull(a)
        return np.concatenate([dy, -gy, -gth])

    def vjp(g, ans, y0, t, theta):
        n, d = np.shape(ans)
        a, a_theta = g[n - 1], np.zeros_like(theta)
        g_t = [None] * n
        for i in range(n - 1, 0, -1):
            g_t[i] = np.sum(rhs(ans[i], t[i], theta) * g[i])
            start = np.concatenate([ans[i], a, a_theta])
            back = odeint(adjoint_rhs, start, np.stack([t[i], t[i - 1]]), args=(theta,), **kw)
            a, a_theta = back[1, d:2 * d], back[1, 2 * d:]
            if i > 1:
                a = a + g[i - 1]
        if n > 1:       # a is the adjoint just after t_0, without the output y(t_0) = y0
            g_t[0] = -np.sum(a * rhs(y0, t[0], theta))
            g_y0 = a + g[0]
        else:
            g_t[0] = np.zeros((), np.result_type(g))
            g_y0 = g[0]
        return g_y0, np.stack(g_t), a_theta

    def tangent_rhs(state, s, theta, dtheta):
        d = np.shape(state)[0] // 2
        return np.concatenate(_jvp(lambda y, th: rhs(y, s, th), (state[:d], theta),
                                   (state[d:], dtheta)))

    def one_jvp(ty0, tt, ttheta, ans, y0, t, theta):
        s0 = ty0 if ty0 is not None else np.zeros_like(y0)
        if tt is not None:
            s0 = s0 - rhs(y0, t[0], theta) * tt[0]
        dth = ttheta if ttheta is not None else np.zeros_like(theta)
        both = odeint(tangent_rhs, np.concatenate([y0, s0]), t, args=(theta, dth), **kw)
        out = both[:, np.shape(y0)[0]:]
        if tt is not None:
            moved = np.stack([rhs(ans[i], t[i], theta) for i in range(np.shape(t)[0])])
            out = out + moved * np.reshape(tt, (-1, 1))
        return out

    def jvp(tangents, ans, y0, t, theta):
        ref = [(tn, x) for tn, x in zip(tangents, (y0, t, theta)) if tn is not None]
        nb = np.ndim(ref[0][0]) - np.ndim(ref[0][1])
        if nb == 0:
            return one_jvp(*tangents, ans, y0, t, theta)
        batch = np.shape(ref[0][0])[:nb]
        flat = [None if tn is None else np.reshape(tn, (-1,) + np.shape(tn)[nb:])
                for tn in tangents]
        outs = [one_jvp(*[None if tn is None else tn[k] for tn in flat], ans, y0, t, theta)
                for k in range(int(np.prod(batch)))]
        return np.reshape(np.stack(outs), batch + np.shape(ans))

    return defprim(values, name="odeint", raw=True, joint_vjp=True, vjp=(vjp,), joint=jvp)
