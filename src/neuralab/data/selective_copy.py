"""Selective copy: copy the few data tokens scattered among noise, in order, after a delimiter.

Gu & Dao, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" (arXiv:2312.00752):
unlike the copy task the data tokens sit at random positions, so a time-invariant filter cannot
do it; the model must select by content. Input: a region of ``length`` positions holding
``n_data`` tokens from ``0..n_symbols-1`` at random positions (in order) and the noise token
``n_symbols`` elsewhere, then the delimiter ``n_symbols + 1`` and ``n_data`` noise tokens. The
target at position ``length + i`` is the ``i``-th data token; other positions are ignored.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "selective_copy", tags={"sequence", "synthetic", "tokens"},
          paper="Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
          arxiv="2312.00752")
def selective_copy(*, seed: int = 0, length: int = 32, n_data: int = 4, n_symbols: int = 8,
                   n_train: int = 4000, n_test: int = 1000) -> Dataset:
    """Copy ``n_data`` tokens scattered in ``length`` noise positions, after a delimiter."""
    if not 1 <= n_data <= length or n_symbols < 2:
        raise ValueError(f"need 1 <= n_data <= length and n_symbols >= 2, got n_data={n_data}, "
                         f"length={length}, n_symbols={n_symbols}")
    g = generator(seed)
    n = n_train + n_test
    noise, delim = n_symbols, n_symbols + 1
    data = torch.randint(0, n_symbols, (n, n_data), generator=g)
    where = torch.argsort(torch.rand(n, length, generator=g), dim=1)[:, :n_data].sort(dim=1).values
    region = torch.full((n, length), noise)
    region.scatter_(1, where, data)
    x = torch.cat([region, torch.full((n, 1), delim), torch.full((n, n_data), noise)], dim=1)
    y = torch.full_like(x, IGNORE_INDEX)
    y[:, length:length + n_data] = data  # position length + i (causal) predicts data token i
    return Dataset(
        name="selective_copy",
        spec=DataSpec("sequence", (length + n_data + 1,), n_symbols, vocab_size=n_symbols + 2),
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        description=f"copy {n_data} tokens scattered in {length} noise positions",
    )
