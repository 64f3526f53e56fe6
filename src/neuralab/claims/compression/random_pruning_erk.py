"""Claim: random pruning with ERK ratios matches dense accuracy, and the gap shrinks with width.

Liu et al., "The Unreasonable Effectiveness of Random Pruning: Return of the Most Naive Baseline
for Sparse Training" (arXiv:2202.02643). Experiment: MLPs with two hidden layers of width 32, 128
and 512 on MNIST-1D. For each seed and width, a dense network and the same initialization randomly
pruned at 70% sparsity with Erdős–Rényi-Kernel layer ratios are trained from scratch for the same
steps (the mask stays fixed). Measures per seed: (a) sparse minus dense test accuracy at width 512,
which must exceed -0.01 (sparse within one point of dense); (b) the dense-minus-sparse gap at
width 32 minus the gap at width 512, which must exceed 0 (the gap shrinks as the network widens).
Both parts by the fixed rule (two one-sided 95% t-bounds over the seeds; (a) with the test set's
sampling error; (b) with that of its four accuracies).

Seeds: pilot (3 seeds, full) of (a) effect -0.0043, sd 0.017, distance 0.0057 ->
``seeds_needed(0.017, 0.0057)`` = 40 (the cap), capped at 10: the test set's sampling error
(about 0.02 for two accuracies near 0.65 on 1000 examples) bounds the interval whatever the
number of seeds. Precondition: every training has converged (batch loss flat over the last 10% of
steps, or below 0.02).
"""

from __future__ import annotations

from neuralab.claims.base import (Claim, Progress, Verdict, combine, decide, paired_differences,
                                  training_converged)
from neuralab.claims.compression._compression_setup import (PairedScores, arm_gap, claim_data,
                                                            gap_verdict, over_seeds, seeded_model,
                                                            single_threaded, test_set_se, test_size,
                                                            train_logged)
from neuralab.registry import REGISTRY, register

SPARSITY = 0.7


@register("claim", "random_pruning_erk", arxiv="2202.02643",
          paper="The Unreasonable Effectiveness of Random Pruning: Return of the Most Naive "
          "Baseline for Sparse Training")
class RandomPruningERK(Claim):
    statement = ("MLPs randomly pruned at initialization to 70% sparsity with ERK layer ratios "
                 "train to within one point of the dense accuracy at the largest width, and their "
                 "gap to dense shrinks as the width grows.")
    seeds = tuple(range(10))
    thresholds = {"match": -0.01, "shrink": 0.0}
    precondition = ("every dense and sparse training has converged: batch loss flat over the "
                    "last 10% of steps, or below 0.02")
    budgets = {
        "smoke": {"samples": 600, "widths": (8, 32), "steps": 60, "seeds": 2},
        "full": {"samples": 5000, "widths": (32, 128, 512), "steps": 3000},
    }
    full_minutes = 15

    @single_threaded
    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        b = self.budget(budget)
        data = claim_data(b)
        pruner = REGISTRY.create("pruner", "random_erk", sparsity=SPARSITY)

        def one_seed(seed: int) -> list[dict]:
            rows, tested = [test_size(data, seed)], PairedScores(data, seed)
            for width in b["widths"]:
                params = {"width": width, "depth": 2}
                dense = seeded_model("mlp", data, params, seed)
                rows += train_logged(dense, data, b["steps"], seed, f"dense/{width}")
                sparse = seeded_model("mlp", data, params, seed)
                pruner.apply(sparse, seed=seed)
                rows += train_logged(sparse, data, b["steps"], seed, f"random_erk/{width}")
                rows.append(tested.record(f"dense/{width}", dense))
                rows.append(tested.record(f"random_erk/{width}", sparse))
            return rows + tested.discordance()

        return over_seeds(self.seeds_for(budget), one_seed, progress)

    def budget_failure(self, records) -> str | None:
        return training_converged(records)

    def check(self, records) -> Verdict:
        widths = sorted({int(r["run"].split("/")[1]) for r in records if r["run"].startswith("dense/")})
        gap = {w: arm_gap(records, f"dense/{w}", f"random_erk/{w}")
               for w in widths}
        narrow, wide = widths[0], widths[-1]
        match = gap_verdict(records, f"random_erk/{wide}", f"dense/{wide}",
                            self.thresholds["match"],
                            f"sparse minus dense test accuracy at width {wide}")
        shrink = decide(paired_differences(gap[narrow], gap[wide]), self.thresholds["shrink"],
                        f"dense-sparse gap at width {narrow} minus the gap at width {wide}",
                        sampling_se=test_set_se(records, *(f"{arm}/{w}" for w in (narrow, wide)
                                                           for arm in ("dense", "random_erk"))))
        return combine([match, shrink], "random ERK pruning at 70%: match at the widest, "
                       "gap shrinking with width")
