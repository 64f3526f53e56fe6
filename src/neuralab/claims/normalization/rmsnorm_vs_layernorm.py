"""RMSNorm matches LayerNorm: re-centering is not needed for the language model to train.

Zhang & Sennrich, "Root Mean Square Layer Normalization" (arXiv:1910.07467): dropping LayerNorm's
mean subtraction, ``rms(x) = x / sqrt(mean(x^2) + eps) * g``, keeps re-scaling invariance and
gives "comparable performance" to LayerNorm at 7%-64% less running time. The speed-up is a
matter for a benchmark, not a claim; this claim tests the quality half.

Experiment: the char-LM testbed of the activation sweep (:mod:`~neuralab.claims.activations.
_activation_sweep`: 2 Pre-LN blocks of width 64, ReLU FFN, AdamW with warmup and cosine decay,
600 steps), trained with LayerNorm (the default, so that arm is the sweep's ReLU population,
shared with the activation claims) and with RMSNorm, everything else equal, from the same seeds;
each arm's seeds train as one population. Measure per seed: final test loss (nats per character)
with RMSNorm minus with LayerNorm. Verdict: that difference < 0.02 nats (non-inferiority: no
worse than LayerNorm by more than 0.02 nats, the margin the Mix-LN claim uses for "no worse"), by
the fixed rule (two one-sided 95% Student-t bounds, :mod:`neuralab.claims.base`).

Seeds: the six of the shared char-LM population. The sweep's char-LM pilot spread across
activations (sd 0.0228) would need ``seeds_needed(0.0228, 0.02)`` = 10 at a distance of the whole
margin; a paired difference between two norms of the same network is expected to spread far less
(at sd 0.01, ``seeds_needed(0.01, 0.02)`` = 5), so six, the shared population's, are used. The
interval says whether that held. Precondition: both arms' training losses are flat over the last
10% of steps (:func:`~neuralab.claims.base.training_converged`). No quick budget: one char-LM
population takes minutes, like the activation claims' char-LM parts.
"""

from __future__ import annotations

import statistics
from typing import Any

from neuralab.claims.activations._activation_sweep import SEEDS, activation_runs, arm_name
from neuralab.claims.base import Claim, Progress, Verdict, by_seed, decide, training_converged
from neuralab.registry import register

LAYER, RMS = arm_name("char_lm", "relu"), arm_name("char_lm", "relu", "rms")


@register("claim", "rmsnorm_vs_layernorm", paper="Root Mean Square Layer Normalization",
          arxiv="1910.07467")
class RMSNormVersusLayerNorm(Claim):
    statement = ("A char-LM Transformer with RMSNorm reaches a test loss no worse than with "
                 "LayerNorm (by less than 0.02 nats) at equal steps.")
    reference = ("RMSNorm gives comparable performance to LayerNorm on several tasks and models "
                 "while running 7%-64% faster.")
    seeds = SEEDS[:6]
    thresholds = {"loss_margin": 0.02}
    precondition = ("both arms' training losses are flat over the last 10% of steps, or below "
                    "0.02")
    budgets = {"smoke": {"seeds": 2}, "full": {}}
    shared = "activation_sweep"
    full_minutes = 6

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        seeds = self.seeds_for(budget)
        return (activation_runs("char_lm", "relu", seeds, budget, progress)
                + activation_runs("char_lm", "relu", seeds, budget, progress, norm="rms"))

    def check(self, records) -> Verdict:
        layer, rms = by_seed(records, LAYER, "test_loss"), by_seed(records, RMS, "test_loss")
        seeds = sorted(set(layer) & set(rms))
        notes = (f"test loss RMSNorm {statistics.fmean(rms[s] for s in seeds):.4g}, LayerNorm "
                 f"{statistics.fmean(layer[s] for s in seeds):.4g}") if seeds else ""
        return decide({s: rms[s] - layer[s] for s in seeds}, self.thresholds["loss_margin"],
                      "char-LM test loss, RMSNorm minus LayerNorm (nats)", direction="less",
                      notes=notes)

    def budget_failure(self, records):
        return training_converged(records, arms=[LAYER, RMS])
