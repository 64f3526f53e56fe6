import math

import pytest
from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.probes.expected_length import ARM, ExpectedLength, log_slope

DEPTHS = [1, 2, 4, 8, 16, 32]


def _records(rate, depths=DEPTHS):
    return [claim_record(ARM, s, "mean_distortion", (rate + 0.001 * (s - 2)) ** d, step=d)
            for s in range(5) for d in depths]


def test_log_slope_recovers_exponential_growth():
    assert log_slope(DEPTHS, [2.0 * math.exp(0.1 * d) for d in DEPTHS]) == pytest.approx(0.1)
    verdict = ExpectedLength().check(_records(1.05))
    assert verdict.verdict == "not reproduced"
    assert verdict.effect == pytest.approx(math.log(1.05), abs=1e-3)
    assert ExpectedLength().check(_records(0.99)).verdict == "reproduced"


def test_precondition():
    claim = ExpectedLength()
    assert claim.budget_failure(_records(0.99)) is None
    shallow = _records(0.99, depths=[1, 4, 16])
    assert "(< 32)" in claim.budget_failure(shallow)
    assert claim.verdict(shallow).verdict == "inconclusive"
    assert "non-finite" in claim.budget_failure(_records(0.99) + [
        claim_record(ARM, 0, "mean_distortion", math.inf, step=64)])


def test_smoke():
    result = smoke("expected_length", {ARM: ("mean_distortion", "mean_sq_distortion")})
    depths = {r["step"] for r in result.records}
    assert depths == set(result.claim.budget("smoke")["depths"])
