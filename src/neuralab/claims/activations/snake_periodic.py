"""Snake extrapolates a periodic function where ReLU and tanh networks do not.

Ziyin, Hartwig & Ueda, "Neural Networks Fail to Learn Periodic Functions and How to Fix It"
(arXiv:2006.08195). Standard activations extrapolate outside the training range as their
asymptotes dictate — ReLU networks linearly, tanh networks to a constant — so they cannot continue
a periodic function; the Snake activation ``x + sin^2(a x) / a`` gives networks a periodic
inductive bias, and they do.

Setting: the ``periodic`` dataset, ``sin(x)`` with 1000 training inputs on ``|x| <= 2 pi`` and 1000
test inputs on ``2 pi <= |x| <= 4 pi`` (extrapolation only). Three MLPs of 2 hidden layers of width
64 that differ only in the activation — ``snake`` (a = 1), ``relu``, ``tanh`` — each initialized
with the activation's gain, trained with Adam (lr 1e-3, batch 128). Measurement: final test MSE on
the extrapolation range per seed. Verdict, both required: Snake's extrapolation error is at least
ten times lower than ReLU's and than tanh's (``log10`` of the MSE ratio > 1).
"""

from __future__ import annotations

import math

from neuralab.claims.base import Claim, by_seed, combine, decide
from neuralab.claims.training import eval_every, train_arm
from neuralab.registry import register

ACTIVATIONS = ("snake", "relu", "tanh")


def log10_ratio(worse: dict[int, float], better: dict[int, float]) -> dict[int, float]:
    """``log10(worse[s] / better[s])`` per seed (non-finite when a value is not positive/finite)."""
    out = {}
    for s in sorted(set(worse) & set(better)):
        a, b = worse[s], better[s]
        out[s] = math.log10(a / b) if a > 0 and b > 0 and math.isfinite(a / b) else math.nan
    return out


@register("claim", "snake_periodic", paper="Neural Networks Fail to Learn Periodic Functions and "
          "How to Fix It", arxiv="2006.08195")
class SnakePeriodic(Claim):
    statement = ("A network with the Snake activation extrapolates a periodic function outside the "
                 "training interval where ReLU and tanh networks do not.")
    reference = ("ReLU, tanh and sigmoid networks provably fail to extrapolate periodic functions; "
                 "x + sin^2(x) learns the periodic continuation (temperature and financial data).")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"log10_mse_ratio": 1.0}
    budgets = {"smoke": {"steps": 150, "seeds": 3}, "full": {"steps": 6000}}
    curves = ("train_loss", "test_loss")

    def run(self, budget, progress=None):
        steps = self.budget(budget)["steps"]
        records = []
        for seed in self.seeds_for(budget):
            for act in ACTIVATIONS:
                overrides = ["data.name=periodic", "data.function=sin", "model.name=mlp",
                             "model.width=64", "model.depth=2", f"model.activation={act}",
                             "model.init=he", "optim.name=adam", "optim.lr=1e-3",
                             "train.batch_size=128", f"train.steps={steps}",
                             f"train.eval_every={eval_every(steps)}"]
                records += train_arm(act, seed, overrides=overrides, evaluate_diverged=True,
                                     progress=progress).records
        return records

    def check(self, records):
        mse = {act: by_seed(records, act, "test_loss") for act in ACTIVATIONS}
        t = self.thresholds["log10_mse_ratio"]
        parts = [decide(log10_ratio(mse[other], mse["snake"]), t,
                        f"log10 extrapolation MSE ratio, {other} / snake")
                 for other in ("relu", "tanh")]
        return combine(parts, "Snake extrapolates sin(x); ReLU and tanh do not")
