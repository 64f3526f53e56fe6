from neuralab.claims import VERDICTS, claim_record, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("global_magnitude_pruning")
    records = claim.run("smoke")
    arms = {r["run"] for r in records}
    assert {"dense", "global_magnitude/0.95", "layerwise_magnitude/0.98"} <= arms
    verdict = claim.check(records)
    assert verdict.verdict in VERDICTS and len(verdict.parts) == 2


def test_check_on_known_records():
    claim = get_claim("global_magnitude_pruning")
    rows = [claim_record(f"{m}/{s}", seed, "test_accuracy", acc)
            for seed in (0, 1, 2) for s in (0.95, 0.98)
            for m, acc in (("global_magnitude", 0.6), ("layerwise_magnitude", 0.3))]
    assert claim.check(rows).verdict == "reproduced"
    flipped = [{**r, "value": 0.9 - r["value"]} for r in rows]
    assert claim.check(flipped).verdict == "not reproduced"
