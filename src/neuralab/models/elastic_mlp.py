"""An elastic MLP: every narrower and shallower MLP is a nested sub-network sharing its weights.

The network has ``depth`` hidden layers of ``width`` units and one head. The sub-network
``(w, d)`` uses the first ``d`` hidden layers, the first ``w`` units of each, and the head's
columns for those units::

    h_0 = x,   h_l = act(W_l[:w, :w_{l-1}] h_{l-1} + b_l[:w]),   y = W_out[:, :w] h_d + b_out

This is the nesting of SortedNet (Valipour et al., "SortedNet, a Place for Every Network and Every
Network in its Place", arXiv:2309.00255: sub-models are the leading units and layers, "sorted" by
size) and the width/depth elasticity of Once-for-All (Cai et al., "Once-for-All: Train One Network
and Specialize it for Efficient Deployment", arXiv:1908.09791). :meth:`ElasticMLP.subnetwork`
selects the active sub-network; :meth:`ElasticMLP.extract` copies its weights into a standalone
``mlp`` model that computes the same function. Training methods that sample sub-networks live in
:mod:`neuralab.training`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.init import initialize
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model, build_model
from neuralab.models.mlp import MLP, ActivationName, InitName
from neuralab.registry import register

Config = tuple[int, int]  # (width, depth)


class ElasticMLP(Model):
    """MLP whose leading units and layers form nested sub-networks (``subnetwork(w, d)``)."""

    def __init__(self, spec: DataSpec, *, width: int, depth: int, activation: str, init: str):
        super().__init__()
        self.spec, self.activation_name = spec, activation
        self.max_width, self.max_depth = width, depth
        dims = [spec.n_inputs] + [width] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.act = make_activation(activation)
        self.head = nn.Linear(dims[-1], spec.n_outputs)
        self.active: Config = (width, depth)
        initialize(self.layers, init, activation)
        initialize(self.head, init, "linear")

    def check(self, width: int, depth: int) -> Config:
        if not (1 <= width <= self.max_width and 1 <= depth <= self.max_depth):
            raise ValueError(f"sub-network (width {width}, depth {depth}) outside "
                             f"1..{self.max_width} x 1..{self.max_depth}")
        return width, depth

    @contextlib.contextmanager
    def subnetwork(self, width: int, depth: int) -> Iterator[ElasticMLP]:
        """Within the block, ``self`` computes the sub-network ``(width, depth)``."""
        previous, self.active = self.active, self.check(width, depth)
        try:
            yield self
        finally:
            self.active = previous

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        width, depth = self.active
        h = x.flatten(1)  # (B, D)
        for layer in self.layers[:depth]:
            h = self.act(F.linear(h, layer.weight[:width, : h.shape[1]], layer.bias[:width]))
        return h  # (B, width)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.head.weight[:, : features.shape[1]], self.head.bias)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"layer{i}": m for i, m in enumerate(self.layers)}, "head": self.head}

    def parameters_of(self, width: int, depth: int) -> int:
        """How many parameters the sub-network ``(width, depth)`` uses."""
        d_in, n = self.spec.n_inputs, 0
        for _ in range(depth):
            n, d_in = n + d_in * width + width, width
        return n + d_in * self.spec.n_outputs + self.spec.n_outputs

    @torch.no_grad()
    def extract(self, width: int, depth: int) -> MLP:
        """A standalone ``mlp`` with the sub-network's weights (the same function)."""
        self.check(width, depth)
        mlp = build_model("mlp", self.spec, {"width": width, "depth": depth,
                                             "activation": self.activation_name})
        assert isinstance(mlp, MLP)
        d_in = self.spec.n_inputs
        for block, layer in zip(mlp.blocks, self.layers):
            block.linear.weight.copy_(layer.weight[:width, :d_in])
            block.linear.bias.copy_(layer.bias[:width])
            d_in = width
        mlp.head.weight.copy_(self.head.weight[:, :width])
        mlp.head.bias.copy_(self.head.bias)
        return mlp


@register("model", "elastic_mlp", aliases=("sorted_mlp",), tags={"vmap_safe"},
          paper="SortedNet, a Place for Every Network and Every Network in its Place",
          arxiv="2309.00255")
def elastic_mlp(spec: DataSpec, *, width: int = 128, depth: int = 2,
                activation: ActivationName = "relu", init: InitName = "he") -> ElasticMLP:
    """MLP with nested width/depth sub-networks (SortedNet, Once-for-All elasticity)."""
    if spec.tokens or spec.task == "sequence":
        raise ValueError("elastic_mlp takes real inputs with one output each")
    if width < 1 or depth < 1:
        raise ValueError(f"need width >= 1 and depth >= 1, got {width}, {depth}")
    return ElasticMLP(spec, width=width, depth=depth, activation=activation, init=init)
