"""The command line: ``python -m chainrule demo`` (also installed as ``chainrule``).

The demo is a list of parts (:data:`DEMO_PARTS`), each a function ``part(out_dir, out)`` that
prints to the text stream ``out`` and may write files into ``out_dir``.  A new part (a plot,
a graph, an explained sweep) is one more function in that list.
"""
import argparse
import os
import sys

import numpy as np

import chainrule as cr

__all__ = ["demo", "main", "DEMO_PARTS"]


def d2l_first_example(out_dir, out):
    """The first example of the "Automatic Differentiation" chapter of *Dive into Deep
    Learning*: ``y = 2 x.x`` has the gradient ``4 x``.  Returns ``x.grad`` as an ndarray."""
    p = lambda *a: print(*a, file=out)   # noqa: E731
    p('Dive into Deep Learning, "Automatic Differentiation", the first example:')
    p(">>> x = cr.tensor(np.arange(4.0), requires_grad=True)")
    x = cr.tensor(np.arange(4.0), requires_grad=True)
    p(f"x = {x!r}")
    p(">>> y = 2 * np.dot(x, x)")
    y = 2 * np.dot(x, x)
    p(f"y = {y!r}")
    p(">>> y.backward()")
    y.backward()
    p(f"x.grad = {x.grad!r}")
    p(f"x.grad == 4 * x: {bool((x.grad == 4 * x).all())}")
    return x.grad.numpy()


def exercise(x):
    """The d2l exercise function, ``f(x) = log(x**2) * sin(x) + 1/x``."""
    return np.log(x ** 2) * np.sin(x) + 1 / x


def sin_plot(out_dir, out):
    """Plot sin and its derivative (by the engine) into ``sin_derivative.png``; returns the
    path, or ``None`` without matplotlib."""
    p = lambda *a: print(*a, file=out)   # noqa: E731
    p("sin and its derivative, computed by chainrule (cr.plot(np.sin, x)):")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        p("  skipped: matplotlib is not installed (python -m pip install matplotlib)")
        return None
    x = np.linspace(-2 * np.pi, 2 * np.pi, 400)
    ax = cr.plot(np.sin, x, orders=(0, 1))
    ax.figure.set_size_inches(7, 3.6)
    path = os.path.join(_ensure(out_dir), "sin_derivative.png")
    ax.figure.savefig(path, dpi=110)
    plt.close(ax.figure)
    p(f"  wrote {path}")
    return path


def exercise_graph(out_dir, out):
    """Draw the graph of the exercise function: ``exercise_graph.svg`` (or ``.dot`` without
    Graphviz), and its text drawing.  Returns the path written."""
    p = lambda *a: print(*a, file=out)   # noqa: E731
    p("The graph of f(x) = log(x**2) * sin(x) + 1/x (cr.graph(f, 2.0)):")
    p(cr.graph(exercise, 2.0))
    # the picture carries the chain rule's terms: values, local partials on the arrows, and
    # each node's adjoint df/dv
    g = cr.graph(exercise, 2.0, values=True, grads=True, partials=True)
    base = os.path.join(_ensure(out_dir), "exercise_graph")
    try:
        path = g.render(base + ".svg")
    except cr.GraphvizMissing:
        path = g.render(base + ".dot")
        p("  (Graphviz is not installed, so the graph is written as DOT text; install it to "
          "get the picture: python -m pip install graphviz, and the `dot` program)")
    p(f"  wrote {path}")
    return path


def exercise_sweeps(out_dir, out):
    """Print the chain rule on the exercise graph: the table, then the forward and the
    reverse sweep.  Returns the :class:`~chainrule.Explanation`."""
    p = lambda *a: print(*a, file=out)   # noqa: E731
    p("The chain rule on that graph at x = 2 (cr.explain(f, 2.0)):")
    e = cr.explain(exercise, 2.0)
    p(e)
    p()
    p(e.forward_sweep())
    p()
    p(e.reverse_sweep())
    p(f"\ncr.grad(f)(2.0) = {float(cr.grad(exercise)(2.0)):.10g}")
    return e


def second_derivative_cost(out_dir, out):
    """Print what the value, gradient and Hessian of the exercise function cost."""
    p = lambda *a: print(*a, file=out)   # noqa: E731
    p("Why second derivatives cost more (cr.cost(f, 2.0)):")
    c = cr.cost(exercise, 2.0, budget=0.05)
    p(c)
    return c


def _ensure(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    return str(out_dir)


DEMO_PARTS = [d2l_first_example, sin_plot, exercise_graph, exercise_sweeps,
              second_derivative_cost]


def demo(out_dir="chainrule-demo", out=None):
    """Run every part of the demo, printing to ``out`` (default: stdout).

    ``out_dir`` is where parts that make files write them; it is created only by a part that
    writes something.  Returns the parts' results, in order.
    """
    out = sys.stdout if out is None else out
    results = []
    for i, part in enumerate(DEMO_PARTS):
        if i:
            print(file=out)
        results.append(part(out_dir, out))
    return results


def _parser():
    prog = os.path.basename(sys.argv[0] or "chainrule")
    parser = argparse.ArgumentParser(
        prog="python -m chainrule" if prog == "__main__.py" else prog,
        description="chainrule: automatic differentiation for plain NumPy code.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    d = sub.add_parser("demo", help="run the demo: d2l's examples, a plot, a graph, the chain "
                                    "rule step by step",
                       description="Run the demo: d2l's first example (y = 2 x.x, gradient "
                                   "4 x); a plot of sin and its derivative (sin_derivative.png)"
                                   "; the graph of f(x) = log(x**2) sin(x) + 1/x "
                                   "(exercise_graph.svg, or .dot without Graphviz); its "
                                   "forward and reverse sweeps; what second derivatives cost.")
    d.add_argument("--out", default="chainrule-demo", metavar="DIR",
                   help="where to write the pictures (default: ./chainrule-demo)")
    return parser


def main(argv=None):
    """Entry point of ``python -m chainrule``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)   # an unknown command exits 2 with "invalid choice"
    if args.command is None:
        parser.print_help(sys.stderr)
        print("\nerror: name a command, e.g. `python -m chainrule demo`", file=sys.stderr)
        return 2
    if args.command == "demo":
        demo(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
