"""Run families for the report: a sweep and its member runs, what was swept and how each ended.

A sweep is a run of kind ``sweep`` (its config is the sweep's spec) whose members are the runs with
``parent`` = its id and a ``member`` index (see :mod:`neuralab.engine.sweep_store`). Its page
lists the members — the settings that differ between their configs (the swept hyper-parameters,
:func:`~neuralab.engine.sweep.varying_settings`) and the final metrics of their summaries — and
plots the headline metric (test accuracy, else test loss) against each swept setting. Everything
is read from the store; nothing is re-run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from neuralab.engine.sweep import flatten_settings, headline_metric, varying_settings
from neuralab.errors import NeuralabError
from neuralab.store import RunInfo, RunStore

NOT_METRICS = ("seconds", "steps", "diverged_at")  # summary numbers that are not results


@dataclass
class Member:
    """One member run of a family: its swept settings and its final metrics."""

    run: RunInfo
    settings: dict[str, Any]
    metrics: dict[str, float]


@dataclass
class RunFamily:
    """A sweep run, its members (in member order), the settings swept and the metrics recorded."""

    run: RunInfo
    members: list[Member]
    swept: list[str]
    metrics: list[str]  # the members' metric columns, the headline first
    headline: str

    @property
    def slug(self) -> str:
        return self.run.id  # checked against the store's id pattern: a safe file name

    @property
    def name(self) -> str:
        return self.run.name or self.run.id

    @property
    def spec(self) -> dict[str, Any]:
        return _config(self.run)

    def points(self) -> list[tuple[dict[str, Any], float | None]]:
        """(swept settings, headline metric) of every member, for the family's figure."""
        return [(m.settings, m.metrics.get(self.headline)) for m in self.members]

    def best(self) -> float | None:
        """The best headline value of any member: the lowest loss, else the highest value."""
        values = [v for _, v in self.points() if v is not None and math.isfinite(v)]
        if not values:
            return None
        return min(values) if self.headline.endswith("loss") else max(values)


def family_groups(families: Iterable[RunFamily]) -> list[tuple[str, list[RunFamily]]]:
    """The index's order: families grouped by name (a sweep's name, e.g. its file's), names in
    alphabetical order, each group newest first (by creation time, then run id)."""
    groups: dict[str, list[RunFamily]] = {}
    for family in sorted(families, key=lambda f: (f.run.created, f.run.id), reverse=True):
        groups.setdefault(family.name, []).append(family)
    return sorted(groups.items())


def collect_families(store: RunStore) -> list[RunFamily]:
    """Every sweep in ``store`` with its members, newest sweep first."""
    families = []
    for sweep in sorted(store.list(kind="sweep"), key=lambda r: (r.created, r.id), reverse=True):
        runs = sorted(store.list(parent=sweep.id),
                      key=lambda r: (r.member is None, r.member or 0, r.id))
        configs = [_config(r) for r in runs]
        swept = varying_settings(configs)
        members = [Member(r, {k: flat.get(k) for k in swept}, _metrics(r.summary))
                   for r, flat in zip(runs, map(flatten_settings, configs))]
        headline = headline_metric([m.metrics for m in members])
        names = sorted({k for m in members for k in m.metrics} - {headline})
        metrics = [headline, *sorted(names, key=lambda k: (not k.startswith("test_"), k))]
        families.append(RunFamily(sweep, members, swept, metrics, headline))
    return families


def _metrics(summary: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in summary.items() if k not in NOT_METRICS
            and isinstance(v, (int, float)) and not isinstance(v, bool)}


def _config(run: RunInfo) -> dict[str, Any]:
    """A run's config; a run whose config.json is missing or corrupt shows no settings."""
    try:
        config = run.config()
    except NeuralabError:
        return {}
    return config if isinstance(config, dict) else {}
