"""Supervised dense Hebbian classification: store one Hebbian pattern per class, classify by retrieval.

Agliari et al., "Dense Hebbian neural networks: a replica symmetric picture of supervised
learning" (arXiv:2212.00606), with the dense associative memory of Krotov & Hopfield
(arXiv:1606.01164), :class:`~neuralab.components.hebbian.DenseHebbianMemory`. Inputs are
binarized to ``±1`` at ``threshold``; each class stores the sign of its training examples' mean
(the Hebbian "learning" is that average: no gradients, one pass); a test input relaxes under the
p-body dynamics and takes the class of the pattern it ends closest to. Class patterns of real data
are strongly correlated (digits share their background); at low ``p`` the dynamics then fall into
one dominant attractor (on sklearn digits ``p = 2`` retrieval labels almost everything one class),
while at ``p >= 6`` each input stays near its own class — the interaction order matters.
"""

from __future__ import annotations

from typing import Any

import torch

from neuralab.components.hebbian import DenseHebbianMemory
from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import record
from neuralab.registry import register
from neuralab.seed import generator


def binarize(x: torch.Tensor, threshold: float) -> torch.Tensor:
    return torch.where(x.flatten(1) > threshold, 1.0, -1.0)


@register("method", "dense_hebbian", paper="Dense Hebbian neural networks: a replica symmetric "
          "picture of supervised learning", arxiv="2212.00606")
def dense_hebbian(model: None, data: Dataset, *, p: int = 8, threshold: float = 0.5,
                  max_sweeps: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    """Hebbian class patterns from binarized training data; test accuracy by p-body retrieval.

    ``model`` is unused (the memory is built from the data) and may be None.
    """
    if data.spec.task != "classification":
        raise ValueError("dense_hebbian classifies: it needs a classification dataset")
    memory = DenseHebbianMemory.from_examples(binarize(data.x_train, threshold), data.y_train,
                                              data.spec.n_outputs, p)
    pred = memory.classify(binarize(data.x_test, threshold), max_sweeps, generator(seed))
    return [record(None, 0, "test_accuracy", float((pred == data.y_test).float().mean()))]
