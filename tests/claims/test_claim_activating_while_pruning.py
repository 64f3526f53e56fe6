import pytest
from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def test_smoke_run_and_verdict():
    result = smoke("activating_while_pruning",
                   {"data": ("test_examples",),
                    **{a: ("test_accuracy", "dynamic_dnr", "batch_loss") for a in ("imp", "imp_ap")}})
    for arm in ("imp", "imp_ap"):
        rounds = [r["step"] for r in result.records
                  if r["run"] == arm and r["member"] == 0 and r["metric"] == "test_accuracy"]
        assert rounds == [1, 2]


def rows(gain, moving=False):
    out = []
    for seed in range(5):
        out.append(claim_record("data", seed, "test_examples", 100_000))
        for arm, last in (("imp", 0.60), ("imp_ap", 0.60 + gain + 0.003 * seed)):
            out += [claim_record(arm, seed, "test_accuracy", 0.2, step=1),
                    claim_record(arm, seed, "test_accuracy", last, step=12),
                    claim_record(arm, seed, "dynamic_dnr", 0.4, step=12)]
            out += [claim_record(arm, seed, "batch_loss", 2.0 - 0.09 * s if moving else 0.1,
                                 step=s) for s in range(1, 21)]
    return out


def test_check_on_known_records():
    claim = get_claim("activating_while_pruning")
    better = claim.check(rows(0.03))
    assert better.verdict == "reproduced" and better.effect == pytest.approx(0.036)
    assert claim.check(rows(-0.01)).verdict == "not reproduced"


def test_budget_failure_on_unconverged_retraining():
    claim = get_claim("activating_while_pruning")
    assert claim.budget_failure(rows(0.03)) is None
    assert claim.budget_failure(rows(0.03, moving=True))
    assert claim.verdict(rows(0.03, moving=True)).verdict == "inconclusive"
