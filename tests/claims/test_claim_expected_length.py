import math

import pytest
from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.probes.expected_length import ARM, ExpectedLength, log_slope


def test_log_slope_recovers_exponential_growth():
    depths = [1, 2, 4, 8, 16]
    assert log_slope(depths, [2.0 * math.exp(0.1 * d) for d in depths]) == pytest.approx(0.1)
    growing = [claim_record(ARM, s, "mean_distortion", 1.05**d, step=d) for s in range(3) for d in depths]
    verdict = ExpectedLength().check(growing)
    assert verdict.verdict == "not reproduced" and verdict.effect == pytest.approx(math.log(1.05))


def test_smoke():
    result = smoke("expected_length", {ARM: ("mean_distortion", "mean_sq_distortion")})
    depths = {r["step"] for r in result.records}
    assert depths == set(result.claim.budget("smoke")["depths"])
