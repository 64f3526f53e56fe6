"""Claims: each paper's headline result as an executable experiment with an honest verdict.

See :mod:`neuralab.claims.base` for the API and the fixed verdict rule, and
:func:`neuralab.claims.runner.run_claim` to run one and record it in the run store. Claims are
registered under kind ``"claim"``: ``neuralab list claim``. The public names are imported on first
use (PEP 562), so that :mod:`neuralab.claims.labels` and :mod:`neuralab.claims.summaries` (what
the command line's listings need) load without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    **{name: "neuralab.claims.base" for name in (
        "BUDGETS", "VERDICTS", "Claim", "Verdict", "by_seed", "claim_record", "combine", "decide",
        "mean_std", "paired_differences", "accuracy_se", "paired_accuracy_se", "flat_tail", "curve",
        "seeds_needed")},
    **{name: "neuralab.claims.runner" for name in ("ClaimResult", "get_claim", "run_claim")},
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neuralab.claims' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from neuralab.claims.base import (BUDGETS, VERDICTS, Claim, Verdict, accuracy_se, by_seed,
                                      claim_record, combine, curve, decide, flat_tail, mean_std,
                                      paired_accuracy_se, seeds_needed,
                                      paired_differences)
    from neuralab.claims.runner import ClaimResult, get_claim, run_claim
