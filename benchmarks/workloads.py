"""Benchmark workloads: for each, one setup function per library.

A workload is a :class:`Workload`: its default parameters, how many operations one call does
(the unit of the "µs per op" the runner reports; ``None`` for workloads timed per call), and
for each library a *setup* function ``setup(**params) -> call``.  ``setup`` builds the inputs
and compiles what a library compiles (not timed); ``call()`` runs the workload once (timed)
and returns ``(value, result)``: a float (or ``None``) and an ndarray or a tuple of ndarrays
(the gradient, Hessian, Jacobian or output), so the runner can check that every library
computed the same thing.  A *memory* workload's call is run once in a fresh process and its
peak memory measured instead (see :func:`benchmarks.run.measure_memory`).

Libraries are imported inside the setup functions: a library that is not installed only
skips its own row.  The library names are ``chainrule``, ``numpy`` (gradients written by hand:
the floor), ``torch`` (PyTorch CPU eager), ``torch-func`` (``torch.func`` transforms), ``jax``
(no ``jit``), ``jax-jit`` (compiled in setup), ``autograd`` (HIPS autograd) and ``mygrad``.
Where the same code serves several libraries it is written once, taking the library's NumPy
namespace as ``xp``.  To add a workload, add an entry to :data:`WORKLOADS`.
"""
import functools
import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Target:
    """A goal for chainrule (or ``base``, e.g. ``chainrule-compiled``) against ``library``:
    the ratio base / library (time or memory) must be at most ``max_ratio``; or, with
    ``max_ms``, base's median time per call (gc on) must be at most that."""
    library: str
    max_ratio: float
    text: str
    base: str = "chainrule"
    max_ms: float = None


@dataclass
class Workload:
    description: str
    params: dict
    libraries: dict                 # library name -> setup(**params)
    ops: object = None              # ops(**params) -> operations per call; None: per call
    kind: str = "time"              # "time" or "memory"
    small: dict = field(default_factory=dict)   # tiny parameters: smoke test and --quick
    repeats: int = 30               # timed samples per gc mode and library, over all rounds
    rounds: int = 5                 # processes per library, interleaved with the others'
    warmup: int = 3                 # untimed calls before sampling
    rtol: float = 1e-9              # how closely the libraries' results must agree
    atol: float = 1e-12
    targets: tuple = ()
    notes: dict = field(default_factory=dict)   # library -> a line printed under the table
    device: str = "cpu"             # "gpu": run only when named (python -m benchmarks
                                    # --workloads gpu-mlp); its libraries skip without a GPU


# ------------------------------------------------------------------------------ helpers
def _torch():
    import torch
    torch.set_num_threads(1)
    return torch


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)   # float64, as everyone else computes
    return jax


def _compile(jax, fn, *args):
    """``fn`` compiled by XLA for ``args``' shapes, before anything is timed."""
    return jax.jit(fn).lower(*args).compile()


def _jax_call(fn, *args):
    """call() for a JAX function returning (value, result tree): results as ndarrays (which
    waits for JAX's asynchronous dispatch)."""
    def call():
        value, res = fn(*args)
        return _float(value), _numpy_tree(res)
    return call


def _float(v):
    return None if v is None else float(v)


def _numpy_tree(res):
    if isinstance(res, (tuple, list)):
        return tuple(np.asarray(r) for r in res)
    return np.asarray(res)


# ------------------------------------------------------------------------------ overhead
# y = sin(y) * 1.01 + 0.1 * y, `steps` times (4 ops each), then (y * y).sum() (2 ops), and
# the gradient of that with respect to the input.  On 8 elements the arithmetic is nothing:
# what is measured is the per-operation cost of recording and of the backward sweep.

def _overhead_input(n):
    return np.linspace(-1.0, 1.0, n)


def _overhead_chain(xp, y, steps):
    for _ in range(steps):
        y = xp.sin(y) * 1.01 + 0.1 * y
    return y


def _overhead_loss(xp, steps):
    def loss(x):
        y = _overhead_chain(xp, x, steps)
        return (y * y).sum()
    return loss


def overhead_chainrule(n, steps):
    import chainrule as cr
    x = cr.tensor(_overhead_input(n), requires_grad=True)

    def call():
        x.grad = None
        y = _overhead_chain(np, x, steps)
        loss = (y * y).sum()
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def _compiled(fn, *args):
    """``cr.compile(fn)``, traced in setup (the first call is the ``compile`` workload)."""
    import chainrule as cr
    compiled = cr.compile(fn)
    compiled(*args)

    def call():
        value, res = compiled(*args)
        return _float(value), res
    return call


def overhead_chainrule_compiled(n, steps):
    import chainrule as cr
    return _compiled(cr.value_and_grad(_overhead_loss(np, steps)), _overhead_input(n))


def _overhead_by_hand(xp, x, steps):
    """The forward pass and the backward pass derived by hand, on ``xp``'s arrays."""
    y = x
    saved = []
    for _ in range(steps):
        saved.append(y)
        y = xp.sin(y) * 1.01 + 0.1 * y
    loss = (y * y).sum()
    g = 2.0 * y
    for yp in reversed(saved):
        g = g * (xp.cos(yp) * 1.01 + 0.1)
    return loss, g


def overhead_numpy(n, steps):
    """The same forward pass on ndarrays, and the backward pass derived by hand:
    d/dy [sin(y) * 1.01 + 0.1 * y] = 1.01 cos(y) + 0.1 (4 ops a step, as forward)."""
    x = _overhead_input(n)

    def call():
        loss, g = _overhead_by_hand(np, x, steps)
        return float(loss), g
    return call


def overhead_torch(n, steps):
    torch = _torch()
    x = torch.tensor(_overhead_input(n), dtype=torch.float64, requires_grad=True)

    def call():
        x.grad = None
        y = _overhead_chain(torch, x, steps)
        loss = (y * y).sum()
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def _jax_pair(setup):
    """The ``jax`` and ``jax-jit`` setups of a workload from one ``setup(..., jit)``."""
    return functools.partial(setup, jit=False), functools.partial(setup, jit=True)


def _overhead_jax(n, steps, jit):
    jax = _jax()
    x = jax.numpy.asarray(_overhead_input(n))
    vg = jax.value_and_grad(_overhead_loss(jax.numpy, steps))
    return _jax_call(_compile(jax, vg, x) if jit else vg, x)


overhead_jax, overhead_jax_jit = _jax_pair(_overhead_jax)


def overhead_autograd(n, steps):
    import autograd
    import autograd.numpy as anp
    x = _overhead_input(n)
    vg = autograd.value_and_grad(_overhead_loss(anp, steps))

    def call():
        loss, g = vg(x)
        return float(loss), g
    return call


def overhead_mygrad(n, steps):
    import mygrad as mg
    x = mg.tensor(_overhead_input(n))

    def call():
        y = _overhead_chain(mg, x, steps)
        loss = (y * y).sum()
        loss.backward()
        return loss.item(), x.grad
    return call


# ------------------------------------------------------------------------------ deep
# y = y * 0.999 + 0.001 on a scalar, `steps` times (2 ops each): a graph 40,000 nodes deep
# at the default size, where every operation is on a 0-d value.  The gradient is
# 0.999 ** steps.

def _deep_chain(y, steps):
    for _ in range(steps):
        y = y * 0.999 + 0.001
    return y


def deep_chainrule(steps):
    import chainrule as cr
    x = cr.tensor(0.5, requires_grad=True)

    def call():
        x.grad = None
        y = _deep_chain(x, steps)
        y.backward()
        return y.item(), x.grad.numpy()
    return call


def deep_chainrule_compiled(steps):
    import chainrule as cr
    return _compiled(cr.value_and_grad(lambda x: _deep_chain(x, steps)), np.asarray(0.5))


def deep_numpy(steps):
    """Forward on NumPy float64 scalars; backward by hand, one multiply per step."""
    x = np.float64(0.5)

    def call():
        y = _deep_chain(x, steps)
        g = np.float64(1.0)
        for _ in range(steps):
            g = g * 0.999
        return float(y), np.asarray(g)
    return call


def deep_torch(steps):
    torch = _torch()
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)

    def call():
        x.grad = None
        y = _deep_chain(x, steps)
        y.backward()
        return y.item(), x.grad.numpy()
    return call


def deep_jax(steps):
    jax = _jax()
    x = jax.numpy.asarray(0.5)
    return _jax_call(jax.value_and_grad(lambda x: _deep_chain(x, steps)), x)


def deep_autograd(steps):
    import autograd
    vg = autograd.value_and_grad(lambda x: _deep_chain(x, steps))

    def call():
        y, g = vg(0.5)
        return float(y), np.asarray(g)
    return call


def deep_mygrad(steps):
    import mygrad as mg
    x = mg.tensor(0.5)

    def call():
        y = _deep_chain(x, steps)
        y.backward()
        return y.item(), np.asarray(x.grad)
    return call


# ------------------------------------------------------------------------------ mlp
# A d_in-hidden-hidden-classes tanh network without biases, softmax cross-entropy averaged
# over the batch, and the gradients of its three weight matrices.  The log-sum-exp is written
# with max/exp/log/sum, as in plain NumPy code.

def _mlp_inputs(batch, d_in, hidden, classes):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, d_in))
    Y = np.eye(classes)[rng.integers(0, classes, batch)]
    Ws = tuple(rng.standard_normal(s) / np.sqrt(s[0])
               for s in ((d_in, hidden), (hidden, hidden), (hidden, classes)))
    return X, Y, Ws


def _mlp_loss(xp, X, Y, W1, W2, W3):
    h1 = xp.tanh(X @ W1)
    h2 = xp.tanh(h1 @ W2)
    z = h2 @ W3
    m = xp.max(z, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(z - m), axis=1, keepdims=True)) + m
    return -xp.sum(Y * (z - lse)) / X.shape[0]


def mlp_chainrule(batch, d_in, hidden, classes):
    import chainrule as cr
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    Ws = [cr.tensor(w, requires_grad=True) for w in Ws]

    def call():
        for w in Ws:
            w.grad = None
        loss = _mlp_loss(np, X, Y, *Ws)
        loss.backward()
        return loss.item(), tuple(w.grad.numpy() for w in Ws)
    return call


def mlp_chainrule_compiled(batch, d_in, hidden, classes):
    import chainrule as cr
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    vg = cr.value_and_grad(lambda Ws, X, Y: _mlp_loss(np, X, Y, *Ws))
    return _compiled(vg, Ws, X, Y)


def _mlp_by_hand(xp, X, Y, W1, W2, W3):
    """Forward and backward by hand on ``xp``'s arrays, with the softmax and cross-entropy
    fused: dloss/dz = (softmax(z) - Y) / batch."""
    batch = X.shape[0]
    h1 = xp.tanh(X @ W1)
    h2 = xp.tanh(h1 @ W2)
    z = h2 @ W3
    m = z.max(axis=1, keepdims=True)
    e = xp.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    loss = (xp.log(s) + m).sum() / batch - (Y * z).sum() / batch
    dz = (e / s - Y) / batch
    g3 = h2.T @ dz
    d2 = (dz @ W3.T) * (1.0 - h2 * h2)
    g2 = h1.T @ d2
    d1 = (d2 @ W2.T) * (1.0 - h1 * h1)
    g1 = X.T @ d1
    return loss, (g1, g2, g3)


def mlp_numpy(batch, d_in, hidden, classes):
    """Forward and backward by hand (:func:`_mlp_by_hand`)."""
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)

    def call():
        loss, gs = _mlp_by_hand(np, X, Y, *Ws)
        return float(loss), gs
    return call


def _mlp_loss_torch(torch, X, Y, W1, W2, W3):
    """:func:`_mlp_loss` in PyTorch's spelling (``torch.max`` with a dim returns a pair)."""
    h1 = torch.tanh(X @ W1)
    h2 = torch.tanh(h1 @ W2)
    z = h2 @ W3
    m = torch.amax(z, dim=1, keepdim=True)
    lse = torch.log(torch.sum(torch.exp(z - m), dim=1, keepdim=True)) + m
    return -torch.sum(Y * (z - lse)) / X.shape[0]


def mlp_torch(batch, d_in, hidden, classes):
    torch = _torch()
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    X, Y = torch.from_numpy(X), torch.from_numpy(Y)
    Ws = [torch.tensor(w, requires_grad=True) for w in Ws]
    W1, W2, W3 = Ws

    def call():
        for w in Ws:
            w.grad = None
        loss = _mlp_loss_torch(torch, X, Y, W1, W2, W3)
        loss.backward()
        return loss.item(), tuple(w.grad.numpy() for w in Ws)
    return call


def _mlp_jax(batch, d_in, hidden, classes, jit):
    jax = _jax()
    jnp = jax.numpy
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    X, Y, Ws = jnp.asarray(X), jnp.asarray(Y), tuple(jnp.asarray(w) for w in Ws)
    vg = jax.value_and_grad(lambda Ws, X, Y: _mlp_loss(jnp, X, Y, *Ws))
    return _jax_call(_compile(jax, vg, Ws, X, Y) if jit else vg, Ws, X, Y)


mlp_jax, mlp_jax_jit = _jax_pair(_mlp_jax)


def mlp_autograd(batch, d_in, hidden, classes):
    import autograd
    import autograd.numpy as anp
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    vg = autograd.value_and_grad(lambda Ws: _mlp_loss(anp, X, Y, *Ws))

    def call():
        loss, gs = vg(Ws)
        return float(loss), tuple(gs)
    return call


def mlp_mygrad(batch, d_in, hidden, classes):
    import mygrad as mg
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    Ws = [mg.tensor(w) for w in Ws]

    def call():
        loss = _mlp_loss(mg, X, Y, *Ws)
        loss.backward()
        return loss.item(), tuple(w.grad for w in Ws)
    return call


# ------------------------------------------------------------------------------ hessian
# The Hessian of f(x) = sum(tanh(W x)) + x.x / 2, x in R^n.  Closed form:
# H = W^T diag(-2 t (1 - t^2)) W + I with t = tanh(W x).

def _hessian_inputs(n):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)


def _hessian_f(xp, W):
    return lambda x: xp.sum(xp.tanh(W @ x)) + 0.5 * (x @ x)


def hessian_chainrule(n):
    import chainrule as cr
    W, x = _hessian_inputs(n)
    hess = cr.hessian(_hessian_f(np, W))
    return lambda: (None, hess(x))


def hessian_chainrule_compiled(n):
    import chainrule as cr
    W, x = _hessian_inputs(n)
    return _compiled(lambda x: (None, cr.hessian(_hessian_f(np, W))(x)), x)


def hessian_numpy(n):
    """The closed form above (the floor)."""
    W, x = _hessian_inputs(n)
    eye = np.eye(n)

    def call():
        t = np.tanh(W @ x)
        return None, W.T @ ((-2.0 * t * (1.0 - t * t))[:, None] * W) + eye
    return call


def hessian_torch(n):
    torch = _torch()
    W, x = (torch.from_numpy(a) for a in _hessian_inputs(n))
    f = _hessian_f(torch, W)
    return lambda: (None, torch.autograd.functional.hessian(f, x).numpy())


def hessian_torch_func(n):
    torch = _torch()
    W, x = (torch.from_numpy(a) for a in _hessian_inputs(n))
    hess = torch.func.hessian(_hessian_f(torch, W))
    return lambda: (None, hess(x).numpy())


def _hessian_jax(n, jit):
    jax = _jax()
    W, x = (jax.numpy.asarray(a) for a in _hessian_inputs(n))
    hess = jax.hessian(_hessian_f(jax.numpy, W))
    fn = lambda x: (None, hess(x))   # noqa: E731
    return _jax_call(_compile(jax, fn, x) if jit else fn, x)


hessian_jax, hessian_jax_jit = _jax_pair(_hessian_jax)


def hessian_autograd(n):
    import autograd
    import autograd.numpy as anp
    W, x = _hessian_inputs(n)
    hess = autograd.hessian(_hessian_f(anp, W))
    return lambda: (None, hess(x))


# ------------------------------------------------------------------------------ jacobian
# The Jacobian of sin(A x), from R^n_in to R^n_out, by forward mode.  Closed form:
# J = cos(A x)[:, None] * A.

def _jacobian_inputs(n_in, n_out):
    rng = np.random.default_rng(2)
    return rng.standard_normal((n_out, n_in)), rng.standard_normal(n_in)


def _jacobian_f(xp, A):
    return lambda x: xp.sin(A @ x)


def jacobian_chainrule(n_in, n_out):
    import chainrule as cr
    A, x = _jacobian_inputs(n_in, n_out)
    jac = cr.jacfwd(_jacobian_f(np, A))
    return lambda: (None, jac(x))


def jacobian_chainrule_compiled(n_in, n_out):
    import chainrule as cr
    A, x = _jacobian_inputs(n_in, n_out)
    return _compiled(lambda x: (None, cr.jacfwd(_jacobian_f(np, A))(x)), x)


def jacobian_numpy(n_in, n_out):
    """The closed form above (the floor)."""
    A, x = _jacobian_inputs(n_in, n_out)
    return lambda: (None, np.cos(A @ x)[:, None] * A)


def jacobian_torch(n_in, n_out):
    torch = _torch()
    A, x = (torch.from_numpy(a) for a in _jacobian_inputs(n_in, n_out))
    f = _jacobian_f(torch, A)
    jac = torch.autograd.functional.jacobian
    return lambda: (None, jac(f, x, vectorize=True, strategy="forward-mode").numpy())


def jacobian_torch_func(n_in, n_out):
    torch = _torch()
    A, x = (torch.from_numpy(a) for a in _jacobian_inputs(n_in, n_out))
    jac = torch.func.jacfwd(_jacobian_f(torch, A))
    return lambda: (None, jac(x).numpy())


def _jacobian_jax(n_in, n_out, jit):
    jax = _jax()
    A, x = (jax.numpy.asarray(a) for a in _jacobian_inputs(n_in, n_out))
    jac = jax.jacfwd(_jacobian_f(jax.numpy, A))
    fn = lambda x: (None, jac(x))   # noqa: E731
    return _jax_call(_compile(jax, fn, x) if jit else fn, x)


jacobian_jax, jacobian_jax_jit = _jax_pair(_jacobian_jax)


def jacobian_autograd(n_in, n_out):
    import autograd
    import autograd.numpy as anp
    A, x = _jacobian_inputs(n_in, n_out)
    jac = autograd.jacobian(_jacobian_f(anp, A))
    return lambda: (None, jac(x))


# ------------------------------------------------------------------------------ jacrev
# The reverse-mode Jacobian of tanh(W @ x), R^n -> R^n.  Closed form:
# J = (1 - tanh(W x)^2)[:, None] * W.

def _jacrev_inputs(n):
    rng = np.random.default_rng(3)
    return rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)


def _jacrev_f(xp, W):
    return lambda x: xp.tanh(W @ x)


def jacrev_chainrule(n):
    import chainrule as cr
    W, x = _jacrev_inputs(n)
    jac = cr.jacrev(_jacrev_f(np, W))
    return lambda: (None, jac(x))


def jacrev_numpy(n):
    """The closed form above (the floor)."""
    W, x = _jacrev_inputs(n)
    return lambda: (None, (1 - np.tanh(W @ x) ** 2)[:, None] * W)


def jacrev_torch(n):
    torch = _torch()
    W, x = (torch.from_numpy(a) for a in _jacrev_inputs(n))
    f = _jacrev_f(torch, W)
    jac = torch.autograd.functional.jacobian
    return lambda: (None, jac(f, x, vectorize=True).numpy())


def jacrev_torch_func(n):
    torch = _torch()
    W, x = (torch.from_numpy(a) for a in _jacrev_inputs(n))
    jac = torch.func.jacrev(_jacrev_f(torch, W))
    return lambda: (None, jac(x).numpy())


def _jacrev_jax(n, jit):
    jax = _jax()
    W, x = (jax.numpy.asarray(a) for a in _jacrev_inputs(n))
    jac = jax.jacrev(_jacrev_f(jax.numpy, W))
    fn = lambda x: (None, jac(x))   # noqa: E731
    return _jax_call(_compile(jax, fn, x) if jit else fn, x)


jacrev_jax, jacrev_jax_jit = _jax_pair(_jacrev_jax)


def jacrev_autograd(n):
    import autograd
    import autograd.numpy as anp
    W, x = _jacrev_inputs(n)
    jac = autograd.jacobian(_jacrev_f(anp, W))
    return lambda: (None, jac(x))


# ------------------------------------------------------------------------------ join
# n pieces of one vector joined back, both ways: y = stack([x[0], ..., x[n-1]]) (what
# cr.tensor([...]) of 0-d tensors does) and z = concatenate([x[0:1], ..., x[n-1:n]]); the
# gradient of sum(y * y) + sum(z ** 3) is 2 x + 3 x^2.  Backward must be linear in n: one
# call per join, not one call (reading every piece) per piece.

def _join_input(n):
    return np.linspace(-1.0, 1.0, n)


def _join_loss(xp, x, n, stack, concat):
    y = stack([x[i] for i in range(n)])
    z = concat([x[i:i + 1] for i in range(n)])
    return (y * y).sum() + (z ** 3).sum()


def join_chainrule(n):
    import chainrule as cr
    x = cr.tensor(_join_input(n), requires_grad=True)

    def call():
        x.grad = None
        loss = _join_loss(np, x, n, np.stack, np.concatenate)
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def join_numpy(n):
    """The values joined and the gradient in closed form (the floor)."""
    x = _join_input(n)

    def call():
        loss = _join_loss(np, x, n, np.stack, np.concatenate)
        return float(loss), 2 * x + 3 * x ** 2
    return call


def join_torch(n):
    torch = _torch()
    x = torch.tensor(_join_input(n), requires_grad=True)

    def call():
        x.grad = None
        loss = _join_loss(torch, x, n, torch.stack, torch.cat)
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def join_autograd(n):
    import autograd
    import autograd.numpy as anp
    x = _join_input(n)
    vg = autograd.value_and_grad(lambda x: _join_loss(anp, x, n, anp.stack, anp.concatenate))

    def call():
        v, g = vg(x)
        return float(v), g
    return call


# ------------------------------------------------------------------------------ memory
# y = tanh(y) * 1.01, `steps` times, on n float64 elements, then y.sum(), and the gradient.
# Measured: the peak memory of one forward + backward.  A layer needs to keep one array for
# its backward pass (tanh's output, from which tanh' = 1 - out^2); the multiply by a
# constant needs nothing.  At the defaults every array is 8 MB, so keeping one array per
# layer is 800 MB.

def _memory_input(n):
    return np.linspace(-2.0, 3.0, n)   # not symmetric: the loss is not 0


def _memory_chain(xp, y, steps):
    for _ in range(steps):
        y = xp.tanh(y) * 1.01
    return y


def memory_chainrule(n, steps):
    import chainrule as cr
    x = cr.tensor(_memory_input(n), requires_grad=True)

    def call():
        x.grad = None
        loss = _memory_chain(np, x, steps).sum()
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def memory_chainrule_compiled(n, steps):
    """Traced in setup at the full size (what is measured is one replay's peak)."""
    import chainrule as cr
    vg = cr.compile(cr.value_and_grad(lambda x: _memory_chain(np, x, steps).sum()))
    x = _memory_input(n)
    vg(x)
    def call():
        value, g = vg(x)
        return float(value), g
    return call


def memory_numpy(n, steps):
    """Keeps each tanh output (what the backward pass needs) and nothing else."""
    x = _memory_input(n)

    def call():
        y = x
        saved = []
        for _ in range(steps):
            t = np.tanh(y)
            saved.append(t)
            y = t * 1.01
        loss = float(y.sum())
        del y, t
        g = np.ones_like(x)
        while saved:
            t = saved.pop()
            g *= 1.01
            g *= 1.0 - t * t
            del t
        return loss, g
    return call


def memory_torch(n, steps):
    torch = _torch()
    x = torch.tensor(_memory_input(n), requires_grad=True)

    def call():
        x.grad = None
        loss = _memory_chain(torch, x, steps).sum()
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def _memory_jax(n, steps, jit):
    jax = _jax()
    x = jax.numpy.asarray(_memory_input(n))
    vg = jax.value_and_grad(lambda x: _memory_chain(jax.numpy, x, steps).sum())
    return _jax_call(_compile(jax, vg, x) if jit else vg, x)


memory_jax, memory_jax_jit = _jax_pair(_memory_jax)


def memory_autograd(n, steps):
    import autograd
    import autograd.numpy as anp
    x = _memory_input(n)
    vg = autograd.value_and_grad(lambda x: _memory_chain(anp, x, steps).sum())

    def call():
        loss, g = vg(x)
        return float(loss), g
    return call


def memory_mygrad(n, steps):
    import mygrad as mg
    x = mg.tensor(_memory_input(n))

    def call():
        loss = _memory_chain(mg, x, steps).sum()
        loss.backward()
        return loss.item(), x.grad
    return call


# ------------------------------------------------------------------------------ no-grad
# The overhead chain with nothing to differentiate: what the library costs on top of NumPy
# when it only computes values.

def nograd_chainrule(n, steps):
    """A tensor that does not require grad: nothing is recorded."""
    import chainrule as cr
    x = cr.tensor(_overhead_input(n))

    def call():
        y = _overhead_chain(np, x, steps)
        loss = (y * y).sum()
        return loss.item(), y.numpy()
    return call


def nograd_chainrule_no_grad(n, steps):
    """A tensor that requires grad, inside ``cr.no_grad()``."""
    import chainrule as cr
    x = cr.tensor(_overhead_input(n), requires_grad=True)

    def call():
        with cr.no_grad():
            y = _overhead_chain(np, x, steps)
            loss = (y * y).sum()
        return loss.item(), y.numpy()
    return call


def nograd_chainrule_compiled(n, steps):
    import chainrule as cr
    return _compiled(lambda x: (lambda y: ((y * y).sum(), y))(_overhead_chain(np, x, steps)),
                     _overhead_input(n))


# ------------------------------------------------------------------------------ compile
# The first call of a compiled function: trace (twice: the impurity check), optimize,
# generate and compile the source, run.  The overhead chain at 100 steps (402 ops).

def compile_chainrule_compiled(n, steps):
    import chainrule as cr
    x = _overhead_input(n)

    def call():
        vg = cr.compile(cr.value_and_grad(_overhead_loss(np, steps)))
        value, g = vg(x)
        return float(value), g
    return call


def compile_jax_jit(n, steps):
    jax = _jax()
    x = jax.numpy.asarray(_overhead_input(n))

    def call():
        vg = jax.jit(jax.value_and_grad(_overhead_loss(jax.numpy, steps)))
        value, g = vg(x)
        return float(value), np.asarray(g)
    return call


def compile_numpy(n, steps):
    return overhead_numpy(n, steps)


def nograd_numpy(n, steps):
    x = _overhead_input(n)

    def call():
        y = _overhead_chain(np, x, steps)
        return float((y * y).sum()), y
    return call


def nograd_torch(n, steps):
    torch = _torch()
    x = torch.tensor(_overhead_input(n), dtype=torch.float64)

    def call():
        y = _overhead_chain(torch, x, steps)
        return (y * y).sum().item(), y.numpy()
    return call


def nograd_jax(n, steps):
    jax = _jax()
    x = jax.numpy.asarray(_overhead_input(n))

    def call():
        y = _overhead_chain(jax.numpy, x, steps)
        return float((y * y).sum()), np.asarray(y)
    return call


def nograd_autograd(n, steps):
    """autograd.numpy's wrapped functions on plain ndarrays, outside any grad."""
    import autograd.numpy as anp
    x = _overhead_input(n)

    def call():
        y = _overhead_chain(anp, x, steps)
        return float((y * y).sum()), y
    return call


def nograd_mygrad(n, steps):
    """A constant tensor (MyGrad's way to record nothing)."""
    import mygrad as mg
    x = mg.tensor(_overhead_input(n), constant=True)

    def call():
        y = _overhead_chain(mg, x, steps)
        return (y * y).sum().item(), np.asarray(y)
    return call


# ------------------------------------------------------------------------------ gpu
# The overhead chain and the MLP on a GPU: CuPy arrays for chainrule (eager, through NumPy's
# protocols: nothing CuPy-specific in chainrule) and for gradients written by hand (the GPU
# floor), PyTorch and JAX on CUDA; ``numpy`` is the hand-written CPU version, the reference
# the results are checked against.  Every call ends by copying its results to the host,
# which waits for the GPU, so a call's time is the whole computation.  Without a GPU each
# GPU library's setup raises ImportError, so its row shows as skipped.

def _cupy():
    import cupy as cp
    try:
        cp.cuda.runtime.getDeviceCount()
        cp.zeros(1).sum().item()
    except Exception as e:                        # noqa: BLE001  (no driver, no device)
        raise ImportError(f"CuPy imports but no GPU answers ({type(e).__name__})") from None
    return cp


def _torch_cuda():
    torch = _torch()
    if not torch.cuda.is_available():
        raise ImportError("PyTorch sees no CUDA device")
    return torch


def _jax_gpu():
    jax = _jax()
    try:
        dev = jax.devices("gpu")[0]
    except RuntimeError as e:
        raise ImportError(f"JAX sees no GPU ({e})") from None
    return jax, dev


def gpu_overhead_chainrule(n, steps):
    import chainrule as cr
    cp = _cupy()
    x = cr.tensor(cp.asarray(_overhead_input(n)), requires_grad=True)

    def call():
        x.grad = None
        y = _overhead_chain(np, x, steps)
        loss = (y * y).sum()
        loss.backward()
        return loss.item(), cp.asnumpy(x.grad.data)
    return call


def gpu_overhead_cupy(n, steps):
    cp = _cupy()
    x = cp.asarray(_overhead_input(n))

    def call():
        loss, g = _overhead_by_hand(cp, x, steps)
        return float(loss), cp.asnumpy(g)
    return call


def gpu_overhead_torch(n, steps):
    torch = _torch_cuda()
    x = torch.tensor(_overhead_input(n), requires_grad=True, device="cuda")

    def call():
        x.grad = None
        loss = _overhead_loss(torch, steps)(x)
        loss.backward()
        return loss.item(), x.grad.cpu().numpy()
    return call


def gpu_overhead_jax_jit(n, steps):
    jax, dev = _jax_gpu()
    x = jax.device_put(_overhead_input(n), dev)
    vg = jax.value_and_grad(_overhead_loss(jax.numpy, steps))
    return _jax_call(_compile(jax, vg, x), x)


gpu_overhead_numpy = overhead_numpy


def gpu_mlp_chainrule(batch, d_in, hidden, classes):
    import chainrule as cr
    cp = _cupy()
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    X, Y = cp.asarray(X), cp.asarray(Y)
    Ws = [cr.tensor(cp.asarray(w), requires_grad=True) for w in Ws]

    def call():
        for w in Ws:
            w.grad = None
        loss = _mlp_loss(np, X, Y, *Ws)
        loss.backward()
        return loss.item(), tuple(cp.asnumpy(w.grad.data) for w in Ws)
    return call


def gpu_mlp_cupy(batch, d_in, hidden, classes):
    cp = _cupy()
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    X, Y, Ws = cp.asarray(X), cp.asarray(Y), [cp.asarray(w) for w in Ws]

    def call():
        loss, gs = _mlp_by_hand(cp, X, Y, *Ws)
        return float(loss), tuple(cp.asnumpy(g) for g in gs)
    return call


def gpu_mlp_torch(batch, d_in, hidden, classes):
    torch = _torch_cuda()
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    X, Y = torch.from_numpy(X).cuda(), torch.from_numpy(Y).cuda()
    Ws = [torch.tensor(w, requires_grad=True, device="cuda") for w in Ws]

    def call():
        for w in Ws:
            w.grad = None
        loss = _mlp_loss_torch(torch, X, Y, *Ws)
        loss.backward()
        return loss.item(), tuple(w.grad.cpu().numpy() for w in Ws)
    return call


def gpu_mlp_jax_jit(batch, d_in, hidden, classes):
    jax, dev = _jax_gpu()
    jnp = jax.numpy
    X, Y, Ws = _mlp_inputs(batch, d_in, hidden, classes)
    X, Y, Ws = jax.device_put((X, Y, Ws), dev)
    vg = jax.value_and_grad(lambda Ws, X, Y: _mlp_loss(jnp, X, Y, *Ws))
    return _jax_call(_compile(jax, vg, Ws, X, Y), Ws, X, Y)


gpu_mlp_numpy = mlp_numpy


# ------------------------------------------------------------------------------ table
def _per_library(prefix, names):
    """{library: setup} from the functions ``<prefix>_<library>`` of this module."""
    g = globals()
    return {name: g[f"{prefix}_{name.replace('-', '_')}"] for name in names}


PEERS = ("chainrule", "chainrule-compiled", "numpy", "torch", "jax", "jax-jit", "autograd",
         "mygrad")
GPU_PEERS = ("chainrule", "cupy", "torch", "jax-jit", "numpy")
GPU_NOTES = {"chainrule": "eager chainrule on CuPy arrays",
             "cupy": "gradients written by hand on CuPy arrays (the GPU floor)",
             "torch": "PyTorch eager on CUDA", "jax-jit": "jax.jit on the GPU",
             "numpy": "gradients written by hand in NumPy, on the CPU (the reference)"}

WORKLOADS = {
    "overhead": Workload(
        description="elementwise chain y = sin(y)*1.01 + 0.1*y on 8 float64 elements, "
                    "forward + backward",
        params={"n": 8, "steps": 100},
        small={"n": 8, "steps": 3},
        ops=lambda n, steps: 4 * steps + 2,
        libraries=_per_library("overhead", PEERS),
        targets=(Target("torch", 1 / 3, "at least 3x faster than PyTorch"),
                 Target("numpy", 3.0, "at most 3x hand-written NumPy"),
                 Target("numpy", 1.2, "compiled: at most 1.2x hand-written NumPy",
                        "chainrule-compiled")),
    ),
    "deep": Workload(
        description="scalar chain y = y*0.999 + 0.001 (0-d values), forward + backward",
        params={"steps": 20000},
        small={"steps": 50},
        ops=lambda steps: 2 * steps,
        libraries=_per_library("deep", ("chainrule", "chainrule-compiled", "numpy", "torch",
                                        "jax", "autograd",
                                        "mygrad")),
        repeats=3, rounds=3, warmup=0,
        targets=(Target("torch", 1 / 5, "at least 5x faster than PyTorch"),
                 Target("numpy", 1.5, "compiled: at most 1.5x hand-written NumPy",
                        "chainrule-compiled")),
        notes={"jax": "no jax-jit row: XLA did not finish compiling the unrolled "
                      "40,000-op chain in 5 minutes"},
    ),
    "mlp": Workload(
        description="784-256-256-10 tanh MLP, softmax cross-entropy, batch 64: loss and "
                    "the gradients of the 3 weight matrices",
        params={"batch": 64, "d_in": 784, "hidden": 256, "classes": 10},
        small={"batch": 4, "d_in": 12, "hidden": 8, "classes": 3},
        libraries=_per_library("mlp", PEERS),
        repeats=20, rounds=4,
        targets=(Target("numpy", 1.1, "at most 1.1x hand-written NumPy"),
                 Target("numpy", 1.0, "compiled: at most hand-written NumPy's time",
                        "chainrule-compiled")),
    ),
    "hessian": Workload(
        description="Hessian of sum(tanh(W @ x)) + x @ x / 2, x in R^100",
        params={"n": 100},
        small={"n": 5},
        libraries=_per_library("hessian", ("chainrule", "chainrule-compiled", "numpy",
                                           "torch", "torch-func",
                                           "jax", "jax-jit", "autograd")),
        repeats=20, rounds=4,
        targets=(Target("torch", 1 / 10, "at least 10x faster than PyTorch "
                                         "(torch.autograd.functional.hessian)"),
                 Target("chainrule", 1.0, "compiled: at least as fast as eager",
                        "chainrule-compiled")),
        notes={"torch": "torch.autograd.functional.hessian",
               "torch-func": "torch.func.hessian (jacfwd of jacrev)",
               "autograd": "autograd.hessian (reverse over reverse)"},
    ),
    "jacobian": Workload(
        description="forward-mode Jacobian of sin(A @ x), R^10 -> R^1000",
        params={"n_in": 10, "n_out": 1000},
        small={"n_in": 3, "n_out": 7},
        libraries=_per_library("jacobian", ("chainrule", "chainrule-compiled", "numpy",
                                            "torch", "torch-func",
                                            "jax", "jax-jit", "autograd")),
        repeats=20, rounds=4,
        targets=(Target("torch-func", 1 / 2, "at least 2x faster than torch.func.jacfwd"),
                 Target("chainrule", 1.0, "compiled: at least as fast as eager",
                        "chainrule-compiled")),
        notes={"torch": "torch.autograd.functional.jacobian(vectorize=True, "
                        "strategy='forward-mode')",
               "torch-func": "torch.func.jacfwd",
               "autograd": "autograd.jacobian is reverse mode (one backward pass per "
                           "output): autograd has no forward-mode Jacobian"},
    ),
    "compile": Workload(
        description="first call of a compiled value_and_grad of the overhead chain (402 "
                    "ops): trace, optimize, generate code, run",
        params={"n": 8, "steps": 100},
        small={"n": 8, "steps": 3},
        libraries=_per_library("compile", ("chainrule-compiled", "numpy", "jax-jit")),
        repeats=10, rounds=2, warmup=1,
        targets=(Target("chainrule-compiled", math.inf, "compiled: first call under 50 ms",
                        "chainrule-compiled", max_ms=50.0),),
        notes={"chainrule-compiled": "cr.compile(cr.value_and_grad(loss)), made and called "
                                     "once per timed call",
               "jax-jit": "jax.jit(jax.value_and_grad(loss)), made and called once per "
                          "timed call",
               "numpy": "one call of the hand-written gradient (no compilation)"}
    ),
    "jacrev": Workload(
        description="reverse-mode Jacobian of tanh(W @ x), R^100 -> R^100",
        params={"n": 100},
        small={"n": 4},
        libraries=_per_library("jacrev", ("chainrule", "numpy", "torch", "torch-func",
                                          "jax", "jax-jit", "autograd")),
        repeats=20, rounds=4,
        targets=(Target("torch-func", 2.0, "within 2x of torch.func.jacrev"),),
        notes={"torch": "torch.autograd.functional.jacobian(vectorize=True)",
               "torch-func": "torch.func.jacrev (VJPs batched by vmap)",
               "autograd": "autograd.jacobian (one backward pass per output)"},
    ),
    "join": Workload(
        description="16,000 pieces of a vector joined back by stack (0-d pieces) and by "
                    "concatenate (length-1 slices), forward + backward",
        params={"n": 16000},
        small={"n": 5},
        libraries=_per_library("join", ("chainrule", "numpy", "torch", "autograd")),
        repeats=6, rounds=2, warmup=1,
        targets=(Target("torch", 2.0, "within 2x of PyTorch's torch.stack/torch.cat "
                                      "round trip"),),
    ),
    "memory": Workload(
        description="peak memory of one forward + backward through 100 layers "
                    "y = tanh(y)*1.01 on 10^6 float64 elements (8 MB per array)",
        params={"n": 1_000_000, "steps": 100},
        small={"n": 1000, "steps": 3},
        kind="memory",
        libraries=_per_library("memory", PEERS),
        rounds=2,
        targets=(Target("torch", 1.0, "peak no higher than PyTorch's"),
                 Target("chainrule", 1.0, "compiled: peak no higher than eager's",
                        "chainrule-compiled")),
    ),
    "no-grad": Workload(
        description="the overhead chain with nothing requiring grad (values only)",
        params={"n": 8, "steps": 100},
        small={"n": 8, "steps": 3},
        ops=lambda n, steps: 4 * steps + 2,
        libraries=_per_library("nograd", ("chainrule", "chainrule-no_grad",
                                          "chainrule-compiled", "numpy",
                                          "torch", "jax", "autograd", "mygrad")),
        targets=(Target("numpy", 1.5, "at most 1.5x plain NumPy"),),
        notes={"chainrule": "a cr.tensor without requires_grad",
               "chainrule-compiled": "cr.compile of the chain on plain arrays",
               "chainrule-no_grad": "a cr.tensor with requires_grad=True, inside "
                                    "cr.no_grad()",
               "mygrad": "a constant tensor"},
    ),
    "gpu-overhead": Workload(
        description="the overhead chain on a GPU (CuPy arrays; PyTorch and JAX on CUDA): "
                    "per-operation cost when every operation is a kernel launch",
        params={"n": 8, "steps": 100},
        small={"n": 8, "steps": 3},
        ops=lambda n, steps: 4 * steps + 2,
        libraries=_per_library("gpu_overhead", GPU_PEERS),
        device="gpu", repeats=10, rounds=2,
        notes=GPU_NOTES,
    ),
    "gpu-mlp": Workload(
        description="the MLP on a GPU at a size a GPU is for: batch 1024, 784-1024-1024-10, "
                    "float64",
        params={"batch": 1024, "d_in": 784, "hidden": 1024, "classes": 10},
        small={"batch": 4, "d_in": 12, "hidden": 8, "classes": 3},
        libraries=_per_library("gpu_mlp", GPU_PEERS),
        device="gpu", repeats=10, rounds=2, rtol=1e-7, atol=1e-10,
        notes=GPU_NOTES,
    ),
}
