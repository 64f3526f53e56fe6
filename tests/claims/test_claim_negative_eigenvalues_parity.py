from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.negative_eigenvalues_parity import NegativeEigenvaluesParity

METRICS = ("final_accuracy", "long_accuracy", "test_accuracy")


def _records(negative, positive):
    return [claim_record(arm, s, "final_accuracy", v) for s in range(5)
            for arm, v in (("eig[-1,1]", negative), ("eig[0,1]", positive))]


def test_verdict_rule():
    claim = NegativeEigenvaluesParity()
    assert claim.check(_records(0.99, 0.5)).verdict == "reproduced"
    assert claim.check(_records(0.5, 0.5)).verdict == "not reproduced"
    assert claim.check(_records(0.99, 0.9)).verdict == "not reproduced"


def test_smoke():
    result = smoke("negative_eigenvalues_parity", {"eig[0,1]": METRICS, "eig[-1,1]": METRICS},
                   parts=2)
    for r in result.records:
        if r["metric"] in ("final_accuracy", "long_accuracy"):
            assert 0.0 <= r["value"] <= 1.0
