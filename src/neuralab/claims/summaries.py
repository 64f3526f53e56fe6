"""Claim results as the run store keeps them: which run shows for a claim, and its JSON form.

Reads the store only (no claim is imported, nor torch), so that ``neuralab claims list`` answers
fast. :func:`latest_claim_runs` picks, for each claim, the run a report shows: the latest completed
run at the ``full`` budget, else at ``quick``, else the latest ``smoke`` check.
"""

from __future__ import annotations

from typing import Any

from neuralab.claims.labels import BUDGETS
from neuralab.store import RunInfo, RunStore


def _rank(summary: dict[str, Any]) -> int:
    budget = summary.get("budget", "smoke")
    return BUDGETS.index(budget) if budget in BUDGETS else -1


def latest_claim_runs(store: RunStore) -> dict[str, RunInfo]:
    """For each claim id in ``store``: its latest completed full-budget run, else quick, else
    smoke run."""
    best: dict[str, RunInfo] = {}
    if not store.exists:
        return best
    for run in store.list(kind="claim"):  # oldest first
        if run.status != "completed" or not run.summary.get("claim"):
            continue
        claim_id = run.summary["claim"]
        current = best.get(claim_id)
        if current is None or _rank(run.summary) >= _rank(current.summary):
            best[claim_id] = run
    return dict(sorted(best.items()))


def verdict_json(claim_id: str, budget: str, summary: dict[str, Any] | None, *,
                 seconds: float | None = None, run_id: str | None = None,
                 status: str = "completed", error: str | None = None) -> dict[str, Any]:
    """The machine-readable result of one claim run (``claims run --json``, ``claims list
    --json``'s ``latest``): id, budget, verdict, effect, interval, n_seeds, the deciding part,
    the precondition, seconds, run id and where it was measured."""
    s = summary or {}
    out: dict[str, Any] = {
        "id": claim_id, "budget": budget, "status": status,
        "verdict": s.get("verdict") if status == "completed" else status,
        "sentence": s.get("sentence"), "effect": s.get("effect"), "spread": s.get("spread"),
        "interval": s.get("interval"), "threshold": s.get("threshold"),
        "direction": s.get("direction"), "n_seeds": s.get("n_seeds"), "alpha": s.get("alpha"),
        "mde": s.get("mde"), "deciding_part": s.get("decided") or s.get("measure"),
        "precondition": s.get("precondition"), "notes": s.get("notes"),
        "seconds": seconds if seconds is not None else s.get("seconds"), "run_id": run_id,
        "environment": s.get("environment"),
    }
    if error is not None:
        out["error"] = error
    return out


def latest_json(store: RunStore) -> dict[str, dict[str, Any]]:
    """``{claim id: verdict_json of its latest run}``."""
    return {k: verdict_json(k, r.summary.get("budget", "smoke"), r.summary, run_id=r.id)
            for k, r in latest_claim_runs(store).items()}
