"""PReLU, the parametric rectifier.

He, Zhang, Ren & Sun, "Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet
Classification" (arXiv:1502.01852)::

    prelu(x) = max(0, x) + a * min(0, x)

with the negative slope ``a`` learned by backpropagation (initialized to 0.25 in the paper, and
not weight-decayed there). ``num_parameters = 1`` is the paper's channel-shared variant, which
works on any shape; ``num_parameters = C`` learns one slope per channel of dimension 1 (torch's
``nn.PReLU`` convention, so ``(B, C)`` or ``(B, C, ...)`` inputs). The same paper derives the
initialization for it: ``Var[w] = 2 / ((1 + a^2) fan_in)``, i.e. the init gain
``sqrt(2 / (1 + a^2))`` recorded as this activation's ``gain``.
"""

from __future__ import annotations

import math

from torch import nn

from neuralab.registry import register

PRELU_INIT = 0.25


def prelu_gain(a: float = PRELU_INIT) -> float:
    """He et al.'s init gain for a rectifier with negative slope ``a``: sqrt(2 / (1 + a^2))."""
    return math.sqrt(2.0 / (1.0 + a * a))


@register("activation", "prelu", tags={"vmap_safe", "elementwise"}, gain=prelu_gain(),
          paper="Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet "
          "Classification", arxiv="1502.01852")
def prelu(*, num_parameters: int = 1, init: float = PRELU_INIT) -> nn.Module:
    """PReLU: max(0, x) + a * min(0, x) with a learned slope a (torch.nn.PReLU)."""
    if num_parameters < 1:
        raise ValueError(f"num_parameters must be at least 1, got {num_parameters}")
    return nn.PReLU(num_parameters=num_parameters, init=init)
