import pytest
from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def test_smoke_run_and_verdict():
    arms = {f"{a}/{w}": ("test_accuracy", "batch_loss") for a in ("dense", "random_erk")
            for w in (8, 32)}
    smoke("random_pruning_erk", {"data": ("test_examples",), **arms}, parts=2)


def known(gaps, moving=()):
    rows = []
    for seed in range(5):
        rows.append(claim_record("data", seed, "test_examples", 100_000))
        for w, gap in gaps.items():
            rows += [claim_record(f"dense/{w}", seed, "test_accuracy", 0.7 + 0.002 * seed),
                     claim_record(f"random_erk/{w}", seed, "test_accuracy",
                                  0.7 - gap - 0.002 * seed * (w == 32))]
            for arm in (f"dense/{w}", f"random_erk/{w}"):
                rows += [claim_record(arm, seed, "batch_loss",
                                      2.0 - 0.09 * s if arm in moving else 0.1, step=s)
                         for s in range(1, 21)]
    return rows


def test_check_on_known_records():
    claim = get_claim("random_pruning_erk")
    verdict = claim.check(known({32: 0.05, 128: 0.02, 512: 0.0}))
    assert verdict.verdict == "reproduced"
    assert verdict.parts[1].effect == pytest.approx(0.054)  # gap at 32 minus gap at 512
    assert claim.check(known({32: 0.05, 128: 0.05, 512: 0.05})).verdict == "not reproduced"


def test_budget_failure_on_unconverged_training():
    claim = get_claim("random_pruning_erk")
    gaps = {32: 0.05, 128: 0.02, 512: 0.0}
    assert claim.budget_failure(known(gaps)) is None
    assert "random_erk/512" in claim.budget_failure(known(gaps, moving=("random_erk/512",)))
