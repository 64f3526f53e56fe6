"""Capacity in practice: the largest training set a network fits perfectly (effective model complexity).

The *effective model complexity* (EMC) of a training procedure is the largest ``n`` such that the
procedure, run on ``n`` samples, reaches 100% training accuracy. Fitting is treated as monotone in
``n`` and the boundary is found by bisection over ``[low, high]``: ``fits(n)`` trains from scratch
on the first ``n`` samples and says whether every one is classified correctly.
:func:`fits_perfectly` is such a procedure for a model factory and a tensor dataset (full-batch or
mini-batch, Adam or SGD, a fixed step budget, seeded).

Paper: Shwartz-Ziv et al., "Just How Flexible are Neural Networks in Practice?" (arXiv 2406.11463).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.data.batching import TensorBatcher
from neuralab.errors import NeuralabError
from neuralab.seed import derive_seed, seeded


def largest_fitted(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The largest ``n`` in ``[low, high]`` with ``fits(n)`` (bisection; ``low - 1`` if none)."""
    if low < 1 or high < low:
        raise NeuralabError(f"need 1 <= low <= high, got low={low}, high={high}")
    if not fits(low):
        return low - 1
    if fits(high):
        return high
    lo, hi = low, high  # fits(lo) is true, fits(hi) is false
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def fits_perfectly(make_model: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor, *,
                   steps: int = 2000, lr: float = 1e-2, batch_size: int | None = None,
                   optimizer: str = "adam", seed: int = 0) -> bool:
    """Train ``make_model()`` on ``(x, y)`` from scratch; True when it classifies all of them."""
    with seeded(derive_seed(seed, "init")):
        model = make_model()
    opt_cls = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}.get(optimizer)
    if opt_cls is None:
        raise NeuralabError(f"unknown optimizer {optimizer!r} (known: adam, sgd)")
    opt = opt_cls(model.parameters(), lr=lr)
    batches = TensorBatcher(len(x), batch_size or len(x), derive_seed(seed, "data"))
    for step in range(steps):
        idx = batches.next()
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 49 or step == steps - 1:
            with torch.no_grad():
                if bool((model(x).argmax(-1) == y).all()):
                    return True
    return False


def effective_model_complexity(make_model: Callable[[], nn.Module], x: torch.Tensor,
                               y: torch.Tensor, *, low: int = 1, high: int | None = None,
                               **train_kw) -> int:
    """The largest prefix ``x[:n]`` that :func:`fits_perfectly` fits (bisection over ``n``)."""
    high = len(x) if high is None else min(high, len(x))
    return largest_fitted(lambda n: fits_perfectly(make_model, x[:n], y[:n], **train_kw), low, high)
