"""The Curse of Depth: Pre-LN's residual variance grows with depth; LayerNorm Scaling tames it.

Sun et al., "The Curse of Depth in Large Language Models" (arXiv:2502.05795). In a Pre-LN
transformer nothing rescales the residual stream, so its variance grows with depth and the deep
blocks become nearly identity maps that contribute little: dropping one barely changes the loss.
LayerNorm Scaling (norm outputs of block ``l`` times ``1 / sqrt(l)``) is claimed to reduce both
effects without hurting (in the paper: improving) the loss.

Experiment: the char-LM testbed with 12 blocks, trained with Pre-LN and with LayerNorm Scaling
from the same seeds. After training, on a fixed test batch:

- the residual-stream variance after every block (:mod:`neuralab.probes.residual_variance`), and
  its growth ``log(Var(block 12) / Var(block 1))``;
- the test-loss increase when a single block is dropped (``Transformer.dropping_blocks``), averaged
  over the deepest third of the blocks (9-12).

Verdict, four parts (all must hold):
- Pre-LN's variance grows with depth: growth_pre > log 2;
- LayerNorm Scaling reduces the growth: growth_pre - growth_scaled > log 1.5;
- deep blocks matter more with LayerNorm Scaling: drop_scaled - drop_pre > 0;
- the loss is no worse: loss_scaled - loss_pre < 0.02 nats.

Each part by the fixed rule (two one-sided 95% t-bounds over the seeds,
:func:`neuralab.claims.base.decide`).

Precondition: both arms' training losses (``batch_loss``, 20 evaluations) are flat over the last
10% of the steps (:func:`neuralab.claims.base.flat_tail`): the depth measurements are those of
trained models.

Seeds: Pre-LN growth part, pilot (3 seeds, full) 2.68 sd 0.094, distance 1.98 ->
``seeds_needed(0.094, 1.98)`` = 5. A 100-step, 2-seed pilot: growth reduction 1.38 sd 0.2,
distance 0.98 -> ``seeds_needed(0.2, 0.98)`` = 5; loss difference 0.0016 sd 0.0047, distance
0.018 -> 5; the deep-block drop difference was on the wrong side (-0.005), and the paper gives no
number for it at this scale, so it is not used. Five seeds.
No quick budget: a 12-block transformer
trained for the demo's ten seconds has not left the start of training.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from neuralab.claims.training import char_lm, test_loss, train_arm
from neuralab.claims.base import (Claim, Progress, Verdict, by_seed, claim_record, combine, decide,
                                  flat_tail)
from neuralab.engine.trainer import Trainer, TrainResult
from neuralab.probes.runner import run_probe
from neuralab.registry import register

ARMS = {"pre": "pre", "scaled": "scaled"}
EVALS = 20  # evaluations per run: the training-loss curve the precondition judges
EXAMPLES = 64  # test windows for the variance and block-dropping measurements


def depth_measurements(arm: str, seed: int):
    def measure(trainer: Trainer, result: TrainResult) -> list[dict[str, Any]]:
        model, n = trainer.model, len(trainer.model.blocks)
        x = trainer.data.x_test[:EXAMPLES]
        var = [r["value"] for r in run_probe("residual_variance", model, x)
               if r["metric"] == "residual_variance"]
        rows = [claim_record(arm, seed, "residual_variance", v, layer=f"block{i}")
                for i, v in enumerate(var)]
        rows.append(claim_record(arm, seed, "variance_growth", math.log(var[-1] / var[0])))
        base = test_loss(trainer, EXAMPLES)
        deep = range(n - n // 3, n)
        drops = []
        for i in range(n):
            with model.dropping_blocks([i]):
                delta = test_loss(trainer, EXAMPLES) - base
            rows.append(claim_record(arm, seed, "drop_block_delta_loss", delta, layer=f"block{i}"))
            if i in deep:
                drops.append(delta)
        rows.append(claim_record(arm, seed, "deep_block_drop", statistics.fmean(drops)))
        return rows
    return measure


@register("claim", "curse_of_depth", paper="The Curse of Depth in Large Language Models",
          arxiv="2502.05795")
class CurseOfDepth(Claim):
    statement = ("With Pre-LN the residual-stream variance grows with depth and dropping a deep "
                 "block barely changes the loss; LayerNorm Scaling (1/sqrt(l)) reduces the growth "
                 "and makes deep blocks matter more, at no loss in validation loss.")
    seeds = (0, 1, 2, 3, 4)
    precondition = "both arms' training losses are flat over the last 10% of steps"
    full_minutes = 20
    thresholds = {"pre_growth": math.log(2.0), "growth_reduction": math.log(1.5),
                  "drop_margin": 0.0, "loss_margin": 0.02}
    budgets = {
        "smoke": {"steps": 6, "n_layers": 6, "d_model": 16, "seq_len": 32, "batch_size": 8,
                  "max_chars": 20_000, "seeds": 2},
        "full": {"steps": 500, "n_layers": 12, "d_model": 48, "seq_len": 64, "batch_size": 16,
                 "max_chars": 200_000},
    }

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        b = {k: v for k, v in self.budget(budget).items() if k != "seeds"}
        config = char_lm(**b, evals=EVALS)
        rows: list[dict[str, Any]] = []
        for seed in self.seeds_for(budget):
            for arm, position in ARMS.items():
                arm_run = train_arm(arm, seed, config,
                                    overrides=[f"model.norm_position={position}"],
                                    after=depth_measurements(arm, seed), progress=progress)
                rows += arm_run.records
        return rows

    def check(self, records) -> Verdict:
        growth = {a: by_seed(records, a, "variance_growth") for a in ARMS}
        drop = {a: by_seed(records, a, "deep_block_drop") for a in ARMS}
        loss = {a: by_seed(records, a, "test_loss") for a in ARMS}
        seeds = sorted(set(growth["pre"]) & set(growth["scaled"]))
        t = self.thresholds
        notes = (f"variance growth pre {_mean(growth['pre']):.3g}, "
                 f"scaled {_mean(growth['scaled']):.3g}; "
                 f"deep-block drop pre {_mean(drop['pre']):.3g}, scaled {_mean(drop['scaled']):.3g}; "
                 f"loss pre {_mean(loss['pre']):.4g}, scaled {_mean(loss['scaled']):.4g}")
        parts = [
            decide({s: growth["pre"][s] for s in seeds}, t["pre_growth"],
                   "Pre-LN log(Var last block / Var first block)"),
            decide({s: growth["pre"][s] - growth["scaled"][s] for s in seeds},
                   t["growth_reduction"], "variance growth pre - scaled"),
            decide({s: drop["scaled"][s] - drop["pre"][s] for s in seeds}, t["drop_margin"],
                   "deep-block drop loss increase, scaled - pre"),
            decide({s: loss["scaled"][s] - loss["pre"][s] for s in seeds}, t["loss_margin"],
                   "test loss scaled - pre", direction="less"),
        ]
        return combine(parts, "Curse of Depth: variance growth, deep blocks, loss", notes=notes)

    def budget_failure(self, records) -> str | None:
        return next((f for f in (flat_tail(records, a) for a in ARMS) if f), None)


def _mean(values: dict[int, float]) -> float:
    return statistics.fmean(values.values()) if values else float("nan")
