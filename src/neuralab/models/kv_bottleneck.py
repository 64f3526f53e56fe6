"""A classifier (or regressor) through a discrete key-value bottleneck on its flattened input.

Träuble et al., "Discrete Key-Value Bottleneck" (arXiv:2207.11240); the layer is
:class:`~neuralab.components.memory.kv_bottleneck.DiscreteKeyValueBottleneck`. The paper's
frozen pre-trained encoder is here the identity on the flattened input (``digits``, ``mnist1d``
are already features); the values have one entry per output, and their average over codebooks
is the prediction (the paper's non-parametric decoder). Keys are placed on the first training
batch and frozen.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.memory.kv_bottleneck import DiscreteKeyValueBottleneck
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register


class KVBottleneckNet(Model):
    """Flattened input -> discrete key-value bottleneck -> averaged values."""

    def __init__(self, spec: DataSpec, *, n_codebooks: int, n_keys: int, d_key: int):
        super().__init__()
        if spec.tokens or spec.task == "sequence":
            raise ValueError("kv_bottleneck reads real-valued feature vectors; "
                             "use a classification or regression task without tokens")
        self.bottleneck = DiscreteKeyValueBottleneck(spec.n_inputs, spec.n_outputs,
                                                     n_codebooks=n_codebooks, n_keys=n_keys,
                                                     d_key=d_key)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.bottleneck(x.flatten(1))  # (B, n_outputs)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def probe_points(self) -> dict[str, nn.Module]:
        return {"bottleneck": self.bottleneck}


@register("model", "kv_bottleneck", paper="Discrete Key-Value Bottleneck", arxiv="2207.11240")
def kv_bottleneck(spec: DataSpec, *, n_codebooks: int = 32, n_keys: int = 64,
                  d_key: int = 8) -> KVBottleneckNet:
    """Nearest frozen key per codebook, learnable values averaged (simplified: identity encoder,
    keys placed on the first training batch, not fitted on broad data before the stream)."""
    return KVBottleneckNet(spec, n_codebooks=n_codebooks, n_keys=n_keys, d_key=d_key)
