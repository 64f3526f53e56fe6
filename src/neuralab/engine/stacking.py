"""Which runs fit in one population, and their parameters stacked (padded to the widest member).

A population trains N members of one architecture family as one set of stacked tensors
``{name: (N, *shape)}``. Members may differ in seed, optimizer hyper-parameters (with the noisy
optimizers, the gradient-noise ``eta`` and ``gamma`` too), schedule, init scale and gradient
clipping; everything else that shapes the computation must agree
(:func:`population_key`). Members of an MLP or CNN may also differ in width: each member is built
at its own width (with its own seeded initialization) and embedded in the leading corner of a
tensor of the widest shape, zeros elsewhere; a 0/1 mask per parameter marks the member's real
entries. For these models a padded unit has zero incoming and outgoing weights, so it changes no
real output, and masking its gradient keeps it at zero: each member trains exactly as it would
unpadded (up to floating-point summation order). Models that normalize across units (layer or RMS
norm) or split units into heads cannot be padded this way and are grouped by width instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from neuralab.config import RunConfig, Section
from neuralab.data.dataset import Dataset
from neuralab.models.base import Model, build_model
from neuralab.seed import derive_seed

# model name -> the hyper-parameter that sets its width, for models that pad exactly
PACKABLE_WIDTH = {"mlp": "width", "cnn": "channels"}
PER_UNIT_NORMS = ("none", "batch")
# what may differ between members of one population
MEMBER_OPTIM_KEYS = ("lr", "weight_decay", "momentum", "dampening", "betas", "eps", "eta", "gamma")
MEMBER_TRAIN_KEYS = ("grad_clip", "init_scale", "checkpoint_every", "keep_checkpoints")


def width_key(config: RunConfig) -> str | None:
    """The model's width hyper-parameter when members of different widths can be packed."""
    key = PACKABLE_WIDTH.get(config.model.name)
    params = config.model.params
    if key is None or params.get("norm", "none") not in PER_UNIT_NORMS:
        return None
    if float(params.get("dropout", 0.0)) > 0:  # masks are drawn at the member's own width
        return None
    return key


def population_key(config: RunConfig) -> str:
    """Runs with equal keys can train together as one population."""
    model = dict(config.model.params)
    wkey = width_key(config)
    if wkey:
        model.pop(wkey, None)
    optim = {k: v for k, v in config.optim.params.items() if k not in MEMBER_OPTIM_KEYS}
    train = {k: v for k, v in config.train.model_dump().items() if k not in MEMBER_TRAIN_KEYS}
    key = {"data": [config.data.name, config.data.params], "model": [config.model.name, model],
           "optim": [config.optim.name, optim], "train": train}
    return json.dumps(key, sort_keys=True, default=str)


def build_member(config: RunConfig, data: Dataset) -> Model:
    """A member's model exactly as the single-run Trainer builds it (seed, init scale)."""
    return build_model(config.model.name, data.spec, config.model.params,
                       seed=derive_seed(config.seed, "init"), init_scale=config.train.init_scale)


def template_config(configs: Sequence[RunConfig]) -> RunConfig:
    """The first member's config at the widest member's width (the shapes all members fit in)."""
    first = configs[0]
    wkey = width_key(first)
    if wkey is None:
        return first
    widest = max(int(c.model.params[wkey]) for c in configs)
    model = Section(name=first.model.name, **{**first.model.params, wkey: widest})
    return first.model_copy(update={"model": model})


def stack(members: Sequence[nn.Module], template: nn.Module) -> tuple[
        dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor] | None]:
    """(params, buffers, masks): members' tensors stacked into the template's shapes.

    ``masks`` is None when every member already has the template's shapes.
    """
    shapes = {k: v.shape for k, v in template.state_dict().items()}
    param_names = {k for k, _ in template.named_parameters()}
    states = [m.state_dict() for m in members]
    params, buffers, masks = {}, {}, {}
    padded = False
    for name, shape in shapes.items():
        rows, mask_rows = [], []
        for state in states:
            t = state[name]
            if t.shape == shape:
                rows.append(t.detach().clone())
                mask_rows.append(torch.ones(shape))
                continue
            if t.dim() != len(shape) or any(a > b for a, b in zip(t.shape, shape)):
                raise ValueError(f"member tensor {name} {tuple(t.shape)} does not fit {tuple(shape)}")
            padded = True
            full = torch.zeros(shape, dtype=t.dtype)
            corner = tuple(slice(0, s) for s in t.shape)
            full[corner] = t.detach()
            rows.append(full)
            m = torch.zeros(shape)
            m[corner] = 1.0
            mask_rows.append(m)
        stacked = torch.stack(rows)
        if name in param_names:
            params[name] = stacked.requires_grad_(True)
            masks[name] = torch.stack(mask_rows)
        else:
            buffers[name] = stacked
    return params, buffers, masks if padded else None


def unstack(params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], index: int,
            member: nn.Module) -> nn.Module:
    """Load member ``index``'s slice (cut to ``member``'s own shapes) into ``member``."""
    state: dict[str, Any] = {}
    for name, t in member.state_dict().items():
        source = params.get(name, buffers.get(name))
        corner = tuple(slice(0, s) for s in t.shape)
        state[name] = source[index].detach()[corner].clone()
    member.load_state_dict(state)
    return member
