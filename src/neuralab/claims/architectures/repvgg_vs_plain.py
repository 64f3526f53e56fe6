"""RepVGG: train with 1x1 and identity branches, deploy one 3x3 convolution per block, and beat the
plain stack of the same deployed architecture.

Ding, Zhang, Ma, Han, Ding & Sun, "RepVGG: Making VGG-style ConvNets Great Again"
(arXiv:2101.03697): a training-time multi-branch block (3x3, 1x1 and identity, each with its
BatchNorm) is re-parameterized after training into a single 3x3 convolution, so that inference
runs a plain VGG-style stack; the multi-branch training makes that stack markedly more accurate
than the same plain stack trained directly (the paper's ablation: removing both the identity and
the 1x1 branches costs several points of ImageNet accuracy).

Setting (fixed before the first run): scikit-learn's digits (8x8), a stack of 10 blocks of 16
channels (strides 2 at blocks 0 and 5), global average pooling and a linear head
(:func:`~neuralab.compress.reparam.repvgg.repvgg`); Adam at 1e-3, batch 64, 1 000 steps. Arms:
*repvgg* (multi-branch in training, scored deployed: :func:`~neuralab.compress.reparam.repvgg.deploy`)
and *plain* (``plain=True``, the 3x3 branch alone; its deployed form has the same shape). Verdict
(two one-sided 95% Student-t bounds, :mod:`neuralab.claims.base`): the deployed RepVGG's test
accuracy minus the plain stack's, per seed, is above 0, with the fixed test set's paired
per-example error (:func:`~neuralab.claims.base.paired_accuracy_se`). Reported beside it: the
largest difference between the trained multi-branch model's logits (eval mode) and the deployed
model's.

Seeds: 6, for time (the multi-branch stack costs about twice the plain one a step); no pilot:
``seeds_needed(s, d)`` is at most 6 whenever the spread is up to 0.83 of the distance from 0.
Precondition: both arms have finished training (training loss flat over the last 10% of steps or
below 0.02, :func:`~neuralab.claims.base.training_converged`). No quick budget.
"""

from __future__ import annotations

import statistics

import numpy as np
import torch

from neuralab.claims.base import (Claim, by_seed, claim_record, decide, paired_accuracy_se,
                                  paired_differences, training_converged)
from neuralab.claims.training import eval_every, train_arm
from neuralab.compress.reparam.repvgg import deploy
from neuralab.engine.metrics import correct_mask
from neuralab.registry import register

ARMS = {"repvgg": False, "plain": True}  # arm: plain


@register("claim", "repvgg_vs_plain", paper="RepVGG: Making VGG-style ConvNets Great Again",
          arxiv="2101.03697")
class RepvggVsPlain(Claim):
    statement = ("A 10-block RepVGG trained with 1x1 and identity branches and deployed as one 3x3 "
                 "convolution per block classifies digits more accurately than the same plain "
                 "stack of 3x3 convolutions trained directly.")
    reference = ("Training-time multi-branch blocks re-parameterized into single 3x3 convolutions "
                 "make a plain VGG-style inference network markedly more accurate than training "
                 "the plain network itself.")
    seeds = tuple(range(6))
    thresholds = {"accuracy_gain": 0.0}
    precondition = ("both arms have finished training: training loss flat over the last 10% of "
                    "steps, or below 0.02")
    budgets = {"smoke": {"seeds": 2, "steps": 20, "depth": 3, "channels": 4},
               "full": {"steps": 1000, "depth": 10, "channels": 16}}
    trains_on_device = True
    full_minutes = 6

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records, correct = [], {arm: [] for arm in ARMS}
        for seed in self.seeds_for(budget):
            for arm, plain in ARMS.items():
                config = {"data": {"name": "digits"},
                          "model": {"name": "repvgg", "channels": b["channels"],
                                    "depth": b["depth"], "plain": plain},
                          "optim": {"name": "adam", "lr": 1e-3},
                          "train": {"steps": b["steps"], "batch_size": 64,
                                    "eval_every": eval_every(b["steps"])}}
                run = train_arm(arm, seed, config, progress=progress)
                trainer = run.trainer
                data = trainer.data
                x, y = data.x_test.to(trainer.device), data.y_test.to(trainer.device)
                deployed = deploy(trainer.model)
                ok = correct_mask(deployed, data.spec, x, y).cpu().numpy()
                correct[arm].append(ok)
                records += [r for r in run.records if r["metric"] == "batch_loss"]
                records.append(claim_record(arm, seed, "deployed_test_accuracy", float(ok.mean())))
                trainer.model.eval()
                with torch.no_grad():
                    gap = float((trainer.model(x) - deployed(x)).abs().max())
                records.append(claim_record(arm, seed, "deploy_max_logit_gap", gap))
        records.append(claim_record("test_set_error", self.seeds_for(budget)[0], "accuracy",
                                    paired_accuracy_se(np.stack(correct["repvgg"]),
                                                       np.stack(correct["plain"]))))
        return records

    def check(self, records):
        acc = {arm: by_seed(records, arm, "deployed_test_accuracy") for arm in ARMS}
        error = next(iter(by_seed(records, "test_set_error", "accuracy").values()), 0.0)
        gaps = [r["value"] for r in records if r["metric"] == "deploy_max_logit_gap"]
        notes = ", ".join(f"{arm} {statistics.fmean(v.values()):.4f}" for arm, v in acc.items() if v)
        if gaps:
            notes += f"; deployed vs trained logits differ by at most {max(gaps):.2g}"
        return decide(paired_differences(acc["repvgg"], acc["plain"]),
                      self.thresholds["accuracy_gain"],
                      "deployed test accuracy, RepVGG minus the plain 3x3 stack", notes=notes,
                      sampling_se=error)

    def budget_failure(self, records):
        return training_converged(records, list(ARMS))
