"""Annealed gradient noise: the schedule sigma_t^2 = eta / (1 + t)^gamma, the update, the state."""

import math

import pytest
import torch

from neuralab.optim.gradient_noise import add_gradient_noise, noise_std
from neuralab.registry import REGISTRY


def test_noise_std_formula():
    assert noise_std(0, 0.3, 0.55) == pytest.approx(math.sqrt(0.3))
    assert noise_std(99, 1.0, 0.55) == pytest.approx(math.sqrt(1.0 / 100**0.55))
    assert noise_std(10, 0.01, 0.0) == pytest.approx(0.1)


def test_noisy_sgd_update_is_sgd_on_the_perturbed_gradient():
    w = torch.nn.Parameter(torch.randn(5, 3))
    ref = w.detach().clone()
    g = torch.Generator().manual_seed(7)
    twin = torch.Generator().manual_seed(7)
    opt = REGISTRY.create("optimizer", "noisy_sgd", [w], lr=0.5, eta=0.3, gamma=0.55, generator=g)
    for t in range(3):
        grad = torch.full_like(ref, 0.1 * (t + 1))
        w.grad = grad.clone()
        opt.step()
        ref -= 0.5 * (grad + noise_std(t, 0.3, 0.55) * torch.randn(ref.shape, generator=twin))
        torch.testing.assert_close(w.detach(), ref)
    assert opt.param_groups[0]["noise_step"] == 3


@pytest.mark.parametrize("step", [0, 99])
def test_added_noise_has_the_annealed_variance(step):
    w = torch.nn.Parameter(torch.zeros(200_000))
    opt = torch.optim.SGD([w], lr=1.0)
    add_gradient_noise(opt, eta=0.3, gamma=0.55, generator=torch.Generator().manual_seed(0))
    opt.param_groups[0]["noise_step"] = step
    w.grad = torch.zeros_like(w)
    opt.step()
    assert float(w.detach().std()) == pytest.approx(noise_std(step, 0.3, 0.55), rel=0.01)


def test_schedule_travels_with_the_state_dict():
    w = torch.nn.Parameter(torch.ones(4))
    opt = REGISTRY.create("optimizer", "noisy_adam", [w], lr=1e-2, eta=0.01)
    for _ in range(5):
        w.grad = torch.ones(4)
        opt.step()
    fresh = REGISTRY.create("optimizer", "noisy_adam", [w], lr=1e-2, eta=0.5)
    fresh.load_state_dict(opt.state_dict())
    group = fresh.param_groups[0]
    assert group["noise_step"] == 5 and group["noise_eta"] == 0.01 and group["noise_gamma"] == 0.55


def test_parameters_without_gradients_are_left_alone():
    used, unused = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(3))
    opt = REGISTRY.create("optimizer", "noisy_sgd", [used, unused], lr=1.0, eta=1.0)
    used.grad = torch.zeros(3)
    opt.step()
    assert used.detach().abs().sum() > 0 and unused.detach().abs().sum() == 0
    with pytest.raises(ValueError, match="eta >= 0"):
        add_gradient_noise(torch.optim.SGD([used], lr=1.0), eta=-1.0)
