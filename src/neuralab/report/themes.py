"""The theme of a claim, by which the report's index groups claims: the folder of its module.

Claims live one a file in ``neuralab/claims/<theme>/`` (activations, architectures, compression,
...), so a claim's theme is read off the module that registered it: ``neuralab.claims.sequence.
hopfield_capacity`` is in theme ``sequence``. A claim registered anywhere else, or known only from
the run store (its code gone), is in :data:`OTHER`, which the index lists last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from neuralab.errors import UnknownNameError
from neuralab.registry import REGISTRY

CLAIMS_PACKAGE = "neuralab.claims"
OTHER = "other"
T = TypeVar("T")


def module_theme(module: str) -> str:
    """``"sequence"`` for ``"neuralab.claims.sequence.hopfield_capacity"``; :data:`OTHER` for a
    module that is not one file in a theme folder of :data:`CLAIMS_PACKAGE`."""
    package, _, rest = module.partition(".claims.")
    names = rest.split(".")
    if f"{package}.claims" != CLAIMS_PACKAGE or len(names) != 2 or not all(names):
        return OTHER
    return names[0]


def claim_theme(claim_id: str) -> str:
    """The theme of the registered claim ``claim_id``; :data:`OTHER` when it is not registered."""
    try:
        factory = REGISTRY.get("claim", claim_id).factory
    except UnknownNameError:
        return OTHER
    return module_theme(getattr(factory, "__module__", "") or "")


def by_theme(items: Iterable[T], theme: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """``items`` grouped by ``theme(item)``: themes in alphabetical order, :data:`OTHER` last;
    within a theme, the items keep their order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(theme(item), []).append(item)
    return sorted(groups.items(), key=lambda kv: (kv[0] == OTHER, kv[0]))
