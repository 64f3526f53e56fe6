"""Structured pruning: remove whole units (MLP) or channels (CNN) and build a smaller dense model.

Every hidden block keeps its ``k = round((1 - s) width)`` most important units; the result is the
same registered model with ``width`` (mlp) or ``channels`` (cnn) set to ``k`` and the surviving
rows, columns and batch-norm statistics copied over — a real dense model with fewer FLOPs, loadable
from its config. Removing a unit is exactly zeroing its output, which the tests check. Importance:

- l1: the L1 norm of the unit's incoming weights (Li et al., "Pruning Filters for Efficient
  ConvNets", arXiv:1608.08710);
- taylor: ``|sum_{batch, positions} a * dL/da|`` of the unit's activation (Molchanov et al.,
  "Pruning Convolutional Neural Networks for Resource Efficient Inference", arXiv:1611.06440);
- lrp: the unit's summed LRP relevance (:mod:`neuralab.compress.prune.relevance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from neuralab.compress.prune.masks import folded_state_dict
from neuralab.compress.prune.relevance import unit_relevance
from neuralab.compress.prune.scopes import check_sparsity
from neuralab.data.dataset import DataSpec, Dataset
from neuralab.engine.metrics import loss_fn
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.probes.hooks import capture
from neuralab.registry import register

UnitImportance = Literal["l1", "taylor", "lrp"]
WIDTH_PARAM = {"MLP": "width", "ConvNet": "channels"}


def unit_importance(model: nn.Module, importance: UnitImportance, data: Dataset | None,
                    calibration: int = 512) -> list[torch.Tensor]:
    """``(units,)`` importance of every hidden block's outputs."""
    if importance == "l1":
        state = folded_state_dict(model)
        return [state[f"blocks.{i}.{'linear' if hasattr(b, 'linear') else 'conv'}.weight"]
                .abs().flatten(1).sum(1) for i, b in enumerate(model.blocks)]
    if data is None:
        raise NeuralabError(f"{importance} channel importance needs data")
    x, y = data.x_train[:calibration], data.y_train[:calibration]
    if importance == "lrp":
        return unit_relevance(model, x, y)
    was_training = model.training
    model.eval()
    points = [p for p in model.probe_points() if p != "head"]
    try:
        with capture(model, points, keep_grad=True) as acts:
            loss_fn(data.spec, model(x), y).backward()
        model.zero_grad(set_to_none=True)
    finally:
        model.train(was_training)
    out = []
    for p in points:
        a, g = acts[p], acts.grads[p]
        prod = (a * g).detach()
        out.append(prod.abs().sum(0) if prod.dim() == 2 else prod.transpose(0, 1).flatten(1).sum(1).abs())
    return out


def shrink(model: nn.Module, keep: list[torch.Tensor], name: str, params: dict[str, Any],
           spec: DataSpec) -> tuple[nn.Module, dict[str, Any]]:
    """Build the smaller model keeping units ``keep[i]`` (sorted indices) of block ``i``."""
    kind = type(model).__name__
    if kind not in WIDTH_PARAM:
        raise NeuralabError(f"structured pruning supports the mlp and cnn models, not {kind}")
    k = len(keep[0])
    if any(len(ix) != k for ix in keep):
        raise NeuralabError("structured pruning keeps the same number of units in every block")
    new_params = {**params, WIDTH_PARAM[kind]: k}
    small = build_model(name, spec, new_params)
    old = folded_state_dict(model)
    new_state = {}
    prev: torch.Tensor | None = None
    for i, block in enumerate(small.blocks):
        layer = "linear" if hasattr(block, "linear") else "conv"
        for key, value in block.state_dict().items():
            src = old[f"blocks.{i}.{key}"]
            if key == f"{layer}.weight":
                src = src[keep[i]]
                src = src if prev is None else src[:, prev]
            elif value.dim() >= 1 and src.shape[0] != value.shape[0]:
                src = src[keep[i]]  # biases and per-channel norm parameters / statistics
            new_state[f"blocks.{i}.{key}"] = src.clone()
        prev = keep[i]
    head_w = old["head.weight"]  # (out, width) or, flattened maps, (out, width * positions)
    width = old[f"blocks.{len(keep) - 1}.{layer}.weight"].shape[0]
    head_w = head_w.view(head_w.shape[0], width, -1)[:, prev].reshape(head_w.shape[0], -1)
    new_state["head.weight"] = head_w.clone()
    new_state["head.bias"] = old["head.bias"].clone()
    for key in small.state_dict():
        if key not in new_state:
            new_state[key] = old[key].clone()
    small.load_state_dict(new_state)
    return small.train(model.training), new_params


@dataclass(frozen=True)
class ChannelPruner:
    """Remove the fraction ``sparsity`` of every hidden block's units by ``importance``."""

    importance: UnitImportance
    sparsity: float
    calibration: int = 512
    structured: ClassVar[bool] = True

    def __post_init__(self) -> None:
        check_sparsity(self.sparsity)

    def prune(self, model: nn.Module, spec: DataSpec, data: Dataset | None, *, name: str,
              params: dict[str, Any]) -> tuple[nn.Module, dict[str, Any]]:
        """The smaller model and its model hyper-parameters (``width``/``channels`` replaced)."""
        if type(model).__name__ not in WIDTH_PARAM or not len(getattr(model, "blocks", [])):
            raise NeuralabError("structured pruning supports the mlp and cnn models with hidden "
                                f"blocks, not {type(model).__name__}")
        norm = type(model.blocks[0].norm).__name__
        if norm not in ("Identity", "FlattenLeading", "BatchNorm1d", "BatchNorm2d"):
            raise NeuralabError(f"structured pruning supports norm 'none' or 'batch', not {norm}")
        scores = unit_importance(model, self.importance, data, self.calibration)
        k = max(1, round((1.0 - self.sparsity) * scores[0].numel()))
        keep = [torch.sort(torch.topk(s, k).indices).values for s in scores]
        return shrink(model, keep, name, params, spec)


def _channel(importance: UnitImportance, sparsity: float, calibration: int) -> ChannelPruner:
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    return ChannelPruner(importance, sparsity, calibration)


@register("pruner", "channel_l1", paper="Pruning Filters for Efficient ConvNets", arxiv="1608.08710")
def channel_l1(*, sparsity: float = 0.5) -> ChannelPruner:
    """Remove the units/channels with the smallest L1 weight norm: a smaller dense model."""
    return _channel("l1", sparsity, 0)


@register("pruner", "channel_taylor", arxiv="1611.06440",
          paper="Pruning Convolutional Neural Networks for Resource Efficient Inference")
def channel_taylor(*, sparsity: float = 0.5, calibration: int = 512) -> ChannelPruner:
    """Remove the units/channels with the smallest |activation x gradient|: a smaller dense model."""
    return _channel("taylor", sparsity, calibration)


@register("pruner", "channel_lrp", arxiv="1912.08881",
          paper="Pruning by Explaining: A Novel Criterion for Deep Neural Network Pruning")
def channel_lrp(*, sparsity: float = 0.5, calibration: int = 512) -> ChannelPruner:
    """Remove the units/channels with the least LRP relevance: a smaller dense model."""
    return _channel("lrp", sparsity, calibration)
