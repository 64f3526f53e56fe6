"""Shared checks of the sequence and probe claims' preconditions, judged from the records alone."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from neuralab.claims.base import curve, flat_tail

Records = Sequence[Mapping[str, Any]]


def settled(records: Records, arm: str, metric: str = "batch_loss", *, abs_tol: float = 0.01,
            tail: float = 0.1) -> str | None:
    """``arm`` has converged: :func:`~neuralab.claims.base.flat_tail` holds, or the seed-averaged
    ``metric`` over the last ``tail`` of the steps moved by at most ``abs_tol`` (a loss near zero
    halving from 0.004 to 0.002 has converged although it moved by half). None when it holds."""
    failed = flat_tail(records, arm, metric, tail=tail)
    if failed is None or failed.startswith(f"{arm}: too few"):
        return failed
    points = curve(records, arm, metric)
    steps = sorted(points)
    first, last = steps[0], steps[-1]
    cut, before = last - tail * (last - first), last - 2 * tail * (last - first)
    end = [points[s] for s in steps if s > cut] or [points[last]]
    prev = [points[s] for s in steps if before < s <= cut] or [points[steps[-2]]]
    if abs(statistics.fmean(end) - statistics.fmean(prev)) <= abs_tol:
        return None
    return failed


def all_settled(records: Records, arms: Iterable[str], metric: str = "batch_loss",
                **kwargs: Any) -> str | None:
    """The first arm of ``arms`` that has not :func:`settled`, as a phrase; None when all have."""
    for arm in arms:
        failed = settled(records, arm, metric, **kwargs)
        if failed:
            return failed
    return None


def loss_points(steps: int, points: int = 20) -> int:
    """An evaluation interval that gives about ``points`` points of the training curve."""
    return max(1, steps // points)
