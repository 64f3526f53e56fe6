"""Shared pieces of the probe claims: the training-loss curve a claim records to judge its
precondition (:func:`~neuralab.claims.base.training_converged`) and how often to record it."""

from __future__ import annotations

from typing import Any

from neuralab.claims.base import claim_record
from neuralab.claims.sequence._setup import loss_points
from neuralab.engine.trainer import TrainResult

__all__ = ["loss_curve", "loss_points"]


def loss_curve(result: TrainResult, arm: str, seed: int,
               metric: str = "batch_loss") -> list[dict[str, Any]]:
    """The claim records of ``result``'s training-loss curve (one per evaluation)."""
    return [claim_record(arm, seed, metric, r["value"], step=r["step"]) for r in result.records
            if r["metric"] == metric and r.get("layer") is None]
