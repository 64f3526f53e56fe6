"""The shared sweep behind the "better than ReLU" activation claims.

Every activation paper of wave 1 claims to beat ReLU. Each claim gets its own verdict
(``swish_vs_relu``, ``gelu_vs_relu``, ``mish_vs_relu``, ``sau_vs_relu``, ``polycom_vs_relu``,
``relu2_vs_relu``), but they are **one experiment**: the same two testbeds with everything except
the activation held fixed, the same seeds, and one ReLU population per testbed that every claim
compares against (memoized per process, so running all claims in one process trains each
(testbed, activation, budget) once; the report marks them as sharing ``activation_sweep``). Each
(testbed, activation) trains all its seeds as one population
(:func:`~neuralab.claims.train_many.train_many`), every member equal to its single run:

- **MNIST-1D**: an MLP with 4 hidden layers of 128 units, He-style initialization with the
  activation's gain, Adam (learning rate 1e-3, batch 128); measured: final test accuracy, with
  the test set's own sampling error from the two arms' per-example correctness
  (:func:`~neuralab.claims.base.paired_accuracy_se`).
- **char LM**: the char-LM testbed (2 blocks, width 64, position-wise ``mlp`` FFN with the
  activation, AdamW with warmup and cosine decay); measured: final test loss (nats per character).

The effect for one seed is ``acc(act) - acc(relu)`` on MNIST-1D and ``loss(relu) - loss(act)`` on
the char LM; "better than ReLU" means an effect above 0 by the fixed verdict rule.

**Seeds** (ten, shared by every claim so that the ReLU population is one): the 3- and 5-seed
pilots at the full budget (``docs/verdicts.md``) have spreads 0.012-0.023 at distances
0.020-0.054 from the threshold 0; the hardest, GELU (sd 0.0124, distance 0.0197), needs
``seeds_needed(0.0124, 0.0197) = 5``, and ``seeds_needed(0.0124, 0.011) = 10`` once an expected
test-set error of about 0.005 (1.7 x 0.005 of the distance) is set aside. The char-LM testbed
trains the first six at the full budget, for every claim (``seeds_needed(0.0228, 0.0537) = 5`` for
squared ReLU, plus one for the smaller pilot); GELU's MNIST-1D part keeps all ten.

**Precondition** (what makes a budget test the claim "at equal steps"): every arm has reached its
plateau. On MNIST-1D each arm's seed-averaged test accuracy over the last 20% of the run is within
3% of its value over the 20% before; on the char LM each arm's training loss is flat over the
last 10% of steps (:func:`~neuralab.claims.base.flat_tail`).

Protocol change (2026-12-03, declared; thresholds, seeds and steps unchanged): the char-LM runs
evaluate 10 times instead of once. The training loss is recorded only at evaluations, so with one
the precondition read a single point and every char-LM part came out *inconclusive (budget: too
few batch_loss points)* whatever the losses did (the full runs of 2026-12-03 before the change:
gelu 0.0059 [-0.0003, 0.0121], polyrelu 0.028 [-0.0025, 0.058], relu2 0.034 [0.007, 0.060]).
Evaluation draws no random numbers, so the trained models are the same.

**Budgets**: ``quick`` trains the MNIST-1D claims for 1000 steps (the ReLU MLP fits its training
set by then and its test accuracy has plateaued); the char-LM claims have no quick budget (one
population of the full char LM takes minutes).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from neuralab.claims.base import (Claim, Progress, Verdict, by_seed, claim_record, combine, decide,
                                  flat_tail, paired_accuracy_se)
from neuralab.claims.train_many import train_many
from neuralab.claims.training import char_lm
from neuralab.config import build_config

MEASURE = {"mnist1d": "test_accuracy", "char_lm": "test_loss"}
CURVES = ("batch_loss", "test_accuracy", "test_loss")
CURVE_POINTS = 20
SEEDS = tuple(range(10))
# Evaluations of a char-LM run: the training loss is recorded (averaged since the last one) at
# each, so the precondition needs several (one, until 2026-12-03, left it unjudgeable).
CHAR_LM_EVALS = 10
SETTINGS = {
    "smoke": {"mnist1d": {"steps": 40, "width": 16, "depth": 2},
              "char_lm": {"steps": 8, "n_layers": 1, "d_model": 16, "seq_len": 32,
                          "batch_size": 8, "max_chars": 20_000}},
    "quick": {"mnist1d": {"steps": 1000, "width": 128, "depth": 4}},
    "full": {"mnist1d": {"steps": 4000, "width": 128, "depth": 4},
             "char_lm": {"steps": 600, "n_layers": 2, "d_model": 64, "seq_len": 64,
                         "batch_size": 32, "max_chars": 300_000}},
}
TESTBED_SEEDS = {"smoke": {"mnist1d": 2, "char_lm": 2}, "quick": {"mnist1d": 10},
                 "full": {"mnist1d": 10, "char_lm": 6}}
MNIST1D_BUDGETS = {"smoke": {"seeds": 2}, "quick": {}, "full": {}}
CHAR_LM_BUDGETS = {"smoke": {"seeds": 2}, "full": {"seeds": 6}}  # the claim's fewest; per testbed
# the seeds are TESTBED_SEEDS, so that each testbed's populations are shared by every claim


def _config(testbed: str, activation: str, budget: str, norm: str = "layer",
            ffn: str = "mlp") -> dict[str, Any]:
    b = dict(SETTINGS[budget][testbed])
    if testbed == "mnist1d":
        return {"data": {"name": "mnist1d"},
                "model": {"name": "mlp", "width": b["width"], "depth": b["depth"],
                          "activation": activation},
                "optim": {"name": "adam", "lr": 1e-3},
                "train": {"steps": b["steps"], "batch_size": 128,
                          "eval_every": max(1, b["steps"] // 10)}}
    extra: dict[str, Any] = {} if norm == "layer" else {"norm": norm}  # the default is "layer"
    if ffn != "mlp":  # the Transformer's default FFN
        extra["ffn"] = ffn
    return char_lm(**b, activation=activation, evals=CHAR_LM_EVALS, **extra)


@lru_cache(maxsize=64)  # called with every argument positional, so that calls share entries
def _population(testbed: str, activation: str, seeds: tuple[int, ...], budget: str,
                norm: str = "layer", ffn: str = "mlp"
                ) -> tuple[tuple[list[dict[str, Any]], np.ndarray | None], ...]:
    """Each seed's records (curves and final metrics) and, on MNIST-1D, which test examples it
    gets right; the seeds trained together as one population."""
    from neuralab.data import load_dataset
    from neuralab.engine.metrics import correct_mask

    config = _config(testbed, activation, budget, norm, ffn)
    results = train_many([build_config(dict(config), [f"seed={s}"]) for s in seeds])
    out = []
    for seed, result in zip(seeds, results):
        arm = arm_name(testbed, activation, norm, ffn)
        rows = [claim_record(arm, seed, r["metric"], r["value"], step=r["step"])
                for r in _thinned(result.records) if r["metric"] in CURVES]
        last = max((r["step"] for r in rows), default=result.step)
        shown = {(r["metric"], r["step"]) for r in rows}
        rows += [claim_record(arm, seed, k, v, step=last) for k, v in result.metrics.items()
                 if (k, last) not in shown]
        correct = None
        if testbed == "mnist1d" and result.status == "completed":
            data = load_dataset(result.config.data.name, **result.config.data.params)
            correct = correct_mask(result.model(), data.spec, data.x_test, data.y_test).numpy()
        out.append((rows, correct))
    return tuple(out)


def _thinned(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The population's records with ``batch_loss`` kept at about :data:`CURVE_POINTS` steps."""
    steps = sorted({r["step"] for r in records if r["metric"] == "batch_loss"})
    keep = set(steps[::max(1, len(steps) // CURVE_POINTS)]) | set(steps[-1:])
    return [r for r in records if r["metric"] != "batch_loss" or r["step"] in keep]


def arm_name(testbed: str, activation: str, norm: str = "layer", ffn: str = "mlp") -> str:
    """``testbed/activation``, with ``/norm`` when the norm is not the default LayerNorm and
    ``/ffn`` when the FFN is not the default position-wise MLP."""
    return (f"{testbed}/{activation}" + ("" if norm == "layer" else f"/{norm}")
            + ("" if ffn == "mlp" else f"/{ffn}"))


def activation_runs(testbed: str, activation: str, seeds: tuple[int, ...], budget: str,
                    progress: Progress | None = None, *, norm: str = "layer", ffn: str = "mlp"
                    ) -> list[dict[str, Any]]:
    """Claim records (arm :func:`arm_name`, one member per seed), memoized per process. ``norm``
    and ``ffn`` swap the char LM's norm and FFN (the normalization and GLU claims compare against
    the same populations)."""
    cached = _population.cache_info().hits
    members = _population(testbed, activation, tuple(seeds), budget, norm, ffn)
    rows = [r for member_rows, _ in members for r in member_rows]
    if progress:
        again = " (shared runs)" if _population.cache_info().hits > cached else ""
        finals = by_seed(rows, arm_name(testbed, activation, norm, ffn), MEASURE[testbed])
        shown = ", ".join(f"{v:.4g}" for v in finals.values())
        what = " ".join([activation] + [v for v, default in ((norm, "layer"), (ffn, "mlp"))
                                        if v != default])
        progress(f"{testbed} {what} seeds {list(seeds)}: {MEASURE[testbed]} {shown}{again}")
    return rows


def test_set_error(testbed: str, activation: str, seeds: tuple[int, ...], budget: str) -> float:
    """The paired test-set error of ``activation`` minus ReLU on MNIST-1D (0 on the char LM,
    whose test loss averages tens of thousands of characters); NaN if a member diverged."""
    if testbed != "mnist1d":
        return 0.0
    ours = [c for _, c in _population(testbed, activation, tuple(seeds), budget, "layer", "mlp")]
    relu = [c for _, c in _population(testbed, "relu", tuple(seeds), budget, "layer", "mlp")]
    if any(c is None for c in ours + relu):
        return float("nan")
    return paired_accuracy_se(np.stack(ours), np.stack(relu))


def combined_statement(comparisons: Sequence[tuple[str, str]]) -> str:
    """The name of a claim of several comparisons, each name once:
    ``gelu better than relu on mnist1d and char_lm``."""
    def listed(names: Iterable[str]) -> str:
        return " and ".join(dict.fromkeys(names))

    return (f"{listed(a for _, a in comparisons)} better than relu on "
            f"{listed(t for t, _ in comparisons)}")


class ActivationVersusReLU(Claim):
    """Base of the per-paper claims: ``comparisons`` lists ``(testbed, activation)`` pairs."""

    comparisons: ClassVar[tuple[tuple[str, str], ...]] = ()
    seeds = SEEDS
    thresholds = {"margin": 0.0}
    budgets = MNIST1D_BUDGETS
    shared = "activation_sweep"
    precondition = ("every arm has reached its plateau: on MNIST-1D its test accuracy over the "
                    "last 20% of steps within 3% of the 20% before, on the char LM its training "
                    "loss flat over the last 10% of steps")

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        self.seeds_for(budget)
        rows: list[dict[str, Any]] = []
        for testbed, activation in self.comparisons:
            seeds = SEEDS[:TESTBED_SEEDS[budget][testbed]]
            for act in ("relu", activation):
                rows += activation_runs(testbed, act, seeds, budget, progress)
            rows.append(claim_record(f"{testbed}/{activation}-relu", seeds[0], "test_set_error",
                                     test_set_error(testbed, activation, seeds, budget)))
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
            error = next(iter(by_seed(records, f"{testbed}/{activation}-relu",
                                      "test_set_error").values()), 0.0)
            notes = (f"{metric} {activation} {statistics.fmean(ours.values()):.4g}, relu "
                     f"{statistics.fmean(relu.values()):.4g}") if effects else ""
            if not math.isfinite(error):  # a member diverged: its effect is non-finite too
                error = 0.0
            if error:
                notes += f"; test-set error {error:.3g}"
            parts.append(decide(effects, self.thresholds["margin"],
                                f"{testbed}: {what} of {activation} over relu", notes=notes,
                                sampling_se=error))
        if len(parts) == 1:
            return parts[0]
        return combine(parts, combined_statement(self.comparisons))

    def budget_failure(self, records) -> str | None:
        for testbed, activation in self.comparisons:
            for act in ("relu", activation):
                arm = f"{testbed}/{act}"
                failed = (flat_tail(records, arm, "test_accuracy", tail=0.2, rel_tol=0.03)
                          if testbed == "mnist1d" else flat_tail(records, arm, "batch_loss"))
                if failed:
                    return failed
        return None
