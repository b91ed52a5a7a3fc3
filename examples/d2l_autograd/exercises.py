"""The exercises of Dive into Deep Learning's "Automatic Differentiation", solved with chainrule.

    python examples/d2l_autograd/exercises.py [OUT_DIR]

prints each answer and writes the plot of sin and its derivative (and the drawing of the
dependency graph of f(x) = log(x**2) sin(x) + 1/x) into OUT_DIR (default: a new temporary
directory).  Every answer is asserted, so the script fails if chainrule's behaviour changes.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import timeit

import numpy as np

import chainrule as cr
from chainrule import autograd


def _best(fun, number=3, repeat=3):
    """Seconds per call, the best of ``repeat`` runs (the least disturbed by other work)."""
    return min(timeit.repeat(fun, number=number, repeat=repeat)) / number


# ---------------------------------------------------------------------- exercise 1
def second_derivative_cost(n=64, seed=0):
    """Why is the second derivative more expensive than the first?

    The first derivative is one backward sweep over the graph of f.  That sweep is itself a
    computation, several times the size of f's graph (each operation's derivative rule is a
    few operations), and a second derivative differentiates *it*, once per input direction:
    the Hessian of f: R^n -> R is n Hessian-vector products.  Measured by ``cr.cost``:
    operations recorded and time for the gradient and for the Hessian.
    """
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    f = lambda x: np.sum(np.tanh(a @ x) ** 2)            # noqa: E731
    x0 = rng.standard_normal(n)
    report = cr.cost(f, x0, budget=0.05)
    rows = {r["what"]: r for r in report.rows}
    ops_grad, ops_hess = rows["gradient"]["recorded"], rows["Hessian"]["recorded"]
    t_grad, t_hess = rows["gradient"]["seconds"], rows["Hessian"]["seconds"]
    assert ops_hess > ops_grad                           # the backward sweep is recorded too
    assert t_hess > t_grad                               # and differentiating it costs more
    # row k of the Hessian is the gradient of the gradient's k-th entry
    x = cr.tensor(x0, requires_grad=True)
    (dy,) = autograd.grad(f(x), x, create_graph=True)    # the first derivative, recorded
    (row,) = autograd.grad(dy[3], x)
    h = cr.hessian(f)(x0)
    assert np.allclose(row.numpy(), h[3]) and np.allclose(h, h.T)
    print(f"1. f(x) = sum(tanh(A x)^2), x in R^{n}: the gradient records {ops_grad} operations "
          f"and takes {t_grad * 1e3:.2f} ms; the Hessian records {ops_hess} (f and its backward "
          f"sweep) and takes {t_hess * 1e3:.2f} ms, {t_hess / t_grad:.1f} times as long: it is "
          f"{n} Hessian-vector products, forward-mode sweeps (pushed as one batch of {n} "
          "tangents) over the bigger graph of the gradient.")
    print(report)
    return {"ops_grad": ops_grad, "ops_hess": ops_hess, "time_ratio": t_hess / t_grad}


# ---------------------------------------------------------------------- exercise 2
def second_backward():
    """What happens when backward runs again right after the first?"""
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    y = 2 * np.dot(x, x)
    y.backward()
    try:
        y.backward()
    except RuntimeError as err:
        message = str(err)
    else:
        raise AssertionError("a second backward through a freed graph must raise")
    assert "retain_graph=True" in message
    y = 2 * np.dot(x, x)
    x.grad = None
    y.backward(retain_graph=True)
    y.backward()
    assert (x.grad == 8 * x).all()                       # requires_grad leaves accumulate
    m = cr.tensor(np.arange(4.0))
    m.attach_grad()
    with autograd.record():
        y = 2 * np.dot(m, m)
    y.backward(retain_graph=True)
    y.backward()
    assert (m.grad == 4 * m).all()                       # attach_grad leaves are overwritten
    t = cr.Variable(np.arange(4.0))
    with cr.GradientTape() as tape:
        y = 2 * np.dot(t, t)
    tape.gradient(y, t)
    try:
        tape.gradient(y, t)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a non-persistent tape answers once")
    print("2. A second backward raises RuntimeError (the first freed what the graph saved):\n"
          f"   {message}\n   With retain_graph=True it runs: .grad of a requires_grad leaf "
          "accumulates (8x, PyTorch), of an attach_grad leaf is overwritten (4x, MXNet); a "
          "non-persistent GradientTape answers once; cr.grad (JAX) can be called any number of "
          "times.")
    return message


# ---------------------------------------------------------------------- exercise 3
def f_control(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow_vector_and_matrix(seed=1):
    """With a vector or a matrix ``a``, f(a) = k a for one scalar k (the loop and the branch
    look at the whole array), so backward() (which sums f(a)) gives k everywhere, a.grad ==
    d / a, and the Jacobian is k times the identity: each output depends only on its own
    input, all with the same factor."""
    rng = np.random.default_rng(seed)
    out = {}
    for shape in [(3,), (2, 2)]:
        a = cr.tensor(rng.standard_normal(shape), requires_grad=True)
        d = f_control(a)
        d.backward()
        k = (d / a).numpy()
        assert np.allclose(a.grad.numpy(), k) and np.allclose(k, k.flat[0])
        jac = cr.jacobian(f_control)(a.numpy())
        assert jac.shape == shape + shape
        eye = np.eye(a.size).reshape(shape + shape)
        assert np.allclose(jac, k.flat[0] * eye)
        out[shape] = (k.flat[0], jac)
        print(f"3. a of shape {shape}: f(a) = {k.flat[0]:g} a; backward() sums f(a), so a.grad "
              f"= {k.flat[0]:g} everywhere (= d / a); the Jacobian has shape {jac.shape} and is "
              f"{k.flat[0]:g} times the identity.")
    return out


# ---------------------------------------------------------------------- exercise 4
def plot_sin_and_derivative(out_dir):
    """f = sin and f' computed by chainrule (never calling cos), plotted to a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = np.linspace(-2 * np.pi, 2 * np.pi, 201)
    dy = cr.elementwise_grad(np.sin)(x)
    assert np.allclose(dy, np.cos(x))                    # checked against cos, not computed by it
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(x, np.sin(x), label="f(x) = sin(x)")
    ax.plot(x, dy, "--", label="f'(x) by chainrule")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("x")
    ax.set_ylim(-1.2, 1.55)
    ax.legend(loc="upper center", ncol=2, frameon=False)
    ax.set_title("sin and its derivative, computed by automatic differentiation")
    fig.tight_layout()
    path = os.path.join(out_dir, "sin_and_derivative.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"4. Plot of sin and its derivative written to {path}")
    return path


# ---------------------------------------------------------------------- exercises 5-7
def f_exercise(x):
    return np.log(x ** 2) * np.sin(x) + 1 / x


def df_exercise(x):
    """The derivative by hand: 2 sin(x) / x + log(x**2) cos(x) - 1 / x**2."""
    return 2 * np.sin(x) / x + np.log(x ** 2) * np.cos(x) - 1 / x ** 2


# the dependency graph of f: each node, the operation that makes it and its inputs
STEPS = [
    ("v1", "x ** 2", lambda x: x ** 2, ("x",)),
    ("v2", "log(v1)", np.log, ("v1",)),
    ("v3", "sin(x)", np.sin, ("x",)),
    ("v4", "v2 * v3", np.multiply, ("v2", "v3")),
    ("v5", "1 / x", lambda x: 1 / x, ("x",)),
    ("f", "v4 + v5", np.add, ("v4", "v5")),
]


def local_partials(x0):
    """Each node's value and its local partial derivatives (d node / d input) at ``x0``, the
    terms of the chain rule, each computed by ``cr.jvp`` of the node's operation alone."""
    value, partials = {"x": x0}, {}
    for name, _, op, inputs in STEPS:
        args = tuple(value[i] for i in inputs)
        value[name] = op(*args)
        for k, i in enumerate(inputs):
            unit = tuple(1.0 if j == k else 0.0 for j in range(len(args)))
            partials[name, i] = float(cr.jvp(op, args, unit)[1])
    return value, partials


def dependency_graph(out_dir, x0=2.0):
    """The graph from x to f(x), each edge labelled with its local derivative at ``x0``:
    printed, written as Graphviz DOT and drawn to PNG when ``dot`` is installed; and the
    graph chainrule records for ``f``, drawn by ``cr.graph``."""
    value, partials = local_partials(x0)
    lines = ["digraph f {", "  rankdir=LR;", "  nodesep=0.5;",
             f'  x [shape=box, label="x = {x0:g}"];']
    for name, text, _, inputs in STEPS:
        lines.append(f'  {name} [label="{name} = {text}\\n= {float(value[name]):.4g}"];')
        lines += [f'  {i} -> {name} [label="d{name}/d{i}\\n= {partials[name, i]:.4g}"];'
                  for i in inputs]
    lines.append("}")
    dot_text = "\n".join(lines)
    dot_path = os.path.join(out_dir, "f_dependency_graph.dot")
    with open(dot_path, "w") as fh:
        fh.write(dot_text + "\n")
    print(f"5. The dependency graph of f(x) = log(x**2) sin(x) + 1/x, with the local "
          f"derivatives at x = {x0:g}:")
    for name, text, _, inputs in STEPS:
        terms = ", ".join(f"d{name}/d{i} = {partials[name, i]:.6f}" for i in inputs)
        print(f"   {name:>2} = {text:<8}  {terms}")
    # the chain rule on that graph: df/dx = sum over paths of the product of the edges
    paths = (partials["v1", "x"] * partials["v2", "v1"] * partials["v4", "v2"]
             + partials["v3", "x"] * partials["v4", "v3"]) * partials["f", "v4"] \
        + partials["v5", "x"] * partials["f", "v5"]
    assert np.isclose(paths, df_exercise(x0))
    print(f"   the sum over the three paths from x to f of the products of their edges: "
          f"{paths:.6f} = df/dx")
    written = [dot_path]
    if shutil.which("dot"):
        png = os.path.join(out_dir, "f_dependency_graph.png")
        subprocess.run(["dot", "-Tpng", dot_path, "-o", png], check=True)
        written.append(png)
    g = cr.graph(f_exercise, x0)                         # what the engine records for f
    print(str(g))
    dot_file = os.path.join(out_dir, "f_graph_cr.dot")
    with open(dot_file, "w") as fh:
        fh.write(g.to_dot())
    written.append(dot_file)
    if shutil.which("dot"):
        written.append(g.render(os.path.join(out_dir, "f_graph_cr.png")))
    print(f"   written: {', '.join(written)}")
    return written


def forward_accumulation(x0):
    """From x to f: each node's tangent dv/dx, pushed forward by ``cr.jvp`` of its operation."""
    value, tangent = {"x": x0}, {"x": 1.0}
    rows = []
    for name, text, op, inputs in STEPS:
        v, t = cr.jvp(op, tuple(value[i] for i in inputs), tuple(tangent[i] for i in inputs))
        value[name], tangent[name] = v, t
        rows.append((name, text, float(v), float(t)))
    return tangent["f"], rows


def reverse_accumulation(x0):
    """From f back to x: each node's adjoint df/dv, pulled back by ``cr.vjp`` of the
    operations that use it (the values come from one forward sweep first)."""
    value, pullbacks = {"x": x0}, {}
    for name, text, op, inputs in STEPS:
        value[name], pullbacks[name] = cr.vjp(op, *(value[i] for i in inputs))
    adjoint = {"f": 1.0}
    rows = []
    for name, text, op, inputs in reversed(STEPS):
        g = adjoint[name]
        rows.append((name, text, float(value[name]), float(g)))
        for i, gi in zip(inputs, pullbacks[name](g)):
            adjoint[i] = adjoint.get(i, 0.0) + gi
    rows.append(("x", "input", float(x0), float(adjoint["x"])))
    return adjoint["x"], rows


def chain_rule_both_ways(x0=2.0):
    """Exercises 6 and 7: df/dx by the chain rule on the graph, once from x to f (forward
    accumulation) and once from f back to x (reverse accumulation)."""
    fwd, frows = forward_accumulation(x0)
    rev, rrows = reverse_accumulation(x0)
    exact = df_exercise(x0)
    assert np.isclose(fwd, exact) and np.isclose(rev, exact)
    assert np.isclose(cr.grad(f_exercise)(x0), exact)
    print(f"6-7. df/dx at x = {x0}; by hand: 2 sin(x)/x + log(x^2) cos(x) - 1/x^2 = {exact:.6f}")
    print("   forward accumulation (x -> f), tangent dv/dx of each node:")
    for name, text, v, t in frows:
        print(f"     {name:>2} = {text:<8} value {v: .6f}   dv/dx {t: .6f}")
    print("   reverse accumulation (f -> x), adjoint df/dv of each node:")
    for name, text, v, g in rrows:
        print(f"     {name:>2} = {text:<8} value {v: .6f}   df/dv {g: .6f}")
    e = cr.explain(f_exercise, x0)                       # chainrule's account of both sweeps
    print(e)
    assert np.isclose(float(e.forward), exact) and np.isclose(float(e.reverse), exact)
    return fwd, rev


# ---------------------------------------------------------------------- exercise 8
def when_forward_mode_wins(small=4, large=400, seed=0):
    """Forward mode costs one sweep per *input*, reverse mode one per *output*, and reverse
    mode keeps every intermediate for the backward sweep.  So forward mode wins for tall
    Jacobians (few inputs, many outputs) and reverse mode for wide ones (many inputs, few
    outputs: a loss of many parameters, the usual case in deep learning)."""
    rng = np.random.default_rng(seed)
    times = {}
    for kind, (n_in, n_out) in {"tall": (small, large), "wide": (large, small)}.items():
        a = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
        fun = lambda x, a=a: np.tanh(a @ np.sin(x))     # noqa: E731
        x = rng.standard_normal(n_in)
        assert np.allclose(cr.jacfwd(fun)(x), cr.jacrev(fun)(x))
        t_fwd = _best(lambda: cr.jacfwd(fun)(x))
        t_rev = _best(lambda: cr.jacrev(fun)(x))
        times[kind] = (t_fwd, t_rev)
        print(f"8. {kind} Jacobian ({n_out} x {n_in}): jacfwd {t_fwd * 1e3:.2f} ms, jacrev "
              f"{t_rev * 1e3:.2f} ms; jacrev / jacfwd = {t_rev / t_fwd:.2g}")
    # generous margins: the sizes differ a hundredfold, the times by far more than 3x
    assert times["tall"][0] * 3 < times["tall"][1], "forward mode should win on a tall Jacobian"
    assert times["wide"][1] * 3 < times["wide"][0], "reverse mode should win on a wide Jacobian"
    return times


# ---------------------------------------------------------------------- exercise 9
def second_price_auction(bids=(3.0, 7.5, 5.0, 1.0)):
    """In a second-price auction the winner pays the second-highest bid.  The price's
    gradient with respect to the winning bid is 0 (raising or lowering a winning bid a little
    does not change what the winner pays); with respect to the runner-up's bid it is 1."""
    bids = np.asarray(bids, dtype=float)
    price = lambda b: np.sort(b)[-2]                     # noqa: E731
    g = cr.grad(price)(bids)
    winner, runner_up = int(np.argmax(bids)), int(np.argsort(bids)[-2])
    assert price(bids) == 5.0
    assert g[winner] == 0.0 and g[runner_up] == 1.0 and g.sum() == 1.0
    print(f"9. bids {bids.tolist()}: price {price(bids)}; d price / d bids = {g.tolist()}: 0 for "
          f"the winning bid (bidder {winner}), 1 for the runner-up (bidder {runner_up}).")
    return g


def main(out_dir=None):
    out_dir = out_dir or tempfile.mkdtemp(prefix="d2l_autograd_")
    os.makedirs(out_dir, exist_ok=True)
    results = {
        "cost": second_derivative_cost(),
        "second_backward": second_backward(),
        "control_flow": control_flow_vector_and_matrix(),
        "plot": plot_sin_and_derivative(out_dir),
        "auction": second_price_auction(),
        "forward_wins": when_forward_mode_wins(),
        "graph": dependency_graph(out_dir),
        "chain_rule": chain_rule_both_ways(),
    }
    return results


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
