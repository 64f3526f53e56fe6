"""NF-ResNet: scaled weight standardization on every conv, analytic beta, flat signal propagation."""

import math

import pytest
import torch
from torch.nn.utils import parametrize

from neuralab.data.dataset import DataSpec
from neuralab.models import build_model

SIGNAL = DataSpec("classification", (64,), 10)


def test_no_normalization_layers_and_every_conv_standardized():
    model = build_model("nf_resnet", SIGNAL, {"stages": [2, 2]}, seed=0)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    assert convs and all(parametrize.is_parametrized(c, "weight") for c in convs)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


def test_beta_tracks_the_expected_variance():
    model = build_model("nf_resnet", SIGNAL, {"stages": [3, 2], "alpha": 0.2}, seed=0)
    betas = [b.beta for b in model.blocks]
    # first stage: Var = 1 (+ the first block is a transition only if widths change: it is not)
    expected = [1.0, 1.0 + 0.04, 1.0 + 0.08, 1.0 + 0.12, 1.0 + 0.04]
    assert betas == pytest.approx([math.sqrt(v) for v in expected])


def test_signal_propagation_at_init_matches_the_analytic_variance():
    torch.manual_seed(0)
    model = build_model("nf_resnet", SIGNAL, {"width": 64, "stages": [4, 4]}, seed=0).eval()
    x = torch.randn(256, 64)
    h = model.stem(model.to_maps(x))
    h = h / h.std()  # unit-variance input to the residual stream
    for block in model.blocks:
        # the branch input h / beta has about unit variance all the way down
        assert 0.6 < float((h / block.beta).var()) < 1.6
        h = block(h)
    # the same layout without standardization and without 1 / beta drifts: a plain residual stack
    plain = build_model("preact_resnet", SIGNAL, {"width": 64, "stages": [4, 4], "norm": "none"},
                        seed=0).eval()
    g = plain.stem(plain.to_maps(x))
    g = g / g.std()
    for block in plain.blocks:
        g = block(g)
    assert float(g.var()) > 4 * float(h.var())


def test_nf_and_bn_twins_share_their_layout():
    nf = build_model("nf_resnet", SIGNAL, {"stages": [2, 2, 2]}, seed=0)
    bn = build_model("preact_resnet", SIGNAL, {"stages": [2, 2, 2]}, seed=0)
    assert [b.conv2.out_channels for b in nf.blocks] == [b.conv2.out_channels for b in bn.blocks]
    x = torch.randn(3, 64)
    assert nf.forward_features(x).shape == bn.forward_features(x).shape
