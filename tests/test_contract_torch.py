"""Differential battery for SPEC §1: random NumPy programs on tensors against the same
programs in PyTorch (values, gradients, and Hessian-vector products with create_graph)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd

torch = pytest.importorskip("torch")


def _T(a):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64)


# name: (program on a chainrule tensor via NumPy names, the same program in PyTorch)
OPS = {
    "sin": (np.sin, torch.sin), "tanh": (np.tanh, torch.tanh),
    "exp": (lambda a: np.exp(a * 0.3), lambda a: torch.exp(a * 0.3)),
    "log1p_abs": (lambda a: np.log1p(np.abs(a)), lambda a: torch.log1p(torch.abs(a))),
    "pow": (lambda a: (a * a + 0.5) ** 1.5, lambda a: (a * a + 0.5) ** 1.5),
    "rpow": (lambda a: 2.0 ** a, lambda a: 2.0 ** a),
    "div": (lambda a: 1.0 / (a * a + 1), lambda a: 1.0 / (a * a + 1)),
    "mod": (lambda a: a % 0.7 - (a * a) % -0.6, lambda a: a % 0.7 - (a * a) % -0.6),
    "floordiv": (lambda a: a * (a // 0.5), lambda a: a * torch.floor(a / 0.5)),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), torch.sigmoid),
    "softplus": (lambda a: np.logaddexp(a, 0.0), torch.nn.functional.softplus),
    "abs": (abs, abs), "neg": (lambda a: -a, lambda a: -a),
    "T": (lambda a: a.T, lambda a: a.T),
    "matmul": (lambda a: (a @ a) * 0.3, lambda a: (a @ a) * 0.3),
    "rmatmul": (lambda a: np.eye(4)[::-1] @ a, lambda a: _T(np.eye(4)[::-1]) @ a),
    "cumsum": (lambda a: np.cumsum(a, axis=1), lambda a: torch.cumsum(a, 1)),
    "max_sub": (lambda a: a - np.max(a, axis=-1, keepdims=True),
                lambda a: a - a.amax(-1, keepdim=True)),
    "log_softmax": (lambda a: a - np.log(np.sum(np.exp(a), axis=-1, keepdims=True)),
                    lambda a: torch.log_softmax(a, -1)),
    "sort": (lambda a: np.sort(a, axis=-1), lambda a: torch.sort(a, -1).values),
    "where": (lambda a: np.where(a > 0.1, a, a * 0.1), lambda a: torch.where(a > 0.1, a, a * 0.1)),
    "compare": (lambda a: (a > 0) * a ** 2, lambda a: (a > 0) * a ** 2),
    "clip": (lambda a: np.clip(a, -0.7, 0.9), lambda a: torch.clamp(a, -0.7, 0.9)),
    "maximum": (lambda a: np.maximum(a, a.T), lambda a: torch.maximum(a, a.T)),
    "einsum": (lambda a: np.einsum("ij,kj->ik", a, a) * 0.2,
               lambda a: torch.einsum("ij,kj->ik", a, a) * 0.2),
    "norm": (lambda a: np.linalg.norm(a, axis=1, keepdims=True) + a,
             lambda a: torch.linalg.norm(a, dim=1, keepdim=True) + a),
    "inv": (lambda a: np.linalg.inv(a + 4 * np.eye(4)),
            lambda a: torch.linalg.inv(a + 4 * torch.eye(4, dtype=a.dtype))),
    "var": (lambda a: a - np.var(a, axis=0), lambda a: a - a.var(0, unbiased=False)),
    "prod": (lambda a: a * np.prod(a, axis=0), lambda a: a * torch.prod(a, 0)),
    "fancy": (lambda a: a[[3, 0, 0, 1]], lambda a: a[[3, 0, 0, 1]]),
    "slice": (lambda a: np.concatenate([a[1:, ::-1], a[:1]]),
              lambda a: torch.cat([torch.flip(a[1:], [1]), a[:1]])),
    "mask": (lambda a: a * a[a > 0].sum(), lambda a: a * a[a > 0].sum()),
    "stack": (lambda a: np.stack([a, a * 2]).sum(axis=0), lambda a: torch.stack([a, a * 2]).sum(0)),
    "reshape": (lambda a: a.reshape(2, 8).reshape(4, 4).T, lambda a: a.reshape(2, 8).reshape(4, 4).T),
}


def _setitem(a):
    y = a * 1.0
    y[1] = a[2] * 2
    y[:, 3] = a[:, 0] ** 2
    y[y > 1.2] = 0.5
    return y


OPS["setitem"] = (_setitem, _setitem)
NAMES = sorted(OPS)


def _program(rng):
    ops = [NAMES[i] for i in rng.integers(0, len(NAMES), rng.integers(1, 5))]

    def run(a, which):
        for o in ops:
            a = OPS[o][which](a)
        return a
    return ops, run


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_values_and_gradients_match_pytorch(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        ops, run = _program(rng)
        A, W = rng.uniform(-1.5, 1.5, (4, 4)), rng.standard_normal((4, 4))
        x, t = cr.tensor(A, requires_grad=True), _T(A).requires_grad_()
        loss, lt = (run(x, 0) * W).sum(), (run(t, 1) * _T(W)).sum()
        np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-9, atol=1e-12, err_msg=str(ops))
        loss.backward()
        lt.backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=str(ops))


@pytest.mark.parametrize("seed", range(3))
def test_random_programs_hessian_vector_products_match_pytorch(seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(15):
        ops, run = _program(rng)
        A, W, V = (rng.uniform(-1.5, 1.5, (4, 4)), rng.standard_normal((4, 4)),
                   rng.standard_normal((4, 4)))
        x, t = cr.tensor(A, requires_grad=True), _T(A).requires_grad_()
        (gt,) = torch.autograd.grad((run(t, 1) * _T(W)).sum(), t, create_graph=True)
        (g,) = autograd.grad((run(x, 0) * W).sum(), x, create_graph=True)
        np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-8, atol=1e-12)
        if not gt.requires_grad:        # linear program: no second derivative to take
            continue
        (ht,) = torch.autograd.grad((gt * _T(V)).sum(), t, allow_unused=True)
        (h,) = autograd.grad((g * V).sum(), x, allow_unused=True)
        ht = np.zeros((4, 4)) if ht is None else ht.numpy()
        h = np.zeros((4, 4)) if h is None else h.numpy()
        np.testing.assert_allclose(h, ht, rtol=1e-7, atol=1e-10, err_msg=str(ops))


def test_operators_match_pytorch_on_broadcast_operands():
    rng = np.random.default_rng(7)
    A, c = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (4,))
    for op in ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__mod__",
               "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__"]:
        x, y = cr.tensor(A, requires_grad=True), cr.tensor(c, requires_grad=True)
        tx, ty = _T(A).requires_grad_(), _T(c).requires_grad_()
        out, tout = getattr(x, op)(y), getattr(tx, op)(ty)
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), err_msg=op)
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), err_msg=op)
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), err_msg=op)
