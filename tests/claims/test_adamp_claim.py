from neuralab.claims import VERDICTS, get_claim


def test_adamp_smoke_runs_and_decides():
    claim = get_claim("adamp")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 2
    growth = [r for r in records if r["metric"] == "norm_growth"]
    assert {r["layer"] for r in growth} == {"conv0", "conv1", "conv2"}
