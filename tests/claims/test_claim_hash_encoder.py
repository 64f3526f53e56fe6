from neuralab.claims import VERDICTS, by_seed, run_claim
from smoke_check import check_precondition_judged


def test_smoke():
    result = run_claim("hash_encoder", "smoke")
    check_precondition_judged(result)
    for arm in ("wide", "narrow"):
        unique = by_seed(result.records, arm, "unique_code_fraction")
        assert set(unique) == {0, 1} and all(0 <= u <= 1 for u in unique.values())
        control = by_seed(result.records, arm, "untrained_unique_code_fraction")
        assert set(control) == {0, 1} and all(0 <= u <= 1 for u in control.values())
    assert result.claim.check(result.records).verdict in VERDICTS and len(result.verdict.parts) == 2
    assert "untrained control (wide): unique-code share" in result.claim.check(result.records).notes
    assert result.claim.verdict(result.records, "smoke").to_dict() == result.verdict.to_dict()
