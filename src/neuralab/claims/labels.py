"""The names the claims machinery shares with the command line: budgets, verdict labels,
executors. A module of constants only, so that ``--help`` and ``claims list`` need not import the
claims (and torch)."""

from __future__ import annotations

BUDGETS: tuple[str, ...] = ("smoke", "quick", "full")
VERDICTS: tuple[str, ...] = ("reproduced", "not reproduced", "inconclusive")
SMOKE_LABEL = "smoke check"
SMOKE_SENTENCE = "smoke check: ran, no verdict"
EXECUTORS: tuple[str, ...] = ("local", "ray")
