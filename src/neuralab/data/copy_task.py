"""The copy task: read a random token string, then write it back after a delimiter.

Hochreiter & Schmidhuber, "Long Short-Term Memory" (1997) and Graves et al., "Neural Turing
Machines" (arXiv:1410.5401). Input ``s_1..s_L, DELIM, BLANK x L``; the target at position
``L + i`` is ``s_i`` and every other position is ignored. Symbols are ``0..n_symbols-1``,
``n_symbols`` is the delimiter and ``n_symbols + 1`` the blank.
"""

from __future__ import annotations

import torch

from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import generator


@register("dataset", "copy", tags={"sequence", "synthetic", "tokens"},
          paper="Neural Turing Machines", arxiv="1410.5401")
def copy(
    *, seed: int = 0, length: int = 10, n_symbols: int = 8, n_train: int = 4000, n_test: int = 1000
) -> Dataset:
    """Copy a random string of ``length`` symbols after a delimiter."""
    if length < 1 or n_symbols < 2:
        raise ValueError("need length >= 1 and n_symbols >= 2")
    g = generator(seed)
    n = n_train + n_test
    s = torch.randint(0, n_symbols, (n, length), generator=g)
    delim = torch.full((n, 1), n_symbols)
    blank = torch.full((n, length), n_symbols + 1)
    x = torch.cat([s, delim, blank], dim=1)  # (N, 2L+1)
    y = torch.full_like(x, IGNORE_INDEX)
    y[:, length : 2 * length] = s  # the token predicted at position L+i-1 (causal) is s_i
    return Dataset(
        name="copy",
        spec=DataSpec("sequence", (2 * length + 1,), n_symbols, vocab_size=n_symbols + 2),
        x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
        description=f"copy {length} of {n_symbols} symbols after a delimiter",
    )
