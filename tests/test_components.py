"""Components against their defining formulas and torch built-ins."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.activations import activation_gain, make_activation
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY

X = torch.linspace(-4, 4, 101)


@pytest.mark.parametrize("name, formula", [
    ("relu", lambda x: torch.clamp(x, min=0)),
    ("leaky_relu", lambda x: torch.where(x > 0, x, 0.01 * x)),
    ("gelu", lambda x: x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))),
    ("silu", lambda x: x / (1 + torch.exp(-x))),
    ("tanh", lambda x: (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))),
    ("sigmoid", lambda x: 1 / (1 + torch.exp(-x))),
    ("identity", lambda x: x),
])
def test_activations_match_formulas(name, formula):
    torch.testing.assert_close(make_activation(name)(X), formula(X))


def test_gelu_tanh_approximation():
    act = REGISTRY.create("activation", "gelu", approximate="tanh")
    ref = 0.5 * X * (1 + torch.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X**3)))
    torch.testing.assert_close(act(X), ref)


def test_activation_gains_follow_torch():
    assert activation_gain("relu") == pytest.approx(math.sqrt(2))
    assert activation_gain("tanh") == pytest.approx(5 / 3)
    assert activation_gain("identity") == 1.0


def test_layer_and_rms_norm_formulas():
    x = torch.randn(4, 7, 16)
    ln = make_norm("layer", 16)
    ref = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-5)
    torch.testing.assert_close(ln(x), ref)
    rms = make_norm("rms", 16)
    torch.testing.assert_close(rms(x), x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))
    assert isinstance(make_norm("none", 16), nn.Identity)


def test_norms_on_channel_first_maps_normalize_channels():
    x = torch.randn(3, 16, 10)  # (B, C, L)
    ln = make_norm("layer", 16, spatial_dims=1)
    y = ln(x)
    torch.testing.assert_close(y.mean(1), torch.zeros(3, 10), atol=1e-5, rtol=0)
    bn = make_norm("batch", 16, spatial_dims=1)
    torch.testing.assert_close(bn(x), F.batch_norm(x, None, None, training=True))


def test_batch_norm_on_channel_last_tokens_matches_torch():
    x = torch.randn(4, 5, 8)  # (B, T, C)
    bn = make_norm("batch", 8)
    ref = F.batch_norm(x.reshape(-1, 8), None, None, training=True).reshape(4, 5, 8)
    torch.testing.assert_close(bn(x), ref)


def _weights(fan_in=400, fan_out=300):
    return nn.Sequential(nn.Linear(fan_in, fan_out), nn.Linear(fan_out, fan_out))


def test_he_init_variance_and_zero_bias():
    torch.manual_seed(0)
    m = initialize(_weights(), "he", "relu")
    w = m[0].weight
    assert w.std().item() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert (m[0].bias == 0).all()


def test_xavier_lecun_orthogonal():
    torch.manual_seed(0)
    m = initialize(_weights(), "xavier", "tanh")
    bound = 5 / 3 * math.sqrt(6 / 700)
    assert m[0].weight.abs().max() <= bound and m[0].weight.abs().max() > 0.95 * bound
    m = initialize(_weights(), "lecun", "relu")
    assert m[0].weight.std().item() == pytest.approx(math.sqrt(1 / 400), rel=0.02)
    m = initialize(_weights(), "orthogonal", "identity")
    w = m[1].weight
    torch.testing.assert_close(w @ w.T, torch.eye(300), atol=1e-4, rtol=0)


def test_normal_init_is_standard_normal_whatever_the_fan_in_and_init_scale_sets_its_std():
    torch.manual_seed(0)
    m = initialize(_weights(), "normal", "relu")
    assert m[0].weight.std().item() == pytest.approx(1.0, rel=0.02)
    assert m[1].weight.mean().item() == pytest.approx(0.0, abs=0.01)
    assert (m[0].bias == 0).all() and (m[1].bias == 0).all()
    # the "simple" N(0, 0.1^2) initialization: model.init=normal, train.init_scale=0.1
    spec = DataSpec("classification", (40,), 10)
    mlp = build_model("mlp", spec, {"width": 300, "depth": 2, "init": "normal"}, init_scale=0.1)
    for layer in (*[b.linear for b in mlp.blocks], mlp.head):
        assert layer.weight.std().item() == pytest.approx(0.1, rel=0.05)
        assert (layer.bias == 0).all()


def test_default_init_keeps_torch_initialization():
    torch.manual_seed(1)
    a = _weights()
    torch.manual_seed(1)
    b = initialize(_weights(), "default", "relu")
    torch.testing.assert_close(a[0].weight, b[0].weight)


def test_recurrent_weights_are_initialized_per_gate():
    torch.manual_seed(0)
    gru = initialize(nn.GRU(32, 64), "orthogonal", "tanh")
    for gate in gru.weight_hh_l0.chunk(3, 0):
        torch.testing.assert_close(gate @ gate.T, (5 / 3) ** 2 * torch.eye(64), atol=1e-4, rtol=0)
    assert (gru.bias_hh_l0 == 0).all()


def test_softmax_attention_matches_the_formula():
    torch.manual_seed(0)
    attn = REGISTRY.create("mixer", "softmax_attention", 16, 2, True)
    x = torch.randn(2, 5, 16)
    q, k, v = attn.qkv(x).view(2, 5, 3, 2, 8).unbind(2)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-1, -2) / math.sqrt(8)
    scores = scores.masked_fill(torch.triu(torch.ones(5, 5, dtype=torch.bool), 1), float("-inf"))
    y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 5, 16)
    torch.testing.assert_close(attn(x), attn.out(y))


def test_feedforward_formula():
    ffn = REGISTRY.create("ffn", "mlp", 8, 32, "relu")
    x = torch.randn(3, 8)
    torch.testing.assert_close(ffn(x), ffn.down(torch.relu(ffn.up(x))))


def test_rms_norm_is_rescaling_invariant_but_not_recentering_invariant():
    """RMSNorm's defining property (Zhang & Sennrich, arXiv:1910.07467): rms(c x) = rms(x) for
    c > 0; unlike LayerNorm, adding a constant to x changes the output."""
    x = torch.randn(5, 32) + 0.5
    rms, ln = make_norm("rms", 32), make_norm("layer", 32)
    torch.testing.assert_close(rms(7.5 * x), rms(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ln(x + 3.0), ln(x), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(rms(x + 3.0), rms(x), atol=1e-2)
