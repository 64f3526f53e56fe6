"""more_is_better: the three parts and the precondition on constructed records, and a smoke run."""

from neuralab.claims import claim_record, get_claim
from neuralab.claims.theory.more_is_better import RIDGE_GRID, largest_relative_rise


def _records(width_risks=(0.08, 0.07, 0.06, 0.055), sample_risks=(0.09, 0.07, 0.06),
             train=0.01, ridge=3):
    rows = []
    for s in range(5):
        jitter = 0.0005 * s
        for arm, risks in (("width", width_risks), ("samples", sample_risks)):
            for k, r in enumerate(risks):
                size = 64 * 2 ** k
                rows += [claim_record(arm, s, "test_mse", r + jitter, step=size),
                         claim_record(arm, s, "train_mse", train, step=size),
                         claim_record(arm, s, "ridge_index", ridge, step=size)]
    return rows


def test_largest_relative_rise():
    assert largest_relative_rise([1.0, 0.9, 0.8]) < 0
    assert abs(largest_relative_rise([1.0, 0.5, 0.55]) - 0.1) < 1e-12


def test_verdict_rule_and_precondition():
    claim = get_claim("more_is_better")
    assert claim.check(_records()).verdict == "reproduced"
    peak = claim.check(_records(width_risks=(0.08, 0.1, 0.06, 0.055)))  # a double-descent bump
    assert peak.verdict == "not reproduced" and "width" in peak.decided
    fitted_badly = claim.check(_records(train=0.05))  # train close to test: no overfitting
    assert fitted_badly.verdict == "not reproduced" and "train / test" in fitted_badly.decided
    assert claim.budget_failure(_records()) is None
    assert "largest" in claim.budget_failure(_records(ridge=len(RIDGE_GRID) - 1))


def test_smoke():
    claim = get_claim("more_is_better")
    records = claim.run("smoke")
    assert {r["run"] for r in records} == {"width", "samples"}
    assert all(r["value"] >= 0 for r in records)
    assert claim.verdict(records, "smoke").verdict == "smoke check"
