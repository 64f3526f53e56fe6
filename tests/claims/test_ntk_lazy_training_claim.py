"""ntk_lazy_training: the network and the NTK-parametrized descent against their formulas (the
linearized dynamics at large width), the eigen-order measure and slope on known answers, the rule
and precondition on constructed records, and a smoke run."""

import math

import pytest
import torch

from neuralab.claims import claim_record, get_claim
from neuralab.claims.theory.ntk_lazy_training import (eigen_order_gap, log_log_slope,
                                                      ntk_gradient_descent, relu_network,
                                                      teacher_data)
from neuralab.probes.ntk import empirical_ntk, ntk_scales


def test_network_and_data_are_the_formulas():
    g = torch.Generator().manual_seed(0)
    x, y = teacher_data(7, g)
    torch.testing.assert_close(y, torch.tanh(x[:, 0] + x[:, 1]) + 0.5 * torch.sin(2 * x[:, 2]))
    net = relu_network(5, torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)
    w1 = torch.randn(5, 4, generator=g, dtype=torch.float64) * math.sqrt(2 / 4)
    w2 = torch.randn(1, 5, generator=g, dtype=torch.float64) * math.sqrt(2 / 5)
    torch.testing.assert_close(net(x), torch.relu(x @ w1.T) @ w2.T)


def test_wide_network_descends_as_the_linearized_kernel_dynamics():
    """f_{t+1} - y = (I - eta Theta_0 / N)(f_t - y) to first order: at width 8192 the residual
    after 20 steps is the linear prediction within a few percent of its size."""
    g = torch.Generator().manual_seed(3)
    x, y = teacher_data(30, g)
    net = relu_network(8192, g)
    k0 = empirical_ntk(net, x, scales=ntk_scales(net))
    eta = 30 / float(torch.linalg.eigvalsh(k0)[-1])
    _, residuals = ntk_gradient_descent(net, x, y, eta, 20, keep=(0, 20))
    step = torch.eye(30, dtype=torch.float64) - eta * k0 / 30
    predicted = torch.linalg.matrix_power(step, 20) @ residuals[0]
    assert float((residuals[20] - predicted).norm() / residuals[20].norm()) < 0.05


def test_eigen_order_gap_known_answer():
    """Residual energies e_i kept as exp(-c_i) in the eigenbasis: the gap is the log-ratio of the
    kept shares of directions 5-20 and 1-4."""
    n = 24
    u, _ = torch.linalg.qr(torch.randn(n, n, dtype=torch.float64,
                                       generator=torch.Generator().manual_seed(0)))
    eigenvalues = torch.arange(n, 0, -1, dtype=torch.float64)        # descending
    kernel = u @ torch.diag(eigenvalues) @ u.T
    start_coords = torch.ones(n, dtype=torch.float64)
    kept = torch.cat([torch.full((4,), 0.01, dtype=torch.float64), torch.full((20,), 0.5, dtype=torch.float64)])
    later = u @ (start_coords * kept.sqrt())
    expected = math.log(0.5) - math.log(0.01)
    assert eigen_order_gap(kernel, u @ start_coords, later) == pytest.approx(expected, rel=1e-9)


def test_log_log_slope_known_answer():
    widths = [64, 128, 256, 512]
    assert log_log_slope(widths, [3 * w ** -0.5 for w in widths]) == pytest.approx(-0.5, rel=1e-9)
    assert math.isnan(log_log_slope(widths, [1.0, 0.5, 0.0, 0.1]))  # for the precondition to name


def _records(change=-0.5, deviation=-0.5, gap=6.0, fraction=0.01):
    rows = []
    for s in range(10):
        jitter = 0.01 * (s - 4.5)
        rows += [claim_record("network", s, "kernel_change_slope", change + jitter),
                 claim_record("network", s, "init_deviation_slope", deviation + jitter),
                 claim_record("network", s, "eigen_order_gap", gap + jitter),
                 claim_record("network", s, "loss_fraction", fraction),
                 claim_record("network", s, "kernel_change", 0.01, step=4096)]
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("ntk_lazy_training")
    assert claim.check(_records()).verdict == "reproduced"
    moving = claim.check(_records(change=0.0))
    assert moving.verdict == "not reproduced" and "kernel change" in moving.decided
    assert claim.check(_records(gap=0.2)).verdict == "not reproduced"
    assert claim.check(_records(deviation=-0.25)).verdict == "inconclusive"
    assert claim.budget_failure(_records()) is None
    assert "training loss fell only" in claim.budget_failure(_records(fraction=0.2))
    broken = _records() + [claim_record("network", 0, "init_deviation", float("nan"), step=64)]
    assert "finite positive" in claim.budget_failure(broken)


def test_smoke():
    claim = get_claim("ntk_lazy_training")
    records = claim.run("smoke")
    slopes = [r for r in records if r["metric"] == "kernel_change_slope"]
    assert len(slopes) == 2 and all(math.isfinite(r["value"]) for r in slopes)
    assert len([r for r in records if r["metric"] == "kernel_change"]) == 2 * 3
    assert claim.verdict(records, "smoke").verdict == "smoke check"
