"""Layer-local supervised learning: every layer learns from its own loss, no gradient crosses layers.

The forward-learning family trains each layer on a local objective computed from its own output,
with its input detached, so no error signal travels backwards through the network (no backprop
across layers; each layer can update as soon as its forward pass is done). Here each hidden layer
``l`` gets a local linear classifier ``C_l`` and minimizes ``CE(C_l(h_l), y)`` with
``h_l = layer_l(stopgrad(h_{l-1}))``; the model's own head trains on ``stopgrad`` of the last
features. This is the label-driven "single forward" variant of ForwardGNN (Park et al., "Forward
Learning of Graph Neural Networks", arXiv:2403.11004), which needs no negative samples; its
top-down signals are not included. It applies to ``mlp`` and ``gcn`` models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from neuralab.components.graph import normalized_adjacency
from neuralab.data.dataset import Dataset
from neuralab.data.graph import unpack_graph
from neuralab.engine.metrics import evaluate, loss_fn, record
from neuralab.models.gcn import GCN
from neuralab.models.mlp import MLP
from neuralab.registry import register
from neuralab.training.loop import minibatches


@dataclass
class LayerStack:
    """A model seen as ``prepare -> block_1 .. block_L -> final`` with the width of each block."""

    prepare: Callable[[torch.Tensor], tuple[torch.Tensor, Any]]
    blocks: list[Callable[[torch.Tensor, Any], torch.Tensor]]
    widths: list[int]
    final: Callable[[torch.Tensor, Any], torch.Tensor]


def layer_stack(model: nn.Module) -> LayerStack:
    """The layer-by-layer view of an ``mlp`` or ``gcn`` model."""
    if isinstance(model, MLP) and model.embed is None:
        return LayerStack(
            prepare=lambda x: (x.flatten(1), None),
            blocks=[lambda h, _, b=b: b(h) for b in model.blocks],
            widths=[b.linear.out_features for b in model.blocks],
            final=lambda h, _: model.head(h))
    if isinstance(model, GCN):
        def prepare(x):
            feats, adjacency = unpack_graph(x, model.n_features)
            return model.dropout(feats), normalized_adjacency(adjacency)

        return LayerStack(
            prepare=prepare,
            blocks=[lambda h, a, m=m: model.dropout(model.act(m(h, a))) for m in model.layers],
            widths=[m.linear.out_features for m in model.layers],
            final=lambda h, a: model.head(a @ h))
    raise TypeError(f"layer-local training supports mlp and gcn models, got {type(model).__name__}")


def local_losses(model: nn.Module, heads: nn.ModuleList, x: torch.Tensor, y: torch.Tensor,
                 spec) -> list[torch.Tensor]:
    """One loss per layer (and one for the head), each reaching only its own layer's parameters."""
    stack = layer_stack(model)
    h, context = stack.prepare(x)
    losses = []
    for block, head in zip(stack.blocks, heads):
        h = block(h.detach(), context)  # stop-gradient: nothing flows to earlier layers
        losses.append(loss_fn(spec, head(h), y))
    losses.append(loss_fn(spec, stack.final(h.detach(), context), y))
    return losses


@register("method", "local_supervised", paper="Forward Learning of Graph Neural Networks",
          arxiv="2403.11004")
def local_supervised(model: nn.Module, data: Dataset, *, steps: int = 500, lr: float = 1e-2,
                     batch_size: int = 128, seed: int = 0,
                     weight_decay: float = 5e-4) -> list[dict[str, Any]]:
    """Train every layer of an ``mlp`` or ``gcn`` on its own local classifier loss."""
    stack = layer_stack(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        heads = nn.ModuleList(nn.Linear(w, data.spec.n_outputs) for w in stack.widths)
    opt = torch.optim.Adam([*model.parameters(), *heads.parameters()], lr=lr,
                           weight_decay=weight_decay)
    batches = minibatches(data, batch_size, seed)
    model.train()
    rows = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)  # dropout
        for step in range(steps):
            x, y = next(batches)
            losses = local_losses(model, heads, x, y, data.spec)
            opt.zero_grad(set_to_none=True)
            sum(losses).backward()  # the sum of independent local losses
            opt.step()
            if (step + 1) % max(1, steps // 10) == 0 or step + 1 == steps:
                rows.append(record(None, step + 1, "local_loss", float(sum(losses).detach())))
    rows.append(record(None, steps, "test_accuracy",
                       evaluate(model, data.spec, data.x_test, data.y_test)["accuracy"]))
    return rows
