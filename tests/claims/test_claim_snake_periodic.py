import math

from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.activations.snake_periodic import ACTIVATIONS, SnakePeriodic, log10_ratio


def test_log10_ratio():
    out = log10_ratio({0: 10.0, 1: 1.0, 2: 0.0}, {0: 0.1, 1: 1.0, 2: 1.0})
    assert out[0] == 2.0 and out[1] == 0.0 and math.isnan(out[2])


def _records(mse, fit=1e-3):
    rows = [claim_record(a, s, "test_loss", v * (1 + 0.05 * (s - 2)))
            for a, v in mse.items() for s in range(5)]
    return rows + [claim_record(a, s, "train_loss", fit) for a in ACTIVATIONS for s in range(5)]


def test_check_needs_a_tenfold_gap_to_both_and_to_beat_predicting_zero():
    verdict = SnakePeriodic().check(_records({"snake": 0.01, "relu": 5.0, "tanh": 0.05,
                                              "zero": 0.5}))
    assert [p.verdict for p in verdict.parts] == ["reproduced", "not reproduced", "reproduced"]
    assert verdict.verdict == "not reproduced"
    # tenfold better than both, yet worse than predicting 0: not extrapolation
    verdict = SnakePeriodic().check(_records({"snake": 0.8, "relu": 9.0, "tanh": 9.0,
                                              "zero": 0.5}))
    assert [p.verdict for p in verdict.parts] == ["reproduced", "reproduced", "not reproduced"]
    assert verdict.verdict == "not reproduced" and "predicting 0" in verdict.decided


def test_precondition_every_network_fits_the_training_interval():
    mse = {"snake": 0.01, "relu": 5.0, "tanh": 5.0, "zero": 0.5}
    assert SnakePeriodic().budget_failure(_records(mse)) is None
    failed = SnakePeriodic().budget_failure(_records(mse, fit=0.2))
    assert "has not fitted the training interval" in failed
    assert SnakePeriodic().verdict(_records(mse, fit=0.2), "full").verdict == "inconclusive"


def test_smoke():
    arms = {act: ("train_loss", "test_loss") for act in ACTIVATIONS}
    smoke("snake_periodic", {**arms, "zero": ("test_loss",)}, parts=3)
