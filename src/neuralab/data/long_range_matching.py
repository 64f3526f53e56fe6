"""Long-range matching: does the last token equal the first, across a span of distractors?

A minimal long-range dependency probe in the spirit of the delayed-recall and long-range tasks of
Hochreiter & Schmidhuber ("Long Short-Term Memory", 1997) and Tay et al., "Long Range Arena"
(arXiv:2011.04006): a model must carry one token across ``length - 2`` random tokens. Tokens are
uniform in ``0..n_symbols-1``; half the examples (by a fair coin) end with the first token
(class 1), the rest with a different random token (class 0).
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "long_range_matching", tags={"classification", "synthetic", "tokens"},
          paper="Long Range Arena: A Benchmark for Efficient Transformers", arxiv="2011.04006")
def long_range_matching(*, seed: int = 0, length: int = 64, n_symbols: int = 8,
                        n_train: int = 4000, n_test: int = 1000) -> Dataset:
    """Classify whether the last of ``length`` random tokens equals the first."""
    if length < 2 or n_symbols < 2:
        raise ValueError(f"need length >= 2 and n_symbols >= 2, got {length} and {n_symbols}")
    g = generator(seed)
    n = n_train + n_test
    x = torch.randint(0, n_symbols, (n, length), generator=g)
    match = torch.rand(n, generator=g) < 0.5
    other = (x[:, 0] + torch.randint(1, n_symbols, (n,), generator=g)) % n_symbols
    x[:, -1] = torch.where(match, x[:, 0], other)
    y = match.long()
    return Dataset(
        name="long_range_matching",
        spec=DataSpec("classification", (length,), 2, vocab_size=n_symbols),
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        description=f"is token {length - 1} equal to token 0 (of {n_symbols} symbols)?",
        classes=("different", "same"),
    )
