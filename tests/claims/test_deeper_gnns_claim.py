"""The deeper-GNNs claim at smoke budget, and its verdict on constructed records."""

from neuralab.claims import claim_record, get_claim, run_claim
from neuralab.claims.architectures.deeper_gnns import ARMS
from smoke_check import check_precondition_judged


def test_deeper_gnns_smoke():
    result = run_claim("deeper_gnns", "smoke")
    check_precondition_judged(result)
    assert {r["run"] for r in result.records} == set(ARMS)
    assert len(result.verdict.parts) == 3


def test_deeper_gnns_check():
    claim = get_claim("deeper_gnns")
    acc = {"gcn2": 0.8, "gcn16": 0.5, "dagnn2": 0.8, "dagnn16": 0.82, "hetero/gcn": 0.5,
           "hetero/sheaf": 0.51}
    rows = [claim_record(arm, s, "test_accuracy", v) for s in claim.seeds for arm, v in acc.items()]
    v = claim.check(rows)
    assert [p.verdict for p in v.parts] == ["reproduced", "reproduced", "not reproduced"]
    assert v.verdict == "not reproduced"
