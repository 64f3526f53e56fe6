"""Shared pieces of the probe claims: the training-loss curve a claim records to judge its
precondition, and the convergence checks (:mod:`neuralab.claims.sequence._setup`)."""

from __future__ import annotations

from typing import Any

from neuralab.claims.base import claim_record
from neuralab.claims.sequence._setup import all_settled, loss_points, settled
from neuralab.engine.trainer import TrainResult

__all__ = ["all_settled", "loss_curve", "loss_points", "settled"]


def loss_curve(result: TrainResult, arm: str, seed: int,
               metric: str = "batch_loss") -> list[dict[str, Any]]:
    """The claim records of ``result``'s training-loss curve (one per evaluation)."""
    return [claim_record(arm, seed, metric, r["value"], step=r["step"]) for r in result.records
            if r["metric"] == metric and r.get("layer") is None]
