from neuralab.claims import VERDICTS, get_claim


def test_criticality_smoke_runs_and_decides():
    claim = get_claim("criticality")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 3
    assert {r["run"] for r in records} >= {"c_w=1.6", "c_w=2.0", "c_w=2.4", "kurtosis"}
