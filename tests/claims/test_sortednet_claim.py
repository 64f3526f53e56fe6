"""The SortedNet claim at smoke budget, and its verdict on constructed records."""

from neuralab.claims import claim_record, get_claim, run_claim
from smoke_check import check_precondition_judged


def test_sortednet_smoke():
    result = run_claim("sortednet_subnetworks", "smoke")
    check_precondition_judged(result)
    widths = {r["step"] for r in result.records
              if r["run"] == "sorted" and r["metric"] == "test_accuracy"}
    assert widths == {64, 128}
    assert {r["run"] for r in result.records} == {"sorted", "separate", "separate/w64",
                                                  "separate/w128"}
    assert {r["metric"] for r in result.records if r["run"] == "separate/w64"} == {"batch_loss"}
    assert len(result.verdict.parts) == 2


def test_sortednet_check():
    claim = get_claim("sortednet_subnetworks")
    rows = []
    for s in claim.seeds:
        for w, sep, srt in [(16, 0.60, 0.59), (128, 0.70, 0.69)]:
            rows += [claim_record("separate", s, "test_accuracy", sep, step=w),
                     claim_record("sorted", s, "test_accuracy", srt, step=w)]
    v = claim.check(rows)
    assert abs(v.parts[0].effect + 0.01) < 1e-9 and v.parts[0].verdict == "reproduced"
    assert abs(v.parts[1].effect - (0.64 / 0.70 - 0.96)) < 1e-9
    assert v.parts[1].verdict == "not reproduced" and v.verdict == "not reproduced"
