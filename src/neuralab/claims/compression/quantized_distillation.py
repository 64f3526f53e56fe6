"""Claim: a low-bit student trained with distillation beats the same student trained without the
teacher.

Polino, Pascanu & Alistarh, "Model compression via distillation and quantization"
(arXiv:1802.05668). Experiment on MNIST-1D: a teacher CNN (three convolutions of 64 channels) is
trained; a student CNN (16 channels) whose weights are quantized to 4 bits per output channel in
every forward pass (straight-through estimator) is trained from the same initialization for the
same steps, once with the distillation loss (temperature 4, weight 0.7 on the soft term) and once
with cross-entropy on the labels alone. Measure per seed: distilled minus label-only student test
accuracy, which must exceed 0 by the fixed rule.
"""

from __future__ import annotations

from neuralab.claims.compression._compression_setup import (arm_gap, claim_data, seeded_model, single_threaded,
                                                test_accuracy, train)
from neuralab.claims.base import Claim, Progress, Verdict, claim_record, decide
from neuralab.compress.distill import quantized_distillation
from neuralab.compress.quantize.fake import FakeQuant, quantize_weights
from neuralab.registry import register

BITS, TEMPERATURE, ALPHA = 4, 4.0, 0.7


@register("claim", "quantized_distillation", arxiv="1802.05668",
          paper="Model compression via distillation and quantization")
class QuantizedDistillation(Claim):
    statement = ("A 4-bit CNN student trained with distillation from a larger float teacher "
                 "reaches higher test accuracy than the same student trained on the labels alone.")
    seeds = (0, 1, 2)
    thresholds = {"margin": 0.0}
    budgets = {
        "smoke": {"samples": 600, "teacher": 16, "student": 4, "steps": 60},
        "full": {"samples": 5000, "teacher": 64, "student": 16, "steps": 3000},
    }

    @single_threaded
    def run(self, budget: str, progress: Progress | None = None) -> list[dict]:
        b = self.budget(budget)
        data = claim_data(b)
        rows = []
        for seed in self.seeds:
            teacher = seeded_model("cnn", data, {"channels": b["teacher"]}, seed, "teacher")
            train(teacher, data, b["steps"], seed, lr=3e-3)
            rows.append(claim_record("teacher", seed, "test_accuracy", test_accuracy(teacher, data)))
            student = {"channels": b["student"]}
            distilled = seeded_model("cnn", data, student, seed)
            quantized_distillation(distilled, teacher, data, bits=BITS, steps=b["steps"],
                                   temperature=TEMPERATURE, alpha=ALPHA, lr=3e-3, seed=seed)
            plain = quantize_weights(seeded_model("cnn", data, student, seed),
                                     lambda k, w: FakeQuant(BITS, per_channel=True))
            train(plain, data, b["steps"], seed, lr=3e-3)
            rows.append(claim_record("distilled", seed, "test_accuracy", test_accuracy(distilled, data)))
            rows.append(claim_record("labels_only", seed, "test_accuracy", test_accuracy(plain, data)))
            if progress:
                progress(f"seed {seed} done")
        return rows

    def check(self, records) -> Verdict:
        diff = arm_gap(records, "distilled", "labels_only")
        return decide(diff, self.thresholds["margin"],
                      "distilled minus label-only 4-bit student test accuracy")
