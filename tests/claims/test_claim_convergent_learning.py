from neuralab.claims import VERDICTS, by_seed, run_claim


def test_smoke():
    result = run_claim("convergent_learning", "smoke")
    cka = by_seed(result.records, "pair", "cka", layer="block0")
    assert set(cka) == {0, 1, 2} and all(0 <= v <= 1 + 1e-9 for v in cka.values())
    assert set(by_seed(result.records, "pair", "cka", layer="block5")) == {0, 1, 2}
    assert result.verdict.verdict in VERDICTS and len(result.verdict.parts) == 3
    assert result.claim.check(result.records).to_dict() == result.verdict.to_dict()
