"""PReLU against its formula and He et al.'s init gain (contracts cover shapes, vmap, round trips)."""

import math

import pytest
import torch

from neuralab.components.activations import activation_gain, make_activation
from neuralab.errors import ConfigError
from neuralab.registry import REGISTRY

X = torch.linspace(-5, 5, 201)


def test_prelu_formula_and_learned_slope():
    act = make_activation("prelu")
    a = 0.25
    torch.testing.assert_close(act(X), torch.clamp(X, min=0) + a * torch.clamp(X, max=0))
    act(X).sum().backward()
    # d/da sum(prelu) = sum of the negative inputs
    torch.testing.assert_close(act.weight.grad, X[X < 0].sum().reshape(1))


def test_prelu_channelwise_slopes():
    act = REGISTRY.create("activation", "prelu", num_parameters=3, init=0.1)
    with torch.no_grad():
        act.weight.copy_(torch.tensor([0.1, 0.5, -0.2]))
    x = torch.randn(4, 3, 5)
    expected = torch.where(x > 0, x, x * act.weight.view(1, 3, 1))
    torch.testing.assert_close(act(x), expected)
    with pytest.raises(ConfigError, match="num_parameters"):
        REGISTRY.create("activation", "prelu", num_parameters=0)


def test_prelu_gain_is_he_et_al():
    # Var[w] = 2 / ((1 + a^2) fan_in)  <=>  gain = sqrt(2 / (1 + a^2))
    assert activation_gain("prelu") == pytest.approx(math.sqrt(2 / (1 + 0.25**2)))
