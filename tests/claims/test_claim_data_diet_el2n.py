from neuralab.claims import VERDICTS, claim_record, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("data_diet_el2n")
    records = claim.run("smoke")
    assert {r["run"] for r in records} == {"full", "el2n", "random"}
    assert claim.check(records).verdict in VERDICTS


def test_check_on_known_records():
    claim = get_claim("data_diet_el2n")
    rows = []
    for seed in (0, 1, 2):
        rows += [claim_record("full", seed, "test_accuracy", 0.90),
                 claim_record("el2n", seed, "test_accuracy", 0.89),
                 claim_record("random", seed, "test_accuracy", 0.85)]
    assert claim.check(rows).verdict == "reproduced"
    rows = [{**r, "value": 0.80} if r["run"] == "el2n" else r for r in rows]
    assert claim.check(rows).verdict == "not reproduced"
