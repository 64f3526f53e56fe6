import math

import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.probes.activation_codes import (activation_codes, knn_code_accuracy,
                                              logistic_code_accuracy, region_count,
                                              unique_code_fraction)
from neuralab.probes.information_plane import binned, information_plane, mutual_information
from neuralab.probes.runner import run_probe


def quadrant_net():
    """One hidden ReLU layer computing relu(+x1), relu(-x1), relu(+x2), relu(-x2)."""
    model = build_model("mlp", DataSpec("classification", (2,), 4), {"width": 4, "depth": 1})
    with torch.no_grad():
        model.blocks[0].linear.weight.copy_(torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1]]))
        model.blocks[0].linear.bias.zero_()
    return model


def test_codes_are_the_quadrants_of_a_sign_network():
    model = quadrant_net()
    x = torch.tensor([[1.0, 1], [-1, 1], [-1, -1], [1, -1], [2, 3]])
    codes = activation_codes(model, x)
    assert codes.shape == (5, 4)
    assert codes[0].tolist() == [True, False, True, False]
    assert region_count(codes) == 4
    assert unique_code_fraction(codes) == pytest.approx(3 / 5)  # (1,1) and (2,3) share a region
    g = torch.Generator().manual_seed(0)
    pts = torch.randn(400, 2, generator=g)
    quadrant = (pts[:, 0] > 0).long() * 2 + (pts[:, 1] > 0).long()
    c = activation_codes(model, pts)
    assert knn_code_accuracy(c[:200], quadrant[:200], c[200:], quadrant[200:]) == 1.0
    assert logistic_code_accuracy(c[:200], quadrant[:200], c[200:], quadrant[200:]) == 1.0
    rows = run_probe("activation_codes", model, pts, quadrant)
    values = {r["metric"]: r["value"] for r in rows}
    assert values["regions"] == 4 and values["code_bits"] == 4 and values["code_knn_accuracy"] == 1.0


def test_binned_mutual_information_known_answers():
    n = 64
    t = torch.linspace(-0.99, 0.99, n).unsqueeze(1)  # every input in its own bin of 64
    y = (torch.arange(n) % 2)
    ixt, ity = mutual_information(t, y, bins=n)
    assert ixt == pytest.approx(math.log2(n))
    assert ity == pytest.approx(1.0)  # T identifies X and so Y
    const = torch.zeros(n, 3)
    assert mutual_information(const, y) == pytest.approx((0.0, 0.0))
    # two bins, labels independent of the bin: one bit about X, nothing about Y
    halves = torch.cat([-0.5 * torch.ones(n // 2, 1), 0.5 * torch.ones(n // 2, 1)])
    assert mutual_information(halves, y, bins=2) == pytest.approx((1.0, 0.0))
    # two bins equal to the label: one bit of each
    assert mutual_information(halves, torch.arange(n) // (n // 2), bins=2) == pytest.approx((1.0, 1.0))
    assert binned(torch.tensor([[-1.0, 1.0, 0.01]]), 2, -1, 1).tolist() == [[0, 1, 1]]


def test_information_plane_of_a_model():
    model = build_model("mlp", DataSpec("classification", (4,), 2),
                        {"width": 3, "depth": 2, "activation": "tanh"})
    x = torch.randn(50, 4)
    y = torch.randint(0, 2, (50,))
    plane = information_plane(model, x, y)
    assert set(plane) == {"block0", "block1"}
    for ixt, ity in plane.values():
        assert 0 <= ity <= ixt <= math.log2(50) + 1e-9
    relu = information_plane(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), x, y, layers=["1"],
                             low=None, high=None)
    assert relu["1"][0] > 0
    rows = run_probe("information_plane", model, x, y)
    assert {r["metric"] for r in rows} == {"I(X;T)", "I(T;Y)"}
