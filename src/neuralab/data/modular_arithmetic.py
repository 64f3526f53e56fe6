"""Modular arithmetic: predict ``a op b mod p`` from the tokens ``a, op, b, =``.

Power et al., "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets"
(arXiv:2201.02177). All ``p*p`` equations are enumerated; a seeded ``train_fraction`` of them is
the training set and the rest the test set. ``label_noise`` replaces that fraction of training
labels by uniformly random classes (the corrupted-label setting of "To grok or not to grok",
arXiv:2310.13061). Tokens ``0..p-1`` are numbers, ``p`` is the operator and ``p+1`` is ``=``.
"""

from __future__ import annotations

from typing import Literal

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "modular_arithmetic", tags={"classification", "synthetic", "tokens"},
          paper="Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
          arxiv="2201.02177")
def modular_arithmetic(
    *,
    seed: int = 0,
    p: int = 97,
    op: Literal["+", "-", "*"] = "+",
    train_fraction: float = 0.3,
    label_noise: float = 0.0,
) -> Dataset:
    """(a op b) mod p for all pairs, as 4-token sequences; a random fraction for training."""
    if p < 2:
        raise ValueError(f"p must be at least 2, got {p}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    if not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    c = {"+": a + b, "-": a - b, "*": a * b}[op] % p
    x = torch.stack([a, torch.full_like(a, p), b, torch.full_like(a, p + 1)], dim=1)
    g = generator(seed)
    perm = torch.randperm(p * p, generator=g)
    n_train = int(round(train_fraction * p * p))
    train, test = perm[:n_train], perm[n_train:]
    y_train = c[train].clone()
    n_noisy = int(round(label_noise * n_train))
    if n_noisy:
        which = torch.randperm(n_train, generator=g)[:n_noisy]
        y_train[which] = torch.randint(0, p, (n_noisy,), generator=g)
    return Dataset(
        name="modular_arithmetic",
        spec=DataSpec("classification", (4,), p, vocab_size=p + 2),
        x_train=x[train], y_train=y_train, x_test=x[test], y_test=c[test],
        description=f"(a {op} b) mod {p}, {train_fraction:.0%} of pairs for training"
        + (f", {label_noise:.0%} of training labels corrupted" if label_noise else ""),
    )
