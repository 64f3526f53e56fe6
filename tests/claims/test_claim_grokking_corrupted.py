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
    records = grokked + together + never_fits + [
        claim_record("corrupted", s, "test_accuracy", 0.95) for s in range(3)]
    verdict = GrokkingCorrupted().check(records)
    assert [p.verdict for p in verdict.parts] == ["not reproduced", "reproduced"]


def test_smoke():
    smoke("grokking_corrupted", {arm: ("train_accuracy", "test_accuracy") for arm in NOISE}, parts=2)
