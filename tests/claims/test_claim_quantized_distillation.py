from neuralab.claims import VERDICTS, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("quantized_distillation")
    records = claim.run("smoke")
    assert {r["run"] for r in records} == {"teacher", "distilled", "labels_only"}
    assert claim.check(records).verdict in VERDICTS
