"""The shared sweep behind the "better than ReLU" activation claims.

Every activation paper of wave 1 claims to beat ReLU. Each claim gets its own verdict
(``swish_vs_relu``, ``gelu_vs_relu``, ``mish_vs_relu``, ``sau_vs_relu``, ``polycom_vs_relu``,
``relu2_vs_relu``), but they all run on the same two testbeds with everything except the
activation held fixed, and share the ReLU baseline runs (memoized per process, so running all
claims in one process trains each (testbed, activation, budget) once). Each (testbed, activation)
trains all its seeds as one population (:func:`~neuralab.claims.train_many.train_many`), every
member equal to its single run:

- **MNIST-1D**: an MLP with 4 hidden layers of 128 units, He-style initialization with the
  activation's gain, Adam (learning rate 1e-3, batch 128); measured: final test accuracy.
- **char LM**: the char-LM testbed (2 blocks, width 64, position-wise ``mlp`` FFN with the
  activation, AdamW with warmup and cosine decay); measured: final test loss (nats per character).

The effect for one seed is ``acc(act) - acc(relu)`` on MNIST-1D and ``loss(relu) - loss(act)`` on
the char LM; "better than ReLU" means an effect above 0 by the fixed verdict rule.
"""

from __future__ import annotations

import statistics
from functools import lru_cache
from typing import Any, ClassVar

from neuralab.claims.base import Claim, Progress, Verdict, by_seed, combine, decide
from neuralab.claims.train_many import train_many
from neuralab.claims.training import char_lm
from neuralab.config import build_config

MEASURE = {"mnist1d": "test_accuracy", "char_lm": "test_loss"}
BUDGETS = {
    "smoke": {"mnist1d": {"steps": 15, "width": 16, "depth": 2},
              "char_lm": {"steps": 4, "n_layers": 1, "d_model": 16, "seq_len": 32,
                          "batch_size": 8, "max_chars": 20_000}},
    "full": {"mnist1d": {"steps": 4000, "width": 128, "depth": 4},
             "char_lm": {"steps": 600, "n_layers": 2, "d_model": 64, "seq_len": 64,
                         "batch_size": 32, "max_chars": 300_000}},
}


def _config(testbed: str, activation: str, budget: str) -> dict[str, Any]:
    b = dict(BUDGETS[budget][testbed])
    if testbed == "mnist1d":
        return {"data": {"name": "mnist1d"},
                "model": {"name": "mlp", "width": b["width"], "depth": b["depth"],
                          "activation": activation},
                "optim": {"name": "adam", "lr": 1e-3},
                "train": {"steps": b["steps"], "batch_size": 128, "eval_every": 0}}
    return char_lm(**b, activation=activation, evals=1)


@lru_cache(maxsize=64)
def _population(testbed: str, activation: str, seeds: tuple[int, ...],
                budget: str) -> tuple[dict[str, float], ...]:
    """Each seed's final metrics, the seeds trained together as one population."""
    config = _config(testbed, activation, budget)
    results = train_many([build_config(dict(config), [f"seed={s}"]) for s in seeds])
    return tuple(dict(r.metrics) for r in results)


def activation_runs(testbed: str, activation: str, seeds: tuple[int, ...], budget: str,
                    progress: Progress | None = None) -> list[dict[str, Any]]:
    """Claim records (arm ``testbed/activation``, one member per seed), memoized per process."""
    cached = _population.cache_info().hits
    finals = _population(testbed, activation, tuple(seeds), budget)
    if progress:
        again = " (shared runs)" if _population.cache_info().hits > cached else ""
        shown = ", ".join(f"{f.get(MEASURE[testbed], float('nan')):.4g}" for f in finals)
        progress(f"{testbed} {activation} seeds {list(seeds)}: {MEASURE[testbed]} {shown}{again}")
    return [{"run": f"{testbed}/{activation}", "member": seed, "step": 0, "layer": None,
             "metric": k, "value": v} for seed, final in zip(seeds, finals) for k, v in final.items()]


class ActivationVersusReLU(Claim):
    """Base of the per-paper claims: ``comparisons`` lists ``(testbed, activation)`` pairs."""

    comparisons: ClassVar[tuple[tuple[str, str], ...]] = ()
    thresholds = {"margin": 0.0}
    budgets = {"smoke": {}, "full": {}}

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        self.budget(budget)
        rows: list[dict[str, Any]] = []
        for testbed, activation in self.comparisons:
            for act in ("relu", activation):
                rows += activation_runs(testbed, act, tuple(self.seeds), budget, progress)
        return rows

    def check(self, records) -> Verdict:
        parts = []
        for testbed, activation in self.comparisons:
            metric = MEASURE[testbed]
            ours = by_seed(records, f"{testbed}/{activation}", metric)
            relu = by_seed(records, f"{testbed}/relu", metric)
            sign = 1.0 if testbed == "mnist1d" else -1.0  # accuracy up, or loss down
            effects = {s: sign * (ours[s] - relu[s]) for s in sorted(set(ours) & set(relu))}
            what = "test accuracy gain" if testbed == "mnist1d" else "test loss reduction"
            notes = (f"{metric} {activation} {statistics.fmean(ours.values()):.4g}, relu "
                     f"{statistics.fmean(relu.values()):.4g}") if effects else ""
            parts.append(decide(effects, self.thresholds["margin"],
                                f"{testbed}: {what} of {activation} over relu", notes=notes))
        if len(parts) == 1:
            return parts[0]
        return combine(parts, f"{' and '.join(a for _, a in self.comparisons)} better than relu")
