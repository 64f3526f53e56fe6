from smoke_check import smoke

from neuralab.claims import claim_record, get_claim

ARMS = ("uniform", "hawq", "no_hessian")


def test_smoke_run_and_verdict():
    result = smoke("hawq_mixed_precision",
                   {"data": ("test_examples",), "float": ("test_accuracy", "batch_loss"),
                    **{a: ("test_accuracy", "average_bits") for a in ARMS}})
    for arm in ARMS:
        bits = [r["value"] for r in result.records
                if r["run"] == arm and r["metric"] == "average_bits"]
        assert len(bits) == 2 and all(b <= 3.0 + 1e-9 for b in bits)
    assert "Hessian-free" in result.verdict.notes


def known(gap, moving=False):
    rows = []
    for seed in range(5):
        rows += [claim_record("data", seed, "test_examples", 1000),
                 claim_record("float", seed, "test_accuracy", 0.9),
                 claim_record("uniform", seed, "test_accuracy", 0.7),
                 claim_record("hawq", seed, "test_accuracy", 0.7 + gap + 0.003 * seed),
                 claim_record("no_hessian", seed, "test_accuracy", 0.5)]
        rows += [claim_record("hawq", seed, "bits", b, layer=k)
                 for k, b in (("conv", 4 if gap else 3), ("head", 2 if gap else 3))]
        rows += [claim_record("float", seed, "batch_loss", 2.0 - 0.09 * s if moving else 0.01,
                              step=s) for s in range(1, 21)]
    return rows


def test_check_on_known_records():
    claim = get_claim("hawq_mixed_precision")
    assert claim.check(known(0.1)).verdict == "reproduced"
    assert claim.check(known(-0.1)).verdict == "not reproduced"
    same = claim.check(known(0.0))  # uniform 3 bits chosen: effect 0, not a reproduction
    assert same.verdict != "reproduced" and "uniform 3 bits for 5 of 5 seeds" in same.notes


def test_budget_failure_on_unconverged_float_model():
    claim = get_claim("hawq_mixed_precision")
    assert claim.budget_failure(known(0.1)) is None
    assert claim.budget_failure(known(0.1, moving=True)).startswith("float")
