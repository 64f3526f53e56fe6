"""muP: feature updates stay Theta(1) across widths, and the best learning rate transfers.

Yang & Hu, "Feature Learning in Infinite-Width Neural Networks" (arXiv:2011.14522), with the
learning-rate transfer of Tensor Programs V (arXiv:2203.03466). Under the maximal update
parametrization the change of every hidden feature in a training step is Theta(1) at any width;
under the standard parametrization at a fixed learning rate it grows with width. As a
consequence, under muP the best learning rate found on a narrow model is also best on a wide one,
and under SP it is not.

Experiment: an MLP with two hidden ReLU layers on MNIST-1D, trained with Adam, in SP and in muP
(base width 64; :mod:`neuralab.components.parametrization`).

- Coordinate check (:mod:`neuralab.probes.coord_check`): widths 64..1024, a fixed sequence of
  batches, learning rate 1e-2; ``mean |h(t) - h(0)|`` of the last hidden layer after the last
  step, and its log-log slope against width per seed.
- Learning-rate transfer: widths 64 and 512, learning rates ``2^-14 .. 2^-4``; the best learning
  rate of each (parametrization, width, seed) by final training loss, and the shift
  ``|log2 lr*(512) - log2 lr*(64)|`` in octaves.

Verdict, four parts (all must hold), each by the fixed rule (two one-sided 95% t-bounds over the
seeds, :func:`neuralab.claims.base.decide`): muP's slope is flat, ``|slope| < 0.2``; SP's grows,
``slope > 0.2``; muP's best learning rate moves by less than 1.5 octaves; SP's by more than 1.5.
The shifts are whole octaves (the sweep's grid), their resolution 1.

Precondition: the learning-rate sweep brackets every optimum: the best learning rate of each
(parametrization, width, seed) lies strictly inside the sweep, not at either end, so the shifts
are measured rather than cut off by the grid.

Seeds: muP slope part, pilot (3 seeds, full) 0.069 sd 0.021, distance 0.13 ->
``seeds_needed(0.021, 0.13)`` = 5; the shift parts are whole octaves (resolution 1), with the
paper's effect (muP: no shift; SP: about 1/width, 3 octaves from 64 to 512) 1.5 octaves from the
threshold -> ``seeds_needed(1, 1.5)`` = 5. No quick budget: the sweep trains 220 networks.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from neuralab.claims.training import train_arm
from neuralab.claims.base import Claim, Progress, Verdict, by_seed, claim_record, combine, decide
from neuralab.data.dataset import load_dataset
from neuralab.models.base import build_model
from neuralab.probes.coord_check import coord_check, width_slope
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

PARAMS = ("sp", "mup")
LAYER = "block1"  # the last hidden layer: fed by the width x width matrix


def mlp_config(parametrization: str, width: int, lr: float, steps: int) -> dict[str, Any]:
    return {"data": {"name": "mnist1d"},
            "model": {"name": "mlp", "width": width, "depth": 2,
                      "parametrization": parametrization, "base_width": 64},
            "optim": {"name": "adam", "lr": lr},
            "train": {"steps": steps, "batch_size": 128, "eval_every": 0,
                      "eval_train_examples": 2048}}


@register("claim", "mup", paper="Feature Learning in Infinite-Width Neural Networks",
          arxiv="2011.14522")
class MuP(Claim):
    statement = ("Under muP the size of a hidden layer's feature updates is flat across widths and "
                 "the best learning rate transfers from width 64 to width 512; under the standard "
                 "parametrization the updates grow with width and the best learning rate moves.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"flat_slope": 0.2, "growing_slope": 0.2, "lr_shift_octaves": 1.5}
    precondition = ("the learning-rate sweep brackets every optimum: each best learning rate lies "
                    "strictly inside the sweep")
    full_minutes = 10
    budgets = {
        "smoke": {"coord_widths": (16, 32), "coord_steps": 2, "transfer_widths": (16, 32),
                  "log2_lrs": (-8, -6, -4), "steps": 5, "seeds": 2},
        "full": {"coord_widths": (64, 128, 256, 512, 1024), "coord_steps": 5,
                 "transfer_widths": (64, 512), "log2_lrs": tuple(range(-14, -3)), "steps": 300},
    }

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        b = self.budget(budget)
        data = load_dataset("mnist1d")
        rows: list[dict[str, Any]] = []
        for p in PARAMS:
            rows += self._coordinates(p, b, data, self.seeds_for(budget), progress)
            for seed in self.seeds_for(budget):
                for width in b["transfer_widths"]:
                    for log2_lr in b["log2_lrs"]:
                        arm = f"{p}/w{width}/lr{log2_lr}"
                        config = mlp_config(p, width, 2.0**log2_lr, b["steps"])
                        arm_run = train_arm(arm, seed, config)
                        rows += arm_run.records
                    if progress:
                        progress(f"{p} width {width} seed {seed}: learning-rate sweep done")
        return rows

    def _coordinates(self, p, b, data, seeds, progress) -> list[dict[str, Any]]:
        rows = []
        for seed in seeds:
            g = generator(derive_seed(seed, "coord_check", "batches"))
            idx = torch.randint(0, data.x_train.shape[0], (b["coord_steps"], 128), generator=g)
            batches = [(data.x_train[i], data.y_train[i]) for i in idx]

            def make(width: int, s: int):
                return build_model("mlp", data.spec, {"width": width, "depth": 2,
                                                      "parametrization": p, "base_width": 64},
                                   seed=derive_seed(s, "init"))
            records = coord_check(make, b["coord_widths"], batches, F.cross_entropy,
                                  optimizer="adam", lr=1e-2, seeds=[seed], points=[LAYER])
            rows += [{**r, "run": f"{p}/coord/{r['run']}"} for r in records]
            slope = width_slope(records, LAYER, b["coord_steps"], seed=seed)
            rows.append(claim_record(f"{p}/coord", seed, "coord_slope", slope))
            if progress:
                progress(f"{p} coordinate check seed {seed}: slope {slope:.3f}")
        return rows

    def check(self, records) -> Verdict:
        t = self.thresholds
        slope = {p: by_seed(records, f"{p}/coord", "coord_slope") for p in PARAMS}
        shift = {p: self._lr_shift(records, p) for p in PARAMS}
        parts = [
            decide({s: abs(v) for s, v in slope["mup"].items()}, t["flat_slope"],
                   "muP |log-log slope| of feature change vs width", direction="less"),
            decide(slope["sp"], t["growing_slope"], "SP log-log slope of feature change vs width"),
            decide(shift["mup"], t["lr_shift_octaves"], "muP shift of the best learning rate "
                   "(octaves)", direction="less", resolution=1.0),
            decide(shift["sp"], t["lr_shift_octaves"], "SP shift of the best learning rate (octaves)",
                   resolution=1.0),
        ]
        return combine(parts, "muP: flat feature updates and learning-rate transfer")

    def budget_failure(self, records) -> str | None:
        for p in PARAMS:
            best, grid = _best_lrs(records, p)
            if not best:
                return f"{p}: no learning-rate sweep recorded"
            edge = {k: v for k, v in best.items() if v in (min(grid), max(grid))}
            if edge:
                (seed, width), lr = sorted(edge.items())[0]
                return (f"{p}: the best learning rate of {len(edge)} of {len(best)} (width, seed) "
                        f"sweeps is at the edge of the grid (e.g. width {width} seed {seed}: "
                        f"2^{lr}): the sweep does not bracket the optimum")
        return None

    def _lr_shift(self, records, p: str) -> dict[int, float]:
        """Per seed: |log2 best lr at the widest - at the narrowest width| over the sweep."""
        best = {key: (0.0, lr) for key, lr in _best_lrs(records, p)[0].items()}
        widths = sorted({w for _, w in best})
        if len(widths) < 2:
            return {}
        seeds = sorted({s for s, _ in best if (s, widths[0]) in best and (s, widths[-1]) in best})
        return {s: abs(best[(s, widths[-1])][1] - best[(s, widths[0])][1]) for s in seeds}


def _best_lrs(records, p: str) -> tuple[dict[tuple[int, int], int], set[int]]:
    """``{(seed, width): log2 of the best learning rate}`` of ``p`` by final training loss, and
    the grid of log2 learning rates swept."""
    final: dict[tuple[int, int, int], tuple[int, float]] = {}
    for r in records:
        parts = str(r["run"]).split("/")
        if len(parts) != 3 or parts[0] != p or r["metric"] != "train_loss":
            continue
        key = (int(r["member"]), int(parts[1][1:]), int(parts[2][2:]))
        if key not in final or r["step"] >= final[key][0]:
            final[key] = (r["step"], r["value"] if math.isfinite(r["value"]) else math.inf)
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for (seed, width, log2_lr), (_, loss) in sorted(final.items()):
        if (seed, width) not in best or loss < best[(seed, width)][0]:
            best[(seed, width)] = (loss, log2_lr)
    return {k: lr for k, (_, lr) in best.items()}, {k[2] for k in final}
