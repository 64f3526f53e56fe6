import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.probes.hooks import frozen_gates
from neuralab.probes.linear_interpreter import bias_share, linear_interpreter
from neuralab.probes.runner import run_probe


@pytest.mark.parametrize("name, params, shape", [
    ("mlp", {"width": 16, "depth": 3, "activation": "leaky_relu"}, (5,)),
    ("cnn", {"channels": 4, "depth": 2}, (1, 8, 8)),
])
def test_a_relu_network_is_exactly_affine_on_the_region_of_its_input(name, params, shape):
    model = build_model(name, DataSpec("classification", shape, 3), params).double()
    x = torch.randn(4, *shape, dtype=torch.float64)
    for xi in x:
        a, b = linear_interpreter(model, xi)
        assert a.shape == (3, *shape)
        torch.testing.assert_close(a.flatten(1) @ xi.flatten() + b, model(xi.unsqueeze(0))[0])
        # A is the input Jacobian at x
        jac = torch.autograd.functional.jacobian(lambda z: model(z.unsqueeze(0))[0], xi)
        torch.testing.assert_close(a, jac)
    assert all(not m._forward_hooks for m in model.modules())


def test_bias_path_of_a_hand_built_network():
    # f(x) = relu(x + 1) - 2 on x = 3: on this region f = x + (1 - 2), so A = 1, b = -1
    net = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        net[0].weight.fill_(1.0), net[0].bias.fill_(1.0), net[2].weight.fill_(1.0), net[2].bias.fill_(-2.0)
    a, b = linear_interpreter(net, torch.tensor([3.0]))
    assert a.item() == 1.0 and b.item() == -1.0
    assert bias_share(net, torch.tensor([[3.0]])).item() == pytest.approx(1 / 4)
    with frozen_gates(net, torch.tensor([[-5.0]])):  # the unit is off on x = -5: f = -2 everywhere
        assert net(torch.tensor([[100.0]])).item() == -2.0
    rows = run_probe("linear_interpreter", net, torch.tensor([[3.0], [0.5]]))
    assert {r["metric"]: r["value"] for r in rows}["affine_max_error"] < 1e-6
