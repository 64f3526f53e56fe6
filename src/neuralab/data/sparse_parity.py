"""Sparse parity: the label is the parity of k secret bits among n random +-1 bits.

Barak et al., "Hidden Progress in Deep Learning: SGD Learns Parities Near the Computational
Limit" (arXiv:2207.08799). ``y = prod_{i in S} x_i`` mapped to {0, 1}, with ``|S| = k`` drawn from
the seed.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import numpy_rng


@register("dataset", "sparse_parity", tags={"classification", "synthetic"},
          paper="Hidden Progress in Deep Learning: SGD Learns Parities Near the Computational Limit",
          arxiv="2207.08799")
def sparse_parity(
    *, seed: int = 0, n_bits: int = 20, k: int = 3, n_train: int = 2000, n_test: int = 1000
) -> Dataset:
    """(n, k)-sparse parity over uniform +-1 inputs."""
    if not 1 <= k <= n_bits:
        raise ValueError(f"k must be in [1, n_bits={n_bits}], got {k}")
    rng = numpy_rng(seed)
    support = rng.choice(n_bits, size=k, replace=False)
    x = rng.choice([-1.0, 1.0], size=(n_train + n_test, n_bits))
    y = (x[:, support].prod(axis=1) < 0).astype("int64")
    x_t, y_t = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y)
    return Dataset(
        name="sparse_parity",
        spec=DataSpec("classification", (n_bits,), 2),
        x_train=x_t[:n_train], y_train=y_t[:n_train], x_test=x_t[n_train:], y_test=y_t[n_train:],
        description=f"({n_bits}, {k})-sparse parity; support {sorted(support.tolist())}",
        classes=("even", "odd"),
    )
