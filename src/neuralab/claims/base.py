"""The claim API: a paper's headline result as an experiment with a verdict fixed in advance.

A claim is a subclass of :class:`Claim` registered under kind ``"claim"``. Its class body fixes,
in code and before anything runs: the paper, the one-sentence statement it tests, the seeds (at
least three), the thresholds, and two budgets — ``smoke`` (seconds; runs in CI) and ``full``
(minutes on two cores). ``run(budget)`` trains and measures, returning tidy records;
``check(records)`` turns them into a :class:`Verdict`::

    @register("claim", "cnn_beats_mlp", paper="Scaling Down Deep Learning with MNIST-1D",
              arxiv="2011.14439")
    class CnnBeatsMlp(Claim):
        statement = "On MNIST-1D a CNN reaches higher test accuracy than an MLP."
        seeds = (0, 1, 2)
        thresholds = {"margin": 0.05}
        budgets = {"smoke": {"steps": 50, "seeds": 3}, "full": {"steps": 3000}}

        def run(self, budget, progress=None):
            ...  # train, then return [claim_record("cnn", seed, "test_accuracy", acc), ...]

        def check(self, records):
            cnn, mlp = by_seed(records, "cnn", "test_accuracy"), by_seed(records, "mlp", "test_accuracy")
            return decide(paired_differences(cnn, mlp), self.thresholds["margin"],
                          "CNN minus MLP test accuracy")

Records are the usual ``{run, member, step, layer, metric, value}`` rows with ``run`` naming the
*arm* of the experiment (``"cnn"``, ``"mlp/shuffled"``) and ``member`` the seed. A budget may set
``"seeds": n`` to use only the first ``n`` (at least three) of the claim's seeds
(:meth:`Claim.seeds_for`). Optional class attributes shape the report: ``reference`` (what the
paper reports, one sentence), ``curves`` (the metrics to plot against ``step``; default: every
metric recorded at several steps) and ``x_label`` (what ``step`` counts, default ``"step"``).

The verdict rule of :func:`decide` is fixed for every claim: with per-seed effects ``e_s`` and a
threshold ``t`` (effect must exceed ``t``, or fall below it for ``direction="less"``),

- ``reproduced`` when the mean effect passes ``t`` and at least two thirds of the seeds do;
- ``not reproduced`` when the mean effect fails ``t`` and at most one third of the seeds pass;
- ``inconclusive`` otherwise (the seeds disagree).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from neuralab.errors import ConfigError

VerdictLabel = Literal["reproduced", "not reproduced", "inconclusive"]
VERDICTS: tuple[str, ...] = ("reproduced", "not reproduced", "inconclusive")
BUDGETS: tuple[str, ...] = ("smoke", "full")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a claim: the label, the effect size and its spread across seeds."""

    verdict: VerdictLabel
    effect: float
    spread: float
    threshold: float
    measure: str
    per_seed: dict[int, float] = field(default_factory=dict)
    direction: Literal["greater", "less"] = "greater"
    notes: str = ""
    parts: tuple[Verdict, ...] = ()

    def sentence(self) -> str:
        """One line: the verdict with the numbers behind it."""
        cmp = ">" if self.direction == "greater" else "<"
        return (f"{self.verdict}: {self.measure} = {self.effect:.4g} ± {self.spread:.2g} "
                f"over {len(self.per_seed)} seeds (threshold {cmp} {self.threshold:g})"
                + (f"; {self.notes}" if self.notes else ""))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["per_seed"] = {str(k): v for k, v in self.per_seed.items()}
        d["parts"] = [p.to_dict() for p in self.parts]
        d["sentence"] = self.sentence()
        return d


class Claim:
    """Base class of every claim; subclasses fix the class attributes and implement run/check."""

    id: ClassVar[str] = ""
    statement: ClassVar[str] = ""
    seeds: ClassVar[tuple[int, ...]] = (0, 1, 2)
    thresholds: ClassVar[Mapping[str, float]] = {}
    budgets: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    reference: ClassVar[str] = ""
    curves: ClassVar[tuple[str, ...]] = ()
    x_label: ClassVar[str] = "step"

    def __init__(self) -> None:
        from neuralab.registry import REGISTRY

        entry = next((e for e in REGISTRY.list("claim") if e.factory is type(self)), None)
        self.id = entry.name if entry else type(self).__name__
        self.paper = entry.paper if entry else None
        self.arxiv = entry.arxiv if entry else None
        if len(self.seeds) < 3:
            raise ValueError(f"claim {self.id}: at least three seeds are required")
        if set(self.budgets) != set(BUDGETS):
            raise ValueError(f"claim {self.id}: budgets must be exactly {BUDGETS}")
        if not self.statement:
            raise ValueError(f"claim {self.id}: a one-sentence statement is required")
        for name in BUDGETS:
            self.seeds_for(name)

    def budget(self, name: str) -> Mapping[str, Any]:
        if name not in self.budgets:
            raise ConfigError(f"unknown budget {name!r} (known: {', '.join(BUDGETS)})")
        return self.budgets[name]

    def seeds_for(self, budget: str) -> tuple[int, ...]:
        """The seeds run at ``budget``: all of them, or the first ``budgets[budget]["seeds"]``."""
        n = self.budget(budget).get("seeds", len(self.seeds))
        if not 3 <= n <= len(self.seeds):
            raise ValueError(f"claim {self.id}: budget {budget!r} must use between 3 and "
                             f"{len(self.seeds)} seeds, got {n}")
        return tuple(self.seeds[:n])

    def run(self, budget: str, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Train and measure at ``budget``; return tidy records (arm in ``run``, seed in ``member``)."""
        raise NotImplementedError

    def check(self, records: Sequence[Mapping[str, Any]]) -> Verdict:
        """Decide from the records alone (so a verdict can be recomputed from the store)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "paper": self.paper, "arxiv": self.arxiv,
                "statement": self.statement, "seeds": list(self.seeds),
                "thresholds": dict(self.thresholds),
                "budgets": {k: dict(v) for k, v in self.budgets.items()},
                "reference": self.reference, "curves": list(self.curves), "x_label": self.x_label}


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


def paired_differences(a: Mapping[int, float], b: Mapping[int, float]) -> dict[int, float]:
    """``a[s] - b[s]`` for the seeds both have."""
    return {s: a[s] - b[s] for s in sorted(set(a) & set(b))}


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    vals = [v for v in values]
    if not vals:
        return math.nan, math.nan
    return statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0


def decide(effects: Mapping[int, float], threshold: float, measure: str, *,
           direction: Literal["greater", "less"] = "greater", notes: str = "") -> Verdict:
    """The fixed verdict rule (see the module docstring) applied to per-seed effects."""
    if not effects or not all(math.isfinite(v) for v in effects.values()):
        return Verdict("inconclusive", math.nan, math.nan, threshold, measure, dict(effects),
                       direction, notes or "missing or non-finite measurements")
    mean, std = mean_std(effects.values())

    def passes(v: float) -> bool:
        return v > threshold if direction == "greater" else v < threshold

    share = sum(passes(v) for v in effects.values()) / len(effects)
    if passes(mean) and share >= 2 / 3:
        label: VerdictLabel = "reproduced"
    elif not passes(mean) and share <= 1 / 3:
        label = "not reproduced"
    else:
        label = "inconclusive"
    return Verdict(label, mean, std, threshold, measure, dict(effects), direction, notes)


def combine(parts: Sequence[Verdict], measure: str, notes: str = "") -> Verdict:
    """A claim made of several sub-claims: reproduced only if all are, not reproduced if any is not.

    The combined effect and spread are those of the first part.
    """
    labels = [p.verdict for p in parts]
    if all(v == "reproduced" for v in labels):
        label: VerdictLabel = "reproduced"
    elif any(v == "not reproduced" for v in labels):
        label = "not reproduced"
    else:
        label = "inconclusive"
    first = parts[0]
    return Verdict(label, first.effect, first.spread, first.threshold, measure, first.per_seed,
                   first.direction, notes, tuple(parts))
