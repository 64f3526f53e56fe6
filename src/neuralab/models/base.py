"""The interface every neuralab model follows, and seeded construction by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.errors import ConfigError, NeuralabError, oversized_as_config_error
from neuralab.models.memory_check import check_fits_in_memory
from neuralab.registry import REGISTRY
from neuralab.seed import seeded


class Model(nn.Module):
    """A network split into a feature extractor and a head, with named probe points.

    - ``forward_features(x)``: the representation the head reads (e.g. ``(B, F)`` penultimate
      features, or ``(B, T, F)`` for per-position outputs).
    - ``forward_head(features)``: logits or regression outputs.
    - ``probe_points()``: ``{name: module}`` whose outputs probes may hook, in depth order.
    - ``training_loss(x, y, criterion)``: what the trainer minimizes (``criterion(self(x), y)``).
    """

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def probe_points(self) -> dict[str, nn.Module]:
        return {}

    def training_loss(self, x: torch.Tensor, y: torch.Tensor,
                      criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """The objective the trainer minimizes on a batch: ``criterion(self(x), y)``.

        A head with its own ``training_loss(features, y, criterion)`` (multi-sample dropout, which
        averages the loss over several dropout masks) takes over in training mode.
        """
        head = getattr(self, "head", None)
        if self.training and hasattr(head, "training_loss"):
            return head.training_loss(self.forward_features(x), y, criterion)
        return criterion(self(x), y)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build_model(name: str, spec: DataSpec, params: Mapping[str, Any] | None = None, *,
                seed: int = 0, init_scale: float = 1.0) -> Model:
    """Build the registered model ``name`` for ``spec``; every random draw comes from ``seed``.

    ``init_scale`` multiplies the initial weights of every linear, convolutional and recurrent
    layer (``w <- init_scale * w``; the lazy/feature-learning knob of Chizat et al., "On Lazy
    Training in Differentiable Programming", arXiv:1812.07956).
    """
    entry = REGISTRY.get("model", name)
    checked = entry.validate(dict(params or {}), where=f"model ({entry.name})")
    with seeded(seed):
        check_fits_in_memory(entry.name, lambda: entry.factory(spec, **checked))
    too_large = (f"model {entry.name!r} does not fit in memory (allocating its weights failed); "
                 "choose a smaller width or depth")  # where the check above could not size it
    with seeded(seed):
        try:
            with oversized_as_config_error(too_large):
                model = entry.factory(spec, **checked)
        except ValueError as exc:
            if isinstance(exc, NeuralabError):
                raise
            raise ConfigError(f"model {entry.name!r}: {exc}") from exc
    if init_scale != 1.0:
        from neuralab.components.init import weight_tensors

        with torch.no_grad():
            for weight in weight_tensors(model):
                weight.mul_(init_scale)
    return model
