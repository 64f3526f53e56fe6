from neuralab.claims import VERDICTS, get_claim


def test_mix_ln_smoke_runs_and_decides():
    claim = get_claim("mix_ln")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 2
    assert {r["run"] for r in records} == {"pre", "post", "mix"}
    assert any(r["metric"] == "grad_norm" and r["layer"] == "block3" for r in records)
