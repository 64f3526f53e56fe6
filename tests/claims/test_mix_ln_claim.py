from neuralab.claims import VERDICTS, get_claim


def test_mix_ln_smoke_runs_and_decides():
    claim = get_claim("mix_ln")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 2
    failed = claim.budget_failure(records)
    assert failed is None or "too few" in failed or "still moving" in failed
    assert {r["run"] for r in records} == {"pre", "post", "mix"}
    assert any(r["metric"] == "grad_norm" and r["layer"] == "block3" for r in records)
