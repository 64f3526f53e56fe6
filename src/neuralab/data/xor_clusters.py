"""XOR clusters: four Gaussian blobs at (+-1, +-1) labelled by the XOR of their signs.

The smallest task that no linear model solves (Minsky & Papert, "Perceptrons", 1969): class 1 when
exactly one coordinate of the cluster centre is negative.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import numpy_rng


@register("dataset", "xor_clusters", tags={"classification", "synthetic"}, paper="Perceptrons")
def xor_clusters(*, seed: int = 0, n_train: int = 800, n_test: int = 800, noise: float = 0.3) -> Dataset:
    """Two classes from four 2-D Gaussian clusters in an XOR layout."""
    rng = numpy_rng(seed)
    n = n_train + n_test
    signs = rng.choice([-1.0, 1.0], size=(n, 2))
    x = signs + noise * rng.standard_normal((n, 2))
    y = (signs[:, 0] * signs[:, 1] < 0).astype("int64")
    x_t, y_t = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y)
    return Dataset(
        name="xor_clusters",
        spec=DataSpec("classification", (2,), 2),
        x_train=x_t[:n_train], y_train=y_t[:n_train], x_test=x_t[n_train:], y_test=y_t[n_train:],
        description="XOR of the signs of four noisy 2-D clusters",
        classes=("same sign", "different sign"),
    )
