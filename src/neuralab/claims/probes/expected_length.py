"""Deep ReLU networks preserve expected length: distortion does not grow with depth at He init.

Hanin, Jeong & Rolnick, "Deep ReLU Networks Preserve Expected Length" (arXiv:2102.10492). It had
been widely believed that the length of a curve's image grows exponentially with depth; the paper
proves that at standard (He) initialization the *expected* length distortion does not grow with
depth, and in fact shrinks slightly.

Setting: for every depth (hidden layers) of a grid, many independently initialized ReLU MLPs
(``mlp``, He init, zero biases, width ``width``, ``dim`` inputs and ``dim`` outputs, so that the
input-output factor ``sqrt(n_out / n_in)`` is 1) each map a random great circle of the input space
(:func:`~neuralab.probes.length_distortion.great_circle`, 2000 segments); the probe
:func:`~neuralab.probes.length_distortion.length_distortion` measures output length over input
length. Per seed (an independent set of networks and curves) the mean distortion at each depth is
recorded (``step`` = depth), and the measurement is the least-squares slope of
``log(mean distortion)`` against depth. Verdict: slope < 0.005 per layer (growth of at most about
17% over 32 layers, where the exponential-growth picture predicts a multiple).

The verdict passes when the one-sided 95% t-bound over the seeds clears the threshold (two
one-sided tests, see :mod:`neuralab.claims.base`). Seeds: pilot (5 seeds, full) slope -0.0101
sd 0.00094, distance 0.015 -> ``seeds_needed(0.00094, 0.015)`` = 5. Precondition: the deepest
networks have at least 32 hidden layers (deep enough for the exponential picture's growth to show
against the bar) and every distortion is finite; the networks' own spread enters through the
seeds, each an independent set of networks. Quick: width 32, 15 networks a depth, depths 1 to 32.
"""

from __future__ import annotations

import math
import statistics


from neuralab.claims.base import Claim, claim_record, decide
from neuralab.data.dataset import DataSpec
from neuralab.models.base import build_model
from neuralab.probes.length_distortion import great_circle, length_distortion
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

ARM = "relu/he"


def log_slope(depths: list[int], means: list[float]) -> float:
    """Least-squares slope of log(mean) against depth."""
    logs = [math.log(m) for m in means]
    return statistics.linear_regression(depths, logs).slope


@register("claim", "expected_length", paper="Deep ReLU Networks Preserve Expected Length",
          arxiv="2102.10492")
class ExpectedLength(Claim):
    statement = ("At He initialization the expected length distortion of a curve through a random "
                 "ReLU network does not grow with depth.")
    reference = ("Theorem: expected length distortion does not grow with depth and shrinks "
                 "slightly; higher moments are bounded too.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"log_slope": 0.005}
    precondition = ("the deepest networks have at least 32 hidden layers and every measured "
                    "distortion is finite")
    budgets = {"smoke": {"depths": [1, 4, 16], "width": 32, "dim": 8, "networks": 12, "seeds": 3},
               "quick": {"depths": [1, 2, 4, 8, 16, 32], "width": 32, "dim": 8, "networks": 15},
               "full": {"depths": [1, 2, 4, 8, 16, 32, 64], "width": 64, "dim": 8,
                        "networks": 200}}
    curves = ("mean_distortion",)
    x_label = "depth (hidden layers)"

    def run(self, budget, progress=None):
        b = self.budget(budget)
        spec = DataSpec("regression", (b["dim"],), b["dim"])
        records = []
        for seed in self.seeds_for(budget):
            for depth in b["depths"]:
                values = []
                for k in range(b["networks"]):
                    net_seed = derive_seed(seed, "network", depth, k)
                    model = build_model("mlp", spec, {"width": b["width"], "depth": depth,
                                                      "activation": "relu", "init": "he"},
                                        seed=net_seed)
                    curve = great_circle(b["dim"], 2000, generator=generator(net_seed))
                    values.append(float(length_distortion(model, curve)))
                mean = statistics.fmean(values)
                records += [
                    claim_record(ARM, seed, "mean_distortion", mean, step=depth),
                    claim_record(ARM, seed, "mean_sq_distortion",
                                 statistics.fmean(v * v for v in values), step=depth),
                    claim_record(ARM, seed, "sd_distortion", statistics.stdev(values), step=depth),
                    claim_record(ARM, seed, "networks", len(values), step=depth),
                ]
                if progress:
                    progress(f"seed {seed} depth {depth}: mean distortion {mean:.4f} "
                             f"over {len(values)} networks")
        return records

    def check(self, records):
        slopes = {}
        for seed in sorted({int(r["member"]) for r in records}):
            rows = sorted((r["step"], r["value"]) for r in records
                          if r["member"] == seed and r["metric"] == "mean_distortion")
            slopes[seed] = log_slope([d for d, _ in rows], [m for _, m in rows])
        return decide(slopes, self.thresholds["log_slope"],
                      "slope of log mean length distortion per layer", direction="less")

    def budget_failure(self, records):
        means = [r for r in records if r["metric"] in ("mean_distortion", "mean_sq_distortion")]
        deepest = max((r["step"] for r in means), default=0)
        if deepest < 32:
            return f"the deepest networks have {deepest} hidden layers (< 32)"
        bad = next((r for r in means if not math.isfinite(r["value"])), None)
        if bad:
            return f"seed {bad['member']} depth {bad['step']}: non-finite {bad['metric']}"
        return None
