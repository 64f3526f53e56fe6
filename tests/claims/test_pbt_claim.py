from neuralab.claims import VERDICTS, get_claim


def test_pbt_smoke_runs_and_decides():
    claim = get_claim("population_based_training")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 2
    assert {r["run"] for r in records} >= {"pbt", "random_search", "pbt/exploit_source"}
    assert not any(r["run"] == "random_search/exploit_source" for r in records)
