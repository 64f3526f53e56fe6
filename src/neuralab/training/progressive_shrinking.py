"""Once-for-All progressive shrinking: train the largest network, then ever smaller ones inside it.

Cai et al., "Once-for-All: Train One Network and Specialize it for Efficient Deployment"
(arXiv:1908.09791). Training runs in phases over the elastic dimensions of an
:class:`~neuralab.models.elastic_mlp.ElasticMLP`:

1. the full network alone;
2. elastic depth: sub-networks of full width and every allowed depth;
3. elastic width: every allowed (width, depth).

In phases 2 and 3 each sampled sub-network also matches the full network of phase 1 (a frozen
copy) by knowledge distillation, ``loss = (1 - a) CE + a KD``. Shrinking progressively keeps the
large sub-networks from being disturbed by the small ones early in training.
"""

from __future__ import annotations

import copy
from typing import Any

from neuralab.data.dataset import Dataset
from neuralab.models.elastic_mlp import ElasticMLP
from neuralab.registry import register
from neuralab.training.loop import train_sampled
from neuralab.training.sortednet import evaluate_subnetworks, nested_widths


@register("method", "progressive_shrinking", paper="Once-for-All: Train One Network and Specialize "
          "it for Efficient Deployment", arxiv="1908.09791")
def progressive_shrinking(model: ElasticMLP, data: Dataset, *, steps: int = 1500, lr: float = 1e-3,
                          batch_size: int = 128, seed: int = 0, width_levels: int = 4,
                          kd_weight: float = 0.5, samples_per_step: int = 2) -> list[dict[str, Any]]:
    """Full network, then elastic depth, then elastic width (each a third of ``steps``), with KD."""
    if not isinstance(model, ElasticMLP):
        raise TypeError("progressive_shrinking trains an ElasticMLP (model 'elastic_mlp')")
    if not 0.0 <= kd_weight <= 1.0:
        raise ValueError(f"kd_weight must be in [0, 1], got {kd_weight}")
    full = (model.max_width, model.max_depth)
    depths = range(1, model.max_depth + 1)
    phases = [
        [full],
        [(model.max_width, d) for d in depths],
        [(w, d) for w in nested_widths(model.max_width, width_levels) for d in depths],
    ]
    per_phase = max(1, steps // len(phases))
    rows: list[dict[str, Any]] = []
    teacher = None
    for i, configs in enumerate(phases):
        def sample(rng, configs=configs):
            k = 1 if len(configs) == 1 else samples_per_step
            return [lambda c=c: model.subnetwork(*c) for c in rng.choices(configs, k=k)]

        rows += train_sampled(model, data, sample, steps=per_phase, lr=lr, batch_size=batch_size,
                              seed=seed + i, teacher=teacher, kd_weight=kd_weight if teacher else 0.0)
        if teacher is None:
            teacher = copy.deepcopy(model).eval().requires_grad_(False)
    return rows + evaluate_subnetworks(model, data, phases[-1])
