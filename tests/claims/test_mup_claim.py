from smoke_check import smoke

from neuralab.claims import claim_record, get_claim

LRS = range(-14, -3)


def _records(best, slopes=None):
    """``best[(p, width)]`` is the log2 learning rate with the lowest loss for every seed."""
    slopes = slopes or {"mup": 0.05, "sp": 0.8}
    rows = []
    for s in range(5):
        for p, slope in slopes.items():
            rows.append(claim_record(f"{p}/coord", s, "coord_slope", slope + 0.01 * s))
        for (p, width), lr_star in best.items():
            rows += [claim_record(f"{p}/w{width}/lr{lr}", s, "train_loss",
                                  0.1 + 0.05 * abs(lr - lr_star), step=300) for lr in LRS]
    return rows


GOOD = {("mup", 64): -7, ("mup", 512): -7, ("sp", 64): -6, ("sp", 512): -9}


def test_known_records():
    claim = get_claim("mup")
    records = _records(GOOD)
    assert claim.budget_failure(records) is None
    verdict = claim.verdict(records)
    assert verdict.verdict == "reproduced" and len(verdict.parts) == 4
    mup_moves = _records({**GOOD, ("mup", 512): -11})
    assert claim.verdict(mup_moves).verdict == "not reproduced"


def test_precondition_fails_when_an_optimum_is_at_the_edge_of_the_sweep():
    claim = get_claim("mup")
    edge = _records({**GOOD, ("sp", 64): -4})
    assert "edge of the grid" in claim.budget_failure(edge)
    assert claim.verdict(edge).verdict == "inconclusive"


def test_mup_smoke():
    result = smoke("mup", {"sp/coord": ("coord_slope",), "mup/coord": ("coord_slope",)}
                   | {f"{p}/w{w}/lr{lr}": ("train_loss",) for p in ("sp", "mup") for w in (16, 32)
                      for lr in (-8, -6, -4)}
                   | {f"{p}/coord/w{w}": () for p in ("sp", "mup") for w in (16, 32)},
                   parts=4)
    assert any(r["metric"] == "coord_delta" and r["run"] == "mup/coord/w32" for r in result.records)
