"""Small registered claims for testing the runner, the report and the CLI without training."""

from __future__ import annotations

from neuralab.claims import Claim, by_seed, claim_record, combine, decide, paired_differences
from neuralab.registry import register


@register("claim", "report_toy_claim", paper="A Paper <with> Markup & Ampersands", arxiv="0000.00001")
class ReportToyClaim(Claim):
    """Two arms with curves; a two-part verdict; ``scale`` moves the second part across its bar."""

    statement = "Arm <b>a</b> beats arm b & keeps its lead."
    reference = "a beats b by 0.3."
    seeds = (0, 1, 2, 3, 4, 5)
    thresholds = {"margin": 0.1, "lead": 0.5}
    precondition = "arm b's accuracy has stopped rising (it always has: constructed records)"
    budgets = {"smoke": {"scale": 1.0, "seeds": 3}, "quick": {"scale": 2.0, "seeds": 5},
               "full": {"scale": 2.0}}
    curves = ("accuracy",)

    def run(self, budget, progress=None):
        scale = self.budget(budget)["scale"]
        rows = []
        for s in self.seeds_for(budget):
            for step in range(5):
                rows.append(claim_record("a", s, "accuracy", 0.5 + 0.1 * step + 0.01 * s, step=step))
                rows.append(claim_record("b", s, "accuracy", 0.4 + 0.05 * step, step=step))
            rows.append(claim_record("a", s, "lead", 0.3 * scale + 0.01 * s, step=4))
            if progress:
                progress(f"seed {s} done")
        return rows

    def check(self, records):
        diff = paired_differences(by_seed(records, "a", "accuracy"), by_seed(records, "b", "accuracy"))
        return combine([decide(diff, self.thresholds["margin"], "a minus b accuracy"),
                        decide(by_seed(records, "a", "lead"), self.thresholds["lead"], "lead of a")],
                       "a beats b and keeps its lead")

    def budget_failure(self, records):
        return None


@register("claim", "report_failing_claim", paper="A Paper That Crashes")
class FailingClaim(Claim):
    statement = "This experiment raises."
    seeds = (0, 1, 2, 3, 4)
    precondition = "none (it never gets that far)"
    budgets = {"smoke": {}, "quick": {}, "full": {}}

    def run(self, budget, progress=None):
        raise RuntimeError("the experiment crashed")

    def check(self, records):
        raise AssertionError("unreachable")

    def budget_failure(self, records):
        raise AssertionError("unreachable")


@register("claim", "report_full_only_claim", paper="A Paper That Needs Its Full Budget")
class FullOnlyClaim(ReportToyClaim):
    """No quick budget: its quick run could not agree with its full run."""

    statement = "Only the full budget tests this."
    budgets = {"smoke": {"scale": 1.0, "seeds": 2}, "full": {"scale": 2.0}}
    full_minutes = 12


def store_claim_run(store, claim_id, budget, verdict, *, config=None, records=()):
    """Write a completed run of ``claim_id`` at ``budget`` with a hand-made ``verdict`` straight
    into ``store``, as the runner records one (config: the claim's description unless given);
    returns its id. Builds stores with known verdicts without running any claim."""
    from neuralab.claims.runner import get_claim
    from neuralab.engine.metrics import RecordLog

    description = config if config is not None else get_claim(claim_id).describe()
    run = store.create({"claim": claim_id, "budget": budget, **description}, kind="claim",
                       name=claim_id)
    RecordLog(run.records_path).extend(list(records))
    store.update(run.id, status="completed", summary={"claim": claim_id, "budget": budget,
                                                      "seconds": 0.1, **verdict.to_dict()})
    return run.id
