"""The claim API: a paper's headline result as an experiment with a verdict fixed in advance.

A claim is a subclass of :class:`Claim` registered under kind ``"claim"``. Its class body fixes,
in code and before anything runs: the paper, the one-sentence statement it tests, the seeds (at
least five, chosen for power at the paper's effect), the thresholds, a ``precondition`` (what must
hold in the claim's own training for its budget to test the claim) and three budgets:

- ``smoke``: a plumbing check for CI (seconds; may use as few as two seeds). It never gives a
  verdict: its result is labelled ``smoke check`` everywhere.
- ``quick``: what ``neuralab demo`` runs (the whole demo in about ten minutes on two cores). A
  claim whose quick run cannot agree with its full run declares no ``quick`` budget; the demo
  then says "needs --budget full (about N min)" instead of a verdict.
- ``full``: the budget of record.

``run(budget)`` trains and measures, returning tidy records; ``check(records)`` turns them into a
:class:`Verdict`; ``budget_failure(records)`` says whether the precondition failed, in which case
:meth:`Claim.verdict` makes the verdict *inconclusive* with ``budget: <what failed>``::

    @register("claim", "cnn_beats_mlp", paper="Scaling Down Deep Learning with MNIST-1D",
              arxiv="2011.14439")
    class CnnBeatsMlp(Claim):
        statement = "On MNIST-1D a CNN reaches higher test accuracy than an MLP."
        seeds = (0, 1, 2, 3, 4)
        thresholds = {"margin": 0.05}
        precondition = "both arms' training losses are flat over the last 10% of steps"
        budgets = {"smoke": {"steps": 50, "seeds": 2}, "quick": {"steps": 300},
                   "full": {"steps": 3000}}

        def run(self, budget, progress=None):
            ...  # train, then return [claim_record("cnn", seed, "test_accuracy", acc), ...]

        def check(self, records):
            cnn, mlp = by_seed(records, "cnn", "test_accuracy"), by_seed(records, "mlp", "test_accuracy")
            return decide(paired_differences(cnn, mlp), self.thresholds["margin"],
                          "CNN minus MLP test accuracy",
                          sampling_se=accuracy_se(TEST_EXAMPLES, mean(cnn), mean(mlp)))

        def budget_failure(self, records):
            return flat_tail(records, "cnn") or flat_tail(records, "mlp")

Records are the usual ``{run, member, step, layer, metric, value}`` rows with ``run`` naming the
*arm* of the experiment (``"cnn"``, ``"mlp/shuffled"``) and ``member`` the seed. A budget may set
``"seeds": n`` to use only the first ``n`` of the claim's seeds (:meth:`Claim.seeds_for`; at least
five at ``quick`` and ``full``). Optional class attributes shape the report: ``reference`` (what
the paper reports, one sentence), ``curves`` (the metrics to plot against ``step``; default: every
metric recorded at several steps), ``x_label`` (what ``step`` counts, default ``"step"``),
``shared`` (the experiment whose runs this claim shares with others, e.g. the activation claims'
ReLU population) and ``full_minutes`` (about how long the full budget takes on two cores).

The verdict rule (:func:`decide`) is the same for every claim: two one-sided tests at
``ALPHA = 0.05``. From the per-seed effects ``e_1..e_n`` (paired differences where the arms share
seeds) with mean ``m`` and standard deviation ``s``, the standard error of the mean is
``se = sqrt(max(s, resolution)^2 / n + sampling_se^2)``, and the one-sided 95% Student-t bounds
are ``m -/+ t_{0.95, n-1} se``. For an effect that must exceed the threshold ``t``:

- ``reproduced`` when the lower bound exceeds ``t``;
- ``not reproduced`` when the upper bound does not;
- ``inconclusive`` otherwise (the interval contains ``t``: more seeds or a larger budget needed).

(mirrored for ``direction="less"``). An effect lying exactly on its threshold is called
reproduced 5% of the time at any ``n``. ``resolution`` floors the spread of deterministic or
quantized measures (a count out of ``k`` has resolution ``1/k``); ``sampling_se`` adds the error
of one fixed test set, which does not average out over seeds (:func:`accuracy_se`). The verdict
carries the interval, ``alpha``, ``n_seeds`` and the minimum detectable effect: the distance from
the threshold that this ``n`` and spread detect with 80% power. :func:`combine` joins the parts
of a multi-part claim: reproduced only if every part is (intersection-union, no correction), not
reproduced when some part is at Holm-adjusted ``alpha``, inconclusive otherwise; the combined
verdict shows the part that decided.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import stats

from neuralab.claims.labels import BUDGETS, SMOKE_LABEL, SMOKE_SENTENCE, VERDICTS
from neuralab.errors import ConfigError

VerdictLabel = Literal["reproduced", "not reproduced", "inconclusive", "smoke check"]
ALPHA = 0.05
POWER = 0.8
MIN_SEEDS = 5  # at the quick and full budgets
MIN_SMOKE_SEEDS = 2
Progress = Callable[[str], None]
Direction = Literal["greater", "less"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a claim: the label, the effect, its interval and what decided it.

    ``effect`` and ``spread`` are the mean and standard deviation of the per-seed effects;
    ``interval`` the one-sided ``1 - alpha`` lower and upper bounds on the mean; ``mde`` the
    distance from the threshold detectable with 80% power at this ``n_seeds`` and spread;
    ``p_reproduced`` / ``p_not_reproduced`` the one-sided p-values of the two tests. A combined
    verdict keeps its ``parts`` and names the part that ``decided`` (its numbers are that part's).
    """

    verdict: VerdictLabel
    effect: float
    spread: float
    threshold: float
    measure: str
    per_seed: dict[int, float] = field(default_factory=dict)
    direction: Direction = "greater"
    notes: str = ""
    parts: tuple[Verdict, ...] = ()
    interval: tuple[float, float] = (math.nan, math.nan)
    alpha: float = ALPHA
    n_seeds: int = 0
    mde: float = math.nan
    p_reproduced: float = math.nan
    p_not_reproduced: float = math.nan
    decided: str = ""

    @property
    def deciding(self) -> Verdict:
        """The part whose numbers this verdict shows (itself for a single-part claim)."""
        return next((p for p in self.parts if p.measure == self.decided), self)

    def sentence(self) -> str:
        """One line: the verdict with the numbers behind it."""
        if self.verdict == SMOKE_LABEL:
            return SMOKE_SENTENCE + (f"; {self.notes}" if self.notes else "")
        cmp = ">" if self.direction == "greater" else "<"
        lo, hi = self.interval
        part = f" [{self.decided}]" if self.parts and self.decided else ""
        return (f"{self.verdict}{part}: {self.deciding.measure if part else self.measure} = "
                f"{self.effect:.4g}, 90% interval [{lo:.4g}, {hi:.4g}] over {self.n_seeds} seeds "
                f"(threshold {cmp} {self.threshold:g})"
                + (f"; {self.notes}" if self.notes else ""))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["per_seed"] = {str(k): v for k, v in self.per_seed.items()}
        d["parts"] = [p.to_dict() for p in self.parts]
        d["interval"] = list(self.interval)
        d["sentence"] = self.sentence()
        return d

    def with_label(self, label: VerdictLabel, notes: str) -> Verdict:
        """The same numbers under another label (a failed precondition, a smoke run)."""
        joined = "; ".join(n for n in (notes, self.notes) if n)
        return replace(self, verdict=label, notes=joined,
                       parts=tuple(replace(p, verdict=label) if label == SMOKE_LABEL else p
                                   for p in self.parts))


class Claim:
    """Base class of every claim; subclasses fix the class attributes and implement run/check."""

    id: ClassVar[str] = ""
    statement: ClassVar[str] = ""
    seeds: ClassVar[tuple[int, ...]] = ()
    thresholds: ClassVar[Mapping[str, float]] = {}
    budgets: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    precondition: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    curves: ClassVar[tuple[str, ...]] = ()
    x_label: ClassVar[str] = "step"
    shared: ClassVar[str] = ""
    full_minutes: ClassVar[float | None] = None
    # True when every model the claim trains goes through claims.training.train_arm, train_many
    # or trainer_accuracies and its measurements follow the model's device: `--device` applies.
    # Otherwise the claim trains on the CPU whatever the device asked for, and says so.
    trains_on_device: ClassVar[bool] = False

    def __init__(self) -> None:
        from neuralab.registry import REGISTRY

        entry = next((e for e in REGISTRY.list("claim") if e.factory is type(self)), None)
        self.id = entry.name if entry else type(self).__name__
        self.paper = entry.paper if entry else None
        self.arxiv = entry.arxiv if entry else None
        if len(self.seeds) < MIN_SEEDS:
            raise ValueError(f"claim {self.id}: at least {MIN_SEEDS} seeds are required")
        if not {"smoke", "full"} <= set(self.budgets) <= set(BUDGETS):
            raise ValueError(f"claim {self.id}: budgets must be smoke, full and optionally quick")
        if not self.statement:
            raise ValueError(f"claim {self.id}: a one-sentence statement is required")
        if not self.precondition:
            raise ValueError(f"claim {self.id}: a precondition (what makes the budget suffice) "
                             "is required")
        for name in self.budgets:
            self.seeds_for(name)

    def budget(self, name: str) -> Mapping[str, Any]:
        if name not in BUDGETS:
            raise ConfigError(f"unknown budget {name!r} (known: {', '.join(BUDGETS)})")
        if name not in self.budgets:
            raise ConfigError(f"claim {self.id} has no {name} budget: {self.needs_full()}")
        return self.budgets[name]

    def needs_full(self) -> str:
        """What the demo shows for a claim without a quick budget."""
        about = f" (about {self.full_minutes:.0f} min)" if self.full_minutes else ""
        return f"needs --budget full{about}"

    def seeds_for(self, budget: str) -> tuple[int, ...]:
        """The seeds run at ``budget``: all of them, or the first ``budgets[budget]["seeds"]``."""
        n = self.budget(budget).get("seeds", len(self.seeds))
        least = MIN_SMOKE_SEEDS if budget == "smoke" else MIN_SEEDS
        if not least <= n <= len(self.seeds):
            raise ValueError(f"claim {self.id}: budget {budget!r} must use between {least} and "
                             f"{len(self.seeds)} seeds, got {n}")
        return tuple(self.seeds[:n])

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Train and measure at ``budget``; return tidy records (arm in ``run``, seed in ``member``)."""
        raise NotImplementedError

    def check(self, records: Sequence[Mapping[str, Any]]) -> Verdict:
        """Decide from the records alone (so a verdict can be recomputed from the store)."""
        raise NotImplementedError

    def budget_failure(self, records: Sequence[Mapping[str, Any]]) -> str | None:
        """None when the :attr:`precondition` holds in ``records``, else what failed (a phrase)."""
        raise NotImplementedError

    def verdict(self, records: Sequence[Mapping[str, Any]], budget: str = "full") -> Verdict:
        """:meth:`check`, made inconclusive when the precondition failed; a smoke run's label is
        ``smoke check`` whatever the numbers say."""
        verdict = self.check(records)
        if budget == "smoke":
            return verdict.with_label(SMOKE_LABEL, "")
        failed = self.budget_failure(records)
        if failed:
            return verdict.with_label("inconclusive", f"budget: {failed}")
        return verdict

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "paper": self.paper, "arxiv": self.arxiv,
                "statement": self.statement, "seeds": list(self.seeds),
                "thresholds": dict(self.thresholds),
                "budgets": {k: dict(v) for k, v in self.budgets.items()},
                "precondition": self.precondition, "shared": self.shared,
                "reference": self.reference, "curves": list(self.curves), "x_label": self.x_label,
                "trains_on_device": self.trains_on_device}


def claim_record(arm: str, seed: int, metric: str, value: float, *, step: int = 0,
                 layer: str | None = None) -> dict[str, Any]:
    """A tidy record of a claim: ``run`` is the arm, ``member`` the seed."""
    return {"run": arm, "member": int(seed), "step": int(step), "layer": layer,
            "metric": metric, "value": float(value)}


def by_seed(records: Iterable[Mapping[str, Any]], arm: str, metric: str, *,
            step: int | None = None, layer: str | None = None) -> dict[int, float]:
    """``{seed: value}`` of ``metric`` in ``arm`` (the last step unless ``step`` is given)."""
    out: dict[int, tuple[int, float]] = {}
    for r in records:
        if r["run"] != arm or r["metric"] != metric or r.get("layer") != layer:
            continue
        if step is not None and r["step"] != step:
            continue
        seed = int(r["member"])
        if seed not in out or r["step"] >= out[seed][0]:
            out[seed] = (r["step"], float(r["value"]))
    return {s: v for s, (_, v) in sorted(out.items())}


def curve(records: Iterable[Mapping[str, Any]], arm: str, metric: str,
          seed: int | None = None) -> dict[int, float]:
    """``{step: value}`` of ``metric`` in ``arm``, averaged over seeds (or for one ``seed``)."""
    steps: dict[int, list[float]] = {}
    for r in records:
        if r["run"] == arm and r["metric"] == metric and r.get("layer") is None \
                and (seed is None or int(r["member"]) == seed):
            steps.setdefault(int(r["step"]), []).append(float(r["value"]))
    return {s: statistics.fmean(v) for s, v in sorted(steps.items())}


def paired_differences(a: Mapping[int, float], b: Mapping[int, float]) -> dict[int, float]:
    """``a[s] - b[s]`` for the seeds both have."""
    return {s: a[s] - b[s] for s in sorted(set(a) & set(b))}


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    vals = [v for v in values]
    if not vals:
        return math.nan, math.nan
    return statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0


def accuracy_se(test_examples: int, *accuracies: float) -> float:
    """The standard error that one fixed test set of ``test_examples`` adds to an accuracy (one
    value) or an accuracy difference (two values): ``sqrt(sum_i p_i (1 - p_i) / n)``.

    The binomial error of each accuracy; for a difference it treats the two arms' errors as
    independent, which overstates the error of positively correlated (paired) predictions and so
    errs on the side of *inconclusive*.
    """
    if test_examples <= 0:
        raise ValueError(f"test_examples must be positive, got {test_examples}")
    return math.sqrt(sum(min(max(p, 0.0), 1.0) * (1 - min(max(p, 0.0), 1.0))
                         for p in accuracies) / test_examples)


def paired_accuracy_se(correct_a: Sequence[Sequence[float]],
                       correct_b: Sequence[Sequence[float]]) -> float:
    """The standard error that one fixed test set adds to a mean accuracy difference between two
    arms scored on the same examples, from their per-example correctness (``seeds x examples``
    0/1 arrays, rows paired by seed): ``sd_i(d_i) / sqrt(N)`` with ``d_i`` the seed-averaged
    difference on example ``i``.

    A paired version of :func:`accuracy_se`: two networks that agree on most examples have a far
    smaller test-set error in their difference than independent ones. In a two-way
    (example x seed) decomposition it counts the example-by-seed interaction once more than
    needed, so it errs slightly on the side of *inconclusive*.
    """
    a = np.asarray(correct_a, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"correct_a and correct_b must be equal (seeds, examples) arrays with at "
                         f"least 2 examples, got {a.shape} and {b.shape}")
    d = (a - b).mean(axis=0)
    return float(d.std(ddof=1) / math.sqrt(d.size))


def discordant_se(discordant: Mapping[int, tuple[float, float]], test_examples: int) -> float:
    """The standard error that one fixed test set adds to a mean accuracy difference between two
    arms, from each seed's discordant counts ``(b, c)``: examples only arm A gets right, only arm
    B gets right (McNemar's table), out of ``test_examples``.

    Per seed the difference ``(b - c) / n`` has sampling variance ``((b + c) / n - ((b - c) /
    n)^2) / n`` (paired binomial); the seeds share the test set, so their errors are correlated,
    and the standard error of their mean is bounded by the mean of the per-seed standard errors
    (reached when they are perfectly correlated): the bound returned, which errs on the side of
    *inconclusive*. Two arms that agree on most examples get a far smaller error than the
    independent-arms :func:`accuracy_se`.
    """
    if test_examples <= 0 or not discordant:
        raise ValueError(f"need test_examples > 0 and at least one seed, got {test_examples} and "
                         f"{len(discordant)} seeds")
    n = float(test_examples)
    ses = []
    for b, c in discordant.values():
        if not (0 <= b and 0 <= c and b + c <= n):
            raise ValueError(f"discordant counts must be non-negative and sum to at most "
                             f"{test_examples}, got {b}, {c}")
        var = max((b + c) / n - ((b - c) / n) ** 2, 0.0) / n
        ses.append(math.sqrt(var))
    return float(statistics.fmean(ses))


def flat_tail(records: Sequence[Mapping[str, Any]], arm: str, metric: str = "batch_loss", *,
              tail: float = 0.1, rel_tol: float = 0.05, abs_tol: float = 0.0) -> str | None:
    """The common precondition "``arm`` has converged": its ``metric`` (averaged over seeds)
    over the last ``tail`` of the recorded steps is within ``rel_tol`` (relative) or ``abs_tol``
    (absolute: a loss near zero halving from 0.004 to 0.002 has converged although it moved by
    half) of its mean over the ``tail`` before. None when it holds, else what failed."""
    points = curve(records, arm, metric)
    if len(points) < 4:
        return f"{arm}: too few {metric} points to judge convergence ({len(points)})"
    steps = sorted(points)
    last = steps[-1]
    cut, before = last - tail * (last - steps[0]), last - 2 * tail * (last - steps[0])
    end = [points[s] for s in steps if s > cut] or [points[last]]
    prev = [points[s] for s in steps if before < s <= cut] or [points[steps[-2]]]
    a, b = statistics.fmean(end), statistics.fmean(prev)
    if not (math.isfinite(a) and math.isfinite(b)):
        return f"{arm}: {metric} is not finite at the end"
    if abs(a - b) > max(rel_tol * max(abs(b), 1e-12), abs_tol):
        return f"{arm}: {metric} still moving at the end ({b:.4g} -> {a:.4g})"
    return None


def seeds_needed(spread: float, distance: float, *, alpha: float = ALPHA, power: float = POWER,
                 least: int = MIN_SEEDS, most: int = 40) -> int:
    """The seeds a claim needs: the smallest ``n >= least`` whose minimum detectable effect
    ``(t_{1-alpha,n-1} + t_{power,n-1}) spread / sqrt(n)`` is at most ``distance`` (how far the
    paper's effect, or a pilot's, lies from the threshold), capped at ``most``.

    A claim writes the calculation in its docstring, e.g. "pilot sd 0.016, distance 0.038:
    ``seeds_needed(0.016, 0.038)`` = 5".
    """
    if not (math.isfinite(spread) and spread >= 0 and math.isfinite(distance)):
        raise ValueError(f"spread and distance must be finite (spread >= 0), got {spread}, "
                         f"{distance}")
    if distance <= 0:
        return most
    for n in range(max(least, 2), most + 1):
        df = n - 1
        mde = (float(stats.t.ppf(1 - alpha, df)) + float(stats.t.ppf(power, df))) * spread
        if mde / math.sqrt(n) <= distance:
            return n
    return most


LOSS_CURVES = ("batch_loss", "train_loss")
FITTED_LOSS = 0.02


def training_converged(records: Sequence[Mapping[str, Any]], arms: Iterable[str] | None = None,
                       *, abs_tol: float = 0.0) -> str | None:
    """The generic precondition "every trained arm has converged": each arm's training loss
    (``batch_loss``, else ``train_loss``, averaged over seeds) is flat over the last 10% of its
    recorded steps (:func:`flat_tail`, with its ``abs_tol``) or ends below ``FITTED_LOSS`` (the
    training set fitted, where a loss falling geometrically towards zero never looks flat). None
    when it holds; what failed otherwise, including when no arm (or a named one in ``arms``)
    recorded a training-loss curve to judge."""
    rows = list(records)
    names = list(arms) if arms is not None else sorted({r["run"] for r in rows})
    judged = 0
    for arm in names:
        metric = next((m for m in LOSS_CURVES if len(curve(rows, arm, m)) >= 4), None)
        if metric is None:
            short = next((m for m in LOSS_CURVES if curve(rows, arm, m)), None)
            if short is not None:  # recorded, but too rarely to judge
                return (f"{arm}: too few {short} points to judge convergence "
                        f"({len(curve(rows, arm, short))})")
            if arms is not None:  # a named arm must show that it converged
                return f"{arm}: no training-loss curve recorded to judge convergence"
            continue
        judged += 1
        points = curve(rows, arm, metric)
        if points[max(points)] < FITTED_LOSS:
            continue
        failed = flat_tail(rows, arm, metric, abs_tol=abs_tol)
        if failed:
            return failed
    if not judged:
        return "no training-loss curve recorded to judge convergence"
    return None


def _passes(value: float, threshold: float, direction: Direction) -> bool:
    return value > threshold if direction == "greater" else value < threshold


def decide(effects: Mapping[int, float], threshold: float, measure: str, *,
           direction: Direction = "greater", notes: str = "", resolution: float = 0.0,
           sampling_se: float = 0.0, alpha: float = ALPHA) -> Verdict:
    """The fixed verdict rule (see the module docstring) applied to per-seed effects."""
    n = len(effects)
    if n < 2 or not all(math.isfinite(v) for v in effects.values()):
        why = "fewer than two seeds" if n < 2 else "missing or non-finite measurements"
        mean = statistics.fmean(effects.values()) if n else math.nan
        return Verdict("inconclusive", mean, math.nan, threshold, measure, dict(effects),
                       direction, "; ".join(x for x in (notes, why) if x), n_seeds=n, alpha=alpha)
    mean, std = mean_std(effects.values())
    se = math.sqrt(max(std, resolution) ** 2 / n + sampling_se ** 2)
    df = n - 1
    t_alpha = float(stats.t.ppf(1 - alpha, df))
    lower, upper = mean - t_alpha * se, mean + t_alpha * se
    sign = 1.0 if direction == "greater" else -1.0
    if se > 0:
        z = sign * (mean - threshold) / se  # > 0 on the passing side
        p_reproduced, p_not = float(stats.t.sf(z, df)), float(stats.t.cdf(z, df))
    else:  # no spread at all: the mean decides
        ok = _passes(mean, threshold, direction)
        p_reproduced, p_not = (0.0, 1.0) if ok else (1.0, 0.0)
    bound_pass, bound_fail = (lower, upper) if direction == "greater" else (upper, lower)
    if _passes(bound_pass, threshold, direction):
        label: VerdictLabel = "reproduced"
    elif not _passes(bound_fail, threshold, direction):
        label = "not reproduced"
    else:
        label = "inconclusive"
    mde = (t_alpha + float(stats.t.ppf(POWER, df))) * se
    return Verdict(label, mean, std, threshold, measure, dict(effects), direction, notes,
                   interval=(lower, upper), alpha=alpha, n_seeds=n, mde=mde,
                   p_reproduced=p_reproduced, p_not_reproduced=p_not)


def combine(parts: Sequence[Verdict], measure: str, notes: str = "") -> Verdict:
    """A claim made of several parts: reproduced only if every part is (intersection-union);
    not reproduced when some part's not-reproduced test rejects at Holm-adjusted alpha (the
    smallest of the ``k`` p-values at ``alpha / k``); inconclusive otherwise.

    The combined numbers are those of the part that decided: for *reproduced* the weakest part
    (largest p-value of its reproduced test), for *not reproduced* the part that failed most
    clearly, for *inconclusive* the weakest part that is not reproduced.
    """
    if not parts:
        raise ValueError("combine needs at least one part")
    k = len(parts)
    alpha = parts[0].alpha

    def p_rep(p: Verdict) -> float:
        return 1.0 if math.isnan(p.p_reproduced) else p.p_reproduced

    def p_not(p: Verdict) -> float:
        return 1.0 if math.isnan(p.p_not_reproduced) else p.p_not_reproduced

    failing = min(parts, key=p_not)
    if all(p.verdict == "reproduced" for p in parts):
        label: VerdictLabel = "reproduced"
        decider = max(parts, key=p_rep)
    elif p_not(failing) <= alpha / k:
        label, decider = "not reproduced", failing
    else:
        label = "inconclusive"
        decider = max((p for p in parts if p.verdict != "reproduced"), key=p_rep)
    return Verdict(label, decider.effect, decider.spread, decider.threshold, measure,
                   decider.per_seed, decider.direction, notes, tuple(parts),
                   interval=decider.interval, alpha=alpha, n_seeds=decider.n_seeds,
                   mde=decider.mde, p_reproduced=decider.p_reproduced,
                   p_not_reproduced=decider.p_not_reproduced, decided=decider.measure)
