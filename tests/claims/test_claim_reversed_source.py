from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.reversed_source import ARMS, ReversedSource


def _records(gain, final_loss=0.1, seeds=15):
    rows = []
    for s in range(seeds):
        for arm in ARMS:
            acc = 0.8 + (gain + 0.004 * (s % 3 - 1) if arm == "reversed" else 0.0)
            rows.append(claim_record(arm, s, "test_accuracy", acc, step=2000))
            rows += [claim_record(arm, s, "batch_loss", v, step=st) for st, v in
                     zip(range(200, 2001, 200), [2.0, 1.0, 0.5, 0.2, 0.12, 0.11, 0.1, 0.1, 0.1,
                                                 final_loss])]
        rows.append(claim_record("forward", s, "test_tokens", 12000, step=2000))
    return rows


def test_verdict_rule_and_precondition():
    claim = ReversedSource()
    assert len(claim.seeds) == 15
    assert claim.check(_records(0.10)).verdict == "reproduced"
    assert claim.check(_records(0.0)).verdict == "not reproduced"
    assert claim.check(_records(0.05)).verdict == "inconclusive"  # on the bar
    assert claim.budget_failure(_records(0.1)) is None
    assert "still moving" in claim.budget_failure(_records(0.1, final_loss=0.05))


def test_smoke():
    smoke("reversed_source", {arm: ("test_accuracy", "batch_loss") for arm in ("forward", "reversed")})
