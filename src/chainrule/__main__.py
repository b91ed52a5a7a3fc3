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


DEMO_PARTS = [d2l_first_example, __import__("chainrule.compiler.demo").compiler.demo.compiled_derivative]  # noqa: E501


def demo(out_dir="out", out=None):
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
    sub.add_parser("demo", help="run the demo (d2l's first autodiff example)",
                   description="Run the demo: d2l's first example, y = 2 x.x and its "
                               "gradient 4 x.")
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
        demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
