"""MLP-Mixer: patches mixed by two MLPs, one across tokens and one across channels.

Tolstikhin et al., "MLP-Mixer: An all-MLP Architecture for Vision" (arXiv:2105.01601). With
``X`` the ``(T, C)`` table of patch embeddings, each block is::

    U = X + (W_2 act(W_1 LN(X)^T))^T        # token mixing: an MLP along the T axis, per channel
    Y = U + W_4 act(W_3 LN(U))              # channel mixing: an MLP along C, per token

then a final norm, the mean over tokens and a linear head.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.feedforward import FeedForward
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.models.stems import PatchEmbed
from neuralab.registry import register


class MixerBlock(nn.Module):
    """Token-mixing MLP then channel-mixing MLP, each pre-normed and residual."""

    def __init__(self, n_tokens: int, d_model: int, d_token: int, d_channel: int, activation: str,
                 norm: str, dropout: float):
        super().__init__()
        self.norm1 = make_norm(norm, d_model)
        self.token_mlp = FeedForward(n_tokens, d_token, activation, dropout=dropout)
        self.norm2 = make_norm(norm, d_model)
        self.channel_mlp = FeedForward(d_model, d_channel, activation, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)  # (B, T, C)
        return x + self.channel_mlp(self.norm2(x))  # (B, T, C)


class MLPMixer(Model):
    """Patch embedding -> Mixer blocks -> norm -> mean over tokens -> head."""

    def __init__(self, spec: DataSpec, *, patch_size: int, d_model: int, n_layers: int,
                 d_token: int, d_channel: int, activation: str, norm: str, dropout: float,
                 init: str):
        super().__init__()
        self.patches = PatchEmbed(spec, patch_size, d_model, "mlp_mixer")
        n = self.patches.n_patches
        self.blocks = nn.ModuleList(
            MixerBlock(n, d_model, d_token, d_channel, activation, norm, dropout)
            for _ in range(n_layers))
        self.final_norm = make_norm(norm, d_model)
        self.head = nn.Linear(d_model, spec.n_outputs)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        z = self.patches(x)  # (B, T, C)
        for block in self.blocks:
            z = block(z)
        return self.final_norm(z).mean(1)  # (B, C)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"patches": self.patches, **{f"block{i}": b for i, b in enumerate(self.blocks)},
                "head": self.head}


@register("model", "mlp_mixer", tags={"vmap_safe"},
          paper="MLP-Mixer: An all-MLP Architecture for Vision", arxiv="2105.01601")
def mlp_mixer(spec: DataSpec, *, patch_size: int = 2, d_model: int = 32, n_layers: int = 2,
              d_token: int = 32, d_channel: int = 128, activation: ActivationName = "gelu",
              norm: NormName = "layer", dropout: float = 0.0,
              init: InitName = "xavier") -> MLPMixer:
    """MLP-Mixer on patches of a 1-D signal or an image."""
    if min(d_model, n_layers + 1, d_token, d_channel) < 1:
        raise ValueError("need positive d_model, d_token, d_channel and n_layers >= 0")
    return MLPMixer(spec, patch_size=patch_size, d_model=d_model, n_layers=n_layers,
                    d_token=d_token, d_channel=d_channel, activation=activation, norm=norm,
                    dropout=dropout, init=init)
