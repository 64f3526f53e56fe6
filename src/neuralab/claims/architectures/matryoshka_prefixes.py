"""Matryoshka representations: every prefix of one representation is as accurate as a model
trained for that size alone.

Kusupati et al., "Matryoshka Representation Learning" (arXiv:2205.13147): training nested
prefixes of one representation together (:mod:`neuralab.training.matryoshka`) gives, at every
size, classification "at least as accurate" as an independently trained fixed-feature model of
that size (FF-m), so one model serves every width.

Setting (fixed before the first run): MNIST-1D; backbone the registered ``mlp`` (2 hidden layers
of 128 units), its features projected to ``d = 64``; nested sizes ``M = {4, 8, 16, 32, 64}``.
MRL: one model trained on the mean of the five prefix losses. FF-m: for each ``m``, a model with
the same backbone and initial backbone weights projected to ``m`` dimensions, trained on its own
loss. Adam (learning rate 1e-3, batch 128), the same steps for every model. Measure per seed:
the worst size's ``acc_MRL(m) - acc_FF(m)`` on the test set. Verdict: > -0.02 (non-inferiority
at every size; the fixed rule, two one-sided 95% Student-t bounds, with the test set's paired
error from each seed's discordant counts, :func:`~neuralab.claims.base.discordant_se`, added).
MNIST-1D is generated with 25 000 examples (20 000 training, 5 000 test): with the default 1 000
test examples the test-set error alone (about 0.012 for models that disagree on 15% of the
examples) would keep any interval wider than the 0.02 margin.

Seeds: five, the minimum; no pilot (the sortednet claim's related spread, 0.02 on this testbed,
would need ``seeds_needed(0.02, 0.02)`` = 8 at an effect on the threshold's far side of the
margin; the interval says whether five sufficed). Precondition: every trained model has converged
(:func:`~neuralab.claims.base.training_converged`). No quick budget (not measured against full).
"""

from __future__ import annotations

import statistics
from typing import Any

from neuralab.claims.base import (Claim, by_seed, claim_record, decide, discordant_se,
                                  training_converged)
from neuralab.data import load_dataset
from neuralab.models.base import build_model
from neuralab.registry import register
from neuralab.seed import derive_seed
from neuralab.engine.metrics import correct_mask
from neuralab.training.matryoshka import train_matryoshka

DIMS = (4, 8, 16, 32, 64)


def _arm_records(arm: str, seed: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [claim_record(arm, seed, r["metric"], r["value"], step=r["step"], layer=r.get("layer"))
            for r in rows]


@register("claim", "matryoshka_prefixes", paper="Matryoshka Representation Learning",
          arxiv="2205.13147")
class MatryoshkaPrefixes(Claim):
    statement = ("Every prefix (4 to 64 dimensions) of one Matryoshka representation classifies "
                 "MNIST-1D within 0.02 of a model trained for that size alone.")
    reference = ("MRL is at least as accurate as independently trained fixed-feature models at "
                 "every representation size, from one model.")
    seeds = (0, 1, 2, 3, 4)
    thresholds = {"worst_gap": -0.02}
    precondition = ("every trained model has converged: training loss flat over the last 10% of "
                    "steps, or below 0.02")
    budgets = {"smoke": {"seeds": 2, "steps": 20, "num_samples": 600, "width": 16},
               "full": {"steps": 3000, "num_samples": 25_000, "width": 128}}
    full_minutes = 4

    def run(self, budget, progress=None):
        b = self.budget(budget)
        data = load_dataset("mnist1d", num_samples=b["num_samples"])
        rows: list[dict[str, Any]] = []
        for seed in self.seeds_for(budget):
            def backbone():
                return build_model("mlp", data.spec, {"width": b["width"], "depth": 2},
                                   seed=derive_seed(seed, "backbone"))

            def right(model, m):
                with model.prefix(m):
                    return correct_mask(model, data.spec, data.x_test, data.y_test)

            kw = {"steps": b["steps"], "seed": seed}
            mrl, curve = train_matryoshka(backbone(), data, dims=DIMS, **kw)
            rows += _arm_records("mrl", seed, curve)
            rows.append(claim_record("mrl", seed, "test_examples", len(data.x_test)))
            for m in DIMS:
                ff, curve = train_matryoshka(backbone(), data, dims=(m,), **kw)
                rows += _arm_records(f"ff/m{m}", seed, curve)
                a, c = right(mrl, m), right(ff, m)
                layer = f"m{m}"
                rows += [claim_record("mrl", seed, "test_accuracy", float(a.float().mean()), layer=layer),
                         claim_record(f"ff/m{m}", seed, "test_accuracy", float(c.float().mean()),
                                      layer=layer),
                         claim_record("mrl", seed, "only_mrl_right", int((a & ~c).sum()), layer=layer),
                         claim_record("mrl", seed, "only_ff_right", int((~a & c).sum()), layer=layer)]
            if progress:
                gaps = self._gaps(rows, seed)
                progress(f"seed {seed}: MRL minus FF accuracy by size "
                         + ", ".join(f"m{m} {g:+.3f}" for m, g in gaps.items()))
        return rows

    @staticmethod
    def _gaps(records, seed: int) -> dict[int, float]:
        out = {}
        for m in DIMS:
            mrl = by_seed(records, "mrl", "test_accuracy", layer=f"m{m}")
            ff = by_seed(records, f"ff/m{m}", "test_accuracy", layer=f"m{m}")
            if seed in mrl and seed in ff:
                out[m] = mrl[seed] - ff[seed]
        return out

    def check(self, records):
        seeds = sorted({int(r["member"]) for r in records if r["run"] == "mrl"})
        gaps = {s: self._gaps(records, s) for s in seeds}
        worst = {s: min(g.values()) for s, g in gaps.items() if len(g) == len(DIMS)}
        by_size = {m: statistics.fmean(g[m] for g in gaps.values() if m in g) for m in DIMS
                   if any(m in g for g in gaps.values())}
        worst_m = min(by_size, key=by_size.get) if by_size else DIMS[0]
        only_mrl = by_seed(records, "mrl", "only_mrl_right", layer=f"m{worst_m}")
        only_ff = by_seed(records, "mrl", "only_ff_right", layer=f"m{worst_m}")
        n_test = next(iter(by_seed(records, "mrl", "test_examples").values()), 0)
        discordant = {s: (only_mrl[s], only_ff[s]) for s in only_mrl if s in only_ff}
        error = discordant_se(discordant, int(n_test)) if discordant and n_test else 0.0
        notes = "MRL minus FF by size: " + ", ".join(f"m{m} {v:+.4f}" for m, v in by_size.items())
        return decide(worst, self.thresholds["worst_gap"],
                      "worst size: MRL prefix minus fixed-feature model test accuracy",
                      notes=notes, sampling_se=error)

    def budget_failure(self, records):
        return training_converged(records)
