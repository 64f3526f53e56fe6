"""Shared smoke check of the sequence-model claims: every arm and seed measured, a verdict that
the records alone decide."""

from __future__ import annotations

import math

from neuralab.claims import VERDICTS, by_seed, run_claim


def smoke(claim_id: str, arms: dict[str, tuple[str, ...]], *, parts: int = 0):
    """Run ``claim_id`` at the smoke budget; each arm reports ``arms[arm]`` for every seed."""
    result = run_claim(claim_id, "smoke")
    seeds = set(result.claim.seeds)
    for arm, metrics in arms.items():
        for metric in metrics:
            values = by_seed(result.records, arm, metric)
            assert set(values) == seeds, (arm, metric)
            assert all(math.isfinite(v) for v in values.values()), (arm, metric)
    assert {r["run"] for r in result.records} == set(arms)
    verdict = result.verdict
    assert verdict.verdict in VERDICTS and len(verdict.parts) == parts
    assert set((verdict.parts[0] if parts else verdict).per_seed) == seeds
    assert result.claim.check(result.records).to_dict() == verdict.to_dict()
    return result
