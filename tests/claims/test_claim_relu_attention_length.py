from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.relu_attention_length import ARMS, ReLUAttentionLength


def _records(gap, final_loss=0.30):
    rows = []
    for s in range(5):
        for arm in ARMS:
            acc = 0.95 + (gap if arm == "relu/L" else 0.0) + 0.003 * (s - 2) * (arm == "relu/L")
            rows.append(claim_record(arm, s, "test_accuracy", acc, step=2000))
            rows += [claim_record(arm, s, "batch_loss", v, step=st) for st, v in
                     zip(range(200, 2001, 200), [2.0, 1.0, 0.6, 0.4, 0.32, 0.31, 0.30, 0.30, 0.30,
                                                 final_loss])]
        rows.append(claim_record("softmax", s, "test_examples", 4000, step=2000))
    return rows


def test_verdict_rule_and_precondition():
    claim = ReLUAttentionLength()
    assert claim.check(_records(0.0)).verdict == "reproduced"
    assert claim.check(_records(-0.1)).verdict == "not reproduced"
    assert claim.budget_failure(_records(0.0)) is None
    assert "still moving" in claim.budget_failure(_records(0.0, final_loss=0.1))


def test_smoke():
    result = smoke("relu_attention_length", {arm: ("test_accuracy", "batch_loss")
                                             for arm in ("softmax", "relu/L", "relu")})
    assert "unscaled ReLU minus ReLU/L" in result.verdict.notes
