"""Hypernetworks: generated weights drive the target MLP, MIP's invariances, continual learning."""

import math

import pytest
import torch
import torch.nn.functional as F

from neuralab.data import load_dataset
from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.models.hypernetwork import FunctionalMLP, encode_condition
from neuralab.registry import REGISTRY

SPEC = DataSpec("classification", (1, 8, 8), 10)


def test_functional_mlp_equals_linear_layers_with_those_weights():
    net = FunctionalMLP([5, 7, 3], torch.nn.ReLU())
    theta = torch.randn(net.n_params)
    w1, b1 = theta[:35].view(7, 5), theta[35:42]
    w2, b2 = theta[42:63].view(3, 7), theta[63:]
    x = torch.randn(4, 5)
    torch.testing.assert_close(net(x, theta), F.linear(torch.relu(F.linear(x, w1, b1)), w2, b2))
    torch.testing.assert_close(net.apply_head(net(x, theta, head=False), theta), net(x, theta))


def test_mip_encoding_has_constant_norm():
    gamma = torch.linspace(0, 1, 11).unsqueeze(1)
    enc = encode_condition(gamma, "mip")
    torch.testing.assert_close(enc.norm(dim=1), torch.ones(11))
    assert torch.equal(encode_condition(gamma, "default"), gamma)


def test_default_output_magnitude_tracks_input_magnitude_and_mip_does_not():
    default = build_model("hypernetwork", SPEC, seed=0)
    mip = build_model("hypernetwork", SPEC, {"parametrization": "mip"}, seed=0)
    with torch.no_grad():
        mip.out.weight.normal_(0, 0.01)  # a trained, non-zero residual
        theta = [default.generate(torch.tensor([g])) for g in (0.1, 1.0)]
        residual = [mip.generate(torch.tensor([g])) - mip.theta0 for g in (0.1, 1.0)]
    # zero-bias ReLU hypernetwork on the raw condition: theta(1.0) = 10 theta(0.1) exactly
    torch.testing.assert_close(theta[1], 10 * theta[0], rtol=1e-3, atol=1e-3)
    ratio = float(residual[1].norm() / residual[0].norm())
    assert 0.5 < ratio < 2  # constant-norm encoding: no proportionality


def test_generated_weights_start_at_the_target_scale():
    default = build_model("hypernetwork", SPEC, {"target_width": 64}, seed=0)
    w = [default.generate(torch.rand(1)) for _ in range(16)]
    first = torch.stack([t[: 64 * 64] for t in w])
    assert first.std().item() == pytest.approx(math.sqrt(2 / 64), rel=0.3)
    mip = build_model("hypernetwork", SPEC, {"parametrization": "mip"}, seed=0)
    torch.testing.assert_close(mip.generate(torch.tensor([0.3])), mip.theta0)  # residual starts at 0


def test_condition_context_restores():
    model = build_model("hypernetwork", SPEC, seed=0)
    x = torch.rand(3, 1, 8, 8)
    with model.conditioned(0.9):
        a = model(x)
    torch.testing.assert_close(model.condition, torch.tensor([0.5]))
    with model.conditioned(0.9):
        torch.testing.assert_close(model(x), a)
    assert not torch.allclose(model(x), a)


@pytest.mark.parametrize("architecture", ["mlp", "rnn"])
def test_task_hypernetwork_generates_every_parameter_per_task(architecture):
    model = build_model("task_hypernetwork", SPEC, {"architecture": architecture, "chunk_size": 100},
                        seed=0)
    assert model.n_chunks == math.ceil(model.target.n_params / 100)
    a, b = model.generate(0), model.generate(1)
    assert a.shape == (model.target.n_params,) and not torch.allclose(a, b)
    x = torch.rand(2, 1, 8, 8)
    with model.for_task(1):
        torch.testing.assert_close(model(x), model.target(x.flatten(1), b))


def test_output_regularizer_keeps_earlier_tasks_weights():
    data = load_dataset("digits")
    drift = {}
    for beta in (0.0, 1.0):
        model = build_model("task_hypernetwork", data.spec, {"n_tasks": 2, "chunk_size": 512},
                            seed=0)
        rows = REGISTRY.create("method", "hypernetwork_continual", model, data, steps=20,
                               beta=beta, lr=3e-3)
        assert {r["layer"] for r in rows if r["metric"] == "task_accuracy"} == {"task0", "task1"}
        drift[beta] = next(r["value"] for r in rows if r["metric"] == "weight_drift")
    assert drift[1.0] < 0.5 * drift[0.0]


def test_backward_after_leaving_the_condition_context():
    model = build_model("hypernetwork", SPEC, seed=0)
    with model.conditioned(0.3):
        loss = model(torch.rand(4, 1, 8, 8)).square().sum()
    loss.backward()  # the restored condition buffer must not invalidate the graph
    assert model.body[0].weight.grad is not None
