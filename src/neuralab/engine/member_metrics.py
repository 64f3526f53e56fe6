"""Evaluation of every population member at once: per-member loss and accuracy.

The same quantities as :func:`neuralab.engine.metrics.evaluate` computes for one model — the mean
loss over all counted targets and the fraction of correct predictions — from the ``(N, B, ...)``
outputs of all members on one shared batch, accumulated over evaluation batches in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from neuralab.data.batching import eval_batches
from neuralab.data.dataset import IGNORE_INDEX, DataSpec
from neuralab.engine.metrics import loss_fn


@torch.no_grad()
def evaluate_members(outputs: Callable[[torch.Tensor], torch.Tensor], spec: DataSpec,
                     x: torch.Tensor, y: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """``{"loss": (N,), "accuracy": (N,)}`` (no accuracy for regression) of all members.

    ``outputs(xb)`` returns every member's outputs ``(N, B, ...)`` on the batch ``xb`` in eval mode.
    """
    per_sum = torch.func.vmap(lambda o, t: loss_fn(spec, o, t, reduction="sum"), in_dims=(0, None))
    total = correct = None
    n_loss = counted = 0
    for sl in eval_batches(x.shape[0], batch_size):
        xb, yb = x[sl], y[sl]
        out = outputs(xb).float()  # (N, B, ...)
        batch_total = per_sum(out, yb).double()
        total = batch_total if total is None else total + batch_total
        hits = None
        if spec.task == "sequence":
            mask = yb != IGNORE_INDEX
            n_loss += int(mask.sum())
            counted += int(mask.sum())
            hits = ((out.argmax(-1) == yb) & mask).flatten(1).sum(1).double()
        elif spec.task == "regression":
            n_loss += out[0].numel()
        else:
            n_loss += yb.shape[0]
            counted += yb.shape[0]
            hits = (out.argmax(-1) == yb).sum(1).double()
        if hits is not None:
            correct = hits if correct is None else correct + hits
    assert total is not None
    metrics = {"loss": total / max(1, n_loss)}
    if spec.task != "regression":
        assert correct is not None
        metrics["accuracy"] = correct / max(1, counted)
    return metrics
