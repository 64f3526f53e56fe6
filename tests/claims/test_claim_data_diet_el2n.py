from smoke_check import smoke

from neuralab.claims import claim_record, get_claim

ARMS = ("full", "el2n", "random", "easy")


def test_smoke_run_and_verdict():
    smoke("data_diet_el2n",
          {"data": ("test_examples",), **{a: ("test_accuracy", "batch_loss") for a in ARMS}},
          parts=2)


def known(acc, moving=()):
    rows = []
    for seed in range(5):
        rows.append(claim_record("data", seed, "test_examples", 100_000))
        for arm in ARMS:
            rows.append(claim_record(arm, seed, "test_accuracy",
                                     acc[arm] + (0.002 * seed if arm == "el2n" else 0)))
            rows += [claim_record(arm, seed, "batch_loss",
                                  2.0 - 0.09 * s if arm in moving else 0.01, step=s)
                     for s in range(1, 21)]
    return rows


def test_check_on_known_records():
    claim = get_claim("data_diet_el2n")
    good = claim.check(known({"full": 0.90, "el2n": 0.89, "random": 0.85, "easy": 0.8}))
    assert good.verdict == "reproduced" and "easiest 70% minus full -0.100" in good.notes
    assert claim.check(known({"full": 0.90, "el2n": 0.80, "random": 0.85, "easy": 0.8})).verdict \
        == "not reproduced"


def test_budget_failure_on_unconverged_subset_training():
    claim = get_claim("data_diet_el2n")
    acc = {"full": 0.90, "el2n": 0.89, "random": 0.85, "easy": 0.8}
    assert claim.budget_failure(known(acc)) is None
    assert claim.budget_failure(known(acc, moving=("random",))).startswith("random")
