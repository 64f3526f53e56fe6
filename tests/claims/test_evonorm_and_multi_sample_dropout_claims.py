from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def test_evonorm_small_batch_smoke_runs_and_decides():
    claim = get_claim("evonorm_small_batch")
    records = claim.run("smoke")
    assert {r["run"] for r in records} == {"batchnorm/b64", "batchnorm/b4", "evonorm_s0/b64",
                                           "evonorm_s0/b4"}


def _dropout_records(k8_shift=300, k1_end=0.3):
    """K=1's loss falls linearly from 2.0 to k1_end over 1000 steps; K=8's curve is the same,
    ``k8_shift`` steps earlier (plus a little per-seed spread)."""
    rows = []
    for s in range(5):
        for step in range(50, 1001, 50):
            k1 = 2.0 - (2.0 - k1_end) * step / 1000
            k8 = 2.0 - (2.0 - k1_end) * min(1.0, (step + k8_shift + 50 * (s % 2)) / 1000) - 0.01
            rows += [claim_record("dropout", s, "train_loss", k1, step=step),
                     claim_record("multi_sample_dropout", s, "train_loss", k8, step=step)]
    return rows


def test_multi_sample_dropout_known_records_and_precondition():
    claim = get_claim("multi_sample_dropout")
    fast = _dropout_records()
    assert claim.budget_failure(fast) is None
    assert claim.verdict(fast).verdict == "reproduced"
    same = _dropout_records(k8_shift=0)
    assert claim.verdict(same).verdict == "not reproduced"
    untrained = _dropout_records(k1_end=1.5)
    assert "not a trained loss" in claim.budget_failure(untrained)
    assert claim.verdict(untrained).verdict == "inconclusive"


def test_multi_sample_dropout_smoke():
    result = smoke("multi_sample_dropout",
                   {a: ("train_loss", "test_accuracy") for a in ("dropout", "multi_sample_dropout")})
    assert all(0 < v <= 1 for v in result.verdict.per_seed.values())
