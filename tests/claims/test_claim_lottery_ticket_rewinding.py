import pytest

from neuralab.claims import VERDICTS, claim_record, get_claim


def test_smoke_run_and_verdict():
    claim = get_claim("lottery_ticket_rewinding")
    records = claim.run("smoke")
    sparsities = [r["value"] for r in records if r["metric"] == "sparsity" and r["member"] == 0]
    assert sparsities == pytest.approx([0.2, 0.36], abs=1e-3)
    assert claim.check(records).verdict in VERDICTS


def test_check_on_known_records():
    claim = get_claim("lottery_ticket_rewinding")
    rows = []
    for seed in (0, 1, 2):
        rows += [claim_record("dense", seed, "test_accuracy", 0.70),
                 claim_record("ticket", seed, "test_accuracy", 0.50, step=1),
                 claim_record("ticket", seed, "test_accuracy", 0.695, step=10),
                 claim_record("reinit", seed, "test_accuracy", 0.60)]
    assert claim.check(rows).verdict == "reproduced"  # the last round counts
