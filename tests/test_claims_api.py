import math
import random
import statistics

import numpy as np
import pytest
from scipy import stats

from neuralab.claims import (Claim, by_seed, claim_record, combine, decide, paired_differences,
                             run_claim)
from neuralab.claims.base import accuracy_se, flat_tail
from neuralab.errors import ConfigError, UnknownNameError
from neuralab.registry import register
from neuralab.store import RunStore


def test_decide_reproduced_when_the_lower_bound_passes():
    # mean 2, sd 0.7906, n 5: se = 0.3536, t_0.95,4 = 2.1318 -> bounds 1.2463 and 2.7537
    v = decide({i: x for i, x in enumerate([1.0, 2.0, 3.0, 1.5, 2.5])}, 0.5, "gap")
    assert v.verdict == "reproduced" and v.n_seeds == 5 and v.alpha == 0.05
    se = statistics.stdev([1.0, 2.0, 3.0, 1.5, 2.5]) / math.sqrt(5)
    t95 = stats.t.ppf(0.95, 4)
    assert v.interval == pytest.approx((2.0 - t95 * se, 2.0 + t95 * se))
    assert v.interval[0] == pytest.approx(1.2463, abs=1e-4)
    assert v.mde == pytest.approx((t95 + stats.t.ppf(0.8, 4)) * se)
    assert v.sentence().startswith("reproduced: gap = 2, 90% interval [1.246, 2.754] over 5 seeds")


def test_decide_not_reproduced_when_the_upper_bound_fails():
    assert decide({0: 0.0, 1: 0.01, 2: 0.02, 3: 0.01, 4: 0.0}, 0.05, "gap").verdict == \
        "not reproduced"
    # the interval contains the threshold: inconclusive (the old 2/3 rule said reproduced)
    assert decide({0: 0.2, 1: 0.3, 2: 0.0}, 0.05, "gap").verdict == "inconclusive"


def test_decide_direction_less_mirrors():
    v = decide({0: -1.0, 1: -2.0, 2: -0.5, 3: -1.5, 4: -1.0}, 0.0, "slope", direction="less")
    assert v.verdict == "reproduced" and v.interval[1] < 0
    assert decide({0: 1.0, 1: 2.0, 2: 1.5}, 0.0, "slope", direction="less").verdict == \
        "not reproduced"


def test_decide_boundaries():
    # a deterministic effect exactly on the threshold does not pass it: not reproduced
    assert decide({0: 0.5, 1: 0.5, 2: 0.5}, 0.5, "x").verdict == "not reproduced"
    # no spread just above it: reproduced, unless a resolution floor makes it uncertain
    assert decide({0: 0.51, 1: 0.51, 2: 0.51}, 0.5, "x").verdict == "reproduced"
    assert decide({0: 0.51, 1: 0.51, 2: 0.51}, 0.5, "x", resolution=0.1).verdict == "inconclusive"
    # a fixed test set's sampling error does not average out over seeds
    tight = {i: 0.02 + 0.001 * i for i in range(5)}
    assert decide(tight, 0.0, "acc gain").verdict == "reproduced"
    assert decide(tight, 0.0, "acc gain",
                  sampling_se=accuracy_se(100, 0.8, 0.78)).verdict == "inconclusive"
    for bad in ({0: math.nan, 1: 1.0, 2: 1.0}, {0: 1.0}, {}):
        assert decide(bad, 0.0, "x").verdict == "inconclusive"


def test_accuracy_se_is_the_binomial_error():
    assert accuracy_se(400, 0.5) == pytest.approx(0.025)
    assert accuracy_se(100, 0.9, 0.8) == pytest.approx(math.sqrt((0.09 + 0.16) / 100))
    with pytest.raises(ValueError):
        accuracy_se(0, 0.5)


@pytest.mark.parametrize("n", [3, 5, 10])
def test_effect_on_its_threshold_is_reproduced_five_percent_of_the_time(n):
    rng = random.Random(n)
    trials = 4000
    hits = sum(decide({i: rng.gauss(0.0, 1.0) for i in range(n)}, 0.0, "x").verdict
               == "reproduced" for _ in range(trials))
    assert abs(hits / trials - 0.05) < 0.012  # binomial sd at 4000 trials: 0.0034


def test_combine_intersection_union_and_holm():
    yes = decide({0: 1.0, 1: 1.1, 2: 0.9, 3: 1.0, 4: 1.05}, 0, "a")
    weak_yes = decide({0: 0.5, 1: 0.9, 2: 0.3, 3: 0.7, 4: 0.6}, 0, "w")
    no = decide({0: -1.0, 1: -1.1, 2: -0.9, 3: -1.0, 4: -0.95}, 0, "b")
    maybe = decide({0: 1.0, 1: 1.0, 2: -5.0, 3: 0.5, 4: 0.2}, 0, "c")
    both = combine([yes, weak_yes], "both")
    assert both.verdict == "reproduced" and both.decided == "w"  # the weakest part shows
    assert both.effect == weak_yes.effect and both.interval == weak_yes.interval
    failed = combine([yes, no], "both")
    assert failed.verdict == "not reproduced" and failed.decided == "b"
    assert failed.sentence().startswith("not reproduced [b]: b = ")
    assert combine([yes, maybe], "both").decided == "c"
    assert combine([yes, maybe], "both").verdict == "inconclusive"
    assert len(combine([yes, no], "both").to_dict()["parts"]) == 2
    # Holm: a part that fails at alpha but not at alpha / k leaves the claim inconclusive
    borderline = decide({0: -0.1, 1: 0.3, 2: -0.5, 3: 0.1, 4: -0.4}, 0.25, "d")
    assert borderline.verdict == "not reproduced"
    assert 0.025 < borderline.p_not_reproduced < 0.05
    assert combine([yes, borderline], "two").verdict == "inconclusive"


def test_flat_tail():
    def rows(values):
        return [claim_record("a", s, "batch_loss", v, step=10 * i)
                for s in (0, 1) for i, v in enumerate(values)]
    assert flat_tail(rows([2.0, 1.0, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]), "a") is None
    moving = flat_tail(rows([2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.8, 0.6, 0.4, 0.2, 0.1]), "a")
    assert moving is not None and "still moving" in moving
    assert "too few" in flat_tail(rows([1.0, 0.5]), "a")


def test_by_seed_takes_the_last_step_and_pairs():
    rows = [claim_record("a", s, "acc", v, step=st) for s, v, st in
            [(0, 0.1, 1), (0, 0.5, 2), (1, 0.6, 2)]] + [claim_record("b", 0, "acc", 0.2)]
    a = by_seed(rows, "a", "acc")
    assert a == {0: 0.5, 1: 0.6}
    assert by_seed(rows, "a", "acc", step=1) == {0: 0.1}
    assert paired_differences(a, by_seed(rows, "b", "acc")) == {0: pytest.approx(0.3)}


@register("claim", "test_toy_claim", paper="A Toy Paper", arxiv="0000.00000")
class ToyClaim(Claim):
    statement = "Seven is more than three."
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"margin": 1.0}
    precondition = "none: the values are constants"
    budgets = {"smoke": {"scale": 1}, "full": {"scale": 2}}

    def run(self, budget, progress=None):
        scale = self.budget(budget)["scale"]
        return [claim_record(arm, s, "value", v * scale) for s in self.seeds
                for arm, v in (("seven", 7), ("three", 3))]

    def check(self, records):
        diff = paired_differences(by_seed(records, "seven", "value"), by_seed(records, "three", "value"))
        return decide(diff, self.thresholds["margin"], "seven minus three")

    def budget_failure(self, records):
        return None


def test_run_claim_records_in_the_store(runs_dir):
    store = RunStore(runs_dir)
    result = run_claim("test_toy_claim", "full", store=store)
    assert result.verdict.verdict == "reproduced" and result.verdict.effect == 8
    info = store.get(result.run_id)
    assert info.kind == "claim" and info.status == "completed"
    assert info.summary["verdict"] == "reproduced" and info.summary["budget"] == "full"
    assert info.config()["paper"] == "A Toy Paper"
    with pytest.raises(ConfigError, match="unknown budget 'huge'"):
        run_claim("test_toy_claim", "huge", store=store)
    with pytest.raises(UnknownNameError, match="did you mean 'test_toy_claim'"):
        run_claim("test_toy_clam")
    assert len(store.list(kind="claim")) == 1


def test_claims_must_fix_seeds_and_budgets():
    class ThreeSeeds(ToyClaim):
        seeds = (0, 1, 2)

    with pytest.raises(ValueError, match="at least 5 seeds"):
        ThreeSeeds()

    class NoPrecondition(ToyClaim):
        precondition = ""

    with pytest.raises(ValueError, match="precondition"):
        NoPrecondition()


def test_seeds_needed_is_the_smallest_n_whose_detectable_effect_fits_the_distance():
    from neuralab.claims.base import seeds_needed

    n = seeds_needed(1.0, 1.0)
    mde = lambda k: (stats.t.ppf(0.95, k - 1) + stats.t.ppf(0.8, k - 1)) / math.sqrt(k)  # noqa: E731
    assert mde(n) <= 1.0 < mde(n - 1)
    assert n == 8  # a one-sd effect, one-sided 5% test at 80% power (t approximation)
    assert seeds_needed(0.0, 0.1) == 5 and seeds_needed(0.01, 1.0) == 5  # never below five
    assert seeds_needed(1.0, 0.0) == 40 and seeds_needed(1.0, 0.01) == 40  # capped
    with pytest.raises(ValueError):
        seeds_needed(float("nan"), 1.0)


def test_paired_accuracy_se_is_the_example_spread_of_the_seed_mean_difference():
    import numpy as np

    from neuralab.claims.base import paired_accuracy_se

    rng = np.random.default_rng(0)
    a = rng.random((5, 400)) < 0.7
    assert paired_accuracy_se(a, a) == 0.0  # identical predictions: no test-set error
    b = a.copy()
    b[:, :40] = ~b[:, :40]  # the same 40 examples flipped on every seed
    d = (a.astype(float) - b).mean(axis=0)
    assert paired_accuracy_se(a, b) == pytest.approx(d.std(ddof=1) / math.sqrt(400))
    independent = accuracy_se(400, a.mean(), b.mean())
    assert paired_accuracy_se(a, b) < independent  # pairing removes the shared examples' error
    with pytest.raises(ValueError):
        paired_accuracy_se(a, b[:, :10])


def test_training_converged_judges_every_arm_with_a_loss_curve():
    from neuralab.claims.base import training_converged

    def arm(name, values):
        return [claim_record(name, s, "batch_loss", v, step=10 * i)
                for s in range(3) for i, v in enumerate(values)]

    flat = arm("a", [2.0, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    falling = arm("b", [2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.8, 0.6, 0.4, 0.2])
    fitted = arm("c", [1.0, 0.5, 0.2, 0.1, 0.05, 0.03, 0.01, 0.005, 0.002, 0.001])
    assert training_converged(flat + fitted) is None  # a fitted training set counts as converged
    assert "b: batch_loss still moving" in training_converged(flat + falling)
    assert training_converged(flat + falling, arms=["a"]) is None
    only_accuracy = [claim_record("a", 0, "test_accuracy", 0.9)]
    assert "no training-loss curve" in training_converged(only_accuracy)
    # a named arm without a curve cannot show that it converged
    assert training_converged(flat + only_accuracy, arms=["a"]) is None
    assert "x: no training-loss curve" in training_converged(flat, arms=["a", "x"])


def test_training_converged_with_an_absolute_tolerance():
    from neuralab.claims.base import training_converged

    # near zero a loss can halve and still have converged: moved by 0.03 -> 0.022 (27%), 0.008
    near_zero = [claim_record("a", s, "batch_loss", v, step=10 * i) for s in range(2)
                 for i, v in enumerate([1.0, 0.6, 0.3, 0.2, 0.1, 0.06, 0.04, 0.035, 0.03, 0.022])]
    assert "a: batch_loss still moving at the end (0.03 -> 0.022)" in training_converged(near_zero)
    assert training_converged(near_zero, abs_tol=0.01) is None
    assert "still moving" in training_converged(near_zero, abs_tol=0.005)


def test_every_registered_claim_implements_run_check_and_its_precondition():
    from neuralab.claims.base import Claim
    from neuralab.claims.runner import get_claim, resolve_claims

    for claim_id in resolve_claims([], all_claims=True):
        cls = type(get_claim(claim_id))
        for method in ("run", "check", "budget_failure"):
            assert getattr(cls, method) is not getattr(Claim, method), (claim_id, method)


def test_discordant_se_is_the_paired_binomial_error_bounded_over_seeds():
    from neuralab.claims.base import discordant_se

    # one seed: d = (b - c) / n has variance ((b + c) / n - d^2) / n
    n, b, c = 1000, 30, 10
    assert discordant_se({0: (b, c)}, n) == pytest.approx(
        math.sqrt(((b + c) / n - ((b - c) / n) ** 2) / n))
    # seeds sharing a test set: the mean of the per-seed errors (the perfectly correlated bound)
    two = discordant_se({0: (30, 10), 1: (12, 12)}, n)
    assert two == pytest.approx((discordant_se({0: (30, 10)}, n) + discordant_se({1: (12, 12)}, n)) / 2)
    # two arms that never disagree add no test-set error; far below the independent-arms bound
    assert discordant_se({0: (0, 0), 1: (0, 0)}, n) == 0.0
    assert discordant_se({0: (b, c)}, n) < accuracy_se(n, 0.80, 0.78)
    with pytest.raises(ValueError):
        discordant_se({0: (600, 600)}, n)


def test_discordant_se_covers_the_test_set_sampling_error():
    from neuralab.claims.base import discordant_se

    # a population of examples where arm A is right on 82%, B on 80%, agreeing on most; draw test
    # sets of 500 and compare the spread of the observed difference with the error claimed
    rng = np.random.default_rng(0)
    population = rng.random((200_000, 2))
    a = population[:, 0] < 0.82
    b = np.where(population[:, 1] < 0.9, a, ~a)  # B copies A on 90% of the examples
    diffs, ses = [], []
    for _ in range(400):
        idx = rng.integers(0, len(a), 500)
        ra, rb = a[idx], b[idx]
        diffs.append(ra.mean() - rb.mean())
        ses.append(discordant_se({0: (float((ra & ~rb).sum()), float((rb & ~ra).sum()))}, 500))
    assert float(np.std(diffs)) == pytest.approx(float(np.mean(ses)), rel=0.1)
