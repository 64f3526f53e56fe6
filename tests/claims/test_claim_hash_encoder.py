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


def test_precondition_judges_only_the_wide_network():
    """The verdict measures the wide network: a narrow one still learning does not make the
    budget insufficient, a wide one still learning does."""
    from neuralab.claims import get_claim
    from neuralab.claims.base import claim_record

    def curve(arm, start, end):
        return [claim_record(arm, s, "batch_loss", start + (end - start) * i / 19, step=10 * i)
                for s in (0, 1) for i in range(20)]

    claim = get_claim("hash_encoder")
    flat, falling = curve("wide", 0.5, 0.5), curve("narrow", 2.0, 0.5)
    assert claim.budget_failure(flat + falling) is None
    failed = claim.budget_failure(curve("wide", 2.0, 0.5) + curve("narrow", 0.5, 0.5))
    assert failed is not None and failed.startswith("wide: batch_loss still moving")
