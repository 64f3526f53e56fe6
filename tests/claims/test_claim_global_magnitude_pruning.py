from smoke_check import smoke

from neuralab.claims import claim_record, get_claim

SPARSITIES = (0.95, 0.98)
ARMS = [f"{m}/{s}" for s in SPARSITIES for m in ("global_magnitude", "layerwise_magnitude")]


def test_smoke_run_and_verdict():
    loss = ("test_accuracy", "batch_loss")
    smoke("global_magnitude_pruning", {"data": ("test_examples",), "dense": loss,
                                       **{a: loss for a in ARMS}}, parts=2)


def losses(arm, seed, end):
    return [claim_record(arm, seed, "batch_loss", 2.0 if step < 10 else end, step=step)
            for step in range(1, 21)]


def known(gap, end=0.5):
    rows = []
    for seed in range(5):
        rows += [claim_record("data", seed, "test_examples", 1000)] + losses("dense", seed, 0.01)
        for s in SPARSITIES:
            rows += [claim_record(f"global_magnitude/{s}", seed, "test_accuracy",
                                  0.5 + gap + 0.005 * seed),
                     claim_record(f"layerwise_magnitude/{s}", seed, "test_accuracy", 0.5)]
            rows += losses(f"global_magnitude/{s}", seed, end)
            rows += losses(f"layerwise_magnitude/{s}", seed, end)
    return rows


def test_check_on_known_records():
    claim = get_claim("global_magnitude_pruning")
    assert claim.check(known(0.2)).verdict == "reproduced"
    assert claim.check(known(-0.2)).verdict == "not reproduced"


def test_budget_failure_when_fine_tuning_still_learns():
    claim = get_claim("global_magnitude_pruning")
    assert claim.budget_failure(known(0.2)) is None
    rows = known(0.2)
    moving = [r for r in rows if r["metric"] != "batch_loss" or r["run"] != "dense"]
    moving += [claim_record("dense", seed, "batch_loss", 2.0 - 0.09 * step, step=step)
               for seed in range(5) for step in range(1, 21)]
    failed = claim.budget_failure(moving)
    assert failed and "dense" in failed
    assert claim.verdict(moving).verdict == "inconclusive"
