"""cr.optim: the tensor style and the functional style, against closed forms and, when
torch is installed, against torch.optim step for step."""
import dataclasses
import math
from typing import NamedTuple

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

OPTION_SETS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, momentum=0.8)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.9, alpha=0.7)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in o.items())}" for n, o in OPTION_SETS]


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3))
    y = rng.normal(size=8)
    return x, y, rng.normal(size=3), 0.3


# ---------------------------------------------------------------------- torch
@pytest.mark.parametrize("name,opts", OPTION_SETS, ids=IDS)
def test_matches_torch_over_100_steps(name, opts):
    torch = pytest.importorskip("torch")
    x, y, w0, b0 = _data()
    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, name)([tw, tb], **opts, foreach=False)
    cw = cr.tensor(w0, requires_grad=True)
    cb = cr.tensor(b0, requires_grad=True)
    copt = getattr(optim, name)([cw, cb], **opts)
    fopt = getattr(optim, name)(**opts)
    params = {"w": w0.copy(), "b": np.float64(b0)}
    state = fopt.init(params)
    tx, ty = torch.tensor(x), torch.tensor(y)
    sign = -1.0 if opts.get("maximize") else 1.0     # maximize the negated loss
    for _ in range(100):
        topt.zero_grad()
        tl = sign * torch.mean((torch.tanh(tx @ tw) + tb - ty) ** 2)
        tl.backward()
        topt.step()

        copt.zero_grad()
        cl = sign * np.mean((np.tanh(x @ cw) + cb - y) ** 2)
        cl.backward()
        copt.step()

        grads = cr.grad(lambda p: sign * np.mean((np.tanh(x @ p["w"]) + p["b"] - y) ** 2))(params)
        params, state = fopt.update(grads, state, params)
    np.testing.assert_allclose(cw.numpy(), tw.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cb.numpy(), tb.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(params["w"], tw.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(params["b"], tb.detach().numpy(), rtol=0, atol=1e-12)
    assert not np.allclose(params["w"], w0)           # it moved


@pytest.mark.parametrize("name,opts", [OPTION_SETS[1], OPTION_SETS[6], OPTION_SETS[12]],
                         ids=[IDS[1], IDS[6], IDS[12]])
def test_complex_parameters_match_torch(name, opts):
    torch = pytest.importorskip("torch")
    z0 = np.array([1.0 + 2.0j, -0.5 + 0.1j])
    tz = torch.tensor(z0, requires_grad=True)
    topt = getattr(torch.optim, name)([tz], **opts, foreach=False)
    cz = cr.tensor(z0, requires_grad=True)
    copt = getattr(optim, name)([cz], **opts)
    fopt = getattr(optim, name)(**opts)
    z, state = z0.copy(), fopt.init(z0)
    target = np.array([0.3 - 1j, 2.0 + 0.5j])
    for _ in range(30):
        topt.zero_grad()
        (torch.abs(tz - torch.tensor(target)) ** 2).sum().backward()
        topt.step()
        copt.zero_grad()
        (np.abs(cz - target) ** 2).sum().backward()
        copt.step()
        g = 2 * np.conj(z - target)     # cr.grad's (JAX's) convention, SPEC section 5
        z, state = fopt.update(g, state, z)
    np.testing.assert_allclose(cz.numpy(), tz.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(z, tz.detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("sched,args", [("StepLR", dict(step_size=3, gamma=0.5)),
                                        ("ExponentialLR", dict(gamma=0.9)),
                                        ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001))])
def test_schedules_match_torch(sched, args):
    torch = pytest.importorskip("torch")
    tw = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.5)
    tsched = getattr(torch.optim.lr_scheduler, sched)(topt, **args)
    cw = cr.tensor([1.0, 2.0], requires_grad=True)
    copt = optim.SGD([cw], lr=0.1, momentum=0.5)
    csched = getattr(optim, sched)(copt, **args)
    for _ in range(20):
        ((tw - 3) ** 2).sum().backward()
        topt.step(); topt.zero_grad(); tsched.step()
        ((cw - 3) ** 2).sum().backward()
        copt.step(); copt.zero_grad(); csched.step()
        assert csched.get_last_lr() == pytest.approx(tsched.get_last_lr(), abs=1e-15)
    np.testing.assert_allclose(cw.numpy(), tw.detach().numpy(), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------- closed forms
def test_sgd_first_steps_closed_form():
    w = cr.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(2):
        opt.zero_grad()
        (3 * w).sum().backward()          # gradient 3, plus 0.5 * w from weight decay
        opt.step()
    g1 = 3 + 0.5 * np.array([1.0, -2.0])
    w1 = np.array([1.0, -2.0]) - 0.1 * g1
    b2 = 0.9 * g1 + (3 + 0.5 * w1)
    np.testing.assert_allclose(w.numpy(), w1 - 0.1 * b2, rtol=1e-15)


def test_nesterov_first_step_closed_form():
    p, opt = np.array([2.0]), optim.SGD(lr=0.1, momentum=0.9, nesterov=True)
    p, s = opt.update(np.array([1.0]), opt.init(p), p)
    np.testing.assert_allclose(p, [2.0 - 0.1 * (1 + 0.9)])
    assert s.count == 1 and s.slots[0]["momentum_buffer"] == 1.0


def test_adam_first_step_is_lr_times_sign():
    rng = np.random.default_rng(1)
    p, g = rng.normal(size=5), rng.normal(size=5)
    opt = optim.Adam(lr=0.01, eps=0.0)
    new, state = opt.update(g, opt.init(p), p)
    np.testing.assert_allclose(new, p - 0.01 * np.sign(g), rtol=1e-14)
    np.testing.assert_allclose(state.slots[0]["exp_avg"], 0.1 * g)
    np.testing.assert_allclose(state.slots[0]["exp_avg_sq"], 0.001 * g * g)


def test_adamw_decays_before_the_step_and_adam_through_the_gradient():
    p, g = np.array([2.0]), np.array([1.0])
    w = optim.AdamW(lr=0.1, weight_decay=0.5, eps=0.0)
    np.testing.assert_allclose(w.update(g, w.init(p), p)[0], [2.0 * (1 - 0.05) - 0.1])
    a = optim.Adam(lr=0.1, weight_decay=0.5, eps=0.0)
    np.testing.assert_allclose(a.update(g, a.init(p), p)[0], [2.0 - 0.1])   # sign(1 + 1)


def test_rmsprop_centered_first_step():
    p, g = np.array([1.0]), np.array([2.0])
    opt = optim.RMSprop(lr=0.01, alpha=0.5, eps=0.0, centered=True)
    new, _ = opt.update(g, opt.init(p), p)
    v, gbar = 0.5 * 4.0, 0.5 * 2.0
    np.testing.assert_allclose(new, [1.0 - 0.01 * 2.0 / math.sqrt(v - gbar ** 2)])


def test_training_converges_tensor_style_and_functional_style():
    x, y, w0, b0 = _data()
    w = cr.tensor(w0, requires_grad=True)
    opt = optim.Adam([w], lr=0.05)
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = np.mean((x @ w - y) ** 2)
        first = float(loss) if first is None else first
        loss.backward()
        opt.step()
    best = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(w.numpy(), best, atol=1e-3)
    opt = optim.RMSprop(lr=0.01)
    p = w0.copy()
    s = opt.init(p)
    for _ in range(400):
        p, s = opt.update(cr.grad(lambda p: np.mean((x @ p - y) ** 2))(p), s, p)
    np.testing.assert_allclose(p, best, atol=2e-2)


@dataclasses.dataclass
class Linear:
    w: np.ndarray
    b: float


class Pair(NamedTuple):
    first: Linear
    second: list


def test_functional_style_keeps_the_tree_structure_dataclasses_and_named_tuples():
    params = Pair(Linear(np.ones(2), 0.5), [np.zeros(3), {"s": 1.0}])
    loss = lambda p: (np.sum(p.first.w ** 2) + p.first.b ** 2 + np.sum(p.second[0] - 1) ** 2
                      + p.second[1]["s"] ** 2)
    opt = optim.SGD(lr=0.1)
    state = opt.init(params)
    grads = cr.grad(loss)(params)
    assert isinstance(grads, Pair) and isinstance(grads.first, Linear)
    new, state = opt.update(grads, state, params)
    assert isinstance(new, Pair) and isinstance(new.first, Linear)
    np.testing.assert_allclose(new.first.w, [0.8, 0.8])
    np.testing.assert_allclose(new.first.b, 0.4)
    np.testing.assert_allclose(new.second[0], [0.6, 0.6, 0.6])   # d/dx (sum - 1)^2 = 2*(-3)
    np.testing.assert_allclose(new.second[1]["s"], 0.8)
    assert state.count == 1


def test_functional_update_is_pure_and_none_grads_skip():
    opt = optim.SGD(lr=0.1, momentum=0.9)
    params = [np.ones(2), np.ones(2)]
    state = opt.init(params)
    new, state2 = opt.update([np.ones(2), None], state, params)
    np.testing.assert_array_equal(params[0], [1.0, 1.0])           # input untouched
    np.testing.assert_allclose(new[0], [0.9, 0.9])
    assert new[1] is params[1] or np.array_equal(new[1], params[1])
    assert state.count == 0 and state2.count == 1


def test_functional_schedule_as_lr():
    opt = optim.SGD(lr=optim.StepLR(None, step_size=1, gamma=0.5, base_lr=1.0))
    p, s = np.array([0.0]), opt.init(np.array([0.0]))
    for _ in range(3):
        p, s = opt.update(np.array([1.0]), s, p)
    np.testing.assert_allclose(p, [-(1.0 + 0.5 + 0.25)])


def test_tensor_style_schedule_as_lr():
    w = cr.tensor([0.0], requires_grad=True)
    opt = optim.SGD([w], lr=optim.ExponentialLR(None, gamma=0.5, base_lr=1.0))
    for _ in range(3):
        opt.zero_grad()
        (-w).sum().backward()                 # gradient -1: each step adds the rate
        opt.step()
    np.testing.assert_allclose(w.numpy(), [1.0 + 0.5 + 0.25])


def test_param_groups_zero_grad_and_state_dict():
    a = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    (a * b).sum().backward()
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5])
    sd = opt.state_dict()
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["state"][0]["step"] == 1
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and a.grad.item() == 0.0
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()                                        # no gradients: nothing moves
    assert a.item() == 0.9
    opt2 = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.5 and opt2.state[a]["momentum_buffer"] == 1.0


def test_zero_d_parameters_and_closure():
    b = cr.tensor(0.0, requires_grad=True)
    opt = optim.SGD([b], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (b - 2.0) ** 2
        loss.backward()
        return loss
    assert float(opt.step(closure)) == 4.0
    assert b.item() == 1.0 and b.shape == ()


@pytest.mark.parametrize("make,match", [
    (lambda: optim.SGD(lr=-1.0), "learning rate"),
    (lambda: optim.SGD(lr=0.1, nesterov=True), "Nesterov"),
    (lambda: optim.Adam(betas=(1.0, 0.9)), "betas"),
    (lambda: optim.RMSprop(alpha=1.5), "alpha"),
    (lambda: optim.SGD(lr=0.1, mommentum=0.9), "unexpected keyword"),
    (lambda: optim.SGD([{"params": [cr.tensor([1.0], requires_grad=True)], "mu": 1}]),
     "unknown hyperparameter"),
    (lambda: optim.SGD([np.ones(2)], lr=0.1), "train tensors"),
    (lambda: optim.SGD(cr.tensor([1.0], requires_grad=True)), "iterable of tensors"),
    (lambda: optim.SGD([cr.tensor([1.0])]), "leaf tensors that require grad"),
    (lambda: optim.SGD([], lr=0.1), "empty"),
])
def test_bad_arguments_raise_clear_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_update_with_mismatched_trees_raises():
    opt = optim.Adam()
    state = opt.init([np.ones(2)])
    with pytest.raises(ValueError, match="leaves"):
        opt.update([np.ones(2), np.ones(2)], state, [np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match="shape"):
        opt.update([np.ones(3)], state, [np.ones(2)])
    with pytest.raises(TypeError, match="OptState"):
        opt.update([np.ones(2)], {}, [np.ones(2)])
