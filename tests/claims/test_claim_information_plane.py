from neuralab.claims import VERDICTS, claim_record, run_claim
from neuralab.claims.probes.information_plane import LAST, compression, twelve_bit_task
from smoke_check import check_precondition_judged


def test_the_twelve_bit_task_and_the_compression_measure():
    x, y = twelve_bit_task()
    assert x.shape == (4096, 12) and len(x.unique(dim=0)) == 4096 and y.float().mean() == 0.5
    rows = [claim_record("tanh", 0, "I(X;T)", v, step=s, layer=LAST)
            for s, v in enumerate([3.0, 9.0, 8.5, 6.0])]
    assert compression(rows, "tanh", 0) == 3.0


def test_smoke():
    result = run_claim("information_plane", "smoke")
    check_precondition_judged(result)
    assert {r["run"] for r in result.records} == {"tanh", "relu"}
    assert result.verdict.verdict == "smoke check" and len(result.verdict.parts) == 2
    assert result.claim.check(result.records).verdict in VERDICTS
