"""GroupNorm, EvoNorms and scaled weight standardization against formulas and torch."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.norms import make_norm
from neuralab.components.norms.weight_standardization import (
    nonlinearity_gain,
    scaled_weight_standardization,
)
from neuralab.registry import REGISTRY


def test_group_norm_matches_torch_on_maps_and_normalizes_each_token():
    torch.manual_seed(0)
    gn = make_norm("group", 16, spatial_dims=2)
    with torch.no_grad():
        gn.weight.normal_()
        gn.bias.normal_()
    x = torch.randn(3, 16, 5, 4)
    torch.testing.assert_close(gn(x), F.group_norm(x, 8, gn.weight, gn.bias, eps=1e-5))
    tokens = torch.randn(2, 7, 16)  # (B, T, C): every position on its own
    y = make_norm("group", 16, groups=4)(tokens)
    g = tokens.view(2, 7, 4, 4)
    ref = (g - g.mean(-1, keepdim=True)) / torch.sqrt(g.var(-1, unbiased=False, keepdim=True) + 1e-5)
    torch.testing.assert_close(y, ref.view(2, 7, 16))
    with pytest.raises(ValueError, match="must divide"):
        REGISTRY.create("norm", "group", 10, 0, groups=4)


def _randomize(norm):
    with torch.no_grad():
        for p in norm.parameters():
            p.uniform_(0.5, 1.5)


def test_evonorm_s0_formula_and_batch_independence():
    torch.manual_seed(0)
    s0 = make_norm("evonorm_s0", 16, spatial_dims=2)
    _randomize(s0)
    x = torch.randn(4, 16, 5, 5)
    c = (1, 16, 1, 1)
    g = x.view(4, 8, -1)
    std = torch.sqrt(g.var(-1, unbiased=False, keepdim=True) + 1e-5).expand_as(g).reshape(x.shape)
    ref = x * torch.sigmoid(s0.v.view(c) * x) / std * s0.weight.view(c) + s0.bias.view(c)
    torch.testing.assert_close(s0(x), ref)
    torch.testing.assert_close(s0(x[:1]), s0(x)[:1])  # no batch statistics


def test_evonorm_b0_formula_running_variance_and_eval():
    torch.manual_seed(0)
    b0 = make_norm("evonorm_b0", 6, spatial_dims=1, momentum=0.1)
    _randomize(b0)
    x = torch.randn(5, 6, 7)
    c = (1, 6, 1)
    batch_var = x.var(dim=(0, 2), unbiased=False)
    inst = x.var(dim=2, unbiased=False, keepdim=True)
    den = torch.maximum(torch.sqrt(batch_var.view(c) + 1e-5), b0.v.view(c) * x + torch.sqrt(inst + 1e-5))
    torch.testing.assert_close(b0(x), x / den * b0.weight.view(c) + b0.bias.view(c))
    torch.testing.assert_close(b0.running_var, 0.9 + 0.1 * x.var(dim=(0, 2), unbiased=True))
    b0.eval()
    den = torch.maximum(torch.sqrt(b0.running_var.view(c) + 1e-5),
                        b0.v.view(c) * x + torch.sqrt(inst + 1e-5))
    torch.testing.assert_close(b0(x), x / den * b0.weight.view(c) + b0.bias.view(c))


def test_scaled_weight_standardization_rows_and_gain():
    torch.manual_seed(0)
    gamma = nonlinearity_gain("relu")
    assert gamma == pytest.approx(math.sqrt(2 / (1 - 1 / math.pi)), rel=1e-6)
    conv = scaled_weight_standardization(nn.Conv2d(8, 12, 3), gamma=gamma)
    w = conv.weight.flatten(1)  # the standardized weight
    torch.testing.assert_close(w.mean(1), torch.zeros(12), atol=1e-6, rtol=0)
    torch.testing.assert_close(w.square().sum(1), torch.full((12,), gamma**2), rtol=1e-3, atol=0)
    conv(torch.randn(2, 8, 5, 5)).sum().backward()
    gain = conv.parametrizations.weight[0].gain
    assert gain.grad is not None and conv.parametrizations.weight.original.grad is not None


def test_weight_standardized_relu_stack_preserves_signal():
    torch.manual_seed(0)
    gamma = nonlinearity_gain("relu")
    layers = [scaled_weight_standardization(nn.Linear(256, 256, bias=False), gamma=gamma)
              for _ in range(20)]
    h = torch.randn(512, 256)
    with torch.no_grad():
        for layer in layers:
            h = torch.relu(layer(h))
    # mean-free rows remove the input's mean, and Var[relu(z)] = 1 for z ~ N(0, gamma^2): the
    # per-unit variance stays near 1 at depth 20
    assert h.var(0).mean().item() == pytest.approx(1.0, abs=0.2)
