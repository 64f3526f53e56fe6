"""Snake against its formula, its period and its gradients (contracts cover the rest)."""

import math

import pytest
import torch

from neuralab.components.activations import activation_gain, make_activation
from neuralab.errors import ConfigError
from neuralab.registry import REGISTRY

X = torch.linspace(-5, 5, 201)


@pytest.mark.parametrize("a", [0.5, 1.0, 3.0])
def test_snake_formula(a):
    act = REGISTRY.create("activation", "snake", a=a)
    torch.testing.assert_close(act(X), X + torch.sin(a * X) ** 2 / a)
    # snake(x + pi / a) = snake(x) + pi / a: a line plus a periodic function of period pi / a
    torch.testing.assert_close(act(X + math.pi / a), act(X) + math.pi / a)


def test_snake_slope_one_at_zero_and_learnable_frequency():
    x = torch.zeros(1, requires_grad=True)
    make_activation("snake")(x).sum().backward()
    assert float(x.grad) == pytest.approx(1.0)  # 1 + sin(2 a x) at 0
    act = REGISTRY.create("activation", "snake", a=2.0, learnable=True)
    assert [n for n, _ in act.named_parameters()] == ["a"]
    x = torch.tensor([0.3, -1.2])
    act(x).sum().backward()
    a = 2.0
    # d/da [x + sin^2(a x) / a] = x sin(2 a x) / a - sin^2(a x) / a^2
    expected = (x * torch.sin(2 * a * x) / a - torch.sin(a * x) ** 2 / a**2).sum()
    torch.testing.assert_close(act.a.grad, expected)
    assert activation_gain("snake") == 1.0


def test_snake_rejects_non_positive_frequency():
    with pytest.raises(ConfigError, match="must be positive"):
        REGISTRY.create("activation", "snake", a=0.0)
