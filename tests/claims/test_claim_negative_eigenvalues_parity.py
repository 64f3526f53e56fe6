from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.negative_eigenvalues_parity import ARMS, NegativeEigenvaluesParity

METRICS = ("final_accuracy", "long_accuracy", "test_accuracy")


def _records(negative, positive, final_losses=(0.01, 0.01)):
    rows = []
    for s in range(5):
        for arm, v in (("eig[-1,1]", negative), ("eig[0,1]", positive)):
            rows += [claim_record(arm, s, "final_accuracy", v + 0.004 * (s - 2), step=800),
                     claim_record(arm, s, "long_test_examples", 1000, step=800)]
            rows += [claim_record(arm, s, "batch_loss", loss, step=step) for step, loss in
                     zip(range(80, 801, 80), [0.7, 0.5, 0.3, 0.1, 0.05, 0.02, 0.01, 0.01,
                                              *final_losses])]
    return rows


def test_verdict_rule():
    claim = NegativeEigenvaluesParity()
    assert claim.check(_records(0.99, 0.5)).verdict == "reproduced"
    assert claim.check(_records(0.5, 0.5)).verdict == "not reproduced"
    assert claim.check(_records(0.99, 0.9)).verdict == "not reproduced"
    assert claim.check(_records(0.91, 0.5)).verdict == "inconclusive"  # the test set's error


def test_precondition():
    claim = NegativeEigenvaluesParity()
    assert claim.budget_failure(_records(0.99, 0.5)) is None
    moving = _records(0.99, 0.5, final_losses=(0.4, 0.2))
    assert "still moving" in claim.budget_failure(moving)
    assert claim.verdict(moving).verdict == "inconclusive"


def test_smoke():
    result = smoke("negative_eigenvalues_parity", {arm: METRICS for arm in ARMS}, parts=2)
    for r in result.records:
        if r["metric"] in ("final_accuracy", "long_accuracy"):
            assert 0.0 <= r["value"] <= 1.0
