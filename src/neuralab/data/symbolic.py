"""Regression on smooth symbolic functions: the KAN paper's toy functions.

Liu et al., "KAN: Kolmogorov-Arnold Networks" (arXiv:2404.19756), Section 3.1. Inputs are drawn
uniformly from ``[-1, 1]^d`` and targets are exact (optionally with Gaussian noise):

- ``bessel``: ``J_0(20 x)`` (d = 1)
- ``exp_sin``: ``exp(sin(pi x_1) + x_2^2)`` (d = 2)
- ``xy``: ``x_1 x_2`` (d = 2)
- ``exp_sin_sq``: ``exp((sin(pi (x_1^2 + x_2^2)) + sin(pi (x_3^2 + x_4^2))) / 2)`` (d = 4)
- ``high_dim``: ``exp(sum_{i=1}^{100} sin^2(pi x_i / 2) / 100)`` (d = 100)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import numpy_rng


def _bessel(x: np.ndarray) -> np.ndarray:
    from scipy.special import j0

    return j0(20 * x[:, 0])


FUNCTIONS: dict[str, tuple[int, Callable[[np.ndarray], np.ndarray]]] = {
    "bessel": (1, _bessel),
    "exp_sin": (2, lambda x: np.exp(np.sin(np.pi * x[:, 0]) + x[:, 1] ** 2)),
    "xy": (2, lambda x: x[:, 0] * x[:, 1]),
    "exp_sin_sq": (4, lambda x: np.exp(0.5 * (np.sin(np.pi * (x[:, 0] ** 2 + x[:, 1] ** 2))
                                              + np.sin(np.pi * (x[:, 2] ** 2 + x[:, 3] ** 2))))),
    "high_dim": (100, lambda x: np.exp(np.mean(np.sin(np.pi * x / 2) ** 2, axis=1))),
}
FunctionName = Literal["bessel", "exp_sin", "xy", "exp_sin_sq", "high_dim"]


@register("dataset", "symbolic", tags={"regression", "generated"},
          paper="KAN: Kolmogorov-Arnold Networks", arxiv="2404.19756")
def symbolic(*, seed: int = 0, function: FunctionName = "exp_sin", n_train: int = 1000,
             n_test: int = 1000, noise: float = 0.0) -> Dataset:
    """Regression on one of the KAN paper's smooth symbolic functions, inputs uniform in [-1, 1]^d."""
    if n_train < 1 or n_test < 1 or noise < 0:
        raise ValueError("need n_train, n_test >= 1 and noise >= 0")
    d, fn = FUNCTIONS[function]
    rng = numpy_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n_train + n_test, d))
    y = fn(x)[:, None] + noise * rng.standard_normal((n_train + n_test, 1))
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    return Dataset(
        name="symbolic", spec=DataSpec("regression", (d,), 1),
        x_train=xt[:n_train], y_train=yt[:n_train], x_test=xt[n_train:], y_test=yt[n_train:],
        description=f"regression on the symbolic function {function} (d = {d})")
