import pytest
from claim_smoke import smoke

from neuralab.claims.sequence.constant_decode_cost import ATTENTION, RECURRENT, growth


def test_growth_reads_the_fitted_slope():
    assert growth({100: 1.0, 200: 1.0, 400: 1.0}) == pytest.approx(0.0)
    assert growth({100: 1.0, 200: 2.0, 300: 3.0}) == pytest.approx(2.0)  # linear: tripled


def test_smoke():
    arms = {name: ("seconds_per_token", "growth", "step_error") for name in RECURRENT}
    arms[ATTENTION] = ("seconds_per_token", "growth")
    result = smoke("constant_decode_cost", arms, parts=5)
    assert result.verdict.parts[-1].verdict == "reproduced"  # stepped = parallel outputs
