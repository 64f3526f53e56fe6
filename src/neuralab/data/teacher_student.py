"""Teacher-student regression: targets produced by a fixed random network.

The classic setting of statistical-mechanics analyses of learning (e.g. Saad & Solla, "On-line
learning in soft committee machines", 1995): inputs ``x ~ N(0, I_d)``, targets
``y = W2 act(W1 x / sqrt(d)) / sqrt(k) + noise * eps`` with a random teacher of width ``k``.
"""

from __future__ import annotations

import numpy as np
import torch

from neuralab.data.dataset import DataSpec, Dataset
from neuralab.registry import register
from neuralab.seed import numpy_rng

_ACTS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}


@register("dataset", "teacher_student", tags={"regression", "synthetic"},
          paper="On-line learning in soft committee machines")
def teacher_student(
    *,
    seed: int = 0,
    n_train: int = 1000,
    n_test: int = 1000,
    dim_in: int = 20,
    dim_out: int = 1,
    teacher_width: int = 8,
    activation: str = "tanh",
    noise: float = 0.0,
) -> Dataset:
    """Regression on the outputs of a random two-layer teacher network."""
    if activation not in _ACTS:
        raise ValueError(f"activation must be one of {sorted(_ACTS)}, got {activation!r}")
    rng = numpy_rng(seed)
    w1 = rng.standard_normal((teacher_width, dim_in))
    w2 = rng.standard_normal((dim_out, teacher_width))
    x = rng.standard_normal((n_train + n_test, dim_in))
    y = _ACTS[activation](x @ w1.T / np.sqrt(dim_in)) @ w2.T / np.sqrt(teacher_width)
    y = y + noise * rng.standard_normal(y.shape)
    x_t, y_t = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    return Dataset(
        name="teacher_student",
        spec=DataSpec("regression", (dim_in,), dim_out),
        x_train=x_t[:n_train], y_train=y_t[:n_train], x_test=x_t[n_train:], y_test=y_t[n_train:],
        description=f"regression on a random {activation} teacher of width {teacher_width}",
    )
