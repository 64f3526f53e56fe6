import pytest
from smoke_check import smoke

from neuralab.claims import claim_record, get_claim
from neuralab.claims.compression.gradual_pruning_large_sparse import matching_width


def test_matching_width_solves_for_equal_weights():
    w = matching_width(40, 10, 28_700)
    assert abs(50 * w + w * w - 28_700) <= 50 + 2 * w + 1
    assert matching_width(40, 10, 50 * 100 + 100 * 100) == 100


def test_smoke_run_and_verdict():
    result = smoke("gradual_pruning_large_sparse",
                   {"data": ("test_examples",),
                    "large_sparse": ("test_accuracy", "nonzero_weights", "batch_loss"),
                    "small_dense": ("test_accuracy", "width", "batch_loss")})
    nonzero = [r["value"] for r in result.records if r["metric"] == "nonzero_weights"]
    width = [r["value"] for r in result.records if r["metric"] == "width"]
    total = 40 * 64 + 64 * 64 + 64 * 10
    assert all(v == pytest.approx(0.1 * total, abs=1) for v in nonzero)
    assert all(abs(50 * w + w * w - 0.1 * total) < 50 + 2 * w + 1 for w in width)


def known(gap, moving=False):
    rows = []
    for seed in range(5):
        rows += [claim_record("data", seed, "test_examples", 1000),
                 claim_record("large_sparse", seed, "test_accuracy", 0.7 + gap + 0.003 * seed),
                 claim_record("small_dense", seed, "test_accuracy", 0.7)]
        for arm in ("large_sparse", "small_dense"):
            rows += [claim_record(arm, seed, "batch_loss", 2.0 - 0.09 * s if moving else 0.1,
                                  step=s) for s in range(1, 21)]
    return rows


def test_check_on_known_records():
    claim = get_claim("gradual_pruning_large_sparse")
    assert claim.check(known(0.1)).verdict == "reproduced"
    assert claim.check(known(-0.1)).verdict == "not reproduced"
    assert claim.check(known(0.01)).verdict == "inconclusive"  # within the test set's error


def test_budget_failure_on_unconverged_training():
    claim = get_claim("gradual_pruning_large_sparse")
    assert claim.budget_failure(known(0.1)) is None
    assert claim.verdict(known(0.1, moving=True)).verdict == "inconclusive"
