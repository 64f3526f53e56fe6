"""Train an already-built model on a dataset: the loop compression methods share.

:func:`~neuralab.engine.trainer.train` builds a model from a config; compression needs to keep
training a model it has changed — pruned (masks held by ``torch.nn.utils.prune``), fake-quantized
(parametrizations), a student under a teacher — on all or part of the training set, with an extra
action after every step (a gradual pruning schedule). :func:`fit` does that with the trainer's
conventions: batches from :class:`~neuralab.data.TensorBatcher` seeded by
``derive_seed(seed, "data")``, dropout drawn inside ``fork_rng`` from ``derive_seed(seed,
"dropout")``, a registered optimizer and schedule, and a one-line error on a non-finite loss.

    fit(model, load_dataset("mnist1d"), steps=500, lr=1e-3)
    fit(student, data, steps=500, loss=lambda out, y, idx: kd_loss(out, teacher_logits[idx], y))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from neuralab.data.batching import TensorBatcher
from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import loss_fn
from neuralab.errors import NeuralabError
from neuralab.optim.build import make_optimizer, make_schedule
from neuralab.progress import Mode, ProgressBar
from neuralab.seed import derive_seed

# loss(outputs, targets, batch indices into the training set) -> scalar
Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def fit(model: nn.Module, data: Dataset, *, steps: int, lr: float = 1e-3, batch_size: int = 128,
        optimizer: str = "adam", optimizer_params: dict[str, Any] | None = None,
        schedule: str = "constant", seed: int = 0, loss: Loss | None = None,
        indices: torch.Tensor | None = None,
        after_step: Callable[[int], None] | None = None, progress: Mode = "none") -> nn.Module:
    """Train ``model`` in place for ``steps`` steps and return it (left in eval mode).

    ``indices`` restricts training to those examples of ``data.x_train``; ``loss`` replaces the
    task loss; ``after_step(step)`` runs after each update (``step`` counts from 1);
    ``progress`` shows the steps and the batch loss on stderr (:mod:`neuralab.progress`).
    """
    if steps < 0:
        raise NeuralabError(f"steps must be >= 0, got {steps}")
    if steps == 0:
        return model.eval()
    pool = torch.arange(data.x_train.shape[0]) if indices is None else indices
    batcher = TensorBatcher(pool.numel(), batch_size, derive_seed(seed, "data"))
    opt = make_optimizer(optimizer, model.parameters(), {"lr": lr, **(optimizer_params or {})})
    factor = make_schedule(schedule, steps)
    model.train()
    with torch.random.fork_rng(devices=[]), ProgressBar(steps, desc="fine-tune",
                                                        mode=progress) as bar:
        torch.manual_seed(derive_seed(seed, "dropout"))
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr * factor(step)
            idx = pool[batcher.next()]
            out = model(data.x_train[idx])
            y = data.y_train[idx]
            value = loss(out, y, idx) if loss is not None else loss_fn(data.spec, out, y)
            loss_value = float(value.detach())
            if not math.isfinite(loss_value):
                raise NeuralabError(f"training diverged at step {step} (non-finite loss); "
                                    "lower the learning rate")
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
            if after_step is not None:
                after_step(step + 1)
            bar.update(1)
            bar.show(loss=loss_value)
    return model.eval()
