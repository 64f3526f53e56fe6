import pytest
from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def test_smoke_run_and_verdict():
    result = smoke("lottery_ticket_rewinding",
                   {"data": ("test_examples",), "dense": ("test_accuracy", "batch_loss"),
                    "ticket": ("test_accuracy", "sparsity", "batch_loss"),
                    "reinit": ("test_accuracy", "batch_loss")}, parts=2)
    sparsities = [r["value"] for r in result.records
                  if r["metric"] == "sparsity" and r["member"] == 0]
    assert sparsities == pytest.approx([0.2, 0.36], abs=1e-3)


def losses(arm, seed, moving=False):
    return [claim_record(arm, seed, "batch_loss", 2.0 - 0.09 * step if moving else 0.3,
                         step=step) for step in range(1, 21)]


def known(ticket=0.695, moving=()):
    rows = []
    for seed in range(5):
        rows += [claim_record("data", seed, "test_examples", 100_000),
                 claim_record("dense", seed, "test_accuracy", 0.70 + 0.004 * seed),
                 claim_record("ticket", seed, "test_accuracy", 0.50, step=1),
                 claim_record("ticket", seed, "test_accuracy", ticket + 0.004 * seed, step=10),
                 claim_record("reinit", seed, "test_accuracy", 0.55 + 0.003 * seed)]
        rows += [r for arm in ("dense", "ticket", "reinit")
                 for r in losses(arm, seed, arm in moving)]
    return rows


def test_check_on_known_records():
    claim = get_claim("lottery_ticket_rewinding")
    assert claim.check(known()).verdict == "reproduced"  # the last round counts
    assert claim.check(known(ticket=0.5)).verdict == "not reproduced"


def test_budget_failure_on_unconverged_ticket():
    claim = get_claim("lottery_ticket_rewinding")
    assert claim.budget_failure(known()) is None
    failed = claim.budget_failure(known(moving=("ticket",)))
    assert failed and failed.startswith("ticket")
    assert claim.verdict(known(moving=("ticket",))).verdict == "inconclusive"
