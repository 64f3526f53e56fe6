"""State tracking: the running parity, or the running sum modulo ``m``, of a token stream.

The simplest tasks that need a state updated at every step (a finite automaton), used by
Grazzi et al., "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues"
(arXiv:2411.12537) and Merrill et al., "The Illusion of State in State-Space Models"
(arXiv:2404.08819). Input ``BOS x_1 .. x_L`` with ``x_i`` uniform in ``0..m-1`` and ``BOS = m``;
the target at position ``t >= 1`` is ``(x_1 + ... + x_t) mod m`` (every prefix is labelled, so a
model trained at one length can be scored at another); the BOS position has no target. Parity is
``m = 2``.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator

PAPER = dict(paper="Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues",
             arxiv="2411.12537")


def running_sum_task(name: str, *, seed: int, modulus: int, length: int, n_train: int,
                     n_test: int) -> Dataset:
    """``BOS x_1..x_L`` with targets the prefix sums mod ``modulus`` (see the module docstring)."""
    if modulus < 2 or length < 1:
        raise ValueError(f"need modulus >= 2 and length >= 1, got {modulus} and {length}")
    g = generator(seed)
    n = n_train + n_test
    tokens = torch.randint(0, modulus, (n, length), generator=g)
    bos = torch.full((n, 1), modulus)
    x = torch.cat([bos, tokens], dim=1)  # (N, L + 1)
    y = torch.cat([torch.full((n, 1), IGNORE_INDEX), torch.cumsum(tokens, dim=1) % modulus], dim=1)
    return Dataset(
        name=name,
        spec=DataSpec("sequence", (length + 1,), modulus, vocab_size=modulus + 1),
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        description=f"running sum mod {modulus} of {length} tokens, every prefix labelled",
    )


@register("dataset", "parity", tags={"sequence", "synthetic", "tokens"}, **PAPER)
def parity(*, seed: int = 0, length: int = 32, n_train: int = 4000, n_test: int = 1000) -> Dataset:
    """Running parity of a bit stream after a BOS token (every prefix labelled)."""
    return running_sum_task("parity", seed=seed, modulus=2, length=length, n_train=n_train,
                            n_test=n_test)


@register("dataset", "modular_sum", tags={"sequence", "synthetic", "tokens"}, **PAPER)
def modular_sum(*, seed: int = 0, modulus: int = 3, length: int = 32, n_train: int = 4000,
                n_test: int = 1000) -> Dataset:
    """Running sum modulo ``modulus`` of a token stream after a BOS token."""
    return running_sum_task("modular_sum", seed=seed, modulus=modulus, length=length,
                            n_train=n_train, n_test=n_test)
