"""SortedNet: train every nested sub-network of one model together.

Valipour et al., "SortedNet, a Place for Every Network and Every Network in its Place: Towards a
Generalized Solution for Training Many-in-One Neural Networks" (arXiv:2309.00255). The sub-models
are nested (the leading units and layers of an :class:`~neuralab.models.elastic_mlp.ElasticMLP`,
sorted by size) and share parameters. At each step a few sub-models are drawn uniformly from the
chosen set of sizes and their gradients on one minibatch are accumulated before one update; at
inference any sub-model is used as it is, with no search.
"""

from __future__ import annotations

from typing import Any

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import record
from neuralab.models.elastic_mlp import ElasticMLP
from neuralab.registry import register
from neuralab.training.loop import accuracy_on_test, train_sampled


def nested_widths(max_width: int, levels: int) -> tuple[int, ...]:
    """``levels`` evenly spaced widths up to ``max_width`` (``max_width / levels``, ..., ``max_width``)."""
    return tuple(sorted({max(1, round(max_width * (i + 1) / levels)) for i in range(levels)}))


def evaluate_subnetworks(model: ElasticMLP, data: Dataset, configs: list[tuple[int, int]],
                         arm: str | None = None) -> list[dict[str, Any]]:
    """Test accuracy and parameter count of every sub-network ``(width, depth)``."""
    rows = []
    for width, depth in configs:
        with model.subnetwork(width, depth):
            acc = accuracy_on_test(model, data)
        name = f"w{width}_d{depth}"
        rows += [record(arm, 0, "test_accuracy", acc, layer=name),
                 record(arm, 0, "params", model.parameters_of(width, depth), layer=name)]
    return rows


@register("method", "sortednet", paper="SortedNet, a Place for Every Network and Every Network in "
          "its Place: Towards a Generalized Solution for Training Many-in-One Neural Networks",
          arxiv="2309.00255")
def sortednet(model: ElasticMLP, data: Dataset, *, steps: int = 1000, lr: float = 1e-3,
              batch_size: int = 128, seed: int = 0, width_levels: int = 8,
              depths: tuple[int, ...] = (), samples_per_step: int = 2) -> list[dict[str, Any]]:
    """Train all nested sub-networks of an elastic MLP at once; returns per-sub-network accuracy."""
    if not isinstance(model, ElasticMLP):
        raise TypeError("sortednet trains an ElasticMLP (model 'elastic_mlp')")
    if samples_per_step < 1 or width_levels < 1:
        raise ValueError("need samples_per_step >= 1 and width_levels >= 1")
    widths = nested_widths(model.max_width, width_levels)
    configs = [model.check(w, d) for w in widths for d in (depths or (model.max_depth,))]

    def sample(rng):
        return [lambda c=c: model.subnetwork(*c) for c in rng.choices(configs, k=samples_per_step)]

    rows = train_sampled(model, data, sample, steps=steps, lr=lr, batch_size=batch_size, seed=seed)
    return rows + evaluate_subnetworks(model, data, configs)
