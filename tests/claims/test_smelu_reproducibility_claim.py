"""smelu_reproducibility: pairs of seeds, the rule (with the test-set error) and the precondition
on constructed records, and a smoke run (differences in [0, 1], a test-set error for each part,
a loss curve per model)."""

import math

from neuralab.claims import claim_record, get_claim
from neuralab.claims.activations.smelu_reproducibility import pair_seeds


def test_pairs_partition_the_training_seeds():
    seeds = [s for pair in range(10) for s in pair_seeds(pair)]
    assert seeds == list(range(20))


def _records(relu_pd=0.10, smelu_pd=0.08, relu_acc=0.70, smelu_acc=0.70, pd_error=0.0,
             loss_end=0.01):
    rows = []
    for p in range(10):
        jitter = 0.001 * (p - 4.5)
        rows += [claim_record("relu", p, "prediction_difference", relu_pd + jitter),
                 claim_record("smelu", p, "prediction_difference", smelu_pd + jitter),
                 claim_record("relu", p, "test_accuracy", relu_acc + jitter),
                 claim_record("smelu", p, "test_accuracy", smelu_acc + jitter)]
        for seed in pair_seeds(p):
            for step, value in ((100, 1.0), (200, 0.5), (300, 0.2), (400, loss_end)):
                rows.append(claim_record(f"smelu/seed{seed}", seed, "batch_loss", value, step=step))
    rows += [claim_record("test_set_error", 0, "prediction_difference", pd_error),
             claim_record("test_set_error", 0, "test_accuracy", 0.002)]
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("smelu_reproducibility")
    assert claim.check(_records()).verdict == "reproduced"
    worse = claim.check(_records(smelu_pd=0.12))
    assert worse.verdict == "not reproduced" and "prediction difference" in worse.decided
    assert claim.check(_records(smelu_acc=0.65)).verdict == "not reproduced"
    # the same seed effects, but a test set too small to tell them apart
    assert claim.check(_records(pd_error=0.02)).verdict == "inconclusive"
    assert claim.budget_failure(_records()) is None
    assert "still moving" in claim.budget_failure(_records(loss_end=0.19))


def test_smoke():
    claim = get_claim("smelu_reproducibility")
    records = claim.run("smoke")
    for arm in ("relu", "smelu"):
        pd = [r["value"] for r in records if r["run"] == arm and r["metric"] == "prediction_difference"]
        top1 = [r["value"] for r in records if r["run"] == arm and r["metric"] == "top1_disagreement"]
        assert len(pd) == 2 and all(0 < v < 1 for v in pd) and all(0 <= v <= 1 for v in top1)
    errors = [r for r in records if r["run"] == "test_set_error"]
    assert len(errors) == 2 and all(math.isfinite(r["value"]) and r["value"] > 0 for r in errors)
    assert {r["run"] for r in records if r["metric"] == "batch_loss"} == {
        f"{a}/seed{s}" for a in ("relu", "smelu") for s in range(4)}
    assert claim.verdict(records, "smoke").verdict == "smoke check"
