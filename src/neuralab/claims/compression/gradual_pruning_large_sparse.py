"""Claim: a large sparse network beats a small dense one with the same number of non-zeros.

Zhu & Gupta, "To prune, or not to prune: exploring the efficacy of pruning for model compression"
(arXiv:1710.01878). Experiment on MNIST-1D: an MLP with two hidden layers of width 512 is pruned
gradually during training to 90% sparsity with the paper's cubic schedule (global magnitude,
pruning every 1% of training from 10% to 60% of it, then training on with the final masks);
a dense MLP of the same depth whose width is chosen so that its weights number the large model's
non-zero weights is trained for the same steps. Measure per seed: large-sparse minus small-dense
test accuracy, which must exceed 0 by the fixed rule (two one-sided 95% t-bounds over the seeds,
with the test set's sampling error).

Seeds: pilot (3 seeds, full) effect 0.053, sd 0.018, distance 0.053 -> ``seeds_needed(0.018,
0.053)`` = 5. Precondition: both trainings have converged (batch loss flat over the last 10% of
steps, or below 0.02).
"""

from __future__ import annotations

import math

from neuralab.claims.base import Claim, Progress, Verdict, claim_record
from neuralab.claims.base import training_converged
from neuralab.claims.compression._compression_setup import (PairedScores, claim_data, gap_verdict,
                                                            over_seeds, seeded_model,
                                                            single_threaded, test_size,
                                                            train_logged)
from neuralab.compress.prune import GradualPruning, prunable_weights, sparsity
from neuralab.registry import REGISTRY, register

SPARSITY = 0.9


def matching_width(n_in: int, n_out: int, weights: float) -> int:
    """Width ``w`` of a two-hidden-layer MLP whose ``n_in w + w^2 + w n_out`` weights are closest
    to ``weights``."""
    b = n_in + n_out
    w = (-b + math.sqrt(b * b + 4 * weights)) / 2
    return min((max(1, math.floor(w)), math.ceil(w)), key=lambda v: abs(b * v + v * v - weights))


@register("claim", "gradual_pruning_large_sparse", arxiv="1710.01878",
          paper="To prune, or not to prune: exploring the efficacy of pruning for model compression")
class GradualPruningLargeSparse(Claim):
    statement = ("An MLP gradually pruned to 90% sparsity during training reaches higher test "
                 "accuracy than a dense MLP with the same number of non-zero weights.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"margin": 0.0}
    precondition = ("both the gradually pruned and the small dense training have converged: "
                    "batch loss flat over the last 10% of steps, or below 0.02")
    budgets = {
        "smoke": {"samples": 600, "width": 64, "steps": 100, "seeds": 2},
        "full": {"samples": 5000, "width": 512, "steps": 4000},
    }
    full_minutes = 5

    @single_threaded
    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        b = self.budget(budget)
        data = claim_data(b)
        steps = b["steps"]

        def one_seed(seed: int) -> list[dict]:
            large = seeded_model("mlp", data, {"width": b["width"], "depth": 2}, seed)
            pruner = REGISTRY.create("pruner", "global_magnitude", sparsity=SPARSITY)
            schedule = GradualPruning(pruner, large, start=steps // 10, end=6 * steps // 10,
                                      every=max(1, steps // 100))
            rows = [test_size(data, seed)]
            rows += train_logged(large, data, steps, seed, "large_sparse", after_step=schedule)
            n_weights = sum(getattr(m, n).numel() for m, n in prunable_weights(large).values())
            nonzero = (1 - sparsity(large)["total"]) * n_weights
            width = matching_width(data.spec.n_inputs, data.spec.n_outputs, nonzero)
            small = seeded_model("mlp", data, {"width": width, "depth": 2}, seed, "small")
            rows += train_logged(small, data, steps, seed, "small_dense")
            tested = PairedScores(data, seed)
            rows += [tested.record("large_sparse", large),
                     claim_record("large_sparse", seed, "nonzero_weights", nonzero),
                     tested.record("small_dense", small),
                     claim_record("small_dense", seed, "width", width)]
            return rows + tested.discordance()

        def say(seed: int, rows: list[dict]) -> str:
            width = next(r["value"] for r in rows if r["metric"] == "width")
            return f"seed {seed}: small dense width {width:.0f}"

        return over_seeds(self.seeds_for(budget), one_seed, progress, say)

    def check(self, records) -> Verdict:
        return gap_verdict(records, "large_sparse", "small_dense", self.thresholds["margin"],
                           "large-sparse minus small-dense test accuracy at equal non-zeros")

    def budget_failure(self, records) -> str | None:
        return training_converged(records, ("large_sparse", "small_dense"))
