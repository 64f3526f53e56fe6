"""Run a registered probe on a model and label its records.

A probe is registered under kind ``"probe"`` with the factory signature
``(model, x, y, *, ...hyper-parameters) -> list[record]``: it reads ``model`` on the examples
``x`` (targets ``y``; None where the probe needs none), restores anything it changes, and returns
tidy records with ``run=None, step=0, member=0``. :func:`run_probe` validates the
hyper-parameters by the registry and labels the records with the caller's run, step and member::

    rows = run_probe("hessian", model, x, y, run="r1", step=500, top_k=3)

:func:`probe_members` runs a probe on each member of a population of models (with
:func:`member_models` turning a trained population into its members);
:func:`neuralab.engine.run_model.load_run_model` rebuilds a recorded run's trained model (what
``neuralab probe`` reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from neuralab.engine.metrics import record
from neuralab.registry import REGISTRY


def probe_record(metric: str, value: float, layer: str | None = None) -> dict[str, Any]:
    """An unlabelled probe record (``run`` None, step 0, member 0)."""
    return record(None, 0, metric, value, layer=layer)


def label(records: Iterable[Mapping[str, Any]], *, run: str | None = None, step: int = 0,
          member: int = 0) -> list[dict[str, Any]]:
    """Records with ``run``, ``step`` and ``member`` set."""
    return [{**r, "run": run, "step": int(step), "member": int(member)} for r in records]


def run_probe(name: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
              run: str | None = None, step: int = 0, member: int = 0,
              **params: Any) -> list[dict[str, Any]]:
    """Run the registered probe ``name`` on ``model`` and label its records."""
    rows = REGISTRY.get("probe", name).create(model, x, y, **params)
    return label(rows, run=run, step=step, member=member)


def member_models(population: Any) -> list[nn.Module]:
    """The members of a :class:`~neuralab.engine.population.Population` (or of its list of
    ``MemberResult``) as standalone models, in member order."""
    if hasattr(population, "member_model"):
        return [population.member_model(i) for i in range(len(population.configs))]
    return [r.model() for r in population]


def probe_members(name: str, models: Sequence[nn.Module], x: torch.Tensor,
                  y: torch.Tensor | None = None, *, run: str | None = None, step: int = 0,
                  members: Sequence[int] | None = None, **params: Any) -> list[dict[str, Any]]:
    """Run probe ``name`` on every model of a population; member ``i`` is labelled ``members[i]``."""
    ids = list(members) if members is not None else list(range(len(models)))
    rows: list[dict[str, Any]] = []
    for i, m in zip(ids, models):
        rows += run_probe(name, m, x, y, run=run, step=step, member=i, **params)
    return rows
