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
the extrapolation range per seed. Verdict, all three required, each by the fixed rule (two
one-sided 95% t-bounds over seeds):

1. Snake's extrapolation error is at least ten times lower than ReLU's (``log10`` of the MSE
   ratio > 1);
2. the same against tanh;
3. Snake extrapolates at all: its extrapolation MSE is below that of predicting 0, the
   constant a network that has learned nothing about the period would output
   (``log10(MSE_zero / MSE_snake) > 0``; ``MSE_zero`` is the mean of ``sin^2`` on the test
   inputs, about 0.5).

Part 3 is a declared change of protocol (parts 1-2 and their threshold unchanged): at the full
budget of the first table Snake's extrapolation MSE was 0.59-1.05 — worse than predicting 0 — while
the ratios to ReLU and tanh still came out near 10, so the ratios alone did not test
extrapolation. The frequency stays at the paper's ``a = 1`` for a target of period ``2 pi``.

Seeds: the pilot (5 seeds at full) put the ReLU ratio at 0.946 +- 0.152, on its threshold, where
no number of seeds gives power; eight seeds detect a distance of ``(t_.95 + t_.8) 0.152 / sqrt(8)
= 0.13`` (a factor 1.35 in the ratio). Precondition: every network has fitted the training
interval (training MSE below 0.01, 2% of the target's variance): extrapolation is only judged for
networks that have learned the function where they saw it.

No quick budget (removed 2026-12-02): measured against the full run, the quick run did not agree
(quick inconclusive, full not reproduced; docs/verdicts.md), so the demo shows "needs --budget full"
instead of a verdict; the full budget took about 170 s on two cores.
"""

from __future__ import annotations

import math

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.claims.training import eval_every, train_arm
from neuralab.registry import register

ACTIVATIONS = ("snake", "relu", "tanh")
FIT_MSE = 0.01


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
    seeds = tuple(range(8))
    thresholds = {"log10_mse_ratio": 1.0, "log10_over_zero": 0.0}
    precondition = (f"every network has fitted the training interval (training MSE below "
                    f"{FIT_MSE:g})")
    budgets = {"smoke": {"steps": 150, "seeds": 2},
               "full": {"steps": 6000}}
    full_minutes = 3
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
                arm = train_arm(act, seed, overrides=overrides, evaluate_diverged=True,
                                progress=progress)
                records += arm.records
            y = arm.trainer.data.y_test
            records.append(claim_record("zero", seed, "test_loss", float((y ** 2).mean())))
        return records

    def check(self, records):
        mse = {act: by_seed(records, act, "test_loss") for act in (*ACTIVATIONS, "zero")}
        t = self.thresholds
        parts = [decide(log10_ratio(mse[other], mse["snake"]), t["log10_mse_ratio"],
                        f"log10 extrapolation MSE ratio, {other} / snake")
                 for other in ("relu", "tanh")]
        parts.append(decide(log10_ratio(mse["zero"], mse["snake"]), t["log10_over_zero"],
                            "log10 extrapolation MSE ratio, predicting 0 / snake"))
        return combine(parts, "Snake extrapolates sin(x); ReLU and tanh do not")

    def budget_failure(self, records):
        for act in ACTIVATIONS:
            fit = by_seed(records, act, "train_loss")
            worst = max(fit.values(), default=math.nan)
            if not worst < FIT_MSE:
                return (f"{act} has not fitted the training interval (training MSE up to "
                        f"{worst:.3g}, needs < {FIT_MSE:g})")
        return None
