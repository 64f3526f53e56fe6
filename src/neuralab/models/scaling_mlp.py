"""The MLP of "Scaling MLPs": inverted-bottleneck residual blocks, layer norm, augmentation.

Bachmann, Anagnostidis & Hofmann, "Scaling MLPs: A Tale of Inductive Bias" (arXiv:2306.13575).
The input is flattened and embedded, then ``depth`` blocks::

    h = h + W_2 act(W_1 LN(h)),   W_1: width -> expansion * width,   W_2: back to width

then a final layer norm and a linear head. The paper trains at scale *with data augmentation*;
here the model carries it as training-mode input transforms (a zero-padded random shift and
Gaussian noise, :mod:`neuralab.components.augment`), so the ordinary trainer applies it.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.augment import GaussianNoise, RandomShift
from neuralab.components.feedforward import FeedForward
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.registry import register


class BottleneckBlock(nn.Module):
    """Pre-norm inverted-bottleneck MLP with a residual connection."""

    def __init__(self, width: int, expansion: int, activation: str, norm: str):
        super().__init__()
        self.norm = make_norm(norm, width)
        self.mlp = FeedForward(width, expansion * width, activation)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.mlp(self.norm(h))  # (B, width)


class ScalingMLP(Model):
    """(augment) -> flatten -> embed -> bottleneck blocks -> norm -> head."""

    def __init__(self, spec: DataSpec, *, width: int, depth: int, expansion: int, activation: str,
                 norm: str, init: str, max_shift: int, noise: float):
        super().__init__()
        spatial = 2 if len(spec.input_shape) == 3 else 1
        self.augment = nn.Sequential(RandomShift(max_shift, spatial), GaussianNoise(noise))
        self.embed = nn.Linear(spec.n_inputs, width)
        self.blocks = nn.ModuleList(BottleneckBlock(width, expansion, activation, norm)
                                    for _ in range(depth))
        self.final_norm = make_norm(norm, width)
        self.head = nn.Linear(width, spec.n_outputs)
        initialize(self.embed, init, "linear")
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(self.augment(x).flatten(1))  # (B, width)
        for block in self.blocks:
            h = block(h)
        return self.final_norm(h)  # (B, width)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"embed": self.embed, **{f"block{i}": b for i, b in enumerate(self.blocks)},
                "head": self.head}


@register("model", "scaling_mlp", tags={"vmap_safe"},
          paper="Scaling MLPs: A Tale of Inductive Bias", arxiv="2306.13575")
def scaling_mlp(spec: DataSpec, *, width: int = 64, depth: int = 2, expansion: int = 4,
                activation: ActivationName = "gelu", norm: NormName = "layer",
                init: InitName = "he", max_shift: int = 0, noise: float = 0.0) -> ScalingMLP:
    """Residual inverted-bottleneck MLP with layer norm and optional train-time augmentation."""
    if spec.tokens or spec.task == "sequence" or len(spec.input_shape) > 3:
        raise ValueError("scaling_mlp takes real (L,), (C, L) or (C, H, W) inputs, one output each")
    if width < 1 or depth < 0 or expansion < 1:
        raise ValueError("need width >= 1, depth >= 0 and expansion >= 1")
    return ScalingMLP(spec, width=width, depth=depth, expansion=expansion, activation=activation,
                      norm=norm, init=init, max_shift=max_shift, noise=noise)
