"""To grok or not to grok: delayed generalization on modular arithmetic, robust to label noise.

Doshi, Das, He & Gromov, "To grok or not to grok: Disentangling generalization and memorization on
corrupted algorithmic datasets" (arXiv:2310.13061). MLPs trained with weight decay on
``(a + b) mod p`` first fit the training set, and only much later "grok" the rule (test accuracy
rises long after training accuracy has saturated); with a fraction ``xi`` of the training labels
corrupted, regularized networks ignore the corrupted examples and still generalize — "100%
accuracy on the uncorrupted dataset".

Setting: ``modular_arithmetic`` with ``p = 97``, ``+``, half of all pairs for training (data seed =
run seed). A one-hidden-layer MLP (token embeddings of width 32 concatenated, 256 ReLU units),
AdamW (lr 1e-3, betas (0.9, 0.98), weight decay 1.0), batch 512. Arms: ``clean`` and
``corrupted`` (20% of training labels replaced by random classes). Measurements, per seed:

1. grokking: in ``clean``, the first evaluation at which training accuracy reaches 0.99 is the
   fitting time; the measure is final test accuracy minus test accuracy at the fitting time
   (0 when training accuracy never reaches 0.99) — threshold > 0.5;
2. robustness: final test accuracy (clean test labels) of ``corrupted`` — threshold > 0.9.

Each part is decided by the fixed rule (two one-sided 95% t-bounds over seeds; see
:mod:`neuralab.claims.base`). Seeds: pilot sd 0.022 at full (3 seeds, grokking part), distance
|0.728 - 0.5| = 0.228 -> ``seeds_needed(0.022, 0.228)`` = 5.

Precondition: in ``clean`` every seed reaches training accuracy 0.99 by half of the steps, so that
the run leaves as much time again for the delayed rise in test accuracy. No quick budget: grokking
at ``p = 97`` needs thousands of steps (the full budget takes about 11 minutes on two cores).
"""

from __future__ import annotations

from neuralab.claims.base import Claim, by_seed, combine, decide
from neuralab.claims.training import eval_every, train_arm
from neuralab.registry import register

NOISE = {"clean": 0.0, "corrupted": 0.2}
FIT = 0.99


def rise_after_fit(records, arm: str, seed: int) -> float:
    """Final test accuracy minus test accuracy when training accuracy first reached ``FIT``."""
    def series(metric):
        return sorted((r["step"], r["value"]) for r in records
                      if r["run"] == arm and r["member"] == seed and r["metric"] == metric)

    train, test = series("train_accuracy"), dict(series("test_accuracy"))
    fit_step = next((step for step, acc in train if acc >= FIT), None)
    if fit_step is None or not test:
        return 0.0
    return test[max(test)] - test[fit_step]


@register("claim", "grokking_corrupted", paper="To grok or not to grok: Disentangling "
          "generalization and memorization on corrupted algorithmic datasets", arxiv="2310.13061")
class GrokkingCorrupted(Claim):
    statement = ("On modular addition with weight decay, test accuracy rises long after training "
                 "accuracy saturates, and with 20% of training labels corrupted the network still "
                 "generalizes.")
    reference = ("With weight decay the network ignores corrupted labels and reaches 100% accuracy "
                 "on the uncorrupted data, after a grokking phase in which test accuracy lags "
                 "training accuracy.")
    seeds = (0, 1, 2, 3, 4)
    precondition = "clean training accuracy reaches 0.99 by half of the steps in every seed"
    full_minutes = 11
    thresholds = {"test_rise_after_fit": 0.5, "corrupted_test_accuracy": 0.9}
    budgets = {"smoke": {"p": 23, "steps": 200, "seeds": 2}, "full": {"p": 97, "steps": 10000}}
    curves = ("train_accuracy", "test_accuracy")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records = []
        for seed in self.seeds_for(budget):
            for arm, noise in NOISE.items():
                overrides = ["data.name=modular_arithmetic", f"data.p={b['p']}", 'data.op="+"',
                             "data.train_fraction=0.5", f"data.label_noise={noise}",
                             f"data.seed={seed}", "model.name=mlp", "model.depth=1",
                             "model.width=256", "model.embed_dim=32", "optim.name=adamw",
                             "optim.lr=1e-3", "optim.betas=[0.9, 0.98]", "optim.weight_decay=1.0",
                             "train.batch_size=512", f"train.steps={b['steps']}",
                             f"train.eval_every={eval_every(b['steps'], points=100)}"]
                records += train_arm(arm, seed, overrides=overrides, evaluate_diverged=True,
                                     progress=progress).records
        return records

    def check(self, records):
        seeds = sorted({int(r["member"]) for r in records if r["run"] == "clean"})
        t = self.thresholds
        parts = [
            decide({s: rise_after_fit(records, "clean", s) for s in seeds},
                   t["test_rise_after_fit"], "test accuracy gained after training accuracy "
                   "reached 0.99 (clean labels)"),
            decide(by_seed(records, "corrupted", "test_accuracy"), t["corrupted_test_accuracy"],
                   "test accuracy with 20% corrupted training labels"),
        ]
        return combine(parts, "grokking with weight decay; generalizes despite corrupted labels")

    def budget_failure(self, records):
        seeds = sorted({int(r["member"]) for r in records if r["run"] == "clean"})
        if not seeds:
            return "no clean-label runs recorded"
        late = []
        for seed in seeds:
            train = sorted((r["step"], r["value"]) for r in records if r["run"] == "clean"
                           and r["member"] == seed and r["metric"] == "train_accuracy")
            if not train:
                return f"seed {seed}: no training accuracy recorded"
            fit = next((step for step, acc in train if acc >= FIT), None)
            if fit is None or fit > train[-1][0] / 2:
                late.append(f"{seed} ({'never' if fit is None else f'step {fit}'})")
        if late:
            return (f"clean training accuracy reached {FIT} after half of the steps in seed(s) "
                    + ", ".join(late))
        return None
