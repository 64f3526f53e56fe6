"""emc_labels: the rule and precondition on constructed records, and a smoke run whose derived
measures are those of its EMCs."""

import math

import pytest

from neuralab.claims import claim_record, get_claim


def _records(true=2000, rand=600, parameters=2698, high=10000):
    rows = []
    for s in range(5):
        t, r = true + 10 * s, rand + 5 * s
        rows += [claim_record("true", s, "emc", t), claim_record("random", s, "emc", r),
                 claim_record("emc", s, "log2_true_over_random", math.log2(t / r)),
                 claim_record("emc", s, "emc_over_parameters", t / parameters),
                 claim_record("search", s, "low", 16), claim_record("search", s, "high", high)]
    return rows


def test_verdict_rule_and_precondition():
    claim = get_claim("emc_labels")
    assert claim.check(_records()).verdict == "reproduced"
    close = claim.check(_records(true=700))
    assert close.verdict == "not reproduced" and "random labels" in close.decided
    many = claim.check(_records(true=5000))
    assert many.verdict == "not reproduced" and "parameters" in many.decided
    assert claim.budget_failure(_records()) is None
    assert "capped" in claim.budget_failure(_records(true=10000))
    assert "below the searched range" in claim.budget_failure(_records(rand=10))


def test_smoke():
    claim = get_claim("emc_labels")
    records = claim.run("smoke")
    emc = {(r["run"], r["member"]): r["value"] for r in records if r["metric"] == "emc"}
    assert len(emc) == 4 and all(3 <= v <= 100 for v in emc.values())
    for r in records:
        if r["metric"] == "log2_true_over_random":
            s = r["member"]
            assert r["value"] == pytest.approx(math.log2(emc["true", s] / emc["random", s]))
    assert claim.verdict(records, "smoke").verdict == "smoke check"
