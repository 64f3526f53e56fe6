"""A task-conditioned hypernetwork that generates a target MLP chunk by chunk, by an MLP or an RNN.

von Oswald et al., "Continual learning with hypernetworks" (arXiv:1906.00695): a learned embedding
``e_t`` per task is mapped by the hypernetwork to all the weights of the target network, one chunk
of ``chunk_size`` parameters at a time; the chunked MLP generator reads ``[e_t, c_k]`` with a
learned embedding ``c_k`` per chunk. Chandra et al., "Continual Learning with Dependency Preserving
Hypernetworks" (arXiv:2209.07712) generate the chunks with a recurrent network instead, so that
each chunk depends on the ones before it (the dependencies between the target's layers are kept)::

    mlp:  theta_k = g([e_t, c_k]),          k = 1 .. K
    rnn:  (h_k, s_k) = LSTM(e_t, (h_{k-1}, s_{k-1})),   theta_k = W h_k + b

The generated vector is scaled elementwise by the target's He standard deviations (a fixed
reparametrization, so every layer starts at a sensible scale). The active task is set with
:meth:`TaskHyperNetwork.for_task`; the continual training method with the output regularizer is
:mod:`neuralab.training.continual_hypernetwork`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Literal

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.hypernetwork import FunctionalMLP
from neuralab.models.mlp import ActivationName
from neuralab.registry import register

Architecture = Literal["mlp", "rnn"]


class TaskHyperNetwork(Model):
    """Task embedding -> (chunked MLP | LSTM) -> the flat weights of a target MLP."""

    def __init__(self, spec: DataSpec, *, n_tasks: int, embed_dim: int, chunk_size: int,
                 hidden: int, architecture: Architecture, target_width: int, target_depth: int,
                 activation: str):
        super().__init__()
        self.architecture = architecture
        self.target = FunctionalMLP([spec.n_inputs] + [target_width] * target_depth
                                    + [spec.n_outputs], make_activation(activation))
        self.chunk_size = chunk_size
        self.n_chunks = math.ceil(self.target.n_params / chunk_size)
        self.task_embeddings = nn.Parameter(torch.randn(n_tasks, embed_dim))
        if architecture == "mlp":
            self.chunk_embeddings = nn.Parameter(torch.randn(self.n_chunks, embed_dim))
            self.body: nn.Module = nn.Sequential(nn.Linear(2 * embed_dim, hidden), nn.ReLU(),
                                                 nn.Linear(hidden, hidden), nn.ReLU())
        else:
            self.chunk_embeddings = None
            self.body = nn.LSTM(embed_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, chunk_size)
        std = self.target.init_std()
        self.register_buffer("scale", torch.where(std > 0, std, torch.full_like(std, 0.1)))
        self.register_buffer("task", torch.zeros((), dtype=torch.long))

    @contextlib.contextmanager
    def for_task(self, task: int) -> Iterator[TaskHyperNetwork]:
        """Within the block the target network is the one generated for ``task``."""
        if not 0 <= task < self.task_embeddings.shape[0]:
            raise ValueError(f"task must be in 0..{self.task_embeddings.shape[0] - 1}, got {task}")
        previous = int(self.task)
        self.task.fill_(task)
        try:
            yield self
        finally:
            self.task.fill_(previous)

    def generate(self, task: int | None = None) -> torch.Tensor:
        """The target's flat parameters for ``task`` (default: the active task): ``(n_params,)``."""
        e = self.task_embeddings[int(self.task) if task is None else task]  # (E,)
        if self.chunk_embeddings is not None:
            inputs = torch.cat([e.expand(self.n_chunks, -1), self.chunk_embeddings], -1)
            h = self.body(inputs)  # (K, hidden)
        else:
            h, _ = self.body(e.expand(1, self.n_chunks, -1))  # (1, K, hidden)
            h = h[0]
        chunks = self.out(h)  # (K, chunk_size)
        return chunks.flatten()[: self.target.n_params] * self.scale

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.target(x.flatten(1), self.generate(), head=False)  # (B, target_width)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.target.apply_head(features, self.generate())  # (B, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.target(x.flatten(1), self.generate())  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"generator": self.body, "chunk_head": self.out}


@register("model", "task_hypernetwork", paper="Continual Learning with Dependency Preserving "
          "Hypernetworks", arxiv="2209.07712")
def task_hypernetwork(spec: DataSpec, *, n_tasks: int = 5, embed_dim: int = 16,
                      chunk_size: int = 256, hidden: int = 64, architecture: Architecture = "rnn",
                      target_width: int = 32, target_depth: int = 1,
                      activation: ActivationName = "relu") -> TaskHyperNetwork:
    """Hypernetwork generating a target MLP per task, chunk by chunk (chunked MLP or LSTM)."""
    if spec.tokens or spec.task == "sequence":
        raise ValueError("task_hypernetwork generates an MLP for real inputs with one output each")
    if min(n_tasks, embed_dim, chunk_size, hidden, target_width) < 1 or target_depth < 0:
        raise ValueError("sizes must be positive")
    return TaskHyperNetwork(spec, n_tasks=n_tasks, embed_dim=embed_dim, chunk_size=chunk_size,
                            hidden=hidden, architecture=architecture, target_width=target_width,
                            target_depth=target_depth, activation=activation)
