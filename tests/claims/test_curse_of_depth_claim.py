from neuralab.claims import VERDICTS, get_claim


def test_curse_of_depth_smoke_runs_and_decides():
    claim = get_claim("curse_of_depth")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 4
    layers = {r["layer"] for r in records if r["metric"] == "drop_block_delta_loss"}
    assert layers == {f"block{i}" for i in range(6)}
    assert {r["run"] for r in records} == {"pre", "scaled"}
