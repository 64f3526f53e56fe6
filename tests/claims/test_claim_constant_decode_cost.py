import pytest
from claim_smoke import smoke

from neuralab.claims import claim_record
from neuralab.claims.sequence.constant_decode_cost import (ATTENTION, RECURRENT,
                                                           ConstantDecodeCost, growth)


def test_growth_reads_the_fitted_slope():
    assert growth({100: 1.0, 200: 1.0, 400: 1.0}) == pytest.approx(0.0)
    assert growth({100: 1.0, 200: 2.0, 300: 3.0}) == pytest.approx(2.0)  # linear: tripled


def _records(attention_growth=2.0, lengths=(128, 512, 2048), seconds=1e-4):
    rows = []
    for s in range(5):
        for name in (*RECURRENT, ATTENTION):
            rows += [claim_record(name, s, "seconds_per_token", seconds, step=L) for L in lengths]
            g = attention_growth if name == ATTENTION else 0.01 * (s - 2)
            rows.append(claim_record(name, s, "growth", g + 0.01 * s))
            if name in RECURRENT:
                rows.append(claim_record(name, s, "step_error", 1e-7))
    return rows


def test_verdict_rule_and_precondition():
    claim = ConstantDecodeCost()
    assert claim.check(_records()).verdict == "reproduced"
    flat = claim.check(_records(attention_growth=0.0))
    assert flat.verdict == "not reproduced" and "attention" in flat.decided
    assert claim.budget_failure(_records()) is None
    assert "16x" in claim.budget_failure(_records(lengths=(128, 256, 512)))
    assert "not resolved" in claim.budget_failure(_records(seconds=1e-8))
    assert claim.verdict(_records(seconds=1e-8)).verdict == "inconclusive"


def test_smoke():
    arms = {name: ("seconds_per_token", "growth", "step_error") for name in RECURRENT}
    arms[ATTENTION] = ("seconds_per_token", "growth")
    result = smoke("constant_decode_cost", arms, parts=5)
    assert result.claim.check(result.records).parts[-1].verdict == "reproduced"  # stepped = parallel
