from smoke_check import smoke

from neuralab.claims import claim_record, get_claim
from neuralab.claims.compression.global_magnitude_pruning import METHODS, SPARSITIES, pruner
from neuralab.compress.prune import sparsity
from neuralab.data.dataset import load_dataset
from neuralab.models import build_model

ARMS = [f"{m}/{s}" for s in SPARSITIES for m in METHODS]


def test_minimum_threshold_keeps_every_layer():
    data = load_dataset("mnist1d", num_samples=300)
    model = build_model("mlp", data.spec, {"width": 32, "depth": 2}, seed=0)
    pruner("global_mt", 0.99, 32).apply(model)
    per_layer = sparsity(model)
    kept = {k: v for k, v in per_layer.items() if k != "total"}
    assert kept and all(v < 1.0 for v in kept.values())
    assert per_layer["total"] < 0.99 + 0.05


def test_smoke_run_and_verdict():
    loss = ("test_accuracy", "batch_loss")
    arms = {a: loss + (("mt_lifted",) if a.startswith("global_mt") else ()) for a in ARMS}
    result = smoke("global_magnitude_pruning",
                   {"data": ("test_examples",), "dense": loss, **arms}, parts=2)
    assert "MT lifted" in result.claim.check(result.records).notes


def losses(arm, seed, end):
    return [claim_record(arm, seed, "batch_loss", 2.0 if step < 10 else end, step=step)
            for step in range(1, 21)]


def known(gap, end=0.5):
    rows = []
    for seed in range(5):
        rows += [claim_record("data", seed, "test_examples", 1000)] + losses("dense", seed, 0.01)
        for s in SPARSITIES:
            rows += [claim_record(f"global_mt/{s}", seed, "test_accuracy",
                                  0.5 + gap + 0.005 * seed),
                     claim_record(f"layerwise_magnitude/{s}", seed, "test_accuracy", 0.5)]
            rows += [r for m in METHODS for r in losses(f"{m}/{s}", seed, end)]
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
