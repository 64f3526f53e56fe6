"""ELU: the exponential linear unit, as torch implements it.

Clevert, Unterthiner & Hochreiter, "Fast and Accurate Deep Network Learning by Exponential Linear
Units (ELUs)" (arXiv:1511.07289): ``elu(x) = x`` for ``x > 0`` and ``alpha (exp(x) - 1)`` otherwise.
"""

from __future__ import annotations

from torch import nn

from neuralab.registry import register


@register("activation", "elu", tags={"vmap_safe", "elementwise"}, gain="relu",
          paper="Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)",
          arxiv="1511.07289")
def elu(*, alpha: float = 1.0) -> nn.Module:
    """ELU: x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return nn.ELU(alpha)
