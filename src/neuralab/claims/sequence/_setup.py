"""Shared pieces of the sequence and probe claims: how often to record the training-loss curve
that their precondition (:func:`~neuralab.claims.base.training_converged`) judges."""

from __future__ import annotations

def loss_points(steps: int, points: int = 20) -> int:
    """An evaluation interval that gives about ``points`` points of the training curve."""
    return max(1, steps // points)
