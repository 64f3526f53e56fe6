import math

from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.activations.snake_periodic import ACTIVATIONS, SnakePeriodic, log10_ratio


def test_log10_ratio():
    out = log10_ratio({0: 10.0, 1: 1.0, 2: 0.0}, {0: 0.1, 1: 1.0, 2: 1.0})
    assert out[0] == 2.0 and out[1] == 0.0 and math.isnan(out[2])


def test_check_needs_a_tenfold_gap_to_both():
    mse = {"snake": 0.01, "relu": 5.0, "tanh": 0.05}
    records = [claim_record(a, s, "test_loss", v) for a, v in mse.items() for s in range(3)]
    verdict = SnakePeriodic().check(records)
    assert [p.verdict for p in verdict.parts] == ["reproduced", "not reproduced"]
    assert verdict.verdict == "not reproduced"


def test_smoke():
    smoke("snake_periodic", {act: ("train_loss", "test_loss") for act in ACTIVATIONS}, parts=2)
