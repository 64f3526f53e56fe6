import math

import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.probes.effective_rank import activation_sparsity, dead_unit_fraction, effective_rank
from neuralab.probes.functional_dimension import functional_dimension, scaling_bound
from neuralab.probes.linear_regions import (breakpoints_along_line, regions_along_line,
                                            regions_on_plane)
from neuralab.probes.runner import run_probe


def hinge_net(knots):
    """f(x) = sum_i relu(x - b_i) for a scalar input: breakpoints exactly at the knots b_i."""
    model = build_model("mlp", DataSpec("regression", (1,), 1), {"width": len(knots), "depth": 1})
    with torch.no_grad():
        model.blocks[0].linear.weight.fill_(1.0)
        model.blocks[0].linear.bias.copy_(-torch.tensor(knots))
    return model


def test_breakpoints_of_a_one_dimensional_relu_net_are_its_knots():
    knots = [-0.7, -0.2, 0.1, 0.1003, 0.55]  # two knots closer than the sampling step
    model = hinge_net(knots)
    t = breakpoints_along_line(model, torch.tensor([-1.0]), torch.tensor([1.0]), points=65, tol=1e-7)
    torch.testing.assert_close(-1 + 2 * t, torch.tensor(knots, dtype=torch.float64), atol=1e-6, rtol=0)
    assert regions_along_line(model, torch.tensor([-1.0]), torch.tensor([1.0]), points=65) == 6
    assert regions_along_line(model, torch.tensor([0.2]), torch.tensor([0.5]), points=65) == 1


def test_regions_on_a_plane_cut_by_lines_through_the_origin():
    # 3 hidden units whose boundaries are 3 distinct lines through the origin: 6 sectors
    model = build_model("mlp", DataSpec("classification", (2,), 2), {"width": 3, "depth": 1})
    with torch.no_grad():
        angles = torch.tensor([0.0, math.pi / 3, 2 * math.pi / 3])
        model.blocks[0].linear.weight.copy_(torch.stack([angles.cos(), angles.sin()], 1))
        model.blocks[0].linear.bias.zero_()
    assert regions_on_plane(model, torch.zeros(2), torch.tensor([1.0, 0]), torch.tensor([0, 1.0])) == 6
    rows = run_probe("linear_regions", model, torch.randn(5, 2), points=65, resolution=32)
    assert {r["metric"] for r in rows} == {"regions_per_unit_length", "regions_on_plane"}


def test_functional_dimension_of_linear_and_relu_networks():
    torch.manual_seed(0)
    linear = nn.Linear(4, 1)
    x = torch.randn(40, 4, dtype=torch.float64)
    assert functional_dimension(linear.double(), x) == 5
    relu = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 1)).double()
    params = 4 * 6 + 6 + 6 + 1
    assert scaling_bound(relu) == params - 6
    # generic parameters, enough inputs: the scaling symmetries are the only ones
    assert functional_dimension(relu, torch.randn(400, 4, dtype=torch.float64)) == params - 6
    # a dead hidden unit (never active) removes its whole fan-in and fan-out
    with torch.no_grad():
        relu[0].bias[0] = -1e6
    assert functional_dimension(relu, torch.randn(400, 4, dtype=torch.float64)) == params - 6 - 5


def test_effective_rank_and_sparsity_known_values():
    q, _ = torch.linalg.qr(torch.randn(50, 3, dtype=torch.float64))
    r, _ = torch.linalg.qr(torch.randn(10, 3, dtype=torch.float64))
    x = 5.0 * q @ r.T  # three equal singular values
    assert effective_rank(x, centre=False) == pytest.approx(3.0)
    s = torch.tensor([4.0, 1.0], dtype=torch.float64)
    p = s / s.sum()
    assert effective_rank(torch.diag(s), centre=False) == pytest.approx(math.exp(-(p * p.log()).sum()))
    a = torch.relu(torch.tensor([[-1.0, 2.0, 0.0], [3.0, -1.0, 0.0]]))
    assert activation_sparsity(a) == pytest.approx(4 / 6)
    assert dead_unit_fraction(a) == pytest.approx(1 / 3)
    model = build_model("mlp", DataSpec("classification", (6,), 3), {"width": 8})
    rows = run_probe("representation_stats", model, torch.randn(20, 6))
    assert {(r["metric"], r["layer"]) for r in rows} >= {("effective_rank", "block0"),
                                                         ("activation_sparsity", "block1")}
