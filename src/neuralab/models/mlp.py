"""Multi-layer perceptron and multinomial logistic regression.

``h_0 = flatten(x)``, ``h_l = dropout(act(norm(W_l h_{l-1} + b_l)))`` for ``l = 1..depth``, and
``y = W_out h_depth + b_out``. With ``depth = 0`` this is logistic (softmax) regression. Token
inputs are embedded (``embed_dim`` per token) and concatenated first.

``head_dropout > 0`` puts dropout before the head; with ``dropout_samples = K > 1`` it is
multi-sample dropout, the training loss averaged over ``K`` masks
(:mod:`neuralab.components.multi_sample_dropout`).

``parametrization`` (``"sp"``, ``"ntk"``, ``"mup"``; default ``"none"``: the ``init`` scheme only)
re-initializes the layers as an abc-parametrization relative to ``base_width`` and sets per-layer
learning-rate scales that the trainer applies (:mod:`neuralab.components.parametrization`).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.init import initialize
from neuralab.components.multi_sample_dropout import MultiSampleDropout
from neuralab.components.norms import make_norm
from neuralab.components.parametrization import apply_parametrization
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import REGISTRY, register, registered_name

ActivationName = registered_name("activation")
NormName = registered_name("norm")
InitName = registered_name("init")


class MLPBlock(nn.Module):
    """Linear -> norm -> activation -> dropout."""

    def __init__(self, d_in: int, d_out: int, activation: str, norm: str, dropout: float, bias: bool):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=bias)
        self.norm = make_norm(norm, d_out)
        self.act = make_activation(activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.act(self.norm(self.linear(x))))  # (B, d_in) -> (B, d_out)


class MLP(Model):
    """A stack of :class:`MLPBlock` and a linear head."""

    def __init__(self, spec: DataSpec, *, width: int, depth: int, activation: str, norm: str,
                 init: str, dropout: float, bias: bool, embed_dim: int,
                 parametrization: str = "none", base_width: int = 64, head_dropout: float = 0.0,
                 dropout_samples: int = 1):
        super().__init__()
        self.embed = nn.Embedding(spec.vocab_size, embed_dim) if spec.tokens else None
        d = spec.n_inputs * (embed_dim if spec.tokens else 1)
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(MLPBlock(d, width, activation, norm, dropout, bias))
            d = width
        self.head = nn.Linear(d, spec.n_outputs)
        if head_dropout > 0:
            self.head = MultiSampleDropout(self.head, head_dropout, dropout_samples)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")
        if parametrization != "none":
            apply_parametrization(self, parametrization, base_width=base_width, activation=activation)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            x = self.embed(x)  # (B, T) -> (B, T, E)
        h = x.flatten(1)  # (B, D)
        for block in self.blocks:
            h = block(h)  # (B, width)
        return h

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"block{i}": b for i, b in enumerate(self.blocks)}, "head": self.head}


@register("model", "mlp", tags={"vmap_safe"})
def mlp(
    spec: DataSpec,
    *,
    width: int = 128,
    depth: int = 2,
    activation: ActivationName = "relu",
    norm: NormName = "none",
    init: InitName = "he",
    dropout: float = 0.0,
    bias: bool = True,
    embed_dim: int = 32,
    parametrization: str = "none",
    base_width: int = 64,
    head_dropout: float = 0.0,
    dropout_samples: int = 1,
) -> MLP:
    """Multi-layer perceptron: `depth` hidden layers of `width` units."""
    if width < 1 or depth < 0:
        raise ValueError(f"need width >= 1 and depth >= 0, got width={width}, depth={depth}")
    if spec.task == "sequence":
        raise ValueError("mlp maps one input to one output; use a sequence model for sequence tasks")
    if parametrization != "none":
        REGISTRY.get("parametrization", parametrization)
    return MLP(spec, width=width, depth=depth, activation=activation, norm=norm, init=init,
               dropout=dropout, bias=bias, embed_dim=embed_dim, parametrization=parametrization,
               base_width=base_width, head_dropout=head_dropout, dropout_samples=dropout_samples)


@register("model", "logistic", aliases=("logreg", "linear"), tags={"vmap_safe"})
def logistic(spec: DataSpec, *, init: InitName = "xavier", embed_dim: int = 32) -> MLP:
    """Multinomial logistic regression (a linear model; an MLP with no hidden layer)."""
    return mlp(spec, width=1, depth=0, init=init, embed_dim=embed_dim)
