"""The forward-forward network: layers that score "goodness", labels embedded in the input.

Hinton, "The Forward-Forward Algorithm: Some Preliminary Investigations" (arXiv:2212.13345). The
label is part of the input: ``[x, onehot(y)]``. Each layer length-normalizes its input (so only
the direction of the previous layer's activity passes on) and computes ``h_l = relu(W_l u + b_l)``;
its *goodness* is ``g_l = sum_j h_{l,j}^2``. Training (:mod:`neuralab.training.forward_forward`)
makes goodness high for true labels and low for wrong ones, layer by layer. To classify, the
network runs once per candidate label and ``forward`` returns, for each label, the goodness summed
over the layers (all but the first, as in the paper, when there are several): ``(B, n_classes)``
scores whose argmax is the prediction.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register


class ForwardForwardNet(Model):
    """ReLU layers on length-normalized inputs; ``forward`` = goodness of every candidate label."""

    def __init__(self, spec: DataSpec, *, width: int, depth: int):
        super().__init__()
        self.n_classes = spec.n_outputs
        dims = [spec.n_inputs + spec.n_outputs] + [width] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def embed(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``[x, onehot(label)]``: ``(B, D + n_classes)``."""
        return torch.cat([x.flatten(1), F.one_hot(labels, self.n_classes).to(x.dtype)], 1)

    def activities(self, u: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's ``h_l`` for embedded inputs ``u`` (gradients flow through; see training)."""
        out = []
        for layer in self.layers:
            u = torch.relu(layer(F.normalize(u, dim=1)))
            out.append(u)
        return out

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        B = x.shape[0]
        labels = torch.arange(self.n_classes, device=x.device).repeat(B)  # (B * K,)
        u = self.embed(x.repeat_interleave(self.n_classes, 0), labels)
        goodness = torch.stack([h.square().sum(1) for h in self.activities(u)], 1)  # (B*K, L)
        used = goodness[:, 1:] if goodness.shape[1] > 1 else goodness
        return used.sum(1).view(B, self.n_classes)  # (B, K)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return features  # the goodness of each label is its score

    def probe_points(self) -> dict[str, nn.Module]:
        return {f"layer{i}": m for i, m in enumerate(self.layers)}


@register("model", "ff_mlp", paper="The Forward-Forward Algorithm: Some Preliminary Investigations",
          arxiv="2212.13345")
def ff_mlp(spec: DataSpec, *, width: int = 256, depth: int = 2) -> ForwardForwardNet:
    """Forward-forward network: per-label goodness scores (train with the forward_forward method)."""
    if spec.task != "classification" or spec.tokens:
        raise ValueError("ff_mlp classifies real inputs")
    if width < 1 or depth < 1:
        raise ValueError(f"need width >= 1 and depth >= 1, got {width}, {depth}")
    return ForwardForwardNet(spec, width=width, depth=depth)
