"""Neural collapse: in the terminal phase of training, last-layer features collapse to a simplex ETF.

Papyan, Han & Donoho, "Prevalence of Neural Collapse during the terminal phase of deep learning
training" (arXiv 2008.08186): training past zero training error (the terminal phase, TPT), the
within-class variability of the penultimate features collapses — NC1 = tr(Sigma_W Sigma_B^+)/C falls
by orders of magnitude — and the centred class means approach a simplex equiangular tight frame
(their pairwise cosines approach -1/(C-1)).

Setting: an MLP (3 hidden layers of 256 ReLU units) on scikit-learn digits (1348 training images),
cross-entropy, SGD with momentum 0.9, lr 0.05 divided by 10 after 1/3 and 2/3 of the steps, weight
decay 5e-4, batch 128, as in the paper's recipe scaled down. (A first full run with a constant
learning rate gave NC1 flat in the terminal phase; the paper's step decay was added as a fix of the
protocol, with thresholds unchanged.) Every ``eval_every`` steps the probes measure NC1 and NC2 on all training
features. The TPT starts at the first evaluation with training accuracy 1. Verdict, both required:

1. ``log10(NC1 at the start of the TPT / NC1 at the end) > 1`` — at least an order of magnitude of
   collapse within the terminal phase (a run that never reaches zero training error scores 0);
2. ``mean |cos(mu_c, mu_c') + 1/(C-1)| < 0.1`` at the end — the class means are close to an ETF
   (random features score about 0.5).

Seeds: the 3-seed pilot at the full budget (``docs/verdicts.md``) has spread 0.01593 at distance
1.0039 from the threshold: ``seeds_needed(0.01593, 1.0039) = 5``; 5 seeds. The verdict is the fixed
rule (two one-sided 95% Student-t bounds). Precondition: a terminal phase for at least half of the
run — zero training error reached within the first half of the steps on every seed — so that part 1
measures collapse during a TPT and not a budget too short to reach one (a run without a TPT then
reads *inconclusive (budget)*, not a drop of 0). Protocol change: the generic "training loss flat
over the last 10% of steps" could not be judged (no loss curve was recorded) and is not what the
claim needs. Quick budget (declared before its first run): about a third of the full budget's
steps, the same seeds and data; docs/verdicts.md says whether it agrees with the full run.
"""

from __future__ import annotations

import math

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.config import build_config
from neuralab.engine.trainer import train
from neuralab.probes.hooks import model_mode
from neuralab.probes.neural_collapse import neural_collapse
from neuralab.registry import register


def _nc_callback(seed: int, records: list):
    def measure(trainer, step):
        model, x, y = trainer.model, trainer.data.x_train, trainer.data.y_train
        with torch.no_grad(), model_mode(model, False):
            feats = model.forward_features(x)
            logits = model.forward_head(feats)
        metrics = neural_collapse(feats, y, model.head.weight, logits)
        metrics["train_accuracy_all"] = float((logits.argmax(1) == y).double().mean())
        records.extend(claim_record("mlp", seed, k, v, step=step) for k, v in metrics.items())
    return measure


@register("claim", "neural_collapse",
          paper="Prevalence of Neural Collapse during the terminal phase of deep learning training",
          arxiv="2008.08186")
class NeuralCollapse(Claim):
    statement = ("Trained past zero training error, an MLP's last-layer features collapse: NC1 "
                 "falls by at least an order of magnitude during the terminal phase and the class "
                 "means approach a simplex ETF.")
    reference = ("On CIFAR-10/100, MNIST, SVHN and ImageNet nets, NC1 falls by several orders of "
                 "magnitude during the TPT and mean |cos + 1/(C-1)| approaches 0 (Figures 6, 5).")
    seeds = tuple(range(5))
    precondition = ("a terminal phase for at least half the run: zero training error within the "
                    "first half of the steps on every seed")
    thresholds = {"nc1_orders_in_tpt": 1.0, "etf_max_angle": 0.1}
    budgets = {"smoke": {"seeds": 2, "steps": 60, "eval_every": 20},
               "quick": {"steps": 2000, "eval_every": 100},
               "full": {"steps": 6000, "eval_every": 200}}
    curves = ("nc1", "nc2_max_angle", "nc2_equinorm", "train_accuracy_all")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records: list = []
        for seed in self.seeds_for(budget):
            config = build_config(overrides=[
                "data.name=digits", "model.name=mlp", "model.width=256", "model.depth=3",
                "optim.name=sgd", "optim.lr=0.05", "optim.momentum=0.9", "optim.weight_decay=5e-4",
                "schedule.name=step", f"schedule.step_size={b['steps'] // 3}", "schedule.gamma=0.1",
                "train.batch_size=128", f"train.steps={b['steps']}", f"train.eval_every={b['eval_every']}",
                f"seed={seed}"])
            result = train(config, progress="none", callbacks=[_nc_callback(seed, records)])
            records.append(claim_record("mlp", seed, "test_accuracy", result.metrics["test_accuracy"],
                                        step=result.step))
            if progress:
                last = by_seed(records, "mlp", "nc1")[seed]
                progress(f"seed {seed}: NC1 {last:.3g}, test accuracy {result.metrics['test_accuracy']:.3f}")
        return records

    def check(self, records):
        orders, angles = {}, {}
        for seed in sorted({int(r["member"]) for r in records}):
            nc1 = {r["step"]: r["value"] for r in records if r["member"] == seed and r["metric"] == "nc1"}
            acc = {r["step"]: r["value"] for r in records
                   if r["member"] == seed and r["metric"] == "train_accuracy_all"}
            tpt = [s for s in sorted(acc) if acc[s] >= 1.0]
            end = max(nc1)
            orders[seed] = math.log10(nc1[tpt[0]] / nc1[end]) if tpt else 0.0
            angles[seed] = by_seed(records, "mlp", "nc2_max_angle")[seed]
        t = self.thresholds
        parts = [decide(orders, t["nc1_orders_in_tpt"], "log10 NC1 drop from TPT start to end"),
                 decide(angles, t["etf_max_angle"], "final mean |cos + 1/(C-1)| of class means",
                        direction="less")]
        return combine(parts, "neural collapse (NC1 drop and ETF)")

    def budget_failure(self, records):
        late = []
        for seed in sorted({int(r["member"]) for r in records}):
            acc = {r["step"]: r["value"] for r in records
                   if r["member"] == seed and r["metric"] == "train_accuracy_all"}
            if not acc:
                return f"seed {seed}: no training accuracy recorded"
            first = min((s for s in acc if acc[s] >= 1.0), default=None)
            if first is None or first > max(acc) / 2:
                late.append(f"{seed} ({'never' if first is None else f'step {first}'})")
        if late:
            return ("zero training error not reached within the first half of the steps on seeds "
                    + ", ".join(late))
        return None
