"""Claim: Hessian-ordered mixed precision beats uniform precision at the same average bit width.

Dong et al., "HAWQ: Hessian AWare Quantization of Neural Networks with Mixed-Precision"
(arXiv:1905.03696). Experiment on MNIST-1D: a CNN (three convolutions of 32 channels, linear
head) is trained; its weights are then quantized after training, per output channel, either all
at 3 bits or with HAWQ's allocation at an average of at most 3 bits (candidates 2, 3, 4, 5, 6, 8;
layers ranked by top Hessian eigenvalue per weight, :mod:`neuralab.compress.quantize.hawq`). No
fine-tuning. Measure per seed: HAWQ minus uniform test accuracy, which must exceed 0 by the fixed
rule. The reversed ranking is recorded as a control (not part of the verdict).
"""

from __future__ import annotations

from neuralab.claims.compression._compression_setup import (arm_gap, claim_data, seeded_model, single_threaded,
                                                test_accuracy, train)
from neuralab.claims.base import Claim, Progress, Verdict, claim_record, decide
from neuralab.compress.prune import prunable_weights
from neuralab.compress.quantize.hawq import (allocate_bits, average_bits, layer_sensitivity,
                                             quantize_mixed)
from neuralab.registry import register

AVG_BITS, CANDIDATES = 3.0, (2, 3, 4, 5, 6, 8)


@register("claim", "hawq_mixed_precision", arxiv="1905.03696",
          paper="HAWQ: Hessian AWare Quantization of Neural Networks with Mixed-Precision")
class HawqMixedPrecision(Claim):
    statement = ("Post-training quantization with HAWQ's Hessian-ranked bit allocation at an "
                 "average of 3 bits per weight gives higher test accuracy than uniform 3-bit "
                 "quantization.")
    seeds = (0, 1, 2)
    thresholds = {"margin": 0.0}
    budgets = {
        "smoke": {"samples": 600, "channels": 8, "steps": 60, "examples": 128, "iters": 10},
        "full": {"samples": 5000, "channels": 32, "steps": 3000, "examples": 1024, "iters": 50},
    }

    @single_threaded
    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        b = self.budget(budget)
        data = claim_data(b)
        rows = []
        for seed in self.seeds:
            model = seeded_model("cnn", data, {"channels": b["channels"]}, seed)
            train(model, data, b["steps"], seed, lr=3e-3)
            sizes = {k: getattr(m, n).numel() for k, (m, n) in prunable_weights(model).items()}
            sens = layer_sensitivity(model, data, examples=b["examples"], iters=b["iters"], seed=seed)
            arms = {
                "float": None,
                "uniform": {k: int(AVG_BITS) for k in sizes},
                "hawq": allocate_bits(sens, sizes, AVG_BITS, CANDIDATES),
                "reversed": allocate_bits(sens, sizes, AVG_BITS, CANDIDATES, reverse=True),
            }
            for arm, alloc in arms.items():
                quantized = model if alloc is None else quantize_mixed(model, alloc)
                rows.append(claim_record(arm, seed, "test_accuracy", test_accuracy(quantized, data)))
                if alloc is not None:
                    rows.append(claim_record(arm, seed, "average_bits", average_bits(alloc, sizes)))
                    rows += [claim_record(arm, seed, "bits", v, layer=k) for k, v in alloc.items()]
            rows += [claim_record("hawq", seed, "sensitivity", v, layer=k) for k, v in sens.items()]
            if progress:
                progress(f"seed {seed}: hawq bits {arms['hawq']}")
        return rows

    def check(self, records) -> Verdict:
        diff = arm_gap(records, "hawq", "uniform")
        reversed_diff = arm_gap(records, "hawq", "reversed")
        note = ("control: HAWQ minus reversed ranking = "
                + ", ".join(f"{v:+.3f}" for v in reversed_diff.values()))
        return decide(diff, self.thresholds["margin"],
                      "HAWQ minus uniform 3-bit test accuracy", notes=note)
