from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def _records(adamp_growth=1.01, accuracy_gap=0.0, final_step_acc=0.9):
    rows = []
    for s in range(5):
        jitter = 0.001 * s
        for arm, growth, acc in (("adam", 1.13 + jitter, 0.9),
                                 ("adamp", adamp_growth + jitter / 10, 0.9 + accuracy_gap + jitter)):
            rows.append(claim_record(arm, s, "conv_norm_growth", growth))
            for step in range(30, 601, 30):
                a = acc if step < 600 else final_step_acc + (acc - 0.9)
                rows.append(claim_record(arm, s, "test_accuracy", min(a, acc * step / 300), step=step))
    return rows


def test_adamp_known_records():
    claim = get_claim("adamp")
    verdict = claim.check(_records())
    assert verdict.verdict == "reproduced" and len(verdict.parts) == 2
    assert claim.check(_records(adamp_growth=1.12)).verdict == "not reproduced"
    assert claim.check(_records(accuracy_gap=-0.05)).verdict == "not reproduced"


def test_adamp_precondition_is_a_test_accuracy_plateau():
    claim = get_claim("adamp")
    assert claim.budget_failure(_records()) is None
    rising = [r for r in _records() if r["metric"] != "test_accuracy"]
    rising += [claim_record(a, s, "test_accuracy", step / 700, step=step)
               for a in ("adam", "adamp") for s in range(5) for step in range(30, 601, 30)]
    assert "test_accuracy still moving" in claim.budget_failure(rising)
    assert claim.verdict(rising, "full").verdict == "inconclusive"


def test_adamp_smoke():
    result = smoke("adamp", {a: ("conv_norm_growth", "test_accuracy") for a in ("adam", "adamp")},
                   parts=2)
    growth = [r for r in result.records if r["metric"] == "norm_growth"]
    assert {r["layer"] for r in growth} == {"conv0", "conv1", "conv2"}
