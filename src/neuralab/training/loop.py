"""The pieces training methods share: seeded minibatches, losses, and a sampled-sub-network loop.

:func:`train_sampled` is the loop of every "many networks in one" method: at each step it draws a
few sub-network configurations, averages their losses on one minibatch (optionally adding a
distillation term towards a frozen teacher, as Once-for-All does), and takes one optimizer step —
the gradient accumulation over sampled sub-models of SortedNet and Stitchable Networks.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.data.batching import TensorBatcher
from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import evaluate, loss_fn, record
from neuralab.errors import DivergedError
from neuralab.seed import derive_seed

# A configuration is entered as a context in which the model computes that sub-network.
Enter = Callable[[], contextlib.AbstractContextManager[Any]]


def minibatches(data: Dataset, batch_size: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless shuffled training minibatches, ordered by ``derive_seed(seed, "data", epoch)``."""
    batcher = TensorBatcher(data.x_train.shape[0], batch_size, derive_seed(seed, "data"))
    for idx in batcher:
        yield data.x_train[idx], data.y_train[idx]


def distillation(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                 temperature: float = 1.0) -> torch.Tensor:
    """``T^2 KL(softmax(t / T) || softmax(s / T))`` (Hinton et al., arXiv:1503.02531)."""
    t = temperature
    return F.kl_div(F.log_softmax(student_logits / t, -1), F.log_softmax(teacher_logits / t, -1),
                    log_target=True, reduction="batchmean") * t * t


def train_sampled(model: nn.Module, data: Dataset, sample: Callable[[random.Random], Sequence[Enter]],
                  *, steps: int, lr: float, batch_size: int, seed: int,
                  teacher: nn.Module | None = None, kd_weight: float = 0.0) -> list[dict[str, Any]]:
    """Adam on the mean loss of the sub-networks ``sample(rng)`` draws at each step. Returns the
    ``batch_loss`` curve: ten records, each the mean over the steps since the previous one."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = random.Random(derive_seed(seed, "subnetworks"))
    batches = minibatches(data, batch_size, seed)
    model.train()
    rows = []
    interval = [0.0, 0]  # loss sum and steps since the last record
    for step in range(steps):
        x, y = next(batches)
        target = None
        if teacher is not None and kd_weight > 0:
            with torch.no_grad():
                target = teacher(x)
        configs = sample(rng)
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for enter in configs:
            with enter():
                out = model(x)
                loss = loss_fn(data.spec, out, y)
                if target is not None:
                    loss = (1 - kd_weight) * loss + kd_weight * distillation(out, target)
            (loss / len(configs)).backward()  # accumulate the sub-networks' gradients
            total += float(loss.detach()) / len(configs)
        if not math.isfinite(total):
            raise DivergedError(step, total)
        opt.step()
        interval = [interval[0] + total, interval[1] + 1]
        if (step + 1) % max(1, steps // 10) == 0 or step + 1 == steps:
            rows.append(record(None, step + 1, "batch_loss", interval[0] / interval[1]))
            interval = [0.0, 0]
    return rows


def accuracy_on_test(model: nn.Module, data: Dataset) -> float:
    """Accuracy on the test split (evaluation mode)."""
    return evaluate(model, data.spec, data.x_test, data.y_test)["accuracy"]
