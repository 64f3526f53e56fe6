"""Associative recall: given key-value pairs and then a key, name that key's value.

Ba et al., "Using Fast Weights to Attend to the Recent Past" (arXiv:1610.06258); the probe of
in-context recall in "Zoology" (arXiv:2312.04927). Input ``k_1 v_1 ... k_n v_n q`` with distinct
keys and ``q`` one of them; the class is the value paired with ``q``. Keys are tokens
``0..n_keys-1`` and values ``n_keys..n_keys+n_values-1``; the class is the value's index.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "associative_recall", tags={"classification", "synthetic", "tokens"},
          paper="Using Fast Weights to Attend to the Recent Past", arxiv="1610.06258")
def associative_recall(
    *,
    seed: int = 0,
    n_pairs: int = 8,
    n_keys: int = 16,
    n_values: int = 16,
    n_train: int = 4000,
    n_test: int = 1000,
) -> Dataset:
    """Recall the value bound to a queried key among ``n_pairs`` pairs."""
    if n_pairs > n_keys:
        raise ValueError(f"n_pairs ({n_pairs}) cannot exceed n_keys ({n_keys})")
    g = generator(seed)
    n = n_train + n_test
    keys = torch.argsort(torch.rand(n, n_keys, generator=g), dim=1)[:, :n_pairs]
    values = torch.randint(0, n_values, (n, n_pairs), generator=g)
    which = torch.randint(0, n_pairs, (n,), generator=g)
    rows = torch.arange(n)
    pairs = torch.stack([keys, values + n_keys], dim=2).reshape(n, 2 * n_pairs)
    x = torch.cat([pairs, keys[rows, which].unsqueeze(1)], dim=1)  # (N, 2P+1)
    y = values[rows, which]
    return Dataset(
        name="associative_recall",
        spec=DataSpec("classification", (2 * n_pairs + 1,), n_values, vocab_size=n_keys + n_values),
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        description=f"recall one of {n_pairs} key-value pairs",
    )
