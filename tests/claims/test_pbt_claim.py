from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def _records(margin=0.02, changes=3, still_rising=False):
    rows = []
    for s in range(7):
        rows += [claim_record("pbt", s, "held_out_accuracy", 0.7 + margin + 0.002 * s),
                 claim_record("random_search", s, "held_out_accuracy", 0.7),
                 claim_record("pbt", s, "lr_changes", changes + s % 2)]
        for step in range(400, 4001, 400):
            for m in range(8):
                acc = 0.5 + 0.03 * m * (step / 4000 if still_rising else min(1, step / 1000))
                rows.append({**claim_record("random_search/val_accuracy", s, "val_accuracy", acc,
                                            step=step), "layer": f"member{m}"})
    return rows


def test_known_records():
    claim = get_claim("pbt")
    assert claim.budget_failure(_records()) is None
    assert claim.verdict(_records()).verdict == "reproduced"
    assert claim.verdict(_records(margin=-0.05)).verdict == "not reproduced"


def test_precondition_fails_while_random_search_still_improves():
    claim = get_claim("pbt")
    rising = _records(still_rising=True)
    assert "still moving" in claim.budget_failure(rising)
    assert claim.verdict(rising).verdict == "inconclusive"


def test_pbt_smoke():
    result = smoke("population_based_training", {
        "pbt": ("held_out_accuracy", "lr_changes"), "random_search": ("held_out_accuracy",),
        "pbt/val_accuracy": (), "random_search/val_accuracy": (), "pbt/schedule_lr": (),
        "random_search/schedule_lr": (), "pbt/schedule_weight_decay": (),
        "random_search/schedule_weight_decay": (), "pbt/exploit_source": ()}, parts=2)
    assert not any(r["run"] == "random_search/exploit_source" for r in result.records)
