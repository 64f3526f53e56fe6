from neuralab.claims import VERDICTS, get_claim


def test_mup_smoke_runs_and_decides():
    claim = get_claim("mup")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 4
    assert all(len(p.per_seed) == 3 for p in verdict.parts)
    assert any(r["metric"] == "coord_delta" and r["run"] == "mup/coord/w32" for r in records)
