"""Continual learning with a hypernetwork: one task after another, old tasks' weights held in place.

von Oswald et al., "Continual learning with hypernetworks" (arXiv:1906.00695), with the recurrent
generator of Chandra et al., "Continual Learning with Dependency Preserving Hypernetworks"
(arXiv:2209.07712). Task ``t`` trains the hypernetwork (and ``t``'s embedding) on its own data,
with an output regularizer that keeps the weights generated for every earlier task ``s`` where
they were before task ``t`` started::

    L_t = CE(f(x; H(e_t)), y) + beta / (t - 1) * sum_{s < t} || H(e_s) - theta*_s ||^2

Only the regularizer remembers: no data of earlier tasks is replayed. The tasks here split one
dataset's classes into consecutive groups (task-incremental: each task is scored on its own
classes).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import record
from neuralab.models.task_hypernetwork import TaskHyperNetwork
from neuralab.registry import register
from neuralab.training.loop import minibatches


def class_split(data: Dataset, n_tasks: int) -> list[tuple[int, ...]]:
    """The classes of each task: ``n_classes / n_tasks`` consecutive classes per task."""
    n = data.spec.n_outputs
    if data.spec.task != "classification" or n % n_tasks:
        raise ValueError(f"need a classification dataset whose {n} classes divide into "
                         f"{n_tasks} tasks")
    k = n // n_tasks
    return [tuple(range(t * k, (t + 1) * k)) for t in range(n_tasks)]


def task_subset(data: Dataset, classes: tuple[int, ...]) -> Dataset:
    """The examples of ``classes``, labels renumbered ``0 .. len(classes) - 1``."""
    lookup = torch.full((data.spec.n_outputs,), -1, dtype=torch.long)
    lookup[list(classes)] = torch.arange(len(classes))

    def pick(x, y):
        keep = lookup[y] >= 0
        return x[keep], lookup[y[keep]]

    (xa, ya), (xb, yb) = pick(data.x_train, data.y_train), pick(data.x_test, data.y_test)
    return Dataset(f"{data.name}/{classes}", data.spec, xa, ya, xb, yb)


def task_logits(model: TaskHyperNetwork, x: torch.Tensor, classes: tuple[int, ...]) -> torch.Tensor:
    return model(x)[:, list(classes)]  # (B, len(classes))


@torch.no_grad()
def task_accuracy(model: TaskHyperNetwork, task: int, data: Dataset, classes: tuple[int, ...]) -> float:
    with model.for_task(task):
        return float((task_logits(model, data.x_test, classes).argmax(1) == data.y_test).float().mean())


@register("method", "hypernetwork_continual", paper="Continual Learning with Dependency Preserving "
          "Hypernetworks", arxiv="2209.07712")
def hypernetwork_continual(model: TaskHyperNetwork, data: Dataset, *, steps: int = 500,
                           lr: float = 1e-3, batch_size: int = 64, seed: int = 0,
                           beta: float = 0.01) -> list[dict[str, Any]]:
    """Train the tasks in order (``steps`` each) with the output regularizer of strength ``beta``.

    Records, after each task (``step`` = tasks done, ``layer`` = ``task{s}``), the test accuracy of
    every task seen so far and the relative change of each earlier task's generated weights.
    """
    if not isinstance(model, TaskHyperNetwork):
        raise TypeError("hypernetwork_continual trains a TaskHyperNetwork (model 'task_hypernetwork')")
    n_tasks = model.task_embeddings.shape[0]
    splits = class_split(data, n_tasks)
    tasks = [task_subset(data, c) for c in splits]
    rows: list[dict[str, Any]] = []
    model.train()
    for t, (classes, task_data) in enumerate(zip(splits, tasks)):
        with torch.no_grad():
            anchors = [model.generate(s).detach() for s in range(t)]
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        batches = minibatches(task_data, batch_size, seed + t)
        for _ in range(steps):
            x, y = next(batches)
            with model.for_task(t):
                loss = F.cross_entropy(task_logits(model, x, classes), y)
            if anchors:
                drift = sum((model.generate(s) - a).square().sum() for s, a in enumerate(anchors))
                loss = loss + beta / len(anchors) * drift
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        for s in range(t + 1):
            rows.append(record(None, t + 1, "task_accuracy",
                               task_accuracy(model, s, tasks[s], splits[s]), layer=f"task{s}"))
        with torch.no_grad():
            for s, a in enumerate(anchors):  # how far task t moved the weights of earlier tasks
                rows.append(record(None, t + 1, "weight_drift",
                                   float((model.generate(s) - a).norm() / a.norm()), layer=f"task{s}"))
    return rows
