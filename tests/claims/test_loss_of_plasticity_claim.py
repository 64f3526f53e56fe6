from neuralab.claims import VERDICTS, get_claim


def test_loss_of_plasticity_smoke_runs_and_decides():
    claim = get_claim("loss_of_plasticity")
    records = claim.run("smoke")
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 2
    curve = [r for r in records if r["run"] == "backprop" and r["member"] == 0
             and r["metric"] == "online_accuracy"]
    assert [r["step"] for r in curve] == [1, 2, 3, 4, 5]
