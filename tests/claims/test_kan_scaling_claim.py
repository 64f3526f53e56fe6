"""The KAN scaling claim at smoke budget, and its verdict logic on known records."""

from neuralab.claims import claim_record, run_claim
from neuralab.claims.architectures.kan_scaling import scaling_slope
from smoke_check import check_precondition_judged


def test_kan_scaling_smoke():
    result = run_claim("kan_scaling", "smoke")
    check_precondition_judged(result)
    arms = {r["run"] for r in result.records}
    assert arms == {"kan", "mlp"}
    assert len(result.verdict.parts) == 2
    assert result.verdict.verdict == "smoke check"
    assert result.claim.check(result.records).verdict in ("reproduced", "not reproduced",
                                                         "inconclusive")


def test_scaling_slope_of_a_power_law():
    params = [10.0, 100.0, 1000.0]
    assert abs(scaling_slope(params, [p**-2 for p in params]) + 2) < 1e-9


def test_check_on_constructed_records():
    from neuralab.claims import get_claim

    claim = get_claim("kan_scaling")
    rows = []
    for seed in claim.seeds:
        for step, p in enumerate([20, 40, 80]):
            rows += [claim_record("kan", seed, "params", p, step=step),
                     claim_record("kan", seed, "test_rmse", p**-3.0, step=step),
                     claim_record("mlp", seed, "params", 10 * p, step=step),
                     claim_record("mlp", seed, "test_rmse", (10 * p) ** -1.0, step=step)]
    verdict = claim.check(rows)
    assert verdict.verdict == "reproduced"
    assert abs(verdict.parts[0].effect - 2.0) < 1e-6
