"""Claims: each paper's headline result as an executable experiment with an honest verdict.

See :mod:`neuralab.claims.base` for the API and the fixed verdict rule, and
:func:`neuralab.claims.runner.run_claim` to run one and record it in the run store. Claims are
registered under kind ``"claim"``: ``neuralab list claim``.
"""

from neuralab.claims.base import (
    BUDGETS,
    VERDICTS,
    Claim,
    Verdict,
    by_seed,
    claim_record,
    combine,
    decide,
    mean_std,
    paired_differences,
)
from neuralab.claims.runner import ClaimResult, get_claim, run_claim

__all__ = [
    "BUDGETS", "VERDICTS", "Claim", "ClaimResult", "Verdict", "by_seed", "claim_record", "combine",
    "decide", "get_claim", "mean_std", "paired_differences", "run_claim",
]
