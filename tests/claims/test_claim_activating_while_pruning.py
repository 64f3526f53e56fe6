import pytest

from neuralab.claims import VERDICTS, claim_record, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("activating_while_pruning")
    records = claim.run("smoke")
    for arm in ("imp", "imp_ap"):
        rounds = [r["step"] for r in records
                  if r["run"] == arm and r["member"] == 0 and r["metric"] == "test_accuracy"]
        assert rounds == [1, 2]
        assert {r["member"] for r in records if r["run"] == arm} == set(claim.seeds)
    assert claim.check(records).verdict in VERDICTS


def test_check_on_known_records():
    claim = get_claim("activating_while_pruning")

    def rows(gain):
        out = []
        for seed in (0, 1, 2):
            for arm, last in (("imp", 0.60), ("imp_ap", 0.60 + gain)):
                out += [claim_record(arm, seed, "test_accuracy", 0.2, step=1),
                        claim_record(arm, seed, "test_accuracy", last, step=12),
                        claim_record(arm, seed, "dynamic_dnr", 0.4, step=12)]
        return out

    better = claim.check(rows(0.03))
    assert better.verdict == "reproduced" and better.effect == pytest.approx(0.03)
    assert claim.check(rows(0.0)).verdict == "not reproduced"
