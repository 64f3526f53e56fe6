"""What the compression claims share: their data, seeded models, training and test accuracy."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import torch
from torch import nn

from neuralab.claims.base import by_seed, paired_differences
from neuralab.compress.finetune import fit
from neuralab.data.dataset import Dataset, load_dataset
from neuralab.engine.metrics import evaluate
from neuralab.models.base import build_model
from neuralab.seed import derive_seed


F = TypeVar("F", bound=Callable[..., Any])


def single_threaded(run: F) -> F:
    """Run with one torch thread (restored afterwards). These networks are small: a second
    thread buys little on an idle machine and costs a great deal on a shared one, where
    OpenMP threads wait on each other."""

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return run(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper  # type: ignore[return-value]


def claim_data(budget: Mapping[str, Any]) -> Dataset:
    """MNIST-1D with ``budget["samples"]`` examples (the paper's 5000 by default)."""
    return load_dataset("mnist1d", num_samples=int(budget.get("samples", 5000)))


def seeded_model(name: str, data: Dataset, params: Mapping[str, Any], seed: int, *names: Any) -> nn.Module:
    """``name`` built with an init stream derived from ``seed`` (and ``names``)."""
    return build_model(name, data.spec, dict(params), seed=derive_seed(seed, "init", *names))


def test_accuracy(model: nn.Module, data: Dataset) -> float:
    return float(evaluate(model, data.spec, data.x_test, data.y_test)["accuracy"])


def arm_gap(records: Iterable[Mapping[str, Any]], a: str, b: str,
            metric: str = "test_accuracy") -> dict[int, float]:
    """``{seed: metric(a) - metric(b)}`` between two arms of a claim."""
    rows = list(records)
    return paired_differences(by_seed(rows, a, metric), by_seed(rows, b, metric))


def train(model: nn.Module, data: Dataset, steps: int, seed: int, lr: float = 1e-3,
          **options: Any) -> nn.Module:
    """Adam at a constant rate, batches of 128, data order and dropout from ``seed``."""
    return fit(model, data, steps=steps, lr=lr, seed=seed, **options)
