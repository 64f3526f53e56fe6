from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.gated_rnn_recall import ARMS, GatedRNNRecall


def records(attention, gated, ungated, final_loss=0.01):
    rows = []
    for s in range(5):
        for arm, v in (("attention", attention), ("gated", gated), ("ungated", ungated)):
            rows.append(claim_record(arm, s, "test_accuracy", min(1.0, v + 0.002 * (s % 2))))
            rows += [claim_record(arm, s, "batch_loss", loss, step=st) for st, loss in
                     zip(range(300, 3001, 300), [2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.01,
                                                 final_loss])]
        rows.append(claim_record("attention", s, "test_examples", 2000))
    return rows


def test_verdict_rule():
    claim = GatedRNNRecall()
    assert claim.check(records(0.98, 0.96, 0.3)).verdict == "reproduced"
    gated_fails = claim.check(records(0.98, 0.5, 0.3))
    assert gated_fails.verdict == "not reproduced" and "gated linear RNN" in gated_fails.decided
    assert claim.check(records(0.3, 0.3, 0.1)).verdict == "not reproduced"  # nothing to reach
    both_solve = claim.check(records(1.0, 1.0, 1.0))  # no spread at all: the resolution floors it
    assert both_solve.verdict == "not reproduced" and "ungated" in both_solve.decided
    assert all(p.mde > 0 for p in both_solve.parts)


def test_precondition():
    claim = GatedRNNRecall()
    assert claim.budget_failure(records(0.98, 0.96, 0.3)) is None
    moving = records(0.98, 0.96, 0.3, final_loss=0.5)
    assert "still moving" in claim.budget_failure(moving)
    assert claim.verdict(moving).verdict == "inconclusive"


def test_smoke():
    smoke("gated_rnn_recall", {arm: ("test_accuracy", "batch_loss") for arm in ARMS}, parts=3)
