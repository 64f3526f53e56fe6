"""What every claim's smoke test checks: all arms and seeds measured, a verdict the records decide,
labelled as a smoke check (a plumbing run never gives a verdict), and a precondition it can judge."""

from __future__ import annotations

import math
import statistics

from neuralab.claims import VERDICTS, by_seed, run_claim
from neuralab.claims.base import SMOKE_LABEL


def check_smoke_result(result, arms: dict[str, tuple[str, ...]], *, parts: int = 0,
                       finite: bool = True, seeds: set[int] | None = None):
    """The checks of :func:`smoke` on a finished smoke ``result``."""
    seeds = seeds if seeds is not None else set(result.claim.seeds_for("smoke"))
    assert len(seeds) >= 2
    for arm, metrics in arms.items():
        for metric in metrics:
            values = by_seed(result.records, arm, metric)
            assert set(values) == seeds, (arm, metric)
            diverged = by_seed(result.records, arm, "diverged") if not finite else {}
            assert all(math.isfinite(v) or s in diverged for s, v in values.items()), (arm, metric)
    assert {r["run"] for r in result.records} == set(arms)
    verdict = result.verdict
    assert verdict.verdict == SMOKE_LABEL and len(verdict.parts) == parts
    checked = result.claim.check(result.records)
    assert checked.verdict in VERDICTS and len(checked.parts) == parts
    first = checked.parts[0] if parts else checked
    assert set(first.per_seed) == seeds
    effects = list(checked.deciding.per_seed.values())
    if all(math.isfinite(v) for v in effects):
        assert checked.effect == statistics.fmean(effects)
    # the verdict is a function of the records alone (so the report can trust the store)
    assert result.claim.verdict(result.records, "smoke").to_dict() == verdict.to_dict()
    check_precondition_judged(result)
    return result


def check_precondition_judged(result):
    """The claim's precondition can be judged from its smoke records: a phrase or None, and a
    claim judged by its training-loss curves records them (at smoke they may be short)."""
    failed = result.claim.budget_failure(result.records)
    assert failed is None or (isinstance(failed, str) and failed)
    assert "no training-loss curve recorded" not in (failed or ""), failed


def smoke(claim_id: str, arms: dict[str, tuple[str, ...]], *, parts: int = 0, finite: bool = True):
    """Run ``claim_id`` at the smoke budget and check its records and verdict.

    ``arms`` maps each arm to the metrics it must report for every smoke seed; ``parts`` is the
    number of sub-verdicts (0 for a single verdict). With ``finite=False`` a metric may be
    non-finite where the run is recorded as diverged.
    """
    return check_smoke_result(run_claim(claim_id, "smoke"), arms, parts=parts, finite=finite)
