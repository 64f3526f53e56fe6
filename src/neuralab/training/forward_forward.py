"""Forward-forward training: each layer separates true-label from wrong-label inputs by goodness.

Hinton, "The Forward-Forward Algorithm: Some Preliminary Investigations" (arXiv:2212.13345). For
a batch, positive inputs carry the true label and negative inputs a random wrong one
(:class:`~neuralab.models.forward_forward.ForwardForwardNet` embeds the label). Every layer ``l``
has its own loss on its goodness ``g_l = ||h_l||^2``::

    L_l = softplus(theta - g_l(pos)) + softplus(g_l(neg) - theta)

and sees its input detached, so no gradient crosses layers: a layer learns as soon as its own
forward pass is done.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import evaluate, record
from neuralab.models.forward_forward import ForwardForwardNet
from neuralab.registry import register
from neuralab.seed import derive_seed, generator
from neuralab.training.loop import minibatches


def layer_losses(model: ForwardForwardNet, x: torch.Tensor, y: torch.Tensor, wrong: torch.Tensor,
                 threshold: float) -> list[torch.Tensor]:
    """One forward-forward loss per layer; layer ``l``'s input is detached."""
    pos, neg = model.embed(x, y), model.embed(x, wrong)
    losses = []
    for layer in model.layers:
        hp = torch.relu(layer(F.normalize(pos.detach(), dim=1)))
        hn = torch.relu(layer(F.normalize(neg.detach(), dim=1)))
        gp, gn = hp.square().sum(1), hn.square().sum(1)
        losses.append((F.softplus(threshold - gp) + F.softplus(gn - threshold)).mean())
        pos, neg = hp, hn
    return losses


@register("method", "forward_forward", paper="The Forward-Forward Algorithm: Some Preliminary "
          "Investigations", arxiv="2212.13345")
def forward_forward(model: ForwardForwardNet, data: Dataset, *, steps: int = 1000, lr: float = 1e-3,
                    batch_size: int = 128, seed: int = 0,
                    threshold: float = 2.0) -> list[dict[str, Any]]:
    """Layer-local forward-forward training; returns the loss curve and the test accuracy."""
    if not isinstance(model, ForwardForwardNet):
        raise TypeError("forward_forward trains a ForwardForwardNet (model 'ff_mlp')")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = generator(derive_seed(seed, "negatives"))
    k = model.n_classes
    rows = []
    for step, (x, y) in zip(range(steps), minibatches(data, batch_size, seed)):
        wrong = (y + torch.randint(1, k, y.shape, generator=g)) % k  # a uniformly wrong label
        losses = layer_losses(model, x, y, wrong, threshold)
        opt.zero_grad(set_to_none=True)
        sum(losses).backward()
        opt.step()
        if (step + 1) % max(1, steps // 10) == 0 or step + 1 == steps:
            rows.append(record(None, step + 1, "ff_loss", float(sum(losses).detach())))
    rows.append(record(None, steps, "test_accuracy",
                       evaluate(model, data.spec, data.x_test, data.y_test)["accuracy"]))
    return rows
