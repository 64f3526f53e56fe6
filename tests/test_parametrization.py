"""Critical initialization, abc-parametrizations and the coordinate check."""

import math

import pytest
import torch
import torch.nn.functional as F

from neuralab.components.criticality import (
    critical_constants,
    excess_kurtosis,
    layer_kernel,
    preactivation_ensemble,
)
from neuralab.components.parametrization import apply_parametrization, param_groups
from neuralab.data.dataset import DataSpec
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.probes.coord_check import coord_check, width_slope

SPEC = DataSpec("classification", (20,), 5)


def test_critical_constants_and_init():
    assert critical_constants("relu") == (2.0, 0.0)
    assert critical_constants("tanh") == (1.0, 0.0)
    assert critical_constants("leaky_relu") == pytest.approx((2 / (1 + 0.01**2), 0.0))
    with pytest.raises(NeuralabError, match="no known critical"):
        critical_constants("gelu")
    model = build_model("mlp", DataSpec("classification", (400,), 5),
                        {"width": 300, "activation": "tanh", "init": "critical"})
    w = model.blocks[0].linear.weight
    assert w.std().item() == pytest.approx(math.sqrt(1 / 400), rel=0.02)  # C_W = 1 for tanh
    model = build_model("mlp", SPEC, {"width": 300, "depth": 2, "init": "critical"})
    assert model.blocks[1].linear.weight.std().item() == pytest.approx(math.sqrt(2 / 300), rel=0.03)


def test_relu_kernel_is_flat_at_criticality_and_geometric_away_from_it():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 32, generator=g)
    flat = [layer_kernel(z) for z in preactivation_ensemble(x, 64, 10, "relu", c_w=2.0,
                                                            n_networks=300, generator=g)]
    assert flat[-1] / flat[0] == pytest.approx(1.0, abs=0.15)
    grow = [layer_kernel(z) for z in preactivation_ensemble(x, 64, 10, "relu", c_w=2.5,
                                                            n_networks=300, generator=g)]
    assert grow[-1] / grow[0] == pytest.approx(1.25**9, rel=0.2)  # K^(l+1) = (C_W / 2) K^(l)


def test_excess_kurtosis_is_zero_for_gaussians_and_grows_with_depth_over_width():
    g = torch.Generator().manual_seed(1)
    assert abs(excess_kurtosis(torch.randn(20000, 1, 8, generator=g))) < 0.1
    x = torch.randn(1, 16, generator=g, dtype=torch.float64)
    zs = preactivation_ensemble(x, 16, 8, "relu", c_w=2.0, n_networks=4000, generator=g)
    k = [excess_kurtosis(z) for z in zs]
    assert abs(k[0]) < 0.15  # the first layer is exactly Gaussian given x
    assert k[7] > k[3] > k[1] > 0.1


def test_abc_parametrizations_at_and_beyond_the_base_width():
    torch.manual_seed(0)
    base = build_model("mlp", SPEC, {"width": 64, "depth": 2, "parametrization": "mup",
                                     "base_width": 64})
    wide = build_model("mlp", SPEC, {"width": 1024, "depth": 2, "parametrization": "mup",
                                     "base_width": 64})
    m = 1024 / 64
    # hidden weights ~ N(0, 2 / fan_in) at every width; the readout's effective weights shrink as 1/m
    assert wide.blocks[1].linear.weight.std().item() == pytest.approx(math.sqrt(2 / 1024), rel=0.03)
    assert wide.head.weight.std().item() == pytest.approx(1 / math.sqrt(64) / m, rel=0.05)
    assert base.head.weight.std().item() == pytest.approx(1 / math.sqrt(64), rel=0.1)
    # input layer: multiplier sqrt(m) on weights of variance gain^2 / (d m): effective gain^2 / d
    first = wide.blocks[0].linear
    assert first.parametrizations.weight[0].multiplier.item() == pytest.approx(math.sqrt(m))
    assert first.weight.std().item() == pytest.approx(math.sqrt(2 / 20), rel=0.05)
    scales = {g["lr_scale"] for g in param_groups(wide, "adam")}
    assert sorted(scales) == pytest.approx([1 / m, 1 / math.sqrt(m), 1.0])
    assert {g["lr_scale"] for g in param_groups(wide, "sgd")} == {1.0}
    with pytest.raises(NeuralabError, match="nn.Linear"):
        build_model("mlp", SPEC, {"width": 32, "norm": "layer", "parametrization": "mup"})


def test_trainer_applies_the_learning_rate_scales():
    from neuralab.config import build_config
    from neuralab.engine.trainer import Trainer

    cfg = build_config({"data": {"name": "xor_clusters"}, "model": {
        "name": "mlp", "width": 256, "parametrization": "mup", "base_width": 64},
        "optim": {"name": "adam", "lr": 0.01}})
    trainer = Trainer(cfg, progress="none")
    assert sorted(g["lr"] for g in trainer.optimizer.param_groups) == pytest.approx([0.0025, 0.005, 0.01])


def test_coord_check_records_feature_movement_and_slopes():
    torch.manual_seed(0)
    x, y = torch.randn(16, 20), torch.randint(0, 5, (16,))

    def make(width, seed):
        return build_model("mlp", SPEC, {"width": width, "depth": 1}, seed=seed)

    rows = coord_check(make, [32], [(x, y)], F.cross_entropy, optimizer="sgd", lr=0.1)
    model = make(32, 0)
    h0 = model.blocks[0](x)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    expected = (model.blocks[0](x) - h0).abs().mean().item()
    got = [r["value"] for r in rows if r["metric"] == "coord_delta" and r["layer"] == "block0"]
    assert got == pytest.approx([expected], rel=1e-5)
    fake = [{"run": f"w{w}", "member": 0, "step": 1, "layer": "h", "metric": "coord_delta",
             "value": 3 * w**0.5} for w in (16, 64, 256)]
    assert width_slope(fake, "h", 1) == pytest.approx(0.5)
