"""Claim: the magnitude-invariant parametrization makes hypernetwork training converge faster and
more stably.

Ortiz, Guttag & Dalca, "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
(arXiv:2304.07645): with the default parametrization the generated weights' magnitude is
proportional to the hypernetwork's input, which slows and destabilizes training; MIP (a
constant-norm input encoding and an additive output on independent weights) "consistently
stabilizes training and achieves faster convergence".

Experiment (fixed here before running). A hypernetwork (condition ``gamma in [0, 1]``, two hidden
ReLU layers of 64) generates an MLP (64 -> 32 -> 10) for sklearn digits, trained as a
loss-conditioned model: each step draws ``gamma ~ U[0, 1]`` for the batch (128 examples) and
minimizes ``CE + gamma * 1e-3 * ||theta(gamma)||^2``, so one hypernetwork learns the whole
regularization path. Adam; the same seeds, batches and conditions for both parametrizations.
Progress is the training cross-entropy averaged over ``gamma in {0, 0.25, 0.5, 0.75, 1}``,
measured every 25 steps.

- ``faster``: at learning rate 1e-3, ``log2`` of (steps the default needs to bring that
  cross-entropy below 0.3) over (steps MIP needs) (> 0; a run that never gets there counts as
  budget + 25 steps).
- ``stable``: over learning rates {1e-3, 3e-3, 1e-2, 3e-2}, the mean of ``ln`` final default
  cross-entropy minus ``ln`` final MIP cross-entropy (> 0; a diverged run counts as ``ln 10``, the
  loss of a uniform guess).

Seeds: the 3-seed pilot at the full budget (``docs/verdicts.md``) has spread 1.374 at distance
4.164 from the threshold: ``seeds_needed(1.374, 4.164) = 5``; 5 seeds. The verdict is the fixed
rule (two one-sided 95% Student-t bounds). Precondition: MIP at the smallest learning rate brings
the grid cross-entropy below 0.3 within the budget on every seed, so that ``faster`` is a measured
ratio and not two censored counts (the default arms are not required to converge: that they may not
is the claim; a run that never gets there is censored at budget + 25 steps, which only shrinks the
ratio). Protocol change: the generic "every arm's training loss flat at the end" could not be
judged here (no per-step training loss is recorded, only the grid cross-entropy) and would have
required the unstable arms to converge. Quick budget (declared before its first run): about a third
of the full budget's steps, the same seeds and data; docs/verdicts.md says whether it agrees with
the full run.
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch
import torch.nn.functional as F

from neuralab.claims.base import Claim, claim_record, combine, decide
from neuralab.data import load_dataset
from neuralab.models import build_model
from neuralab.models.hypernetwork import HyperNetwork
from neuralab.registry import register
from neuralab.seed import derive_seed
from neuralab.training.loop import minibatches

GAMMAS = (0.0, 0.25, 0.5, 0.75, 1.0)
TARGET, EVERY, DECAY = 0.3, 25, 1e-3
LRS = (1e-3, 3e-3, 1e-2, 3e-2)
CHANCE = math.log(10)


@torch.no_grad()
def grid_loss(model: HyperNetwork, x: torch.Tensor, y: torch.Tensor) -> float:
    """Training cross-entropy averaged over the fixed grid of conditions."""
    total = 0.0
    for g in GAMMAS:
        with model.conditioned(g):
            total += float(F.cross_entropy(model(x), y))
    value = total / len(GAMMAS)
    return value if math.isfinite(value) else CHANCE


def train_hypernetwork(parametrization: str, lr: float, seed: int, steps: int) -> list[float]:
    """The grid loss every ``EVERY`` steps (index 0 at initialization)."""
    data = load_dataset("digits")
    model = build_model("hypernetwork", data.spec, {"parametrization": parametrization},
                        seed=derive_seed(seed, "init"))
    assert isinstance(model, HyperNetwork)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = random.Random(derive_seed(seed, "conditions"))
    batches = minibatches(data, 128, seed)
    curve = [grid_loss(model, data.x_train, data.y_train)]
    for step in range(1, steps + 1):
        x, y = next(batches)
        gamma = rng.random()
        with model.conditioned(gamma):
            theta = model.generate()
            loss = F.cross_entropy(model.target(x.flatten(1), theta), y)
            loss = loss + gamma * DECAY * theta.square().sum()
        if not math.isfinite(float(loss)):
            curve += [CHANCE] * (steps // EVERY + 1 - len(curve))
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % EVERY == 0:
            curve.append(grid_loss(model, data.x_train, data.y_train))
    return curve


def steps_to_target(curve: list[float], steps: int) -> float:
    for i, v in enumerate(curve):
        if v < TARGET:
            return i * EVERY
    return steps + EVERY


@register("claim", "hypernetwork_mip", paper="Magnitude Invariant Parametrizations Improve "
          "Hypernetwork Learning", arxiv="2304.07645")
class HypernetworkMip(Claim):
    statement = ("Hypernetworks with the magnitude-invariant parametrization converge faster and "
                 "more stably than with the default parametrization.")
    seeds = tuple(range(5))
    precondition = ("MIP at the smallest learning rate reaches grid cross-entropy < 0.3 within the "
                    "budget on every seed")
    thresholds = {"faster": 0.0, "stable": 0.0}
    budgets = {"smoke": {"seeds": 2, "steps": 25, "lrs": (1e-3, 3e-2)},
               "quick": {"steps": 500, "lrs": LRS},
               "full": {"steps": 1500, "lrs": LRS}}

    def run(self, budget: str, progress=None) -> list[dict[str, Any]]:
        b = self.budget(budget)
        rows = []
        for seed in self.seeds_for(budget):
            for param in ("default", "mip"):
                for lr in b["lrs"]:
                    curve = train_hypernetwork(param, lr, seed, b["steps"])
                    arm = f"{param}/lr{lr:g}"
                    rows += [claim_record(arm, seed, "grid_loss", v, step=i * EVERY)
                             for i, v in enumerate(curve)]
                    rows.append(claim_record(arm, seed, "steps_to_target",
                                             steps_to_target(curve, b["steps"])))
            if progress:
                progress(f"seed {seed} done")
        return rows

    def check(self, records):
        last: dict[tuple[str, int], tuple[int, float]] = {}
        reach: dict[tuple[str, int], float] = {}
        for r in records:
            key = (r["run"], int(r["member"]))
            if r["metric"] == "grid_loss" and (key not in last or r["step"] >= last[key][0]):
                last[key] = (r["step"], r["value"])
            elif r["metric"] == "steps_to_target":
                reach[key] = r["value"]
        final = {k: v for k, (_, v) in last.items()}
        seeds = sorted({s for _, s in final})
        lrs = sorted({a.split("/lr")[1] for a, _ in final}, key=float)
        base = lrs[0]
        faster = {s: math.log2(reach[(f"default/lr{base}", s)] / reach[(f"mip/lr{base}", s)])
                  for s in seeds}
        stable = {s: sum(math.log(final[(f"default/lr{lr}", s)]) - math.log(final[(f"mip/lr{lr}", s)])
                         for lr in lrs) / len(lrs) for s in seeds}
        return combine([
            decide(faster, self.thresholds["faster"],
                   f"log2 steps to grid CE < {TARGET} (default / MIP) at the smallest lr"),
            decide(stable, self.thresholds["stable"],
                   "mean over lrs of ln final CE (default) - ln final CE (MIP)"),
        ], "MIP hypernetworks converge faster and more stably")

    def budget_failure(self, records):
        base = min((r["run"] for r in records if r["run"].startswith("mip/lr")),
                   key=lambda a: float(a.split("/lr")[1]), default=None)
        if base is None:
            return "no MIP arm recorded"
        steps = max(r["step"] for r in records if r["metric"] == "grid_loss")
        late = sorted(int(r["member"]) for r in records if r["run"] == base
                      and r["metric"] == "steps_to_target" and r["value"] > steps)
        if late:
            return f"{base} did not reach grid CE < {TARGET} within {steps} steps (seeds {late})"
        return None
