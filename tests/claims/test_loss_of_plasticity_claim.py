from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def _records(bp_slope, cbp_slope=0.0, tasks=20):
    """Online accuracy per task: 0.6 + slope * task (+ a little per-seed spread)."""
    rows = []
    for s in range(5):
        for arm, slope in (("backprop", bp_slope), ("continual_backprop", cbp_slope)):
            accs = [0.6 + slope * t + 0.001 * s * (t % 2) for t in range(tasks)]
            rows += [claim_record(arm, s, "online_accuracy", a, step=t + 1)
                     for t, a in enumerate(accs)]
            k = tasks // 5
            rows.append(claim_record(arm, s, "plasticity_decline",
                                     sum(accs[:k]) / k - sum(accs[-k:]) / k, step=tasks + 1))
    return rows


def test_known_records():
    claim = get_claim("loss_of_plasticity")
    declining = _records(bp_slope=-0.005)
    assert claim.budget_failure(declining) is None
    assert claim.verdict(declining).verdict == "reproduced"
    flat = _records(bp_slope=0.0)
    assert claim.budget_failure(flat) is None
    assert claim.verdict(flat).verdict == "not reproduced"


def test_precondition_fails_while_backprop_still_improves():
    claim = get_claim("loss_of_plasticity")
    rising = _records(bp_slope=0.003)
    assert "still rising" in claim.budget_failure(rising)
    assert claim.verdict(rising).verdict == "inconclusive"


def test_smoke():
    result = smoke("loss_of_plasticity",
                   {a: ("online_accuracy", "plasticity_decline")
                    for a in ("backprop", "continual_backprop")}, parts=2)
    curve = [r for r in result.records if r["run"] == "backprop" and r["member"] == 0
             and r["metric"] == "online_accuracy"]
    assert [r["step"] for r in curve] == [1, 2, 3, 4, 5]
