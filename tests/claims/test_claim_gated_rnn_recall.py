from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.gated_rnn_recall import GatedRNNRecall


def test_verdict_rule():
    def records(attention, gated, ungated):
        return [claim_record(arm, s, "test_accuracy", v) for s in range(3)
                for arm, v in (("attention", attention), ("gated", gated), ("ungated", ungated))]

    claim = GatedRNNRecall()
    assert claim.check(records(0.98, 0.96, 0.3)).verdict == "reproduced"
    assert claim.check(records(0.98, 0.5, 0.3)).verdict == "not reproduced"
    assert claim.check(records(0.3, 0.3, 0.1)).verdict == "not reproduced"  # nothing to reach


def test_smoke():
    smoke("gated_rnn_recall", {arm: ("test_accuracy", "batch_loss")
                               for arm in ("attention", "gated", "ungated")}, parts=3)
