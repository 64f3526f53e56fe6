from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.theory.grokking_corrupted import NOISE, GrokkingCorrupted, rise_after_fit


def _curve(seed, train, test):
    return ([claim_record("clean", seed, "train_accuracy", v, step=10 * i) for i, v in enumerate(train)]
            + [claim_record("clean", seed, "test_accuracy", v, step=10 * i) for i, v in enumerate(test)])


def test_rise_after_fit():
    grokked = _curve(0, [0.5, 1.0, 1.0, 1.0, 1.0], [0.0, 0.05, 0.1, 0.6, 0.98])
    assert abs(rise_after_fit(grokked, "clean", 0) - 0.93) < 1e-9
    together = _curve(1, [0.5, 0.995, 1.0], [0.4, 0.97, 0.99])
    assert abs(rise_after_fit(together, "clean", 1) - 0.02) < 1e-9
    never_fits = _curve(2, [0.2, 0.5, 0.9], [0.0, 0.1, 0.5])
    assert rise_after_fit(never_fits, "clean", 2) == 0.0


def test_known_records():
    grokked = [r for s in range(5) for r in _curve(s, [0.5, 1.0, 1.0, 1.0, 1.0],
                                                 [0.0, 0.05, 0.1, 0.6, 0.96 + 0.005 * s])]
    corrupted = [claim_record("corrupted", s, "test_accuracy", 0.95 + 0.005 * s) for s in range(5)]
    claim = GrokkingCorrupted()
    assert claim.check(grokked + corrupted).verdict == "reproduced"
    together = [r for s in range(5) for r in _curve(s, [0.5, 0.995, 1.0, 1.0, 1.0],
                                                  [0.4, 0.97, 0.98, 0.99, 0.99 - 0.002 * s])]
    verdict = claim.check(together + corrupted)
    assert [p.verdict for p in verdict.parts] == ["not reproduced", "reproduced"]
    assert claim.budget_failure(grokked + corrupted) is None


def test_precondition_fires_when_fitting_comes_late():
    late = [r for s in range(5) for r in _curve(s, [0.2, 0.5, 0.9, 1.0, 1.0],
                                              [0.0, 0.0, 0.1, 0.5, 0.9])]
    claim = GrokkingCorrupted()
    assert "after half of the steps" in claim.budget_failure(late)
    never = [r for s in range(5) for r in _curve(s, [0.2, 0.5, 0.9], [0.0, 0.1, 0.5])]
    assert "never" in claim.budget_failure(never)
    assert claim.verdict(late).verdict == "inconclusive"


def test_smoke():
    smoke("grokking_corrupted", {arm: ("train_accuracy", "test_accuracy") for arm in NOISE}, parts=2)
