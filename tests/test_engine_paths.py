"""The engine's paths agree with each other: every tensor is made by one constructor (the same
fields, whichever path made it), multiple-results primitives gather their inputs as any other
operation, and what the backward pass frees is decided per primitive without changing what
PyTorch's rules allow (a node that saved nothing can be backed through again)."""
import ast
import pathlib

import numpy as np
import pytest

import chainrule as cr
from chainrule import engine, rules
from chainrule.tensor import Tensor, make_tensor

SRC = pathlib.Path(cr.__file__).parent


def _fields(t):
    """The slots of ``t`` that are set."""
    return {n for n in Tensor.__slots__ if n != "__weakref__" and hasattr(t, n)}


def test_every_path_makes_tensors_with_the_constructors_fields():
    base = _fields(make_tensor(np.ones(2), None, 0, None))
    assert base == {"data", "_node", "_level", "_tangent", "_base"}
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    made = {
        "tensor()": c,
        "apply1, recorded": np.sin(x),
        "apply1, keywords": np.sum(x, axis=0),
        "apply2, recorded": x * c,
        "apply2, constant": c * 2.0,
        "general path": np.concatenate([x, c]),
        "no_grad": cr.no_grad()(lambda: x * 2.0)(),
        "detach": x.detach(),
    }
    made.update({f"multiple results {i}": t for i, t in enumerate(np.divmod(x, 1.5))})
    for how, t in made.items():
        assert type(t) is Tensor, how
        assert _fields(t) == base, how
    leaf = cr.Tensor([1.0, 2.0], requires_grad=True)       # the public constructor
    assert _fields(leaf) == base and leaf.requires_grad and leaf.is_leaf


def test_tensors_are_allocated_in_one_place():
    """Only ``make_tensor`` allocates a Tensor (object.__new__ on it): its field layout is
    written once."""
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and any(
                    isinstance(a, ast.Name) and a.id == "Tensor" for a in node.args):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name in ("__new__", "_new", "partial"):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == ["tensor.py:" + found[0].split(":")[1]] and len(found) == 1, found


def test_multiple_results_gather_inputs_as_the_general_path_does():
    x = cr.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    w, q = engine.apply_multi(rules.eigh_p, (x,), {"UPLO": "L"})
    w2, _ = np.linalg.eigh(x)                 # the same primitive through NumPy's function
    np.testing.assert_allclose(w.numpy(), w2.numpy())
    assert w.requires_grad and q.requires_grad
    y = cr.tensor([[1.5, 2.5]], requires_grad=True) * 1.0
    v = y[0]                                  # a view, brought up to date before use
    frac, exp = np.frexp(v)                   # the integer output carries no gradient
    assert frac.requires_grad and not exp.requires_grad
    w.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(2), atol=1e-12)
    frac.sum().backward()
    with cr.no_grad():
        assert not np.divmod(y, 2.0)[0].requires_grad


def test_what_is_freed_is_decided_per_primitive():
    assert rules.sin_p.frees is True          # keeps its input
    assert rules.exp_p.frees is True          # keeps its output
    assert rules.multiply_p.frees is True     # each rule keeps the other input
    assert rules.add_p.frees is False         # keeps nothing
    assert rules.sum_p.frees is None          # keyword values only: looked at per node
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.reshape(3, 1)[1:] * 1.0 + 2.0).sum()       # shape ops save no arrays
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()                          # the multiply saved the constant
    z = (x.reshape(3, 1)[1:] + 2.0).sum()
    z.backward()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 3.0, 3.0])
    idx = np.array([2, 0])
    u = (x[idx] - 1.0).sum()                  # an index array is freed with the node
    u.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        u.backward()


def test_joint_rules_give_all_cotangents_at_once():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0], requires_grad=True)
    c = cr.tensor([4.0])
    y = (np.concatenate([a, c, b]) * np.arange(1.0, 5.0)).sum()
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(b.grad.numpy(), [4.0])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_an_anomaly_in_a_node_made_outside_detect_anomaly_says_so():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    y = np.sqrt(x).sum()
    with cr.detect_anomaly():
        with pytest.raises(FloatingPointError, match="made outside detect_anomaly"):
            y.backward()


def test_a_version_counter_is_made_when_a_view_or_write_needs_it():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    assert not hasattr(y, "_vc")
    v = y[1:]                                 # base and view share one counter
    assert v._vc is y._vc
    y[0] = 5.0                                # a write through the base, outside the view
    (v * v).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 16.0, 24.0])
    w = x * 1.0
    s = w * w                                 # saves w
    w += 1.0                                  # an in-place write on a tensor made without one
    with pytest.raises(RuntimeError, match="in-place"):
        s.sum().backward()
