"""What every claim's smoke test checks: all arms and seeds measured, a verdict the records decide."""

from __future__ import annotations

import math
import statistics

from neuralab.claims import VERDICTS, by_seed, run_claim


def smoke(claim_id: str, arms: dict[str, tuple[str, ...]], *, parts: int = 0, finite: bool = True):
    """Run ``claim_id`` at the smoke budget and check its records and verdict.

    ``arms`` maps each arm to the metrics it must report for every smoke seed; ``parts`` is the
    number of sub-verdicts (0 for a single verdict). With ``finite=False`` a metric may be
    non-finite where the run is recorded as diverged.
    """
    result = run_claim(claim_id, "smoke")
    seeds = set(result.claim.seeds_for("smoke"))
    assert len(seeds) >= 3
    for arm, metrics in arms.items():
        for metric in metrics:
            values = by_seed(result.records, arm, metric)
            assert set(values) == seeds, (arm, metric)
            diverged = by_seed(result.records, arm, "diverged") if not finite else {}
            assert all(math.isfinite(v) or s in diverged for s, v in values.items()), (arm, metric)
    assert {r["run"] for r in result.records} == set(arms)
    verdict = result.verdict
    assert verdict.verdict in VERDICTS and len(verdict.parts) == parts
    first = verdict.parts[0] if parts else verdict
    assert set(first.per_seed) == seeds
    assert verdict.effect == statistics.fmean(first.per_seed.values())
    # the verdict is a function of the records alone (so the report can trust the store)
    assert result.claim.check(result.records).to_dict() == verdict.to_dict()
    return result
