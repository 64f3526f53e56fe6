"""Claim: global magnitude pruning matches or beats layer-wise magnitude pruning at high sparsity.

Gupta et al., "Is Complexity Required for Neural Network Pruning? A Case Study on Global
Magnitude Pruning" (arXiv:2209.14624). Experiment: an MLP (width 256, two hidden layers) trained
on MNIST-1D; for each seed the same trained network is pruned one-shot to 80% and to 90% of its
weights, once with a single global magnitude threshold and the paper's Minimum Threshold (MT:
every layer keeps at least a fixed number of its largest weights, here the width, 256, against
layer collapse) and once with the same fraction removed from every layer, then fine-tuned with
the masks in place for as many steps as the dense training. Measure: test accuracy of global
(with MT) minus layer-wise, per seed, at each sparsity. Reproduced when at both sparsities the
difference exceeds -0.005 (global no worse than half a point below layer-wise) by the fixed rule
(two one-sided 95% t-bounds over the seeds, with the test set's sampling error). Reported, not
judged: how many layers MT kept more weights in than plain global pruning would (``mt_lifted``;
on this MLP at 80% and 90% none: plain global already keeps more than 256 weights of every layer,
so the global arm is plain global magnitude pruning there).

Protocol change (from 95% / 98% sparsity, no MT, 1000 fine-tuning steps): at 98% both arms were
near chance (0.13-0.19), which tests nothing, and the paper's MT against layer collapse was
missing; the claim is now tested where pruning costs a moderate amount (80%, 90%), with MT, and
fine-tuned as long as trained (after 1000 steps the 80% and 90% fine-tunings were still
learning). Threshold unchanged.

Seeds: pilot (3 seeds, full, the old protocol) sd 0.032 at 95%, distance |0.051 + 0.005| = 0.056
-> ``seeds_needed(0.032, 0.056)`` = 5. Precondition: the dense training and every fine-tuning
have converged (batch loss flat over the last 10% of steps, or below 0.02: the training set fit).
"""

from __future__ import annotations

import copy
import statistics

from neuralab.claims.base import Claim, Progress, Verdict, by_seed, claim_record, combine
from neuralab.claims.base import training_converged
from neuralab.claims.compression._compression_setup import (PairedScores, claim_data, gap_verdict,
                                                            over_seeds, seeded_model,
                                                            single_threaded, test_size,
                                                            train_logged)
from neuralab.registry import REGISTRY, register

SPARSITIES = (0.8, 0.9)
METHODS = ("global_mt", "layerwise_magnitude")  # global_mt: global magnitude with MT


def pruner(method: str, sparsity: float, width: int):
    """The pruner of ``method``; the Minimum Threshold keeps ``width`` weights in every layer."""
    if method == "global_mt":
        return REGISTRY.create("pruner", "global_magnitude", sparsity=sparsity, min_keep=width)
    return REGISTRY.create("pruner", method, sparsity=sparsity)


@register("claim", "global_magnitude_pruning", arxiv="2209.14624",
          paper="Is Complexity Required for Neural Network Pruning? A Case Study on Global "
          "Magnitude Pruning")
class GlobalMagnitudePruning(Claim):
    statement = ("At 80% and 90% sparsity, one-shot global magnitude pruning with a minimum "
                 "threshold per layer and fine-tuning matches or beats layer-wise magnitude "
                 "pruning in test accuracy.")
    reference = ("The paper reports global magnitude pruning with MT at or above state-of-the-art "
                 "pruning methods, and above layer-wise pruning, on CIFAR-10 and ImageNet.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"margin": -0.005}
    precondition = ("the dense training and every fine-tuning have converged: batch loss flat "
                    "over the last 10% of steps, or below 0.02")
    budgets = {
        "smoke": {"samples": 600, "width": 32, "steps": 60, "finetune": 20, "seeds": 2},
        "full": {"samples": 5000, "width": 256, "steps": 3000, "finetune": 3000},
    }
    full_minutes = 6

    @single_threaded
    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        b = self.budget(budget)
        data = claim_data(b)

        def one_seed(seed: int) -> list[dict]:
            dense = seeded_model("mlp", data, {"width": b["width"], "depth": 2}, seed)
            rows = [test_size(data, seed)] + train_logged(dense, data, b["steps"], seed, "dense")
            tested = PairedScores(data, seed)
            rows.append(tested.record("dense", dense))
            for s in SPARSITIES:
                plain = pruner("global_magnitude", s, b["width"]).masks(dense)
                mt = pruner("global_mt", s, b["width"]).masks(dense)
                lifted = sum(int(mt[k].sum() > plain[k].sum()) for k in mt)
                rows.append(claim_record(f"global_mt/{s}", seed, "mt_lifted", lifted))
                for method in METHODS:
                    model = copy.deepcopy(dense)
                    pruner(method, s, b["width"]).apply(model)
                    rows += train_logged(model, data, b["finetune"], seed, f"{method}/{s}")
                    rows.append(tested.record(f"{method}/{s}", model))
            return rows + tested.discordance()

        return over_seeds(self.seeds_for(budget), one_seed, progress)

    def check(self, records) -> Verdict:
        parts = [gap_verdict(records, f"global_mt/{s}", f"layerwise_magnitude/{s}",
                             self.thresholds["margin"],
                             f"global (MT) minus layer-wise test accuracy at sparsity {s}")
                 for s in SPARSITIES]
        lifted = {s: by_seed(records, f"global_mt/{s}", "mt_lifted") for s in SPARSITIES}
        note = "layers MT lifted above plain global pruning (mean over seeds): " + "; ".join(
            f"{s}: {statistics.fmean(d.values()):.1f}" for s, d in lifted.items() if d)
        return combine(parts, "global (MT) minus layer-wise test accuracy (80% and 90% "
                       "sparsity)", notes=note)

    def budget_failure(self, records) -> str | None:
        return training_converged(records)
