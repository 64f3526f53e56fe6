import pytest

from neuralab.claims import VERDICTS, claim_record, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("random_pruning_erk")
    records = claim.run("smoke")
    assert {"dense/8", "random_erk/32"} <= {r["run"] for r in records}
    assert claim.check(records).verdict in VERDICTS


def test_check_on_known_records():
    claim = get_claim("random_pruning_erk")
    gaps = {32: 0.05, 128: 0.02, 512: 0.0}
    rows = []
    for seed in (0, 1, 2):
        for w, gap in gaps.items():
            rows += [claim_record(f"dense/{w}", seed, "test_accuracy", 0.7),
                     claim_record(f"random_erk/{w}", seed, "test_accuracy", 0.7 - gap)]
    verdict = claim.check(rows)
    assert verdict.verdict == "reproduced"
    assert verdict.parts[1].effect == pytest.approx(0.05)  # gap at 32 minus gap at 512
