"""Delving Deep into Rectifiers: He initialization trains a deep plain ReLU net; Xavier stalls.

He, Zhang, Ren & Sun, "Delving Deep into Rectifiers: Surpassing Human-Level Performance on
ImageNet Classification" (arXiv:1502.01852). Section 2.2 derives the initialization
``Var[w] = 2 / fan_in`` for rectifier networks and shows (Figure 3) that a 30-layer plain network
trains from it while the Xavier initialization ``Var[w] = 1 / fan_avg`` (Glorot & Bengio, gain 1)
stalls, because it halves the signal's variance at every ReLU. Section 2.1 introduces PReLU, which
"improves model fitting with nearly zero extra computational cost".

Setting: a plain (no normalization, no skip connections) MLP of 30 hidden layers of width 64 on
MNIST-1D, SGD with momentum 0.9, lr 0.01, batch 100. Arms: ``relu/he``, ``relu/xavier`` (every
layer re-initialized by ``xavier_uniform_`` with gain 1, the paper's comparison) and
``prelu/he`` (PReLU, a = 0.25, He init with PReLU's gain sqrt(2 / (1 + a^2))). Measurement: final
training accuracy (on 2048 training examples) per seed. Verdict, both required:

1. He minus Xavier training accuracy (ReLU) > 0.2 — He trains, Xavier stalls;
2. PReLU minus ReLU training accuracy (He init) > -0.02 — PReLU fits at least as well.

Each part by the fixed rule (two one-sided 95% t-bounds over seeds, with the error of the 2048
fixed training examples, :func:`~neuralab.claims.base.accuracy_se`). Seeds: the 5-seed pilot at
the full budget (He minus Xavier 0.619 +- 0.068, distance 0.419) needs ``seeds_needed(0.068,
0.419) = 5``; five it is. Precondition: both He-initialized arms have finished fitting, their
training accuracy (averaged over seeds) within 2% over the last 10% of steps of the 10% before
(the Xavier arm is expected to stall, so its plateau is not required; training loss is not used
because its relative change near zero loss says nothing).
"""

from __future__ import annotations

import math
import statistics

from torch import nn

from neuralab.claims.base import (Claim, accuracy_se, by_seed, combine, decide, flat_tail,
                                  paired_differences)
from neuralab.claims.training import eval_every, train_arm
from neuralab.components.init import xavier
from neuralab.registry import register

DEPTH, WIDTH = 30, 64
TRAIN_EXAMPLES = 2048  # the trainer's default eval_train_examples
ARMS = {  # arm -> (activation, re-initialize with Xavier gain 1)
    "relu/he": ("relu", False),
    "relu/xavier": ("relu", True),
    "prelu/he": ("prelu", False),
}


def glorot_gain_one(model: nn.Module) -> None:
    """Xavier/Glorot uniform with gain 1 on every layer (biases zero), as the paper compares."""
    xavier(model, gain=1.0)


@register("claim", "he_init_prelu", paper="Delving Deep into Rectifiers: Surpassing Human-Level "
          "Performance on ImageNet Classification", arxiv="1502.01852")
class HeInitPrelu(Claim):
    trains_on_device = True
    statement = ("A 30-layer plain ReLU network trains from He initialization while Xavier "
                 "initialization stalls, and PReLU trains at least as well as ReLU.")
    reference = ("Figure 3: a 30-layer plain ReLU net converges with the paper's init and does "
                 "not learn at all with Xavier's; PReLU lowers training error (4.94% top-5 on "
                 "ImageNet with PReLU-nets).")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"he_over_xavier": 0.2, "prelu_minus_relu": -0.02}
    precondition = ("both He-initialized arms have finished fitting: training accuracy flat "
                    "(within 2%) over the last 10% of steps")
    budgets = {"smoke": {"steps": 40, "num_samples": 1500, "seeds": 2},
               "quick": {"steps": 1000, "num_samples": 5000},
               "full": {"steps": 3000, "num_samples": 5000}}
    curves = ("batch_loss", "train_accuracy")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        steps = b["steps"]
        records = []
        for seed in self.seeds_for(budget):
            for arm, (activation, use_xavier) in ARMS.items():
                overrides = ["data.name=mnist1d", f"data.num_samples={b['num_samples']}",
                             "model.name=mlp", f"model.depth={DEPTH}", f"model.width={WIDTH}",
                             f"model.activation={activation}",
                             "model.init=he", "optim.name=sgd", "optim.lr=0.01",
                             "optim.momentum=0.9", "train.batch_size=100", f"train.steps={steps}",
                             f"train.eval_every={eval_every(steps)}"]
                run = train_arm(arm, seed, overrides=overrides, progress=progress,
                                reinit=glorot_gain_one if use_xavier else None,
                                evaluate_diverged=True)
                records += run.records
        return records

    def check(self, records):
        acc = {arm: by_seed(records, arm, "train_accuracy") for arm in ARMS}
        t = self.thresholds

        def error(a: str, b: str) -> float:
            return accuracy_se(TRAIN_EXAMPLES, mean_of(acc[a]), mean_of(acc[b]))

        parts = [
            decide(paired_differences(acc["relu/he"], acc["relu/xavier"]), t["he_over_xavier"],
                   "He minus Xavier training accuracy (30-layer ReLU)",
                   sampling_se=error("relu/he", "relu/xavier")),
            decide(paired_differences(acc["prelu/he"], acc["relu/he"]), t["prelu_minus_relu"],
                   "PReLU minus ReLU training accuracy",
                   sampling_se=error("prelu/he", "relu/he")),
        ]
        return combine(parts, "He trains where Xavier stalls; PReLU >= ReLU")

    def budget_failure(self, records):
        for arm in ("relu/he", "prelu/he"):
            failed = flat_tail(records, arm, "train_accuracy", rel_tol=0.02)
            if failed:
                return failed
        return None


def mean_of(values: dict[int, float]) -> float:
    finite = [v for v in values.values() if math.isfinite(v)]
    return statistics.fmean(finite) if finite else 0.0
