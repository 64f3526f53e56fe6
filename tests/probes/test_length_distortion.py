"""The length-distortion probe against exact answers for linear and piecewise-linear maps."""

import math

import pytest
import torch
from torch import nn

from neuralab.probes.length_distortion import (curve_length, great_circle, length_distortion,
                                               length_distortion_probe)
from neuralab.probes.runner import run_probe
from neuralab.registry import REGISTRY


def test_curve_length_of_a_square_and_a_circle():
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    assert float(curve_length(square)) == pytest.approx(4.0)
    circle = great_circle(6, 4000, radius=2.0, generator=torch.Generator().manual_seed(0))
    assert circle.shape == (4001, 6)
    torch.testing.assert_close(circle.norm(dim=-1), torch.full((4001,), 2.0))
    torch.testing.assert_close(circle[0], circle[-1])
    assert float(curve_length(circle)) == pytest.approx(4 * math.pi, rel=1e-6)
    assert torch.linalg.matrix_rank(circle - circle.mean(0)) == 2  # a plane curve


def test_scaled_orthogonal_map_stretches_by_its_scale():
    q, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(1)))
    layer = nn.Linear(5, 5, bias=True)
    with torch.no_grad():
        layer.weight.copy_(3.0 * q)
    circles = torch.stack([great_circle(5, 500, generator=torch.Generator().manual_seed(s))
                           for s in range(3)])
    torch.testing.assert_close(length_distortion(layer, circles), torch.full((3,), 3.0))


def test_linear_map_on_a_segment_is_the_norm_ratio():
    w = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))
    layer = nn.Linear(4, 3, bias=False)
    with torch.no_grad():
        layer.weight.copy_(w)
    d = torch.tensor([1.0, -2.0, 0.5, 3.0])
    segment = torch.linspace(0, 1, 50)[:, None] * d
    assert float(length_distortion(layer, segment)) == pytest.approx(
        float((w @ d).norm() / d.norm()), rel=1e-5)


def test_relu_folds_a_segment():
    # relu on [-1, 1]: the image runs from 0 to 0 (flat) and then to 1: length 1 of 2
    segment = torch.linspace(-1, 1, 101)[:, None]
    assert float(length_distortion(nn.ReLU(), segment)) == pytest.approx(0.5)


def test_mode_is_restored_and_the_probe_is_registered():
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 2)).train()
    curve = great_circle(2, 100)
    a, b = length_distortion(model, curve), length_distortion(model, curve)
    assert a == b and model.training  # evaluated without dropout, mode restored
    entry = REGISTRY.get("probe", "length_distortion")
    assert entry.arxiv == "2102.10492"
    rows = entry.create(model, curve)
    assert rows == length_distortion_probe(model, curve)
    assert run_probe("length_distortion", model, curve, run="r", step=3)[0]["step"] == 3
    assert rows[0]["metric"] == "length_distortion" and rows[0]["value"] == pytest.approx(float(a))
    with pytest.raises(ValueError, match="curves must be"):
        length_distortion(model, torch.zeros(3))
