import torch

from neuralab.claims import claim_record, get_claim
from neuralab.claims.compression.lmul_precision import operands
from smoke_check import smoke

ARMS = ("lmul4", "lmul3", "e4m3", "e5m2")


def test_operands_are_normal_e4m3_numbers():
    x, y = operands(5000, 0)
    assert bool((x.abs() >= 2.0**-6).all()) and bool((y.abs() >= 2.0**-6).all())
    assert torch.equal(operands(5000, 0)[0], x) and not torch.equal(operands(5000, 1)[0], x)


def test_smoke_run_and_verdict():
    result = smoke("lmul_precision", {a: ("mean_relative_error", "relative_error_se") for a in ARMS},
                   parts=2)
    errors = {r["run"]: r["value"] for r in result.records
              if r["member"] == 0 and r["metric"] == "mean_relative_error"}
    assert errors["e5m2"] > errors["e4m3"] > 0  # fewer mantissa bits, more error
    assert errors["lmul3"] > errors["lmul4"] > 0


def rows(errors, se=1e-5):
    out = []
    for seed in range(5):
        for arm, err in errors.items():
            v = err * (1 + 0.002 * seed)
            out += [claim_record(arm, seed, "mean_relative_error", v),
                    claim_record(arm, seed, "relative_error_se", se)]
    return out


def test_check_on_known_records():
    claim = get_claim("lmul_precision")
    good = rows({"lmul4": 0.03, "lmul3": 0.06, "e4m3": 0.028, "e5m2": 0.07})
    assert claim.check(good).verdict == "reproduced"
    bad = rows({"lmul4": 0.06, "lmul3": 0.06, "e4m3": 0.028, "e5m2": 0.05})
    assert claim.check(bad).verdict == "not reproduced"


def test_budget_failure_on_too_few_pairs():
    claim = get_claim("lmul_precision")
    errors = {"lmul4": 0.03, "lmul3": 0.06, "e4m3": 0.028, "e5m2": 0.07}
    assert claim.budget_failure(rows(errors, se=1e-5)) is None
    failed = claim.budget_failure(rows(errors, se=1e-3))
    assert failed and "Monte Carlo" in failed
    assert claim.verdict(rows(errors, se=1e-3), "full").verdict == "inconclusive"
