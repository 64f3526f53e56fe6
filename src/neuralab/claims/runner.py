"""Run a claim at a budget and record it in the run store (kind ``claim``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from neuralab.claims.base import Claim, Progress, Verdict
from neuralab.engine.metrics import RecordLog
from neuralab.registry import REGISTRY
from neuralab.store import RunStore


@dataclass
class ClaimResult:
    claim: Claim
    budget: str
    records: list[dict[str, Any]]
    verdict: Verdict
    seconds: float
    run_id: str | None = None


def get_claim(claim_id: str) -> Claim:
    """The registered claim ``claim_id`` (unknown ids fail with the closest matches)."""
    return REGISTRY.get("claim", claim_id).factory()


def run_claim(claim_id: str, budget: str = "smoke", *, store: RunStore | None = None,
              progress: Progress | None = None) -> ClaimResult:
    """Run ``claim_id`` at ``budget``, decide its verdict, and record both in ``store``."""
    claim = get_claim(claim_id)
    claim.budget(budget)  # an unknown budget fails before anything is written
    run = None
    if store is not None:
        run = store.create({"claim": claim.id, "budget": budget, **claim.describe()},
                           kind="claim", name=claim.id)
    start = time.perf_counter()
    try:
        records = claim.run(budget, progress=progress)
        verdict = claim.check(records)
    except BaseException:
        if store is not None and run is not None:
            store.update(run.id, status="failed")
        raise
    seconds = time.perf_counter() - start
    if store is not None and run is not None:
        RecordLog(run.records_path).extend(records)
        store.update(run.id, status="completed", summary={
            "claim": claim.id, "budget": budget, "seconds": seconds, **verdict.to_dict()})
    return ClaimResult(claim, budget, records, verdict, seconds, run.id if run else None)
