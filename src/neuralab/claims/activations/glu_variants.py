"""GLU variants improve the Transformer: SwiGLU and GEGLU feed-forward layers reach a lower loss
than the ReLU FFN at equal parameters.

Shazeer, "GLU Variants Improve Transformer" (arXiv:2002.05202): replacing the Transformer's
``W_2 relu(W_1 x)`` FFN by a gated linear unit ``W_2 (act(W x) * V x)`` with ``act`` = Swish (SwiGLU)
or GELU (GEGLU), its hidden width cut to 2/3 so the parameters stay equal, lowers the
pre-training log-perplexity (1.997 for ReLU, 1.944 SwiGLU, 1.942 GEGLU after 65 536 steps) and
improves fine-tuning.

Experiment: the char-LM testbed of the activation sweep (:mod:`~neuralab.claims.activations.
_activation_sweep`: 2 Pre-LN blocks of width 64, AdamW with warmup and cosine decay, 600 steps),
with the ReLU FFN (the sweep's ReLU population, shared with the activation and RMSNorm claims),
``ffn=swiglu`` and ``ffn=geglu`` (``match_params``: hidden width 2/3 of the MLP's, the same
parameter count), everything else equal, from the same seeds; each arm's seeds train as one
population. Per seed: final test loss (nats per character) of ReLU minus of the GLU variant.
Verdict, both parts (two one-sided 95% Student-t bounds, intersection-union,
:mod:`neuralab.claims.base`): SwiGLU's and GEGLU's reductions are each above 0.

Seeds: the six of the shared char-LM population; the paper's effect, 0.05 nats, is at
``seeds_needed(0.0228, 0.05)`` = 5 with the sweep's char-LM pilot spread across activations
(sd 0.0228). Precondition: every arm's training loss is flat over the last 10% of steps
(:func:`~neuralab.claims.base.training_converged`). No quick budget: one char-LM population takes
minutes.
"""

from __future__ import annotations

import statistics
from typing import Any

from neuralab.claims.activations._activation_sweep import SEEDS, activation_runs, arm_name
from neuralab.claims.base import (Claim, Progress, Verdict, by_seed, combine, decide,
                                  paired_differences, training_converged)
from neuralab.registry import register

RELU = arm_name("char_lm", "relu")
VARIANTS = {ffn: arm_name("char_lm", "relu", ffn=ffn) for ffn in ("swiglu", "geglu")}


@register("claim", "glu_variants", paper="GLU Variants Improve Transformer", arxiv="2002.05202")
class GluVariants(Claim):
    statement = ("A char-LM Transformer with a SwiGLU or a GEGLU feed-forward layer (equal "
                 "parameters) reaches a lower test loss than with the ReLU FFN at equal steps.")
    reference = ("GEGLU and SwiGLU FFNs give the best pre-training perplexity (1.942 and 1.944 "
                 "against ReLU's 1.997 log-perplexity) at equal parameters and compute.")
    seeds = SEEDS[:6]
    thresholds = {"loss_reduction": 0.0}
    precondition = ("every arm's training loss is flat over the last 10% of steps, or below 0.02")
    budgets = {"smoke": {"seeds": 2}, "full": {}}
    shared = "activation_sweep"
    full_minutes = 9

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        seeds = self.seeds_for(budget)
        rows = activation_runs("char_lm", "relu", seeds, budget, progress)
        for ffn in VARIANTS:
            rows += activation_runs("char_lm", "relu", seeds, budget, progress, ffn=ffn)
        return rows

    def check(self, records) -> Verdict:
        relu = by_seed(records, RELU, "test_loss")
        parts = []
        for ffn, arm in VARIANTS.items():
            ours = by_seed(records, arm, "test_loss")
            notes = (f"test loss {ffn} {statistics.fmean(ours.values()):.4g}, relu "
                     f"{statistics.fmean(relu.values()):.4g}") if ours and relu else ""
            parts.append(decide(paired_differences(relu, ours), self.thresholds["loss_reduction"],
                                f"char-LM test loss, ReLU FFN minus {ffn} (nats)", notes=notes))
        return combine(parts, "SwiGLU and GEGLU better than the ReLU FFN on the char LM")

    def budget_failure(self, records):
        return training_converged(records, arms=[RELU, *VARIANTS.values()])
