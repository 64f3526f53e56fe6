"""Capacity in practice: the largest training set a network fits perfectly (effective model complexity).

The *effective model complexity* (EMC) of a training procedure is the largest ``n`` such that the
procedure, run on ``n`` samples, reaches 100% training accuracy. Fitting is treated as monotone in
``n`` and the boundary is found by bisection over ``[low, high]``: ``fits(n)`` trains from scratch
on the first ``n`` samples and says whether every one is classified correctly.
:func:`fits_perfectly` is such a procedure for a model factory and a tensor dataset (full-batch or
mini-batch, Adam or SGD, a fixed step budget, seeded); it trains in training mode and judges the
fit in evaluation mode (no dropout, running norm statistics).

The registered probe ``effective_model_complexity`` takes a model instead of a factory: each
training run starts from a copy of it, re-initialized (``init="reset"``: every submodule's
``reset_parameters()``, drawn from the run's seed) or as given (``init="given"``: e.g. a freshly
built, untrained model)::

    rows = run_probe("effective_model_complexity", nn.Linear(2, 2), x, y, steps=500, lr=0.1)

Papers: Shwartz-Ziv et al., "Just How Flexible are Neural Networks in Practice?" (arXiv 2406.11463);
the effective model complexity was defined by Nakkiran et al., "Deep Double Descent: Where Bigger
Models and More Data Hurt" (arXiv 1912.02292), as the largest ``n`` reaching training error at most
``epsilon`` (here ``epsilon = 0``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.data.batching import TensorBatcher
from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register
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
    """Train ``make_model()`` on ``(x, y)`` from scratch; True when it classifies all of them.

    The model trains in training mode; every 50 steps (and after the last) it is judged in
    evaluation mode on all of ``(x, y)``, and the run stops at the first perfect fit.
    """
    with seeded(derive_seed(seed, "init")):
        model = make_model()
    model.train()
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
            with torch.no_grad(), model_mode(model, False):
                if bool((model(x).argmax(-1) == y).all()):
                    return True
    return False


def effective_model_complexity(make_model: Callable[[], nn.Module], x: torch.Tensor,
                               y: torch.Tensor, *, low: int = 1, high: int | None = None,
                               **train_kw) -> int:
    """The largest prefix ``x[:n]`` that :func:`fits_perfectly` fits (bisection over ``n``)."""
    high = len(x) if high is None else min(high, len(x))
    return largest_fitted(lambda n: fits_perfectly(make_model, x[:n], y[:n], **train_kw), low, high)


def _reset_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with every submodule's ``reset_parameters()`` called (torch's own
    initialization, drawn from the global generator); a parameter held by a module without one is
    an error, since it would start from the given values."""
    fresh = copy.deepcopy(model)
    kept = [f"{prefix}.{name}" if prefix else name for prefix, m in fresh.named_modules()
            if not callable(getattr(m, "reset_parameters", None))
            for name in m._parameters if m._parameters[name] is not None]
    if kept:
        raise NeuralabError(f"init='reset' cannot re-draw {', '.join(kept[:3])}"
                            f"{' ...' if len(kept) > 3 else ''} (no reset_parameters()); "
                            "pass init='given' with an untrained model")
    for m in fresh.modules():
        if callable(getattr(m, "reset_parameters", None)):
            m.reset_parameters()
    return fresh


@register("probe", "effective_model_complexity",
          summary="Effective model complexity: the largest training set (a prefix of the examples) "
                  "that training from scratch fits perfectly, found by bisection",
          paper="Just How Flexible are Neural Networks in Practice?", arxiv="2406.11463")
def effective_model_complexity_probe(
        model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
        low: int = 1, high: int | None = None, steps: int = 2000, lr: float = 1e-2,
        batch_size: int | None = None, optimizer: Literal["adam", "sgd"] = "adam", seed: int = 0,
        init: Literal["reset", "given"] = "reset") -> list[dict[str, Any]]:
    """Records ``effective_model_complexity`` (the largest ``n`` in ``[low, high]`` whose prefix
    ``x[:n], y[:n]`` a copy of ``model`` fits perfectly; ``low - 1`` if none) and ``emc_examples``
    (the ``high`` searched: an EMC equal to it means every prefix was fitted). ``model`` is left
    unchanged."""
    if y is None:
        raise NeuralabError("the effective_model_complexity probe needs class labels y")
    if y.dtype not in (torch.int64, torch.int32) or y.dim() != 1:
        raise NeuralabError("the effective_model_complexity probe fits class labels: y must be "
                            f"integers of shape (N,), got {y.dtype} {tuple(y.shape)}")
    if steps < 1:
        raise NeuralabError(f"steps must be >= 1, got {steps}")
    top = len(x) if high is None else min(high, len(x))
    make = (lambda: _reset_copy(model)) if init == "reset" else (lambda: copy.deepcopy(model))
    emc = effective_model_complexity(make, x, y, low=low, high=top, steps=steps, lr=lr,
                                     batch_size=batch_size, optimizer=optimizer, seed=seed)
    return [probe_record("effective_model_complexity", emc), probe_record("emc_examples", top)]
