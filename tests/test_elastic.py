"""Elastic, sorted and stitched networks: nested sub-networks equal their extracted copies."""

import copy

import pytest
import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.models import build_model
from neuralab.models.stitching import StitchedMLP, StitchingLayer
from neuralab.registry import REGISTRY
from neuralab.training.loop import distillation, train_sampled
from neuralab.training.sortednet import nested_widths

SPEC = DataSpec("classification", (12,), 3)


def toy_data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    y = (x[:, :3].argmax(1)).long()
    return Dataset("toy", SPEC, x[: n // 2], y[: n // 2], x[n // 2:], y[n // 2:])


@pytest.mark.parametrize("width, depth", [(16, 3), (5, 3), (1, 1), (9, 2)])
def test_subnetwork_equals_its_extracted_mlp(width, depth):
    model = build_model("elastic_mlp", SPEC, {"width": 16, "depth": 3}, seed=0)
    x = torch.randn(7, 12)
    with model.subnetwork(width, depth):
        out = model(x)
    standalone = model.extract(width, depth)
    torch.testing.assert_close(standalone(x), out)
    assert standalone.num_parameters() == model.parameters_of(width, depth)
    assert model.active == (16, 3)  # restored after the block
    with pytest.raises(ValueError, match="outside"):
        model.check(17, 1)


def test_training_a_subnetwork_leaves_the_other_units_untouched():
    model = build_model("elastic_mlp", SPEC, {"width": 16, "depth": 2}, seed=0)
    before = copy.deepcopy(model.state_dict())
    train_sampled(model, toy_data(), lambda rng: [lambda: model.subnetwork(4, 1)], steps=3,
                  lr=1e-2, batch_size=32, seed=0)
    after = model.state_dict()
    assert not torch.equal(after["layers.0.weight"][:4], before["layers.0.weight"][:4])
    assert torch.equal(after["layers.0.weight"][4:], before["layers.0.weight"][4:])
    assert torch.equal(after["layers.1.weight"], before["layers.1.weight"])  # depth 1 only
    assert torch.equal(after["head.weight"][:, 4:], before["head.weight"][:, 4:])


def test_nested_widths():
    assert nested_widths(128, 4) == (32, 64, 96, 128)
    assert nested_widths(3, 8) == (1, 2, 3)


def test_sortednet_and_progressive_shrinking_report_every_subnetwork():
    data = toy_data()
    model = build_model("elastic_mlp", SPEC, {"width": 8, "depth": 2}, seed=0)
    rows = REGISTRY.create("method", "sortednet", model, data, steps=20, width_levels=4)
    names = {r["layer"] for r in rows if r["metric"] == "test_accuracy"}
    assert names == {"w2_d2", "w4_d2", "w6_d2", "w8_d2"}
    model = build_model("elastic_mlp", SPEC, {"width": 8, "depth": 2}, seed=0)
    rows = REGISTRY.create("method", "progressive_shrinking", model, data, steps=30, width_levels=2)
    names = {r["layer"] for r in rows if r["metric"] == "test_accuracy"}
    assert names == {"w4_d1", "w4_d2", "w8_d1", "w8_d2"}


def test_distillation_is_the_scaled_kl_divergence():
    s, t = torch.randn(4, 5), torch.randn(4, 5)
    p = torch.softmax(t / 2, -1)
    ref = (p * (p.log() - torch.log_softmax(s / 2, -1))).sum(-1).mean() * 4
    torch.testing.assert_close(distillation(s, t, 2.0), ref)


def test_stitching_layer_least_squares_recovers_a_linear_map():
    a = torch.randn(200, 6)
    w, b = torch.randn(4, 6), torch.randn(4)
    layer = StitchingLayer(6, 4).fit(a, a @ w.T + b)
    torch.testing.assert_close(layer.weight, w, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(layer.bias, b, atol=1e-4, rtol=1e-4)


def test_stitched_configurations_span_the_anchors():
    small = build_model("mlp", SPEC, {"width": 8, "depth": 3}, seed=0)
    large = build_model("mlp", SPEC, {"width": 32, "depth": 3}, seed=1)
    net = StitchedMLP(small, large).init_stitches(torch.randn(300, 12))
    x = torch.randn(5, 12)
    with net.configuration(0):
        torch.testing.assert_close(net(x), small(x))
    with net.configuration(3):
        torch.testing.assert_close(net(x), large(x))
    sizes = [net.parameters_of(c) for c in range(4)]
    assert sizes[0] == small.num_parameters() and sizes[-1] == large.num_parameters()
    assert sizes == sorted(sizes)
    # two identical anchors: least squares finds the identity, every configuration is the anchor
    twin = StitchedMLP(large, copy.deepcopy(large)).init_stitches(torch.randn(300, 12))
    for c in range(4):
        with twin.configuration(c):
            torch.testing.assert_close(twin(x), large(x), atol=1e-4, rtol=1e-4)


def test_stitching_method_reports_each_configuration():
    data = toy_data()
    small = build_model("mlp", SPEC, {"width": 8, "depth": 2}, seed=0)
    large = build_model("mlp", SPEC, {"width": 16, "depth": 2}, seed=1)
    rows = REGISTRY.create("method", "stitching", StitchedMLP(small, large), data, steps=10)
    assert {r["layer"] for r in rows if r["metric"] == "test_accuracy"} == {"config0", "config1",
                                                                           "config2"}
