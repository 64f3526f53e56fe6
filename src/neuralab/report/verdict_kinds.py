"""What the report says a claim's result is: one kind per claim, and the index's summary line.

A claim's result is of exactly one kind:

- *reproduced*, *not reproduced*, *inconclusive*: the verdict of its latest ``quick`` or ``full``
  run (the deciding part's, for a claim of several parts: the verdict record carries it);
- *inconclusive (budget)*: inconclusive because the claim's precondition failed in that run (its
  notes start with ``budget:``, as :meth:`neuralab.claims.base.Claim.verdict` writes them);
- *needs --budget full*: no ``quick`` or ``full`` run, and the claim declares no ``quick`` budget
  (the demo skips it);
- *smoke check*: only a ``smoke`` run — ran, no verdict, whatever its numbers say;
- *not run*: nothing completed in the store.

The summary line counts them in that order, leaving out kinds no claim has:
``"2 reproduced · 1 not reproduced · 20 need --budget full · 3 smoke checks: ran, no verdict"``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from neuralab.claims.labels import SMOKE_SENTENCE

VERDICT_BUDGETS = ("quick", "full")  # the budgets whose runs give a verdict
BUDGET_NOTE = "budget:"  # how the notes of a verdict made inconclusive by its precondition start


@dataclass(frozen=True)
class Kind:
    """One kind of result: its label for one claim and for several, a CSS class, a colour."""

    label: str
    plural: str
    css: str
    color: str
    has_verdict: bool = True  # whether the numbers of such a result are a verdict to picture

    def count(self, n: int) -> str:
        """``"3 need --budget full"``, ``"1 smoke check: ran, no verdict"``."""
        return f"{n} {self.label if n == 1 else self.plural}"


REPRODUCED = Kind("reproduced", "reproduced", "reproduced", "#1a7f37")
NOT_REPRODUCED = Kind("not reproduced", "not reproduced", "not-reproduced", "#cf222e")
INCONCLUSIVE = Kind("inconclusive", "inconclusive", "inconclusive", "#9a6700")
INCONCLUSIVE_BUDGET = Kind("inconclusive (budget)", "inconclusive (budget)",
                           "inconclusive-budget", "#9a6700")
NEEDS_FULL = Kind("needs --budget full", "need --budget full", "needs-full", "#57606a", False)
SMOKE_CHECK = Kind(SMOKE_SENTENCE, SMOKE_SENTENCE.replace("check", "checks", 1), "smoke-check",
                   "#57606a", False)
NOT_RUN = Kind("not run", "not run", "not-run", "#57606a", False)
KINDS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, INCONCLUSIVE_BUDGET, NEEDS_FULL, SMOKE_CHECK,
         NOT_RUN)
BY_VERDICT = {k.label: k for k in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE)}


def result_kind(verdict: Mapping[str, Any] | None, has_quick: bool) -> Kind:
    """The kind of a claim's result: ``verdict`` is the summary of the run the report shows (None
    when there is none), ``has_quick`` whether the claim declares a quick budget."""
    if verdict is not None and verdict.get("budget") in VERDICT_BUDGETS:
        label = verdict.get("verdict")
        if label == INCONCLUSIVE.label and str(verdict.get("notes") or "").startswith(BUDGET_NOTE):
            return INCONCLUSIVE_BUDGET
        return BY_VERDICT.get(str(label), INCONCLUSIVE)
    if not has_quick:
        return NEEDS_FULL
    return SMOKE_CHECK if verdict is not None else NOT_RUN


def tally(kinds: Iterable[Kind]) -> list[tuple[Kind, int]]:
    """How many of ``kinds`` are of each kind, in the order of :data:`KINDS` (absent ones left out)."""
    counts = Counter(kinds)
    return [(k, counts[k]) for k in KINDS if counts[k]]


def summary_line(kinds: Iterable[Kind]) -> str:
    """The summary line: :func:`tally` as ``"2 reproduced · 1 not reproduced"``."""
    return " · ".join(k.count(n) for k, n in tally(kinds))
