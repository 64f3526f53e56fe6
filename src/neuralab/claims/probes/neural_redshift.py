"""Neural redshift: random ReLU networks stay simple functions as depth and weight scale grow;
with tanh they turn complex.

Teney, Nicolicioiu, Hartmann & Abbasnejad, "Neural Redshift: Random Networks are not Random
Functions" (arXiv:2403.02241): uniform sampling in weight space gives a strongly biased
distribution of function complexity, but the "simplicity bias" is not universal: it comes from
components such as ReLUs; with other activations random networks become complex as their weight
magnitude and depth grow.

Setting (fixed before the first run): MLPs from one input to one output, 64 units per hidden
layer, with ``relu`` or ``tanh``; every weight and bias drawn uniformly with variance
``sigma^2 / fan_in`` (``U(-a, a)``, ``a = sigma sqrt(3 / fan_in)``); depths ``D = 1, 2, 4, 8``
hidden layers and scales ``sigma = 1, 2, 4, 8``; each network evaluated at 1024 evenly spaced
inputs on ``[-1, 1)``. Complexity: the power-weighted mean frequency of the output
(:func:`~neuralab.probes.function_complexity.mean_frequency`, cycles per window), averaged over
the 32 networks of a seed's block. Growth of an activation: ``log2`` of its mean frequency at
``D = 8, sigma = 8`` over that at ``D = 1, sigma = 1``. Verdict, both parts required (two one-
sided 95% Student-t bounds, :mod:`neuralab.claims.base`):

1. ReLU stays simple: its growth < 1 (less than a doubling of the mean frequency);
2. tanh turns complex where ReLU does not: tanh's growth minus ReLU's > 1.

Seeds: five blocks of 32 networks, the minimum; no pilot: averages of 32 networks are expected to
spread far less than the one-octave margins, which the intervals check. Precondition: the input
grid resolves every function: each setting's mean frequency is below 1/8 of the grid's points
(128 cycles), so that no complexity is capped by the sampling. Nothing is trained; quick equals
full (seconds).
"""

from __future__ import annotations

import math
import statistics

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide, paired_differences
from neuralab.components.activations import make_activation
from neuralab.probes.function_complexity import mean_frequency
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

ACTIVATIONS = ("relu", "tanh")


def setting_step(depth: int, scale: float) -> int:
    """A record's ``step``: ``100 * depth + scale`` (e.g. 804 for D = 8, sigma = 4)."""
    return 100 * depth + int(scale)


def random_mlp_outputs(activation: str, depth: int, scale: float, width: int, networks: int,
                       x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Outputs of ``networks`` random MLPs (1 -> width x depth -> 1) at inputs ``x`` (K,):
    returns (networks, K)."""
    act = make_activation(activation)

    def uniform(*shape: int, fan_in: int) -> torch.Tensor:
        a = scale * math.sqrt(3 / fan_in)
        return (torch.rand(networks, *shape, generator=g, dtype=torch.float64) * 2 - 1) * a

    h = x.double()[None, :, None].expand(networks, -1, 1)  # (M, K, 1)
    fan_in = 1
    for _ in range(depth):
        w, b = uniform(fan_in, width, fan_in=fan_in), uniform(1, width, fan_in=fan_in)
        h = act(h @ w + b)                                   # (M, K, width)
        fan_in = width
    w, b = uniform(fan_in, 1, fan_in=fan_in), uniform(1, 1, fan_in=fan_in)
    return (h @ w + b)[..., 0]                               # (M, K)


@register("claim", "neural_redshift", paper="Neural Redshift: Random Networks are not Random "
          "Functions", arxiv="2403.02241")
class NeuralRedshift(Claim):
    statement = ("Random-weight ReLU MLPs implement simple (low-frequency) functions whatever "
                 "their depth and weight scale, while with tanh the functions turn complex as "
                 "depth and weight scale grow.")
    reference = ("Uniform sampling in weight space gives very biased complexity; the simplicity "
                 "bias depends on components such as ReLUs; other activations give complex "
                 "functions at larger weight magnitudes.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"relu_growth": 1.0, "tanh_minus_relu_growth": 1.0}
    precondition = ("the input grid resolves every function: each setting's mean frequency is "
                    "below 1/8 of the grid's points")
    budgets = {"smoke": {"seeds": 2, "networks": 4, "points": 256, "width": 16,
                         "depths": (1, 8), "scales": (1, 8)},
               "quick": {"networks": 32, "points": 1024, "width": 64,
                         "depths": (1, 2, 4, 8), "scales": (1, 2, 4, 8)},
               "full": {"networks": 32, "points": 1024, "width": 64,
                        "depths": (1, 2, 4, 8), "scales": (1, 2, 4, 8)}}
    x_label = "setting: 100 x depth + weight scale"

    def run(self, budget, progress=None):
        b = self.budget(budget)
        x = torch.arange(b["points"], dtype=torch.float64) / b["points"] * 2 - 1  # [-1, 1)
        records = []
        for seed in self.seeds_for(budget):
            g = generator(derive_seed(seed, "neural_redshift"))
            for act in ACTIVATIONS:
                for depth in b["depths"]:
                    for scale in b["scales"]:
                        out = random_mlp_outputs(act, depth, scale, b["width"], b["networks"], x, g)
                        mf = float(mean_frequency(out).mean())
                        records.append(claim_record(act, seed, "mean_frequency", mf,
                                                    step=setting_step(depth, scale)))
                lo = by_seed(records, act, "mean_frequency",
                             step=setting_step(min(b["depths"]), min(b["scales"])))[seed]
                hi = by_seed(records, act, "mean_frequency",
                             step=setting_step(max(b["depths"]), max(b["scales"])))[seed]
                records.append(claim_record(act, seed, "growth_log2", math.log2(hi / lo),
                                            step=99999))
                records.append(claim_record(act, seed, "grid_points", b["points"], step=99999))
            if progress:
                growth = {a: by_seed(records, a, "growth_log2")[seed] for a in ACTIVATIONS}
                progress(f"seed {seed}: log2 complexity growth "
                         + ", ".join(f"{a} {v:+.2f}" for a, v in growth.items()))
        return records

    def check(self, records):
        t = self.thresholds
        relu, tanh = by_seed(records, "relu", "growth_log2"), by_seed(records, "tanh", "growth_log2")
        notes = ", ".join(f"mean log2 growth {a} {statistics.fmean(v.values()):.3g}"
                          for a, v in (("relu", relu), ("tanh", tanh)) if v)
        parts = [decide(relu, t["relu_growth"],
                        "ReLU: log2 mean-frequency growth from (D 1, sigma 1) to (D 8, sigma 8)",
                        direction="less", notes=notes),
                 decide(paired_differences(tanh, relu), t["tanh_minus_relu_growth"],
                        "tanh minus ReLU log2 mean-frequency growth")]
        return combine(parts, "random ReLU nets stay simple; random tanh nets turn complex")

    def budget_failure(self, records):
        points = {int(r["member"]): r["value"] for r in records if r["metric"] == "grid_points"}
        for r in records:
            if r["metric"] == "mean_frequency" and r["value"] >= points.get(int(r["member"]), 0) / 8:
                depth, scale = divmod(int(r["step"]), 100)
                return (f"{r['run']} at depth {depth}, scale {scale} (seed {r['member']}): mean "
                        f"frequency {r['value']:.1f} is not resolved by the grid")
        return None
