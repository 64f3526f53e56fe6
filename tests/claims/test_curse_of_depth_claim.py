from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def _records(flat=True):
    rows = []
    for s in range(5):
        for arm, growth, drop, loss in (("pre", 2.7, 0.01, 2.0), ("scaled", 1.5, 0.03, 1.99)):
            j = 0.01 * s
            rows += [claim_record(arm, s, "variance_growth", growth + j),
                     claim_record(arm, s, "deep_block_drop", drop + j / 10),
                     claim_record(arm, s, "test_loss", loss + j)]
            rows += [claim_record(arm, s, "batch_loss",
                                  max(2.0, 4 - step / 100) if flat else 4 - step / 200, step=step)
                     for step in range(25, 501, 25)]
    return rows


def test_known_records_and_precondition():
    claim = get_claim("curse_of_depth")
    assert claim.budget_failure(_records()) is None
    verdict = claim.verdict(_records())
    assert verdict.verdict == "reproduced" and len(verdict.parts) == 4
    moving = _records(flat=False)
    assert "still moving" in claim.budget_failure(moving)
    assert claim.verdict(moving).verdict == "inconclusive"


def test_curse_of_depth_smoke():
    result = smoke("curse_of_depth", {a: ("variance_growth", "deep_block_drop", "test_loss")
                                      for a in ("pre", "scaled")}, parts=4)
    layers = {r["layer"] for r in result.records if r["metric"] == "drop_block_delta_loss"}
    assert layers == {f"block{i}" for i in range(6)}
