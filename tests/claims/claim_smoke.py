"""Shared smoke check of the sequence-model claims: every arm and seed measured, a verdict that
the records alone decide (see :mod:`smoke_check`)."""

from __future__ import annotations

from smoke_check import smoke as _smoke


def smoke(claim_id: str, arms: dict[str, tuple[str, ...]], *, parts: int = 0):
    """Run ``claim_id`` at the smoke budget; each arm reports ``arms[arm]`` for every seed."""
    return _smoke(claim_id, arms, parts=parts)
