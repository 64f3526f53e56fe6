from neuralab.claims import VERDICTS, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("hawq_mixed_precision")
    records = claim.run("smoke")
    for arm in ("uniform", "hawq", "reversed"):
        bits = [r["value"] for r in records if r["run"] == arm and r["metric"] == "average_bits"]
        assert len(bits) == 3 and all(b <= 3.0 + 1e-9 for b in bits)
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and "reversed" in verdict.notes
