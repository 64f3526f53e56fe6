"""A set or sequence classifier that pools its inputs with a Hopfield pooling layer.

Ramsauer et al., "Hopfield Networks is All You Need" (arXiv:2008.02217), the ``HopfieldPooling``
use (e.g. multiple-instance learning): the inputs, embedded by a
:class:`~neuralab.models.stems.SequenceStem` (no position embedding, so the prediction does not
depend on the order), are the stored patterns; ``n_queries`` learned state patterns retrieve
from them in one (or ``1 + n_updates``) update(s); the retrieved patterns are concatenated and
classified by a linear head.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.memory.hopfield import HopfieldPooling
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.stems import SequenceStem
from neuralab.registry import register


class HopfieldPoolingNet(Model):
    """Stem -> HopfieldPooling (learned queries) -> flatten -> linear head."""

    def __init__(self, spec: DataSpec, *, d_model: int, n_heads: int, n_queries: int,
                 beta: float | None, n_updates: int):
        super().__init__()
        if spec.task == "sequence":
            raise ValueError("hopfield_pooling pools a whole input into one prediction; "
                             "use a classification or regression task")
        self.stem = SequenceStem(spec, d_model)
        self.pool = HopfieldPooling(d_model, n_heads, n_queries, beta=beta, n_updates=n_updates)
        self.head = nn.Linear(n_queries * d_model, spec.n_outputs)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stem(x)).flatten(1)  # (B, T, D) -> (B, Q * D)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"stem": self.stem, "pool": self.pool, "head": self.head}


@register("model", "hopfield_pooling", paper="Hopfield Networks is All You Need", arxiv="2008.02217")
def hopfield_pooling(spec: DataSpec, *, d_model: int = 64, n_heads: int = 4, n_queries: int = 1,
                     beta: float | None = None, n_updates: int = 0) -> HopfieldPoolingNet:
    """Order-invariant classifier: learned Hopfield state patterns pool the embedded inputs."""
    return HopfieldPoolingNet(spec, d_model=d_model, n_heads=n_heads, n_queries=n_queries,
                              beta=beta, n_updates=n_updates)
