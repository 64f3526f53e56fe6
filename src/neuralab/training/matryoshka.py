"""Matryoshka representation learning: one representation whose every prefix is a representation.

Kusupati et al., "Matryoshka Representation Learning" (arXiv:2205.13147). A backbone's features
are projected to a ``d``-dimensional representation ``z``; for each nested size ``m`` in ``M``
(e.g. 8, 16, ..., d) a linear classifier reads only the first ``m`` coordinates, and the loss is
the average over ``M`` of their cross-entropies (the paper sums with weights ``c_m = 1``; the
mean only rescales the step)::

    L = (1 / |M|) sum_{m in M} CE(W_m z[:m], y)

so one model serves every prefix width ``m`` at inference, with no retraining. With ``M = {m}``
and ``d = m`` this is the paper's fixed-feature baseline FF-m, a model trained for one size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import record
from neuralab.models.base import Model
from neuralab.registry import register
from neuralab.seed import derive_seed, seeded
from neuralab.training.loop import accuracy_on_test, train_sampled


class MatryoshkaModel(Model):
    """``backbone.forward_features -> Linear(F, d) = z -> head_m(z[:, :m])`` for a chosen ``m``."""

    def __init__(self, backbone: Model, feature_dim: int, n_outputs: int, dims: Sequence[int]):
        super().__init__()
        dims = tuple(sorted({int(m) for m in dims}))
        if not dims or dims[0] < 1:
            raise ValueError(f"dims must be positive sizes, got {dims}")
        self.backbone, self.dims = backbone, dims
        self.project = nn.Linear(feature_dim, dims[-1])
        self.heads = nn.ModuleDict({str(m): nn.Linear(m, n_outputs) for m in dims})
        self.active = dims[-1]

    @contextlib.contextmanager
    def prefix(self, m: int) -> Iterator[MatryoshkaModel]:
        """Within the block the model reads the first ``m`` coordinates of ``z``."""
        if m not in self.dims:
            raise ValueError(f"prefix {m} is not one of the nested sizes {self.dims}")
        previous, self.active = self.active, m
        try:
            yield self
        finally:
            self.active = previous

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.backbone.forward_features(x))[:, : self.active]  # (B, m)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.heads[str(features.shape[-1])](features)                     # (B, outputs)


def prefix_accuracies(model: MatryoshkaModel, data: Dataset,
                      arm: str | None = None) -> list[dict[str, Any]]:
    """Test accuracy of every nested size (``layer`` = ``"m<size>"``)."""
    rows = []
    for m in model.dims:
        with model.prefix(m):
            rows.append(record(arm, 0, "test_accuracy", accuracy_on_test(model, data), layer=f"m{m}"))
    return rows


def train_matryoshka(model: Model, data: Dataset, *, dims: Sequence[int], steps: int,
                     lr: float = 1e-3, batch_size: int = 128, seed: int = 0,
                     ) -> tuple[MatryoshkaModel, list[dict[str, Any]]]:
    """Wrap ``model``'s features in nested prefixes, train them all (Adam on the mean of the
    prefix losses, every prefix at every step); return the trained model and its loss curve."""
    feature_dim = int(model.forward_features(data.x_train[:2]).shape[-1])
    with seeded(derive_seed(seed, "matryoshka")):  # the projection's and heads' initial weights
        mrl = MatryoshkaModel(model, feature_dim, data.spec.n_outputs, dims)

    def every_prefix(rng):
        return [lambda m=m: mrl.prefix(m) for m in mrl.dims]

    rows = train_sampled(mrl, data, every_prefix, steps=steps, lr=lr, batch_size=batch_size,
                         seed=seed)
    return mrl, rows


@register("method", "matryoshka", aliases=("mrl",),
          paper="Matryoshka Representation Learning", arxiv="2205.13147")
def matryoshka(model: Model, data: Dataset, *, dims: tuple[int, ...] = (8, 16, 32, 64),
               steps: int = 1000, lr: float = 1e-3, batch_size: int = 128,
               seed: int = 0) -> list[dict[str, Any]]:
    """Train nested-prefix classifiers on a model's projected features; per-prefix accuracy."""
    mrl, rows = train_matryoshka(model, data, dims=dims, steps=steps, lr=lr,
                                 batch_size=batch_size, seed=seed)
    return rows + prefix_accuracies(mrl, data)
