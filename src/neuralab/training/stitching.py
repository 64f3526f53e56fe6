"""Stitchable Neural Networks: fine-tune all stitched configurations of two anchors together.

Pan, Cai & Zhuang, "Stitchable Neural Networks" (arXiv:2302.06586). Given a small and a large
trained anchor joined by stitching layers (:class:`~neuralab.models.stitching.StitchedMLP`), every
stitching layer is first fitted by least squares on training inputs, then all configurations are
trained jointly for a few epochs, one configuration drawn uniformly per step. Afterwards one
network offers every size between the two anchors, switched at run time.
"""

from __future__ import annotations

from typing import Any

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import record
from neuralab.models.stitching import StitchedMLP
from neuralab.registry import register
from neuralab.training.loop import accuracy_on_test, train_sampled


@register("method", "stitching", paper="Stitchable Neural Networks", arxiv="2302.06586")
def stitching(model: StitchedMLP, data: Dataset, *, steps: int = 500, lr: float = 3e-4,
              batch_size: int = 128, seed: int = 0,
              init_examples: int = 1024) -> list[dict[str, Any]]:
    """Least-squares stitch initialization, then joint fine-tuning of every configuration."""
    if not isinstance(model, StitchedMLP):
        raise TypeError("stitching trains a StitchedMLP built from two anchors")
    model.init_stitches(data.x_train[:init_examples])
    configs = list(range(model.n_configurations))

    def sample(rng):
        c = rng.choice(configs)
        return [lambda: model.configuration(c)]

    rows = train_sampled(model, data, sample, steps=steps, lr=lr, batch_size=batch_size, seed=seed)
    for c in configs:
        with model.configuration(c):
            acc = accuracy_on_test(model, data)
        rows += [record(None, steps, "test_accuracy", acc, layer=f"config{c}"),
                 record(None, steps, "params", model.parameters_of(c), layer=f"config{c}")]
    return rows
