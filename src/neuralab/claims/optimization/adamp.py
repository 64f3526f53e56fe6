"""AdamP: scale-invariant weights grow more slowly than under Adam, at no cost in accuracy.

Heo et al., "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
Weights" (arXiv:2006.08217). With momentum, the updates of weights followed by a normalization
layer have a radial component that inflates their norm and so shrinks their effective step size;
AdamP projects it out (:mod:`neuralab.optim.adamp`).

Experiment: a 1-D CNN with BatchNorm (3 conv blocks, 32 channels) on MNIST-1D, trained with Adam
and with AdamP at the same learning rate (3e-3), no weight decay, from the same seeds. Measured:
the norm growth ``||w_T|| / ||w_0||`` of each conv weight (scale-invariant: a BatchNorm follows),
combined over the conv layers by the geometric mean, and the final test accuracy.

Verdict, two parts (both must hold):
- slower norm growth: ``(growth_AdamP - 1) / (growth_Adam - 1) < 0.5``;
- equal or better accuracy: ``acc_AdamP - acc_Adam > -0.01``.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import torch

from neuralab.claims.training import train_arm
from neuralab.claims.base import Claim, Progress, Verdict, by_seed, claim_record, combine, decide
from neuralab.engine.trainer import Trainer, TrainResult
from neuralab.registry import register

ARMS = ("adam", "adamp")


def cnn_config(optimizer: str, steps: int) -> dict[str, Any]:
    return {"data": {"name": "mnist1d"},
            "model": {"name": "cnn", "channels": 32, "depth": 3, "norm": "batch"},
            "optim": {"name": optimizer, "lr": 3e-3, "weight_decay": 0.0},
            "train": {"steps": steps, "batch_size": 64, "eval_every": 0}}


def conv_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"conv{i}": b.conv.weight.detach().clone() for i, b in enumerate(model.blocks)}


@register("claim", "adamp", paper="AdamP: Slowing Down the Slowdown for Momentum Optimizers on "
          "Scale-invariant Weights", arxiv="2006.08217")
class AdamPClaim(Claim):
    statement = ("On a BatchNorm CNN, the norms of scale-invariant (conv) weights grow less than "
                 "half as much under AdamP as under Adam, at equal or better test accuracy.")
    seeds = (0, 1, 2)
    thresholds = {"relative_growth": 0.5, "accuracy_margin": -0.01}
    budgets = {"smoke": {"steps": 10}, "full": {"steps": 3000}}

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        steps = self.budget(budget)["steps"]
        rows: list[dict[str, Any]] = []
        for seed in self.seeds:
            for arm in ARMS:
                initial: dict[str, torch.Tensor] = {}

                def remember(trainer: Trainer) -> None:
                    initial.update(conv_weights(trainer.model))

                def growth(trainer: Trainer, result: TrainResult, arm=arm, seed=seed) -> list:
                    final = conv_weights(trainer.model)
                    ratios = {k: float(final[k].norm() / initial[k].norm()) for k in final}
                    out = [claim_record(arm, seed, "norm_growth", r, layer=k) for k, r in ratios.items()]
                    geo = math.exp(statistics.fmean(math.log(r) for r in ratios.values()))
                    out.append(claim_record(arm, seed, "conv_norm_growth", geo))
                    return out

                arm_run = train_arm(arm, seed, cnn_config(arm, steps), before=remember,
                                    after=growth, progress=progress)
                rows += arm_run.records
        return rows

    def check(self, records) -> Verdict:
        g = {a: by_seed(records, a, "conv_norm_growth") for a in ARMS}
        acc = {a: by_seed(records, a, "test_accuracy") for a in ARMS}
        seeds = sorted(set(g["adam"]) & set(g["adamp"]))
        notes = (f"norm growth Adam {statistics.fmean(g['adam'].values()):.4g}, AdamP "
                 f"{statistics.fmean(g['adamp'].values()):.4g}; accuracy Adam "
                 f"{statistics.fmean(acc['adam'].values()):.4f}, AdamP "
                 f"{statistics.fmean(acc['adamp'].values()):.4f}") if seeds else ""
        parts = [
            decide({s: (g["adamp"][s] - 1) / max(g["adam"][s] - 1, 1e-12) for s in seeds},
                   self.thresholds["relative_growth"],
                   "(norm growth AdamP - 1) / (norm growth Adam - 1)", direction="less"),
            decide({s: acc["adamp"][s] - acc["adam"][s] for s in seeds},
                   self.thresholds["accuracy_margin"], "test accuracy AdamP - Adam"),
        ]
        return combine(parts, "AdamP: slower norm growth at equal accuracy", notes=notes)
