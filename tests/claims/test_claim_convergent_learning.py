from smoke_check import smoke

from neuralab.claims import by_seed, claim_record
from neuralab.claims.probes.convergent_learning import MIDDLE, ConvergentLearning


def _records(first=0.9, middle=0.7, final_loss=0.002):
    rows = []
    for s in range(5):
        jitter = 0.01 * (s - 2)
        rows += [claim_record("pair", s, "cka", first + jitter, layer="block0"),
                 claim_record("pair", s, "cka", middle - jitter, layer=MIDDLE),
                 claim_record("pair", s, "sparse_prediction_corr", 0.8 + jitter, layer=MIDDLE),
                 claim_record("pair", s, "one_to_one_corr", 0.5, layer=MIDDLE)]
        for arm in ("net1", "net2"):
            rows += [claim_record(arm, s, "batch_loss", v, step=st) for st, v in
                     zip(range(400, 4001, 400), [1.5, 0.5, 0.1, 0.02, 0.005, 0.003, 0.002, 0.002,
                                                 0.002, final_loss])]
    return rows


def test_verdict_rule_and_precondition():
    claim = ConvergentLearning()
    assert claim.check(_records()).verdict == "reproduced"
    low = claim.check(_records(first=0.5, middle=0.3))
    assert low.verdict == "not reproduced" and "first hidden layer" in low.decided
    assert claim.budget_failure(_records()) is None
    assert "still moving" in claim.budget_failure(_records(final_loss=0.5))


def test_smoke():
    result = smoke("convergent_learning", {"net1": ("test_accuracy", "batch_loss"),
                                           "net2": ("test_accuracy", "batch_loss"),
                                           "pair": ()}, parts=3)
    seeds = set(result.claim.seeds_for("smoke"))
    for layer in ("block0", "block5"):
        cka = by_seed(result.records, "pair", "cka", layer=layer)
        assert set(cka) == seeds and all(0 <= v <= 1 + 1e-9 for v in cka.values())
