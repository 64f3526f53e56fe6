import pytest

from neuralab.claims import VERDICTS, claim_record, run_claim
from neuralab.claims.theory.sharpness_generalization import SharpnessGeneralization
from smoke_check import check_precondition_judged


def test_kendall_taus_of_a_population():
    rows = []
    for seed in (0, 1, 2):  # sharpness follows lr exactly and test error not at all
        for i, (lr, err) in enumerate([(0.1, 0.3), (0.2, 0.1), (0.3, 0.4), (0.4, 0.2)]):
            rows += [claim_record(f"m{i}", seed, "lr", lr), claim_record(f"m{i}", seed, "test_error", err),
                     claim_record(f"m{i}", seed, "sharpness", 10 * lr)]
    verdict = SharpnessGeneralization().check(rows)
    assert verdict.parts[0].effect == pytest.approx(0.0)  # tau(sharpness, err) = 0 here
    assert verdict.parts[1].effect == pytest.approx(1.0)
    assert verdict.verdict == "reproduced"


def test_smoke():
    result = run_claim("sharpness_generalization", "smoke")
    check_precondition_judged(result)
    assert {r["run"] for r in result.records} == {"lr0.02/b16/wd0", "lr0.02/b128/wd0",
                                                  "lr0.2/b16/wd0", "lr0.2/b128/wd0"}
    assert result.verdict.verdict == "smoke check" and len(result.verdict.parts) == 2
    assert result.claim.check(result.records).verdict in VERDICTS
