"""Pruning masks on a model, held by ``torch.nn.utils.prune``, and pruned weights on disk.

A mask is a 0/1 tensor of a weight's shape. :func:`apply_masks` hands each one to
``torch.nn.utils.prune.custom_from_mask``, which keeps the dense weight as ``<name>_orig``, the
mask as the buffer ``<name>_mask`` and recomputes ``weight = weight_orig * weight_mask`` before
every forward; a second mask on the same weight is multiplied into the first, so pruning only ever
removes weights. Gradients reach ``weight_orig`` only through the kept entries.

On disk a pruned model is an ordinary safetensors file of the *folded* weights (the zeros written
into the plain parameter names), loadable into a fresh, unpruned model of the same architecture;
:func:`load_pruned` can re-derive the masks from the zeros so that fine-tuning keeps them.

Targets are the weight matrices of ``nn.Linear``, ``nn.Conv1d/2d/3d`` and the recurrent weights
(``weight_ih_l*``, ``weight_hh_l*``) of ``nn.RNN/GRU/LSTM``; biases, norms and embeddings stay dense.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils import parametrize, prune

from neuralab.atomic import atomic_path
from neuralab.engine.checkpoint import load_weights
from neuralab.errors import NeuralabError

PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
Target = tuple[nn.Module, str]


def prunable_weights(model: nn.Module, *, exclude: Iterable[str] = ()) -> dict[str, Target]:
    """``{"blocks.0.linear.weight": (module, "weight"), ...}`` in model order.

    ``exclude`` drops targets whose full name starts with one of its entries (e.g. ``"head"``).
    """
    skip = tuple(exclude)
    out: dict[str, Target] = {}
    for prefix, module in model.named_modules():
        names: list[str] = []
        if isinstance(module, PRUNABLE):
            names = ["weight"]
        elif isinstance(module, nn.RNNBase):
            names = [n for n in module._flat_weights_names if n.startswith("weight_")]
        for name in names:
            full = f"{prefix}.{name}" if prefix else name
            if not (skip and full.startswith(skip)):
                out[full] = (module, name)
    if not out:
        raise NeuralabError(f"{type(model).__name__} has no prunable weights "
                            "(linear, convolution or recurrent layers)")
    return out


def effective_weight(module: nn.Module, name: str) -> torch.Tensor:
    """The weight as the forward pass sees it (``orig * mask`` when pruned), detached."""
    if hasattr(module, f"{name}_orig"):
        return (getattr(module, f"{name}_orig") * getattr(module, f"{name}_mask")).detach()
    return getattr(module, name).detach()


def current_mask(module: nn.Module, name: str) -> torch.Tensor:
    """The weight's mask (all ones when it is not pruned)."""
    mask = getattr(module, f"{name}_mask", None)
    if mask is None:
        return torch.ones_like(getattr(module, name), dtype=torch.bool)
    return mask.bool()


def weights_of(targets: Mapping[str, Target]) -> dict[str, torch.Tensor]:
    """The effective weights of ``targets``."""
    return {k: effective_weight(m, n) for k, (m, n) in targets.items()}


def masks_of(targets: Mapping[str, Target]) -> dict[str, torch.Tensor]:
    """The current masks of ``targets``."""
    return {k: current_mask(m, n) for k, (m, n) in targets.items()}


def apply_masks(model: nn.Module, masks: Mapping[str, torch.Tensor]) -> None:
    """Prune ``model`` with ``masks`` (names as in :func:`prunable_weights`), composing with any
    mask already there."""
    targets = prunable_weights(model)
    unknown = sorted(set(masks) - set(targets))
    if unknown:
        raise NeuralabError(f"masks name weights the model does not have: {unknown[:3]}")
    for key, mask in masks.items():
        module, name = targets[key]
        prune.custom_from_mask(module, name, mask.to(torch.float32))


def remove_masks(model: nn.Module) -> nn.Module:
    """Fold every mask into its weight (``prune.remove``): plain parameters with zeros."""
    for module in model.modules():
        for hook in list(module._forward_pre_hooks.values()):
            if isinstance(hook, prune.BasePruningMethod):
                prune.remove(module, hook._tensor_name)
    return model


def clone_folded(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with its masks folded in (the model itself keeps its masks)."""
    for module in model.modules():  # the cached ``weight = orig * mask`` is a non-leaf tensor,
        for hook in module._forward_pre_hooks.values():  # which deepcopy refuses; the next
            if isinstance(hook, prune.BasePruningMethod):  # forward recomputes it anyway
                name = hook._tensor_name
                setattr(module, name, getattr(module, name).detach())
    return remove_masks(copy.deepcopy(model))


def folded_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state dict with masks folded in (``x.weight = x.weight_orig * x.weight_mask``)
    and weight parametrizations evaluated (``x.weight`` = the quantized weight), under the names an
    unpruned model of the same architecture uses. The model is not changed."""
    state = model.state_dict()
    out = {}
    for prefix, module in model.named_modules():
        if parametrize.is_parametrized(module):
            for name in module.parametrizations:
                full = f"{prefix}.{name}" if prefix else name
                out[full] = getattr(module, name).detach().contiguous()
                state = {k: v for k, v in state.items()
                         if not k.startswith(f"{prefix + '.' if prefix else ''}parametrizations.{name}.")}
    for key, value in state.items():
        if key.endswith("_mask") and key[: -len("_mask")] + "_orig" in state:
            continue
        if key.endswith("_orig") and key[: -len("_orig")] + "_mask" in state:
            base = key[: -len("_orig")]
            out[base] = (value * state[base + "_mask"]).detach().contiguous()
        else:
            out[key] = value.detach().contiguous()
    return out


def save_pruned(model: nn.Module, path: str | Path, metadata: Mapping[str, str] | None = None) -> Path:
    """Write the folded weights of ``model`` as one safetensors file, atomically."""
    path = Path(path)
    state = folded_state_dict(model)
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=dict(metadata or {}))
    return path


def load_pruned(model: nn.Module, path: str | Path, *, keep_masks: bool = True) -> nn.Module:
    """Load folded weights into an unpruned ``model``; with ``keep_masks`` the zeros become masks
    again, so that training keeps them at zero."""
    load_weights(model, path)
    return mask_zeros(model) if keep_masks else model


def mask_zeros(model: nn.Module) -> nn.Module:
    """Turn the zeros of every prunable weight that has some into a mask (in place)."""
    masks = {k: w != 0 for k, w in weights_of(prunable_weights(model)).items()}
    apply_masks(model, {k: m for k, m in masks.items() if not bool(m.all())})
    return model


def sparsity(model: nn.Module) -> dict[str, float]:
    """Fraction of zeros in each prunable weight, plus ``"total"`` over all of them."""
    weights = weights_of(prunable_weights(model))
    out = {k: float((w == 0).float().mean()) for k, w in weights.items()}
    zeros = sum(int((w == 0).sum()) for w in weights.values())
    out["total"] = zeros / sum(w.numel() for w in weights.values())
    return out
