"""Stitchable networks: a small and a large anchor joined by linear stitching layers.

Pan, Cai & Zhuang, "Stitchable Neural Networks" (arXiv:2302.06586). Two pretrained anchors of
one family (here two MLPs of equal depth ``L`` and widths ``w_s < w_l``) are joined at hidden
layer ``i``: the input runs through the small anchor's first ``i`` blocks, a stitching layer
``S_i: R^{w_s} -> R^{w_l}`` maps the activations into the large anchor, whose remaining blocks
and head finish the computation::

    y = head_l(block_l[L] ... block_l[i+1](S_i(block_s[i] ... block_s[1](x))))

Configuration ``c`` uses ``c`` blocks of the large anchor: ``0`` is the small anchor, ``L`` the
large anchor, and ``c = 1 .. L - 1`` the stitched networks in between (``L - c`` small blocks,
the stitch ``S_{L-c}``, ``c`` large blocks), whose size grows with ``c``. Each stitching layer starts from
the least-squares fit of the large anchor's activations from the small anchor's on some inputs
(:meth:`StitchedMLP.init_stitches`), then all configurations are fine-tuned jointly by sampling
one per step (the ``stitching`` training method, :mod:`neuralab.training.stitching`). The
stitched model is built from two trained anchors, ``StitchedMLP(small, large)``, rather than from
a data spec, so it is not a registered model; its training method is registered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from neuralab.models.base import Model
from neuralab.models.mlp import MLP


class StitchingLayer(nn.Linear):
    """A linear map between two networks' activations, initialized by least squares."""

    @torch.no_grad()
    def fit(self, source: torch.Tensor, target: torch.Tensor) -> StitchingLayer:
        """Set ``W, b`` to minimize ``||source W^T + b - target||^2`` (``(N, d_in)``, ``(N, d_out)``)."""
        ones = torch.ones(source.shape[0], 1, dtype=source.dtype)
        solution = torch.linalg.lstsq(torch.cat([source, ones], 1), target).solution  # (d_in+1, out)
        self.weight.copy_(solution[:-1].T)
        self.bias.copy_(solution[-1])
        return self


class StitchedMLP(Model):
    """Two MLP anchors and a stitching layer at every hidden depth; ``configuration(i)`` picks one."""

    def __init__(self, small: MLP, large: MLP):
        super().__init__()
        if len(small.blocks) != len(large.blocks) or not small.blocks:
            raise ValueError("stitched anchors need the same, non-zero number of hidden layers")
        self.small, self.large = small, large
        self.depth = len(small.blocks)
        w_s, w_l = small.head.in_features, large.head.in_features
        self.stitches = nn.ModuleList(StitchingLayer(w_s, w_l) for _ in range(self.depth - 1))
        self.active = self.depth  # the large anchor

    @property
    def n_configurations(self) -> int:
        return self.depth + 1

    @contextlib.contextmanager
    def configuration(self, i: int) -> Iterator[StitchedMLP]:
        """Within the block compute configuration ``i``: 0 small anchor, ``depth`` large anchor."""
        if not 0 <= i <= self.depth:
            raise ValueError(f"configuration must be in 0..{self.depth}, got {i}")
        previous, self.active = self.active, i
        try:
            yield self
        finally:
            self.active = previous

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)  # (B, D)
        if self.active == 0:
            for block in self.small.blocks:
                h = block(h)
            return h  # (B, w_s)
        split = self.depth - self.active  # blocks of the small anchor
        for block in self.small.blocks[:split]:
            h = block(h)  # (B, w_s)
        if split:
            h = self.stitches[split - 1](h)  # (B, w_l)
        for block in self.large.blocks[split:]:
            h = block(h)
        return h  # (B, w_l)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return (self.small if self.active == 0 else self.large).head(features)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"small{i}": b for i, b in enumerate(self.small.blocks)},
                **{f"large{i}": b for i, b in enumerate(self.large.blocks)},
                "head": self.large.head}

    def parameters_of(self, i: int) -> int:
        """Parameters that configuration ``i`` uses."""
        count = lambda modules: sum(p.numel() for m in modules for p in m.parameters())  # noqa: E731
        if i == 0:
            return count([*self.small.blocks, self.small.head])
        split = self.depth - i
        stitch = [self.stitches[split - 1]] if split else []
        return count([*self.small.blocks[:split], *stitch, *self.large.blocks[split:],
                      self.large.head])

    @torch.no_grad()
    def init_stitches(self, x: torch.Tensor) -> StitchedMLP:
        """Fit every stitching layer by least squares on inputs ``x`` (anchors in eval mode)."""
        was = self.training
        self.eval()
        hs, hl = x.flatten(1), x.flatten(1)
        for k in range(self.depth - 1):
            hs, hl = self.small.blocks[k](hs), self.large.blocks[k](hl)
            self.stitches[k].fit(hs, hl)
        self.train(was)
        return self

