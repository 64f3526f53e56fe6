"""Periodic-function regression with an extrapolation test set.

Ziyin, Hartwig & Ueda, "Neural Networks Fail to Learn Periodic Functions and How to Fix It"
(arXiv:2006.08195). Training inputs are uniform on ``[-train_range, train_range]``; test inputs lie
*outside* it, on ``train_range <= |x| <= test_range``, so the test loss measures extrapolation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import numpy_rng

FUNCTIONS = {
    "sin": lambda x: np.sin(x),
    "sin_sum": lambda x: np.sin(x) + 0.5 * np.sin(2.0 * x),
    "triangle": lambda x: 2.0 / np.pi * np.arcsin(np.sin(x)),
}


@register("dataset", "periodic", tags={"regression", "synthetic"},
          paper="Neural Networks Fail to Learn Periodic Functions and How to Fix It",
          arxiv="2006.08195")
def periodic(
    *,
    seed: int = 0,
    function: Literal["sin", "sin_sum", "triangle"] = "sin",
    n_train: int = 1000,
    n_test: int = 1000,
    train_range: float = 2 * np.pi,
    test_range: float = 4 * np.pi,
    noise: float = 0.0,
) -> Dataset:
    """1-D periodic regression: train inside an interval, test outside it."""
    if not 0 < train_range < test_range:
        raise ValueError("need 0 < train_range < test_range")
    rng = numpy_rng(seed)
    f = FUNCTIONS[function]
    x_train = rng.uniform(-train_range, train_range, size=(n_train, 1))
    magnitude = rng.uniform(train_range, test_range, size=(n_test, 1))
    x_test = magnitude * rng.choice([-1.0, 1.0], size=(n_test, 1))
    y_train = f(x_train) + noise * rng.standard_normal(x_train.shape)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    return Dataset(
        name="periodic",
        spec=DataSpec("regression", (1,), 1),
        x_train=as_t(x_train), y_train=as_t(y_train), x_test=as_t(x_test), y_test=as_t(f(x_test)),
        description=f"{function}(x): train on |x| <= {train_range:.3g}, "
        f"test on {train_range:.3g} <= |x| <= {test_range:.3g}",
    )
