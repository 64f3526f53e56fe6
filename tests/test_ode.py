"""Neural ODE blocks: Runge-Kutta accuracy, Euler = weight-tied ResNet, adjoint = direct gradients."""

import math

import torch
from torch import nn

from neuralab.components.ode import ODEBlock, odeint
from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.models.ode_net import TimeMLP


def test_rk4_solves_linear_odes_to_fourth_order():
    a = torch.tensor([[-1.0, 2.0], [-2.0, -1.0]])
    f = lambda t, h: h @ a.T  # noqa: E731
    h0 = torch.tensor([[1.0, 0.5]])
    exact = h0 @ torch.linalg.matrix_exp(a).T
    err = [float((odeint(f, h0, 0.0, 1.0, s) - exact).abs().max()) for s in (10, 20)]
    assert err[0] < 1e-4 and 12 < err[0] / err[1] < 20  # halving dt cuts the error ~16x
    back = odeint(f, odeint(f, h0, 0.0, 1.0, 50), 1.0, 0.0, 50)
    torch.testing.assert_close(back, h0, atol=1e-5, rtol=0)


def test_euler_block_is_a_weight_tied_residual_network():
    func = TimeMLP(3, 8)
    block = ODEBlock(func, t1=1.0, steps=4, method="euler")
    h = torch.randn(2, 3)
    ref = h
    for k in range(4):
        ref = ref + 0.25 * func(torch.tensor(k * 0.25), ref)
    torch.testing.assert_close(block(h), ref)
    assert block.function_evaluations == 4 and ODEBlock(func, steps=4).function_evaluations == 16


def test_adjoint_gradients_equal_backprop_through_the_solver():
    torch.manual_seed(0)
    func = TimeMLP(4, 16)
    h0 = torch.randn(3, 4)
    grads = {}
    for adjoint in (False, True):
        func.zero_grad()
        x = h0.clone().requires_grad_(True)
        out = ODEBlock(func, t1=1.0, steps=40, adjoint=adjoint)(x)
        out.square().sum().backward()
        grads[adjoint] = [x.grad.clone()] + [p.grad.clone() for p in func.parameters()]
    for direct, adj in zip(grads[False], grads[True]):
        torch.testing.assert_close(adj, direct, atol=1e-4, rtol=1e-4)


def test_ode_net_model():
    model = build_model("ode_net", DataSpec("classification", (40,), 10), {"adjoint": True}, seed=0)
    x = torch.randn(5, 40)
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert isinstance(model.ode.func, nn.Module) and math.isfinite(float(model(x).sum()))
