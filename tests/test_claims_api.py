import pytest

from neuralab.claims import (Claim, by_seed, claim_record, combine, decide, paired_differences,
                             run_claim)
from neuralab.errors import ConfigError, UnknownNameError
from neuralab.registry import register
from neuralab.store import RunStore


def test_decide_rule():
    assert decide({0: 0.2, 1: 0.3, 2: 0.1}, 0.05, "gap").verdict == "reproduced"
    assert decide({0: 0.2, 1: 0.3, 2: 0.0}, 0.05, "gap").verdict == "reproduced"  # 2 of 3 pass
    assert decide({0: 0.0, 1: 0.01, 2: 0.1}, 0.05, "gap").verdict == "not reproduced"
    assert decide({0: 0.3, 1: 0.0, 2: -0.1}, 0.05, "gap").verdict == "inconclusive"
    assert decide({0: -1.0, 1: -2.0, 2: -0.5}, 0.0, "slope", direction="less").verdict == "reproduced"
    assert decide({0: float("nan"), 1: 1.0, 2: 1.0}, 0.0, "x").verdict == "inconclusive"
    v = decide({0: 1.0, 1: 2.0, 2: 3.0}, 0.5, "gap")
    assert v.effect == pytest.approx(2.0) and v.spread == pytest.approx(1.0)
    assert v.sentence().startswith("reproduced: gap = 2 ± 1 over 3 seeds (threshold > 0.5)")


def test_combine():
    yes = decide({0: 1, 1: 1, 2: 1}, 0, "a")
    no = decide({0: -1, 1: -1, 2: -1}, 0, "b")
    maybe = decide({0: 1, 1: 1, 2: -5}, 0, "c")
    assert combine([yes, yes], "both").verdict == "reproduced"
    assert combine([yes, no], "both").verdict == "not reproduced"
    assert combine([yes, maybe], "both").verdict == "inconclusive"
    assert len(combine([yes, no], "both").to_dict()["parts"]) == 2


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
    seeds = (0, 1, 2)
    thresholds = {"margin": 1.0}
    budgets = {"smoke": {"scale": 1}, "full": {"scale": 2}}

    def run(self, budget, progress=None):
        scale = self.budget(budget)["scale"]
        return [claim_record(arm, s, "value", v * scale) for s in self.seeds
                for arm, v in (("seven", 7), ("three", 3))]

    def check(self, records):
        diff = paired_differences(by_seed(records, "seven", "value"), by_seed(records, "three", "value"))
        return decide(diff, self.thresholds["margin"], "seven minus three")


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
    class TwoSeeds(ToyClaim):
        seeds = (0, 1)

    with pytest.raises(ValueError, match="three seeds"):
        TwoSeeds()
