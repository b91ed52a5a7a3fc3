"""Benchmark workloads: for each, one function per library.

A workload is a :class:`Workload`: its default parameters, how many operations one call does
(the unit of the "µs per op" the runner reports), and for each library a *setup* function
``setup(**params) -> call``.  ``setup`` builds the inputs (not timed); ``call()`` runs the
forward and backward pass once (timed) and returns ``(loss, grad)`` as a float and an
ndarray, so the runner can check that every library computed the same thing.

Libraries are imported inside the setup functions: a library that is not installed only
skips its own row.  To add a workload, add an entry to :data:`WORKLOADS`.
"""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Workload:
    description: str
    params: dict
    ops: object                     # ops(**params) -> number of operations in one call
    libraries: dict = field(default_factory=dict)   # library name -> setup(**params)


# ------------------------------------------------------------------------------ overhead
# y = sin(y) * 1.01 + 0.1 * y, `steps` times (4 ops each), then (y * y).sum() (2 ops), and
# the gradient of that with respect to the input.  On 8 elements the arithmetic is nothing:
# what is measured is the per-operation cost of recording and of the backward sweep.

def _overhead_input(n):
    return np.linspace(-1.0, 1.0, n)


def overhead_chainrule(n, steps):
    import chainrule as cr
    x = cr.tensor(_overhead_input(n), requires_grad=True)

    def call():
        x.grad = None
        y = x
        for _ in range(steps):
            y = np.sin(y) * 1.01 + 0.1 * y
        loss = (y * y).sum()
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


def overhead_numpy(n, steps):
    """The same forward pass on ndarrays, and the backward pass derived by hand:
    d/dy [sin(y) * 1.01 + 0.1 * y] = 1.01 cos(y) + 0.1 (4 ops a step, as forward)."""
    x = _overhead_input(n)

    def call():
        y = x
        saved = []
        for _ in range(steps):
            saved.append(y)
            y = np.sin(y) * 1.01 + 0.1 * y
        loss = (y * y).sum()
        g = 2.0 * y
        for yp in reversed(saved):
            g = g * (np.cos(yp) * 1.01 + 0.1)
        return float(loss), g
    return call


def overhead_torch(n, steps):
    import torch
    torch.set_num_threads(1)
    x = torch.tensor(_overhead_input(n), dtype=torch.float64, requires_grad=True)

    def call():
        x.grad = None
        y = x
        for _ in range(steps):
            y = torch.sin(y) * 1.01 + 0.1 * y
        loss = (y * y).sum()
        loss.backward()
        return loss.item(), x.grad.numpy()
    return call


WORKLOADS = {
    "overhead": Workload(
        description="elementwise chain y = sin(y)*1.01 + 0.1*y on 8 float64 elements, "
                    "forward + backward",
        params={"n": 8, "steps": 100},
        ops=lambda n, steps: 4 * steps + 2,
        libraries={"chainrule": overhead_chainrule, "numpy": overhead_numpy,
                   "torch": overhead_torch},
    ),
}
