"""neural_redshift: the random MLP against its formula, the rule and precondition on constructed
records, and a smoke run."""

import math

import torch

from neuralab.claims import claim_record, get_claim
from neuralab.claims.probes.neural_redshift import random_mlp_outputs, setting_step


def test_one_hidden_layer_network_is_the_formula():
    x = torch.linspace(-1, 1, 9, dtype=torch.float64)
    out = random_mlp_outputs("tanh", 1, 2.0, 5, 3, x, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)  # the same draws, in the same order
    a1, a2 = 2.0 * math.sqrt(3 / 1), 2.0 * math.sqrt(3 / 5)
    w1 = (torch.rand(3, 1, 5, generator=g, dtype=torch.float64) * 2 - 1) * a1
    b1 = (torch.rand(3, 1, 5, generator=g, dtype=torch.float64) * 2 - 1) * a1
    w2 = (torch.rand(3, 5, 1, generator=g, dtype=torch.float64) * 2 - 1) * a2
    b2 = (torch.rand(3, 1, 1, generator=g, dtype=torch.float64) * 2 - 1) * a2
    for m in range(3):
        h = torch.tanh(x[:, None] * w1[m] + b1[m])                  # (K, 5)
        torch.testing.assert_close(out[m], (h @ w2[m] + b2[m])[:, 0])


def _records(relu=0.2, tanh=2.5, mf=10.0):
    rows = []
    for s in range(5):
        for act, growth in (("relu", relu), ("tanh", tanh)):
            rows += [claim_record(act, s, "growth_log2", growth + 0.01 * s, step=99999),
                     claim_record(act, s, "grid_points", 1024, step=99999),
                     claim_record(act, s, "mean_frequency", mf, step=setting_step(8, 8))]
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("neural_redshift")
    assert claim.check(_records()).verdict == "reproduced"
    complex_relu = claim.check(_records(relu=2.0, tanh=4.0))
    assert complex_relu.verdict == "not reproduced" and "ReLU" in complex_relu.decided
    assert claim.check(_records(tanh=0.3)).verdict == "not reproduced"
    assert claim.budget_failure(_records()) is None
    assert "not resolved" in claim.budget_failure(_records(mf=200.0))


def test_smoke():
    claim = get_claim("neural_redshift")
    records = claim.run("smoke")
    growth = [r for r in records if r["metric"] == "growth_log2"]
    assert len(growth) == 4 and all(math.isfinite(r["value"]) for r in growth)
    assert claim.verdict(records, "smoke").verdict == "smoke check"
