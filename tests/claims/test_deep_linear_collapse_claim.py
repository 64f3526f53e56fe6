"""deep_linear_collapse: the objective against its formula, stacked problems equal to separate
ones, the geometry measures on known answers, the rule and precondition on constructed records,
and a smoke run."""

import math

import pytest
import torch

from neuralab.claims import claim_record, get_claim
from neuralab.claims.theory.deep_linear_collapse import (deep_linear_objective, mean_geometry,
                                                         smallest_length_step,
                                                         train_deep_linear_ufm)


def test_objective_is_the_formula():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(2, 5, 7, generator=g, dtype=torch.float64)
    w1 = torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
    w2 = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    y = torch.eye(3, dtype=torch.float64)[torch.tensor([0, 1, 2, 0, 1, 2, 0])].T   # (3, 7)
    got = deep_linear_objective(h, [w1, w2], y, 0.1)
    for s in range(2):
        fit = torch.linalg.matrix_norm(w2[s] @ w1[s] @ h[s] - y) ** 2 / 14
        reg = 0.05 * (w1[s].pow(2).sum() + w2[s].pow(2).sum() + h[s].pow(2).sum() / 7)
        assert float(got[s]) == pytest.approx(float(fit + reg), rel=1e-12)


def test_stacked_problems_train_as_separate_ones():
    both = train_deep_linear_ufm((3, 2), 1e-3, 50, 0.01,
                                 [torch.Generator().manual_seed(s) for s in (1, 2)])
    alone = train_deep_linear_ufm((3, 2), 1e-3, 50, 0.01, [torch.Generator().manual_seed(2)])
    torch.testing.assert_close(both[0][1], alone[0][0])
    torch.testing.assert_close(both[2][1], alone[2][0])
    assert both[1].tolist() == [0, 0, 0, 1, 1]
    assert both[2][0, -1] < both[2][0, 0] and both[3].shape == (2,)


def test_geometry_known_answers():
    labels = torch.tensor([0, 0, 1, 1, 2])
    features = torch.tensor([[2.0, 0, 0], [2.0, 0, 0], [0, 1.0, 0], [0, 1.0, 0], [0, 0, 0.5]])
    cosine, norms = mean_geometry(features, labels)
    assert cosine == pytest.approx(0.0) and norms == pytest.approx([2.0, 1.0, 0.5])
    assert smallest_length_step(norms) == pytest.approx(0.25)
    tilted = features.clone()
    tilted[4] = torch.tensor([0.5, 0.0, 0.5])
    assert mean_geometry(tilted, labels)[0] == pytest.approx(1 / math.sqrt(2))
    assert smallest_length_step([1.0, 1.2, 0.5]) == pytest.approx(-0.2)


def _records(nc1=1e-4, cosine=0.01, step=0.1, grad=1e-5, share=0.3):
    rows = []
    for s in range(10):
        jitter = 1e-4 * s
        for arm in ("balanced", "imbalanced"):
            rows += [claim_record(arm, s, "nc1", nc1 + jitter),
                     claim_record(arm, s, "max_abs_cosine", cosine + jitter),
                     claim_record(arm, s, "final_gradient_norm", grad),
                     claim_record(arm, s, "smallest_norm_share", share)]
        rows.append(claim_record("imbalanced", s, "length_step", step + jitter))
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("deep_linear_collapse")
    assert claim.check(_records()).verdict == "reproduced"
    etf = claim.check(_records(cosine=1 / 3))
    assert etf.verdict == "not reproduced" and "cosine" in etf.decided
    assert claim.check(_records(step=-0.1)).verdict == "not reproduced"
    assert claim.check(_records(nc1=0.5)).verdict == "not reproduced"
    assert claim.budget_failure(_records()) is None
    assert "stationary point" in claim.budget_failure(_records(grad=0.01))
    assert "vanished" in claim.budget_failure(_records(share=0.001))


def test_smoke():
    claim = get_claim("deep_linear_collapse")
    records = claim.run("smoke")
    assert len([r for r in records if r["metric"] == "nc1"]) == 2 * 2
    assert all(math.isfinite(r["value"]) for r in records)
    assert claim.verdict(records, "smoke").verdict == "smoke check"
