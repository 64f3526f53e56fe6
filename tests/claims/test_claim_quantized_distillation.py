from smoke_check import smoke

from neuralab.claims import claim_record, get_claim

ARMS = ("teacher", "distilled", "labels_only")


def test_smoke_run_and_verdict():
    smoke("quantized_distillation",
          {"data": ("test_examples",), **{a: ("test_accuracy", "batch_loss") for a in ARMS}})


def known(gap, moving=False):
    rows = []
    for seed in range(5):
        rows += [claim_record("data", seed, "test_examples", 1000),
                 claim_record("teacher", seed, "test_accuracy", 0.9),
                 claim_record("distilled", seed, "test_accuracy", 0.7 + gap + 0.003 * seed),
                 claim_record("labels_only", seed, "test_accuracy", 0.7)]
        for arm in ARMS:
            rows += [claim_record(arm, seed, "batch_loss",
                                  2.0 - 0.09 * s if moving and arm == "distilled" else 0.3,
                                  step=s) for s in range(1, 21)]
    return rows


def test_check_on_known_records():
    claim = get_claim("quantized_distillation")
    assert claim.check(known(0.1)).verdict == "reproduced"
    assert claim.check(known(-0.1)).verdict == "not reproduced"


def test_budget_failure_on_unconverged_student():
    claim = get_claim("quantized_distillation")
    assert claim.budget_failure(known(0.1)) is None
    assert claim.budget_failure(known(0.1, moving=True)).startswith("distilled")
