"""Mix-LN: Post-LN in the first blocks and Pre-LN after gives more uniform gradients.

Li et al., "Mix-LN: Unleashing the Power of Deeper Layers by Combining Pre-LN and Post-LN"
(arXiv:2412.13795). Pre-LN starves deep blocks of gradient, Post-LN early ones; Mix-LN (Post-LN
in the first ``floor(0.25 L)`` blocks) is claimed to spread gradient more evenly and to train to a
loss at least as low as the better of the two.

Experiment: the char-LM testbed (8 blocks) trained with Pre-LN, Post-LN and Mix-LN (ratio 0.25)
from the same seeds. At every evaluation the per-block gradient norms of the loss on a fixed test
batch are recorded (:mod:`neuralab.probes.gradient_norms`); their coefficient of variation across
blocks (std / mean), averaged over the evaluations, measures non-uniformity.

Verdict, two parts (both must hold):
- uniformity: ``min(CV_pre, CV_post) - CV_mix > 0`` (Mix-LN more uniform than both);
- loss: ``loss_mix - min(loss_pre, loss_post) < 0.02`` nats (no worse than the better one).

Seeds: the 3-seed pilot at the full budget (``docs/verdicts.md``) has spread 0.03302 at distance
0.01508 from the threshold: ``seeds_needed(0.03302, 0.01508) = 32``, capped at 8 to keep the full
budget affordable (the interval may stay wide); 8 seeds. The verdict is the fixed rule (two one-
sided 95% Student-t bounds). Precondition: every trained arm has converged
(:func:`~neuralab.claims.base.training_converged`: training loss flat over the last 10% of steps,
or below 0.02). No quick budget: a third of the full budget's steps took
minutes in the demo (over its share); the demo says what to run.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from neuralab.claims.training import char_lm, train_arm
from neuralab.claims.base import (Claim, Progress, Verdict, by_seed, claim_record, combine, decide,
                                  training_converged)
from neuralab.registry import register

ARMS = {"pre": "pre", "post": "post", "mix": "mix"}


def gradient_cv(records: list[dict[str, Any]], arm: str, seed: int) -> float:
    """Mean over evaluation steps of the coefficient of variation of per-block gradient norms."""
    per_step: dict[int, list[float]] = defaultdict(list)
    for r in records:
        if (r["run"] == arm and r["member"] == seed and r["metric"] == "grad_norm"
                and str(r["layer"]).startswith("block")):
            per_step[r["step"]].append(r["value"])
    cvs = [statistics.pstdev(v) / statistics.fmean(v) for v in per_step.values() if len(v) > 1]
    return statistics.fmean(cvs) if cvs else float("nan")


@register("claim", "mix_ln", paper="Mix-LN: Unleashing the Power of Deeper Layers by Combining "
          "Pre-LN and Post-LN", arxiv="2412.13795")
class MixLN(Claim):
    trains_on_device = True
    statement = ("Mix-LN (Post-LN in the first quarter of the blocks, Pre-LN after) gives more "
                 "uniform per-block gradient norms than Pre-LN and Post-LN, at a validation loss "
                 "no worse than the better of the two.")
    seeds = tuple(range(8))
    precondition = ("every trained arm has converged: training loss flat over the last 10% of "
                    "steps, or below 0.02")
    thresholds = {"cv_margin": 0.0, "loss_margin": 0.02}
    full_minutes = 12
    budgets = {
        "smoke": {"seeds": 2, "steps": 6, "n_layers": 4, "d_model": 16, "seq_len": 32, "batch_size": 8,
                  "max_chars": 20_000},
        "full": {"steps": 500, "n_layers": 8, "d_model": 48, "seq_len": 64, "batch_size": 16,
                 "max_chars": 200_000},
    }

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        b = {k: v for k, v in self.budget(budget).items() if k != "seeds"}
        config = char_lm(**b, evals=5)
        rows: list[dict[str, Any]] = []
        for seed in self.seeds_for(budget):
            for arm, position in ARMS.items():
                arm_run = train_arm(arm, seed, config, overrides=[
                    f"model.norm_position={position}", "model.mix_ratio=0.25"],
                    probes=[("gradient_norms", {})], probe_examples=16, progress=progress)
                rows += arm_run.records
                rows.append(claim_record(arm, seed, "grad_norm_cv", gradient_cv(arm_run.records, arm, seed)))
        return rows

    def check(self, records) -> Verdict:
        cv = {arm: by_seed(records, arm, "grad_norm_cv") for arm in ARMS}
        loss = {arm: by_seed(records, arm, "test_loss") for arm in ARMS}
        seeds = sorted(set(cv["mix"]) & set(cv["pre"]) & set(cv["post"]))
        uniform = decide({s: min(cv["pre"][s], cv["post"][s]) - cv["mix"][s] for s in seeds},
                         self.thresholds["cv_margin"],
                         "min(CV pre, CV post) - CV mix of per-block gradient norms",
                         notes=_means(cv, "CV"))
        no_worse = decide({s: loss["mix"][s] - min(loss["pre"][s], loss["post"][s]) for s in seeds},
                          self.thresholds["loss_margin"], "loss mix - min(loss pre, loss post)",
                          direction="less", notes=_means(loss, "test loss"))
        return combine([uniform, no_worse], "Mix-LN: gradient uniformity and loss")

    def budget_failure(self, records):
        return training_converged(records)


def _means(values: dict[str, dict[int, float]], what: str) -> str:
    return ", ".join(f"{what} {arm} {statistics.fmean(v.values()):.4g}"
                     for arm, v in values.items() if v)
