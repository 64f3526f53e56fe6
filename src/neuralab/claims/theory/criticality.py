"""Criticality: flat preactivation variance at the critical initialization, and finite-width
non-Gaussianity that grows with the depth-to-width ratio.

Roberts, Yaida & Hanin, "The Principles of Deep Learning Theory" (arXiv:2106.10165). For ReLU
networks the critical initialization is ``C_W = 2, C_b = 0``: the preactivation variance (the
kernel ``K^(l) = E[z^2]`` over random initializations) is then the same at every depth, while for
``C_W != 2`` it grows or decays geometrically, as ``(C_W / 2)^l``. At finite width the
preactivation distribution is not Gaussian: its excess kurtosis is of order ``(l - 1) / n``,
growing with depth and shrinking with width (the first layer is exactly Gaussian for a fixed
input).

Experiment (at initialization, no training): ensembles of random ReLU MLPs
(:func:`neuralab.components.criticality.preactivation_ensemble`) fed one fixed unit-variance
input.

Verdict, three parts (all must hold):
- flat at criticality: ``|log(K^(20) / K^(1))| < log 1.2`` at ``C_W = 2``, width 128;
- geometric away from it: ``min over C_W in {1.6, 2.4} of |log(K^(20) / K^(1))| > log 4``;
- non-Gaussianity tracks depth/width: over depths {3, 5, 9, 17} x widths {32, 64, 128} the excess
  kurtosis of the last layer is fitted linearly against ``(L - 1) / n``; the fit's R^2, counted
  negative if the slope is not positive, exceeds 0.9.

Each part is decided by the fixed rule (two one-sided 95% t-bounds over seeds; see
:mod:`neuralab.claims.base`). Seeds: pilot sd 0.014 at full (3 seeds, flat part), distance
|0.047 - log 1.2| = 0.135 -> ``seeds_needed(0.014, 0.135)`` = 5.

Precondition (the ensembles are large enough to estimate the moments): the first layer, whose
statistics are exact for a fixed input (kernel ``C_W * mean(x^2) = 2``, excess kurtosis 0), is
estimated within 3% (kernel at ``C_W = 2``) and within 0.1 (kurtosis, averaged over the grid) in
every seed.

No quick budget (removed 2026-12-02): measured against the full run, the quick run did not agree
(quick reproduced, full inconclusive; docs/verdicts.md), so the demo shows "needs --budget full"
instead of a verdict; the full budget took about 668 s on two cores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from neuralab.claims.base import Claim, Progress, Verdict, by_seed, claim_record, combine, decide
from neuralab.components.criticality import excess_kurtosis, layer_kernel, preactivation_ensemble
from neuralab.registry import register
from neuralab.seed import derive_seed, generator


@register("claim", "criticality", paper="The Principles of Deep Learning Theory", arxiv="2106.10165")
class Criticality(Claim):
    statement = ("At the critical initialization of a ReLU network (C_W = 2) the preactivation "
                 "variance stays flat through depth while off-critical initializations drift "
                 "geometrically, and the preactivations' deviation from Gaussian (excess "
                 "kurtosis) grows linearly with depth/width.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"flat_log_ratio": math.log(1.2), "drift_log_ratio": math.log(4.0),
                  "kurtosis_r2": 0.9}
    precondition = ("the ensembles estimate the first layer's exact moments closely: kernel within "
                    "3% of 2 at C_W = 2 and excess kurtosis within 0.1 of 0, in every seed")
    budgets = {
        "smoke": {"depth": 6, "width": 32, "networks": 100, "kurtosis_depths": (3, 5),
                  "kurtosis_widths": (16, 32), "kurtosis_networks": 200, "seeds": 2},
        "full": {"depth": 20, "width": 128, "networks": 1000, "kurtosis_depths": (3, 5, 9, 17),
                 "kurtosis_widths": (32, 64, 128), "kurtosis_networks": 4000},
    }
    full_minutes = 11

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        b = self.budget(budget)
        rows: list[dict[str, Any]] = []
        for seed in self.seeds_for(budget):
            g = generator(derive_seed(seed, "criticality"))
            x = torch.randn(1, 64, generator=g, dtype=torch.float64)
            x = x / x.square().mean().sqrt()
            for c_w in (1.6, 2.0, 2.4):
                zs = preactivation_ensemble(x, b["width"], b["depth"], "relu", c_w=c_w,
                                            n_networks=b["networks"], generator=g)
                kernels = [layer_kernel(z) for z in zs]
                arm = f"c_w={c_w}"
                rows += [claim_record(arm, seed, "kernel", k, layer=f"layer{i + 1}")
                         for i, k in enumerate(kernels)]
                rows.append(claim_record(arm, seed, "log_kernel_ratio",
                                         math.log(kernels[-1] / kernels[0])))
            ratios, kurtosis = [], []
            for depth in b["kurtosis_depths"]:
                for width in b["kurtosis_widths"]:
                    zs = preactivation_ensemble(x, width, depth, "relu", c_w=2.0,
                                                n_networks=b["kurtosis_networks"], generator=g)
                    k = excess_kurtosis(zs[-1])
                    rows.append(claim_record(f"kurtosis/L{depth}/n{width}", seed,
                                             "layer1_excess_kurtosis", excess_kurtosis(zs[0])))
                    ratios.append((depth - 1) / width)
                    kurtosis.append(k)
                    rows.append(claim_record(f"kurtosis/L{depth}/n{width}", seed,
                                             "excess_kurtosis", k))
            slope, intercept = np.polyfit(ratios, kurtosis, 1)
            fitted = slope * np.asarray(ratios) + intercept
            ss_res = float(np.sum((np.asarray(kurtosis) - fitted) ** 2))
            ss_tot = float(np.sum((np.asarray(kurtosis) - np.mean(kurtosis)) ** 2))
            r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 0.0
            rows.append(claim_record("kurtosis", seed, "fit_slope", float(slope)))
            rows.append(claim_record("kurtosis", seed, "fit_r2", r2 if slope > 0 else -abs(r2)))
            if progress:
                progress(f"seed {seed}: kurtosis fit slope {slope:.3g}, R^2 {r2:.3f}")
        return rows

    def check(self, records) -> Verdict:
        t = self.thresholds
        flat = by_seed(records, "c_w=2.0", "log_kernel_ratio")
        low, high = (by_seed(records, f"c_w={c}", "log_kernel_ratio") for c in (1.6, 2.4))
        r2 = by_seed(records, "kurtosis", "fit_r2")
        slope = by_seed(records, "kurtosis", "fit_slope")
        parts = [
            decide({s: abs(v) for s, v in flat.items()}, t["flat_log_ratio"],
                   "|log K(L)/K(1)| at C_W = 2", direction="less"),
            decide({s: min(abs(low[s]), abs(high[s])) for s in low if s in high},
                   t["drift_log_ratio"], "min |log K(L)/K(1)| at C_W = 1.6, 2.4"),
            decide(r2, t["kurtosis_r2"], "R^2 of excess kurtosis vs (L-1)/n (signed by slope)",
                   notes=f"slopes {', '.join(f'{v:.3g}' for v in slope.values())}"),
        ]
        return combine(parts, "criticality: flat kernel and finite-width kurtosis")

    def budget_failure(self, records):
        first = by_seed(records, "c_w=2.0", "kernel", layer="layer1")
        if not first:
            return "no layer-1 kernel recorded"
        worst = max(abs(v / 2 - 1) for v in first.values())
        if worst > 0.03:
            return f"layer-1 kernel off its exact value 2 by {worst:.1%} (ensemble too small)"
        kurt: dict[int, list[float]] = {}
        for r in records:
            if r["metric"] == "layer1_excess_kurtosis":
                kurt.setdefault(int(r["member"]), []).append(r["value"])
        if not kurt:
            return "no layer-1 kurtosis recorded"
        worst = max(abs(sum(v) / len(v)) for v in kurt.values())
        if worst > 0.1:
            return f"layer-1 excess kurtosis off 0 by {worst:.3f} (ensemble too small)"
        return None
