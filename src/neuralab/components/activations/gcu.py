"""GCU, the Growing Cosine Unit: an oscillatory activation.

Noel, Trivedi, Bharadwaj, Lakshminarayanan & Dutta, "Growing Cosine Unit: A Novel Oscillatory
Activation Function That Can Speedup Training and Reduce Parameters in Convolutional Neural
Networks" (arXiv:2108.12943)::

    gcu(z) = z cos(z)

Its zeros at ``z = 0`` and ``z = pi/2 + k pi`` give one neuron several decision boundaries, so a
single GCU neuron can separate XOR. Its slope at 0 is 1, so initialization uses gain 1.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class GCU(nn.Module):
    """z cos(z), elementwise."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z * torch.cos(z)  # same shape as z


@register("activation", "gcu", tags={"vmap_safe", "elementwise"}, gain="linear",
          paper="Growing Cosine Unit: A Novel Oscillatory Activation Function That Can Speedup "
                "Training and Reduce Parameters in Convolutional Neural Networks",
          arxiv="2108.12943")
def gcu() -> nn.Module:
    """GCU: z cos(z), an oscillatory activation (one neuron can separate XOR)."""
    return GCU()
